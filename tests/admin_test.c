// SPDX-License-Identifier: GPL-2.0
/*
 * What administrators see and decide: whether unprivileged groups may
 * attach a filter (/sys/fs/fanotify/filters/<name>/unprivileged), audit
 * records of in-kernel denials for FAN_ENABLE_AUDIT groups, and the
 * fanotify_filter:filter_verdict tracepoint.
 */
#include "fanfilter_test.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/audit.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"

#define FILTERS_DIR "/sys/fs/fanotify/filters/"
#define SUBTREE_KNOB FILTERS_DIR "subtree/unprivileged"

FIXTURE(knob) {
	char saved[16];
};

FIXTURE_SETUP(knob)
{
	ASSERT_EQ(0, read_text(SUBTREE_KNOB, self->saved, sizeof(self->saved)))
		TH_LOG("%s: %s", SUBTREE_KNOB, strerror(errno));
}

FIXTURE_TEARDOWN(knob)
{
	write_text(SUBTREE_KNOB, self->saved);
}

/* Who may attach each filter by default; the old "flags" file is gone. */
TEST_F(knob, unprivileged_defaults)
{
	static const struct {
		const char *filter, *value;
	} defaults[] = {
		{ "subtree", "1\n" }, { "kind", "1\n" }, { "name", "1\n" },
		{ "guard", "0\n" }, { "actor", "0\n" }, { "policy", "0\n" },
	};
	char path[128], buf[16];

	for (unsigned int i = 0; i < ARRAY_SIZE(defaults); i++) {
		snprintf(path, sizeof(path), FILTERS_DIR "%s/unprivileged",
			 defaults[i].filter);
		EXPECT_EQ(0, read_text(path, buf, sizeof(buf))) TH_LOG("%s", path);
		EXPECT_STREQ(defaults[i].value, buf) TH_LOG("%s", path);
	}
	EXPECT_NE(0, access(FILTERS_DIR "subtree/flags", F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/* An unprivileged group attaches "subtree": 0, or the errno. */
static int attach_as_user(void *arg)
{
	int fan_fd, dir_fd;

	fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY);
	dir_fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	if (fan_fd < 0 || dir_fd < 0 ||
	    fanotify_mark(fan_fd, FAN_MARK_ADD, FAN_CREATE | FAN_EVENT_ON_CHILD,
			  AT_FDCWD, "/tmp"))
		return 100;
	return attach_subtree(fan_fd, dir_fd) ? errno : 0;
}

TEST_F(knob, root_decides_who_may_attach)
{
	int fan_fd, dir_fd;
	char buf[16];

	ASSERT_EQ(0, write_text(SUBTREE_KNOB, "0"));
	ASSERT_EQ(0, read_text(SUBTREE_KNOB, buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	EXPECT_EQ(EPERM, as_nobody(attach_as_user, NULL));
	/* Root needs no permission. */
	fan_fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	ASSERT_LE(0, fan_fd);
	dir_fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir_fd);
	EXPECT_EQ(0, attach_subtree(fan_fd, dir_fd));
	close(dir_fd);
	close(fan_fd);

	ASSERT_EQ(0, write_text(SUBTREE_KNOB, "1"));
	ASSERT_EQ(0, read_text(SUBTREE_KNOB, buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	EXPECT_EQ(0, as_nobody(attach_as_user, NULL));

	EXPECT_EQ(-1, write_text(SUBTREE_KNOB, "2"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_text(SUBTREE_KNOB, "x"));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, read_text(SUBTREE_KNOB, buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
}

/*
 * Audit.  With auditing enabled and no auditd, kauditd prints each record
 * ("audit: type=1331 ... resp=2") to the kernel log, through
 * printk_ratelimit(): the test adds no rule that would flood it.
 */
FIXTURE(audit) {
	struct test_fs fs;
	int nl;
	int old_enabled;	/* -1: unchanged */
	char old_ratelimit[16];	/* "": unchanged */
	int rule_added;
	int fan_fd;
	int in_fd;
};

/*
 * Send one audit request of @type; 0 or a negative errno.  With @reply,
 * wait for the kernel's message of the same type and copy it there.
 */
static int audit_request(int nl, __u16 type, const void *data, size_t len,
			 void *reply, size_t reply_len)
{
	static __u32 seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	__u32 buf[NLMSG_SPACE(2048) / 4];
	struct nlmsghdr *nh = (void *)buf;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	nh->nlmsg_len = NLMSG_LENGTH(len);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | (reply ? 0 : NLM_F_ACK);
	nh->nlmsg_seq = ++seq;
	if (len)
		memcpy(NLMSG_DATA(nh), data, len);
	if (sendto(nl, buf, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		n = recv(nl, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(nh);

				if (err->error || !reply)
					return err->error;
			} else if (nh->nlmsg_type == type && reply) {
				size_t got = nh->nlmsg_len - NLMSG_LENGTH(0);

				memcpy(reply, NLMSG_DATA(nh),
				       got < reply_len ? got : reply_len);
				return 0;
			}
		}
	}
}

static int audit_set_enabled(int nl, __u32 enabled)
{
	struct audit_status s = {
		.mask = AUDIT_STATUS_ENABLED,
		.enabled = enabled,
	};

	return audit_request(nl, AUDIT_SET, &s, sizeof(s), NULL, 0);
}

/*
 * A syscall rule on the exit list, so that tasks forked from now on have
 * a real audit context, selecting no syscall, so that it logs nothing.
 */
static int audit_rule(int nl, __u16 type)
{
	struct audit_rule_data rule = {
		.flags = AUDIT_FILTER_EXIT,
		.action = AUDIT_ALWAYS,
	};

	return audit_request(nl, type, &rule, sizeof(rule), NULL, 0);
}

FIXTURE_SETUP(audit)
{
	struct timeval tv = { .tv_sec = 5 };
	struct audit_status s = { 0 };
	char cmdline[4096];

	self->old_enabled = -1;
	self->fan_fd = -1;
	self->in_fd = -1;
	self->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (self->nl < 0 && errno == EPROTONOSUPPORT)
		SKIP(return, "no audit (NETLINK_AUDIT)");
	ASSERT_LE(0, self->nl);
	ASSERT_EQ(0, setsockopt(self->nl, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	if (!read_text("/proc/cmdline", cmdline, sizeof(cmdline)) &&
	    strstr(cmdline, "audit=0"))
		SKIP(return, "audit=0 on the kernel command line");
	ASSERT_EQ(0, audit_request(self->nl, AUDIT_GET, NULL, 0, &s, sizeof(s)));
	if (s.enabled == 2)
		SKIP(return, "audit configuration is locked");
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	ASSERT_EQ(0, touch_write(self->fs.in, "secret"));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);

	/*
	 * kauditd prints records with printk_ratelimit() when no auditd
	 * listens: one test's records would hide the next one's.
	 */
	ASSERT_EQ(0, read_text("/proc/sys/kernel/printk_ratelimit",
			       self->old_ratelimit, sizeof(self->old_ratelimit)));
	ASSERT_EQ(0, write_text("/proc/sys/kernel/printk_ratelimit", "0"));
	ASSERT_EQ(0, audit_set_enabled(self->nl, 1));
	self->old_enabled = s.enabled;
	ASSERT_EQ(0, audit_rule(self->nl, AUDIT_ADD_RULE));
	self->rule_added = 1;
}

FIXTURE_TEARDOWN(audit)
{
	if (self->rule_added)
		audit_rule(self->nl, AUDIT_DEL_RULE);
	if (self->old_enabled >= 0)
		audit_set_enabled(self->nl, self->old_enabled);
	if (self->old_ratelimit[0])
		write_text("/proc/sys/kernel/printk_ratelimit", self->old_ratelimit);
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	if (self->in_fd >= 0) {
		close(self->in_fd);
		test_fs_teardown(&self->fs);
	}
	close(self->nl);
}

/* The control: a denial from user space, with FAN_AUDIT, is audited. */
TEST_F(audit, user_space_denial_is_audited)
{
	char path[PATH_MAX], line[1024];
	struct open_req req = { .path = path, .flags = O_RDONLY };
	struct pollfd pfd = { .events = POLLIN };
	struct fanotify_event_metadata md;
	struct fanotify_response resp;
	int kmsg;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/secret", self->fs.in);
	self->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_ENABLE_AUDIT,
				     O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	pid = fork();
	if (pid == 0)
		_exit(open_errno(&req));
	ASSERT_LT(0, pid);
	pfd.fd = self->fan_fd;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ((ssize_t)sizeof(md), read(self->fan_fd, &md, sizeof(md)));
	resp.fd = md.fd;
	resp.response = FAN_DENY | FAN_AUDIT;
	ASSERT_EQ((ssize_t)sizeof(resp),
		  write(self->fan_fd, &resp, sizeof(resp)));
	close(md.fd);
	EXPECT_EQ(EPERM, child_wait(pid, 5000));
	EXPECT_TRUE(kmsg_wait_for(kmsg, 5000, "type=1331", "resp=2", line,
				  sizeof(line)));
	close(kmsg);
}

TEST_F(audit, in_kernel_denial_is_audited)
{
	char line[1024];
	int kmsg;

	self->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_ENABLE_AUDIT |
				     FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, NULL, 0));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	/* Forked now, the child has an audit context. */
	EXPECT_EQ(EPERM, child_open(self->fs.in, "secret", O_RDONLY));
	EXPECT_TRUE(kmsg_wait_for(kmsg, 5000, "type=1331", "resp=2", line,
				  sizeof(line)));
	if (line[0])
		TH_LOG("%s", line);
	close(kmsg);
}

/* The tracepoint reports each verdict with the filter's name. */
#define TRACING "/sys/kernel/tracing"
#define VERDICT_EVENT TRACING "/events/fanotify_filter/filter_verdict"

FIXTURE(trace) {
	struct test_fs fs;
	int in_fd;
	int fan_fd;
	int enabled;
};

FIXTURE_SETUP(trace)
{
	self->in_fd = -1;
	self->fan_fd = -1;
	if (access(TRACING "/events", F_OK) &&
	    mount("tracefs", TRACING, "tracefs", 0, NULL))
		SKIP(return, "no tracefs (%s)", strerror(errno));
	if (access(TRACING "/events", F_OK))
		SKIP(return, "no trace events in this kernel");
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
}

FIXTURE_TEARDOWN(trace)
{
	if (self->enabled)
		write_text(VERDICT_EVENT "/enable", "0");
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	if (self->in_fd >= 0) {
		close(self->in_fd);
		test_fs_teardown(&self->fs);
	}
}

/* Lines of @text that contain both @a and @b. */
static int count_lines(const char *text, const char *a, const char *b)
{
	int n = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (memmem(line, len, a, strlen(a)) &&
		    memmem(line, len, b, strlen(b)))
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}

TEST_F(trace, filter_verdict_tracepoint)
{
	static char text[1 << 20];
	size_t len = 0;
	ssize_t n;
	int fd;

	/* Tracing is there: the filters' event must be too. */
	ASSERT_EQ(0, access(VERDICT_EVENT, F_OK))
		TH_LOG("no fanotify_filter:filter_verdict tracepoint");
	fd = open(TRACING "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, write_text(VERDICT_EVENT "/enable", "1"));
	self->enabled = 1;

	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	ASSERT_EQ(0, touch_write(self->fs.in, "sent"));
	ASSERT_EQ(0, touch_write(self->fs.out, "skipped"));
	ASSERT_EQ(0, write_text(VERDICT_EVENT "/enable", "0"));
	self->enabled = 0;

	fd = open(TRACING "/trace", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while (len < sizeof(text) - 1 &&
	       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = '\0';
	EXPECT_LE(1, count_lines(text, "filter=subtree", "verdict=send"))
		TH_LOG("trace:\n%s", text);
	EXPECT_LE(1, count_lines(text, "filter=subtree", "verdict=skip"))
		TH_LOG("trace:\n%s", text);
}

TEST_HARNESS_MAIN
