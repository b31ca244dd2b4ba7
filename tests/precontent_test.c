// SPDX-License-Identifier: GPL-2.0
/*
 * Filters and pre-content events (FAN_PRE_ACCESS, Linux 6.14 and later),
 * with the series' test filter "test_verdict", which returns the verdict
 * given at attach time for every event:
 *
 * - a skip never allows a pre-content event (the file may not be filled
 *   in yet): the event is sent and user space is asked;
 * - -EPERM and the other errors of FAN_DENY_ERRNO()'s list deny it, with
 *   that error, without asking user space;
 * - an error outside that list, or one of the list in a group that is not
 *   of class FAN_CLASS_PRE_CONTENT, is invalid: the event is sent.
 *
 * Pre-content marks need a filesystem that allows them (SB_I_ALLOW_HSM):
 * an ext4 image on a loop device.  On a kernel whose uapi has no
 * FAN_PRE_ACCESS (6.12) the whole program is one skip.
 */
#include "fanfilter_test.h"

#include "kselftest_harness.h"

#ifdef FAN_PRE_ACCESS

#define DISK_SIZE (32 << 20)

FIXTURE(precontent) {
	char dir[64];
	char img[96];
	char mnt[96];
	char file[128];
	char dev[PATH_MAX];
	int loop_fd;
	int mounted;
};

FIXTURE_SETUP(precontent)
{
	const char *ko = getenv("FANFILTER_TEST_MODULE");
	int fd, ret;

	self->loop_fd = -1;
	self->mounted = 0;
	if (!ko || access(ko, R_OK))
		SKIP(return, "no test module ($FANFILTER_TEST_MODULE: %s)",
		     ko ? ko : "unset");
	if (!kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_load(ko, ""));

	snprintf(self->dir, sizeof(self->dir), "/tmp/precontent-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->img, sizeof(self->img), "%s/disk.img", self->dir);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->dir);
	snprintf(self->file, sizeof(self->file), "%s/f", self->mnt);
	fd = open(self->img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
	ret = make_fs("ext4", self->img);
	if (ret > 0)
		SKIP(return, "no mkfs.ext4");
	ASSERT_EQ(0, ret);
	self->loop_fd = loop_attach(self->dev, sizeof(self->dev), self->img,
				    self->dir);
	ASSERT_LE(0, self->loop_fd);
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	ASSERT_EQ(0, mount(self->dev, self->mnt, "ext4", 0, NULL)) {
		TH_LOG("mount ext4: %s (CONFIG_EXT4_FS?)", strerror(errno));
	}
	self->mounted = 1;
	ASSERT_EQ(0, touch_write(self->mnt, "f"));
}

FIXTURE_TEARDOWN(precontent)
{
	if (self->mounted && umount2(self->mnt, 0))
		umount2(self->mnt, MNT_DETACH);
	if (self->loop_fd >= 0) {
		ioctl(self->loop_fd, LOOP_CLR_FD);
		close(self->loop_fd);
	}
	if (self->dir[0]) {
		unlink(self->img);
		rmdir(self->mnt);
		rmdir(self->dir);
	}
}

/*
 * A group of @class with a @mask mark on @file and test_verdict attached
 * with @verdict; -1 on failure.
 */
static int verdict_group(const char *file, unsigned int class, __u64 mask,
			 __s32 verdict)
{
	int fd = fanotify_init(class | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD, mask, AT_FDCWD, file) ||
	    filter_attach(fd, TEST_FILTER, &verdict, sizeof(verdict))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * In a child, open @file and read a byte: 0 if both succeed, else the
 * errno of the one that failed.  Meanwhile answer every permission event
 * of @fan_fd with FAN_ALLOW and count them in *@asked, with their masks
 * ORed into *@masks.  -1 if the child does not finish in 10 s.
 */
static int child_read(int fan_fd, const char *file, int *asked, __u64 *masks)
{
	char buf[4096];
	int pipefd[2], status, err = -1;
	pid_t pid;

	*asked = 0;
	*masks = 0;
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(file, O_RDONLY);
		int e = fd < 0 ? errno : (read(fd, buf, 1) < 0 ? errno : 0);

		if (write(pipefd[1], &e, sizeof(e)) != sizeof(e))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	for (int ms = 0; ms < 10000; ms += 10) {
		struct pollfd pfd[2] = {
			{ .fd = fan_fd, .events = POLLIN },
			{ .fd = pipefd[0], .events = POLLIN },
		};
		ssize_t len;

		if (poll(pfd, 2, 10) < 0)
			break;
		len = read(fan_fd, buf, sizeof(buf));
		for (struct fanotify_event_metadata *md = (void *)buf;
		     len > 0 && FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
			struct fanotify_response r = {
				.fd = md->fd, .response = FAN_ALLOW,
			};

			(*asked)++;
			*masks |= md->mask;
			if (write(fan_fd, &r, sizeof(r)) != sizeof(r))
				return -1;
			if (md->fd >= 0)
				close(md->fd);
		}
		if (pfd[1].revents & POLLIN) {
			if (read(pipefd[0], &err, sizeof(err)) != sizeof(err))
				err = -1;
			break;
		}
	}
	close(pipefd[0]);
	if (err == -1)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return err;
}

/* A skip does not allow a pre-content event: user space is asked. */
TEST_F(precontent, skip_sends_a_pre_content_event)
{
	struct filter_counters c;
	__u64 masks;
	int fd, asked;

	fd = verdict_group(self->file, FAN_CLASS_PRE_CONTENT, FAN_PRE_ACCESS,
			   VERDICT_SKIP);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, child_read(fd, self->file, &asked, &masks));
	EXPECT_LE(1, asked);
	EXPECT_TRUE(!!(masks & FAN_PRE_ACCESS));
	ASSERT_EQ(0, filter_counters(fd, &c));
	EXPECT_EQ(0, c.skipped);
	EXPECT_EQ(c.seen, c.sent);
	EXPECT_EQ(0, c.invalid);
	close(fd);
}

/* The same skip of an open permission event allows it, unasked. */
TEST_F(precontent, skip_allows_an_open_permission_event)
{
	__u64 masks;
	int fd, asked;

	fd = verdict_group(self->file, FAN_CLASS_PRE_CONTENT, FAN_OPEN_PERM,
			   VERDICT_SKIP);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, child_read(fd, self->file, &asked, &masks));
	EXPECT_EQ(0, asked);
	close(fd);
}

/*
 * Attach test_verdict returning -@err to a @class group marking @mask.  If
 * @denied, the access fails with @err, user space is not asked and the
 * filter's counters say denied; else the event is sent as invalid, user
 * space is asked and allows it.
 */
static void expect_verdict(struct __test_metadata *_metadata, const char *file,
			   unsigned int class, __u64 mask, int err, bool denied)
{
	struct filter_counters c;
	__u64 masks;
	int fd, asked;

	fd = verdict_group(file, class, mask, -err);
	ASSERT_LE(0, fd);
	EXPECT_EQ(denied ? err : 0, child_read(fd, file, &asked, &masks));
	if (denied) {
		EXPECT_EQ(0, asked);
	} else {
		EXPECT_LE(1, asked);
		EXPECT_TRUE(!!(masks & mask));
	}
	ASSERT_EQ(0, filter_counters(fd, &c));
	EXPECT_EQ(denied, c.denied > 0);
	EXPECT_EQ(!denied, c.invalid > 0);
	close(fd);
}

static void expect_denied(struct __test_metadata *_metadata, const char *file,
			  unsigned int class, __u64 mask, int err)
{
	expect_verdict(_metadata, file, class, mask, err, true);
}

static void expect_invalid(struct __test_metadata *_metadata, const char *file,
			   unsigned int class, __u64 mask, int err)
{
	expect_verdict(_metadata, file, class, mask, err, false);
}

TEST_F(precontent, eperm_denies_a_pre_content_event)
{
	expect_denied(_metadata, self->file, FAN_CLASS_PRE_CONTENT,
		      FAN_PRE_ACCESS, EPERM);
}

/* Every error of FAN_DENY_ERRNO()'s list, as user space may answer. */
TEST_F(precontent, deny_errno_list_denies_a_pre_content_event)
{
	static const int errs[] = {
		EIO, EBUSY, ETXTBSY, EAGAIN, ENOSPC, EDQUOT,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(errs); i++)
		expect_denied(_metadata, self->file, FAN_CLASS_PRE_CONTENT,
			      FAN_PRE_ACCESS, errs[i]);
}

/* A pre-content group's other permission events take the list too. */
TEST_F(precontent, deny_errno_list_denies_open_in_a_pre_content_group)
{
	expect_denied(_metadata, self->file, FAN_CLASS_PRE_CONTENT,
		      FAN_OPEN_PERM, EBUSY);
}

TEST_F(precontent, errno_outside_the_list_is_invalid)
{
	expect_invalid(_metadata, self->file, FAN_CLASS_PRE_CONTENT,
		       FAN_PRE_ACCESS, EACCES);
	expect_invalid(_metadata, self->file, FAN_CLASS_PRE_CONTENT,
		       FAN_PRE_ACCESS, EINVAL);
}

/* User space of a content group may not answer with an errno either. */
TEST_F(precontent, errno_in_a_content_group_is_invalid)
{
	expect_invalid(_metadata, self->file, FAN_CLASS_CONTENT,
		       FAN_OPEN_PERM, EIO);
	expect_denied(_metadata, self->file, FAN_CLASS_CONTENT,
		      FAN_OPEN_PERM, EPERM);
}

#else /* !FAN_PRE_ACCESS */

TEST(pre_content_events)
{
	SKIP(return, "this kernel's uapi has no pre-content events (6.12)");
}

#endif /* FAN_PRE_ACCESS */

TEST_HARNESS_MAIN
