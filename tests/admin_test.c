// SPDX-License-Identifier: GPL-2.0
/*
 * What administrators see and decide: whether unprivileged groups may
 * attach a filter (/sys/fs/fanotify/filters/<name>/unprivileged), audit
 * records of in-kernel denials for FAN_ENABLE_AUDIT groups (and for the
 * kernel-resident guard), and the
 * fanotify_filter:filter_verdict tracepoint.
 */
#include "fanfilter_test.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
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
 * Disabling a filter: attach refused for everyone, live attachments
 * revoked.  Settings of a name survive the unregistration of its type.
 */
#define GUARD_DIR FILTERS_DIR "guard/"

FIXTURE(revoke) {
	struct test_fs fs;
	int in_fd;
	int fan_fd;
};

FIXTURE_SETUP(revoke)
{
	self->fan_fd = -1;
	ASSERT_EQ(0, test_fs_with_files(&self->fs, &self->in_fd));
}

FIXTURE_TEARDOWN(revoke)
{
	if (!module_loaded())
		module_load();
	write_text(GUARD_DIR "enabled", "1");
	write_text(FILTERS_DIR "subtree/enabled", "1");
	write_text(SUBTREE_KNOB, "1");
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	close(self->in_fd);
	test_fs_teardown(&self->fs);
}

static int enabled_write_as_user(void *arg)
{
	return write_text(GUARD_DIR "enabled", "0") ? errno : 0;
}

static int guard_reconfig(int fan_fd, int root_fd)
{
	struct fan_guard_args *a;
	__u32 size;
	int ret;

	a = guard_args(root_fd, 1, NULL, 0, &size);
	if (!a)
		return -1;
	ret = filter_reconfig(fan_fd, "guard", a, size);
	free(a);
	return ret;
}

/*
 * A revoked guard is no longer called: its group gets the permission
 * events as without a filter, so the daemon that owns it goes on deciding
 * (here: allows, then denies) and nothing is denied or allowed behind its
 * back.
 */
TEST_F(revoke, disabled_guard_is_no_longer_called)
{
	struct filter_counters c;
	char buf[16], line[256];
	int other, asked;

	ASSERT_EQ(0, read_text(GUARD_DIR "enabled", buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	/* The file is root's (0644): open() refuses before the store does. */
	EXPECT_EQ(EACCES, as_nobody(enabled_write_as_user, NULL));
	EXPECT_EQ(-1, write_text(GUARD_DIR "enabled", "x"));
	EXPECT_EQ(EINVAL, errno);

	self->fan_fd = perm_group(self->fs.root, 0);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, NULL, 0));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));

	ASSERT_EQ(0, write_text(GUARD_DIR "enabled", "0"));
	ASSERT_EQ(0, read_text(GUARD_DIR "enabled", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	/* Revoked: user space decides, inside and out. */
	EXPECT_EQ(0, child_open_answered(self->fan_fd, self->fs.in, "f",
					 FAN_ALLOW, &asked));
	EXPECT_TRUE(asked);
	EXPECT_EQ(EPERM, child_open_answered(self->fan_fd, self->fs.out, "g",
					     FAN_DENY, &asked));
	EXPECT_TRUE(asked);
	filter_fdinfo(self->fan_fd, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " revoked:1 ")) TH_LOG("%s", line);
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(1, c.denied);
	EXPECT_EQ(1, c.seen);
	/* Only detaching is left; nobody attaches it, root included. */
	EXPECT_EQ(-1, guard_reconfig(self->fan_fd, self->in_fd));
	EXPECT_EQ(EPERM, errno);
	other = perm_group(self->fs.root, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, attach_guard(other, self->in_fd, NULL, 0));
	EXPECT_EQ(EPERM, errno);

	/* Enabled again: new attachments work, the revoked one stays so. */
	ASSERT_EQ(0, write_text(GUARD_DIR "enabled", "1"));
	ASSERT_EQ(0, attach_guard(other, self->in_fd, NULL, 0));
	filter_fdinfo(other, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " revoked:0 ")) TH_LOG("%s", line);
	EXPECT_EQ(EPERM, child_open_answered(self->fan_fd, self->fs.in, "f",
					     FAN_ALLOW, &asked));
	close(other);
	EXPECT_EQ(0, child_open_answered(self->fan_fd, self->fs.in, "f",
					 FAN_ALLOW, &asked));
	EXPECT_TRUE(asked);
	filter_fdinfo(self->fan_fd, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " revoked:1 ")) TH_LOG("%s", line);
	EXPECT_EQ(0, filter_detach(self->fan_fd));
}

TEST_F(revoke, disabled_subtree_hides_nothing)
{
	struct event_paths ev;

	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	ASSERT_EQ(0, touch_write(self->fs.out, "hidden"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(0, ev.nr);

	ASSERT_EQ(0, write_text(FILTERS_DIR "subtree/enabled", "0"));
	ASSERT_EQ(0, touch_write(self->fs.out, "shown"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "shown"));
}

/* The administrator's settings outlive the module's unload. */
TEST_F(revoke, settings_survive_reregistration)
{
	char buf[16];

	ASSERT_EQ(0, write_text(SUBTREE_KNOB, "0"));
	ASSERT_EQ(0, write_text(GUARD_DIR "enabled", "0"));
	ASSERT_EQ(0, module_unload());
	ASSERT_NE(0, access(GUARD_DIR, F_OK));
	ASSERT_EQ(0, module_load());
	ASSERT_EQ(0, read_text(SUBTREE_KNOB, buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	ASSERT_EQ(0, read_text(GUARD_DIR "enabled", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	EXPECT_EQ(EPERM, as_nobody(attach_as_user, NULL));
	self->fan_fd = perm_group(self->fs.root, 0);
	ASSERT_LE(0, self->fan_fd);
	EXPECT_EQ(-1, attach_guard(self->fan_fd, self->in_fd, NULL, 0));
	EXPECT_EQ(EPERM, errno);
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

/*
 * A FAN_ENABLE_AUDIT permission group on the filesystem of @root, with a
 * guard of @in_fd that exempts nobody; -1 on failure.
 */
static int audited_guard(const char *root, int in_fd)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_ENABLE_AUDIT |
			       FAN_NONBLOCK, O_RDONLY);

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_OPEN_PERM, AT_FDCWD, root) ||
	    attach_guard(fd, in_fd, NULL, 0)) {
		close(fd);
		return -1;
	}
	return fd;
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

/*
 * A non-exempt open of in/secret, forked now so that the child has an
 * audit context, is denied, and the denial is audited.
 */
static void expect_audited_denial(struct __test_metadata *_metadata,
				  const char *in)
{
	char line[1024];
	int kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	EXPECT_EQ(EPERM, child_open(in, "secret", O_RDONLY));
	EXPECT_TRUE(kmsg_wait_for(kmsg, 5000, "type=1331", "resp=2", line,
				  sizeof(line)));
	if (line[0])
		TH_LOG("%s", line);
	close(kmsg);
}

TEST_F(audit, in_kernel_denial_is_audited)
{
	self->fan_fd = audited_guard(self->fs.root, self->in_fd);
	ASSERT_LE(0, self->fan_fd);
	expect_audited_denial(_metadata, self->fs.in);
}

/* The module's kernel-resident guard audits its denials too. */
TEST_F(audit, kernel_group_denial_is_audited)
{
	const char *config = "/sys/fs/fanotify/groups/" FANFILTER_MODULE
			     "/guard/config";
	char arm[160];

	if (access(config, F_OK))
		SKIP(return, "no kernel-resident guard");
	snprintf(arm, sizeof(arm), "roots=%s", self->fs.in);
	ASSERT_EQ(0, write_text(config, arm));
	expect_audited_denial(_metadata, self->fs.in);
	EXPECT_EQ(0, write_text(config, "off"));
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Seconds that closing an inotify fd with a watch takes: the close waits
 * for every fsnotify_mark_srcu reader, e.g. a filter's caller.
 */
static double inotify_close_seconds(const char *dir)
{
	struct timespec t0;
	int in = inotify_init1(IN_CLOEXEC);

	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(in);
	return seconds_since(&t0);
}

/*
 * The sum of the numbers that precede @what in the kernel records
 * (/dev/kmsg) read until none came for @quiet_ms milliseconds.
 */
static int kmsg_sum(int fd, const char *what, int quiet_ms)
{
	char rec[8192];
	int sum = 0;

	for (int idle = 0; idle <= quiet_ms;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);
		char *at;

		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0) {
			usleep(20000);
			idle += 20;
			continue;
		}
		idle = 0;
		rec[len] = '\0';
		at = strstr(rec, what);
		if (at) {
			while (at > rec && at[-1] == ' ')
				at--;
			while (at > rec && at[-1] >= '0' && at[-1] <= '9')
				at--;
			sum += atoi(at);
		}
	}
	return sum;
}

/*
 * An attachment writes at most 100 audit records of denials a second, so
 * that a process opening protected files in a loop cannot flood audit (on
 * an "auditctl -f 2" system, a lost record panics it); every denial is
 * still counted, and the kernel log says how many records were dropped,
 * at the latest when the attachment goes.
 */
TEST_F_TIMEOUT(audit, in_kernel_denial_records_are_rate_limited, 120)
{
	char secret[PATH_MAX];
	struct filter_counters c;
	struct timespec t0;
	int kmsg, suppressed;
	double took;
	pid_t pid;

	/* No syscall records: the denials, fast, are all there is. */
	ASSERT_EQ(0, audit_rule(self->nl, AUDIT_DEL_RULE));
	self->rule_added = 0;
	self->fan_fd = audited_guard(self->fs.root, self->in_fd);
	ASSERT_LE(0, self->fan_fd);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	snprintf(secret, sizeof(secret), "%s/secret", self->fs.in);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 300; i++)
			if (open(secret, O_RDONLY) >= 0 || errno != EPERM)
				_exit(1);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, child_wait(pid, 60000));
	took = seconds_since(&t0);
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(300, c.denied);
	/* Gone: it reports what it suppressed. */
	close(self->fan_fd);
	self->fan_fd = -1;
	suppressed = kmsg_sum(kmsg, "audit records of denials suppressed", 2000);
	close(kmsg);
	TH_LOG("300 denials in %.2f s, %d audit records suppressed", took,
	       suppressed);
	/* Each second the denials span starts a new allowance of 100. */
	EXPECT_LE(300 - 100 * ((int)took + 2), suppressed);
	EXPECT_GE(300 - 100, suppressed);
}

/*
 * User-space records from the auditd itself, which never waits for room:
 * they keep the audit backlog over its limit while the flag is set.
 */
struct audit_flood {
	int nl;
	atomic_int on;
};

static void *audit_flood(void *arg)
{
	struct audit_flood *f = arg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nh;
		char text[32];
	} m = {
		.nh.nlmsg_len = NLMSG_LENGTH(sizeof(m.text)),
		.nh.nlmsg_type = AUDIT_USER,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.text = "fanfilter test: audit flood",
	};

	while (f->on) {
		sendto(f->nl, &m, m.nh.nlmsg_len, MSG_DONTWAIT,
		       (struct sockaddr *)&kernel, sizeof(kernel));
		usleep(2000);
	}
	return NULL;
}

/*
 * An auditd that never reads: kauditd's sends to it time out, and while
 * the auditd (exempt from waiting) floods the backlog, audit_log() with
 * GFP_KERNEL waits audit_backlog_wait_time for room.  An in-kernel denial
 * must not wait so: it runs inside fsnotify_mark_srcu, which every close
 * of an inotify or fanotify fd on the system waits for.  Its record is
 * dropped and counted as lost instead.  The syscall rule is removed for
 * the test, so that the denials are the only records that could wait
 * (audit's backlog_wait_time_actual adds up every wait).
 */
TEST_F_TIMEOUT(audit, full_backlog_never_stalls_fsnotify, 240)
{
	struct audit_flood flood = { .on = 1 };
	struct audit_status old = { 0 }, s = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	double closing = 0, took;
	char secret[PATH_MAX];
	struct timespec t0;
	int stall, tiny = 1;
	pthread_t flooder;
	pid_t pid;

	ASSERT_EQ(0, audit_request(self->nl, AUDIT_GET, NULL, 0, &old,
				   sizeof(old)));
	if (old.pid)
		SKIP(return, "an auditd (pid %u) is running", old.pid);
	/* kauditd prints what no auditd took: keep the console quiet. */
	ASSERT_EQ(0, write_text("/proc/sys/kernel/printk_ratelimit", "5"));
	stall = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	ASSERT_LE(0, stall);
	ASSERT_EQ(0, setsockopt(stall, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	s.mask = AUDIT_STATUS_PID;
	s.pid = getpid();
	ASSERT_EQ(0, audit_request(stall, AUDIT_SET, &s, sizeof(s), NULL, 0));
	ASSERT_EQ(0, setsockopt(stall, SOL_SOCKET, SO_RCVBUF, &tiny,
				sizeof(tiny)));
	ASSERT_EQ(0, audit_rule(self->nl, AUDIT_DEL_RULE));
	self->rule_added = 0;
	/* 3000 jiffies: 3 to 30 s, whatever HZ is. */
	s.mask = AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_BACKLOG_WAIT_TIME;
	s.backlog_limit = 1;
	s.backlog_wait_time = 3000;
	ASSERT_EQ(0, audit_request(self->nl, AUDIT_SET, &s, sizeof(s), NULL, 0));

	self->fan_fd = audited_guard(self->fs.root, self->in_fd);
	ASSERT_LE(0, self->fan_fd);

	flood.nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	ASSERT_LE(0, flood.nl);
	ASSERT_EQ(0, pthread_create(&flooder, NULL, audit_flood, &flood));
	usleep(300000);
	/*
	 * From now on, only a waiting denial adds to the waits' total.  The
	 * reset answers with the total it cleared.
	 */
	memset(&s, 0, sizeof(s));
	s.mask = AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL;
	ASSERT_LE(0, audit_request(self->nl, AUDIT_SET, &s, sizeof(s), NULL, 0));

	/* Denied over and over, each denial audited. */
	snprintf(secret, sizeof(secret), "%s/secret", self->fs.in);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 200; i++)
			if (open(secret, O_RDONLY) >= 0 || errno != EPERM)
				_exit(1);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	usleep(500000);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, audit_request(self->nl, AUDIT_GET, NULL, 0, &s, sizeof(s)));
	TH_LOG("audit backlog %u, lost %u", s.backlog, s.lost);

	/* Twice: a first close may fall between two denials. */
	for (int i = 0; i < 2; i++)
		closing += inotify_close_seconds(self->fs.root);
	EXPECT_LT(closing, 1.0) TH_LOG("two inotify closes took %.1f s", closing);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, audit_request(self->nl, AUDIT_GET, NULL, 0, &s, sizeof(s)));
	EXPECT_EQ(0U, s.backlog_wait_time_actual)
		TH_LOG("denials waited %u jiffies for audit", s.backlog_wait_time_actual);

	/* Unstall kauditd before anything else audits; leave as found. */
	flood.on = 0;
	pthread_join(flooder, NULL);
	close(flood.nl);
	close(stall);
	memset(&s, 0, sizeof(s));
	s.mask = AUDIT_STATUS_PID;
	EXPECT_EQ(0, audit_request(self->nl, AUDIT_SET, &s, sizeof(s), NULL, 0));
	s.mask = AUDIT_STATUS_BACKLOG_LIMIT | AUDIT_STATUS_BACKLOG_WAIT_TIME;
	s.backlog_limit = old.backlog_limit;
	s.backlog_wait_time = old.backlog_wait_time;
	EXPECT_EQ(0, audit_request(self->nl, AUDIT_SET, &s, sizeof(s), NULL, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, child_wait(pid, 120000));
	took = seconds_since(&t0);
	TH_LOG("the denials ended %.1f s after the flood", took);
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

/* The trace buffer's text, NUL-terminated, in @text; 0 or -1. */
static int read_trace(char *text, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(TRACING "/trace", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len < size - 1 && (n = read(fd, text + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = '\0';
	return 0;
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

/*
 * "id=N filter=subtree dev=MAJ:MIN ino=I": how a verdict record names the
 * file @dir/@name for the attachment on @fan_fd (its fdinfo "id:N").
 */
static const char *object_of(int fan_fd, const char *dir, const char *name)
{
	static char words[256];
	char path[PATH_MAX], line[256];
	const char *id;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	filter_fdinfo(fan_fd, line, sizeof(line));
	id = strstr(line, " id:");
	if (stat(path, &st) || !id)
		return "(no such file or id)";
	/* The acting process: this one, which wrote the file. */
	snprintf(words, sizeof(words),
		 "id=%llu filter=subtree tgid=%d dev=%u:%u ino=%lu ",
		 strtoull(id + 4, NULL, 10), getpid(), major(st.st_dev),
		 minor(st.st_dev), (unsigned long)st.st_ino);
	return words;
}

TEST_F(trace, filter_verdict_tracepoint)
{
	static char text[1 << 20];
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

	ASSERT_EQ(0, read_trace(text, sizeof(text)));
	EXPECT_LE(1, count_lines(text, "filter=subtree", "verdict=send"))
		TH_LOG("trace:\n%s", text);
	EXPECT_LE(1, count_lines(text, "filter=subtree", "verdict=skip"))
		TH_LOG("trace:\n%s", text);

	/*
	 * Each record names the attachment (fdinfo's id), the acting process
	 * and the object.
	 */
	EXPECT_EQ(1, count_lines(text, object_of(self->fan_fd, self->fs.in,
						 "sent"), "verdict=send"))
		TH_LOG("trace:\n%s", text);
	EXPECT_EQ(1, count_lines(text, object_of(self->fan_fd, self->fs.out,
						 "skipped"), "verdict=skip"))
		TH_LOG("trace:\n%s", text);
}

/*
 * What reaches a kernel group that nobody reads (here the guard's, revoked
 * by the administrator) is traced with the group's name and the object.
 */
#define KGROUP_EVENT TRACING "/events/fanotify_filter/kernel_group_event"

TEST_F(trace, kernel_group_event_tracepoint)
{
	const char *config = "/sys/fs/fanotify/groups/" FANFILTER_MODULE
			     "/guard/config";
	static char text[1 << 20];
	char arm[160], words[160], path[PATH_MAX];
	struct stat st;
	int fd;

	if (access(config, F_OK))
		SKIP(return, "no kernel-resident guard");
	ASSERT_EQ(0, access(KGROUP_EVENT, F_OK));
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	ASSERT_EQ(0, stat(path, &st));
	snprintf(arm, sizeof(arm), "roots=%s", self->fs.in);
	ASSERT_EQ(0, write_text(config, arm));
	ASSERT_EQ(0, write_text("/sys/fs/fanotify/filters/guard/enabled", "0"));
	fd = open(TRACING "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, write_text(KGROUP_EVENT "/enable", "1"));
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	ASSERT_EQ(0, write_text(KGROUP_EVENT "/enable", "0"));
	EXPECT_EQ(0, write_text("/sys/fs/fanotify/filters/guard/enabled", "1"));
	EXPECT_EQ(0, write_text(config, "off"));

	ASSERT_EQ(0, read_trace(text, sizeof(text)));
	snprintf(words, sizeof(words), "dev=%u:%u ino=%lu ",
		 major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	EXPECT_LE(1, count_lines(text, "group=" FANFILTER_MODULE "/guard ",
				 words))
		TH_LOG("trace:\n%s", text);
	EXPECT_LE(1, count_lines(text, words, "allowed"))
		TH_LOG("trace:\n%s", text);
}

TEST_HARNESS_MAIN
