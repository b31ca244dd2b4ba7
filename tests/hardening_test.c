// SPDX-License-Identifier: GPL-2.0
/*
 * Where a filter must not guess: fanotify's own early returns (objects
 * that are neither regular files nor directories) come before the filter;
 * a dentry whose place is unknown (disconnected, from open_by_handle_at())
 * is sent by "subtree" and denied by "guard", unless its filesystem holds
 * none of the set's directories; so is what hangs from another root than
 * the set's directories (a nilfs2 snapshot's), and a root too deep to
 * find is refused; a tgid names the process
 * that had it at attach time, not a later one that reuses the number; and
 * events raised by kernel threads, which have no actor, are sent by
 * "actor"; and a released group's filter denies nothing.
 */
#include "fanfilter_test.h"

#include <poll.h>
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <linux/nilfs2_api.h>

#include "kselftest_harness.h"

FIXTURE(hardening) {
	struct test_fs fs;
	int in_fd;
	int fan_fd;
};

FIXTURE_SETUP(hardening)
{
	self->fan_fd = -1;
	ASSERT_EQ(0, test_fs_with_files(&self->fs, &self->in_fd));
}

FIXTURE_TEARDOWN(hardening)
{
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	close(self->in_fd);
	test_fs_teardown(&self->fs);
}

/*
 * fanotify never asks about the opening of a FIFO or a device, so neither
 * must the guard deny it; a regular file below the root still is denied.
 */
TEST_F(hardening, guard_leaves_fifos_and_devices_alone)
{
	struct filter_counters c;
	char path[PATH_MAX];
	int have_dev;

	snprintf(path, sizeof(path), "%s/p", self->fs.in);
	ASSERT_EQ(0, mkfifo(path, 0644));
	snprintf(path, sizeof(path), "%s/null", self->fs.in);
	have_dev = !mknod(path, S_IFCHR | 0666, makedev(1, 3));
	if (!have_dev)
		TH_LOG("no device node (mknod: %s), FIFO only", strerror(errno));
	self->fan_fd = perm_group(self->fs.root, 0);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, NULL, 0));

	EXPECT_EQ(0, child_open(self->fs.in, "p", O_RDONLY | O_NONBLOCK));
	if (have_dev)
		EXPECT_EQ(0, child_open(self->fs.in, "null", O_RDONLY));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(self->fs.out, "g", O_RDONLY));

	/* Only the two regular files reached the filter. */
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(2, c.seen);
	EXPECT_EQ(1, c.denied);
}

/*
 * A group that reports fds gets no event on a FIFO: fanotify drops it
 * before the filter, which neither sees nor counts it.
 */
TEST_F(hardening, fd_group_fifo_events_never_reach_the_filter)
{
	struct filter_counters c;
	struct event_paths ev;
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/p", self->fs.in);
	ASSERT_EQ(0, mkfifo(path, 0644));
	self->fan_fd = fs_group(self->fs.root, 0, FAN_OPEN);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION,
				 FAN_KIND_NON_DIRECTORIES));

	for (int i = 0; i < 2; i++) {
		fd = open(path, O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, fd);
		close(fd);
	}
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_OPEN, &ev));
	EXPECT_EQ(0, ev.nr);
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(0, c.seen);
	EXPECT_EQ(0, c.sent);

	/* A regular file is seen, sent and counted. */
	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_OPEN, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "f"));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(1, c.seen);
	EXPECT_EQ(1, c.sent);
}

/*
 * A released group allows every permission event (fanotify_release() sets
 * group->shutdown, and fanotify answers FAN_ALLOW for an event it can no
 * longer queue), so its filter must not deny one either.  The window lies
 * between fsnotify_group_stop_queueing() and the removal of the group's
 * marks; fsnotify_clear_marks_by_group() removes the newest mark first, so
 * many filler marks added after the one on the root keep that mark, and
 * the window, alive for a long time.  A child opens a file below the root
 * in a loop while the parent closes the group; no open that starts in the
 * second half of the close may be denied.
 */
#define RELEASE_FILLER_MARKS	20000
#define RELEASE_MAX_OPENS	(1024 * 1024)

struct release_open {
	struct timespec start;
	int err;
};

struct release_log {
	int stop;	/* shared with the other process: __atomic_* only */
	int running;
	int nr;
	struct release_open opens[RELEASE_MAX_OPENS];
};

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void release_opener(struct release_log *log, const char *path)
{
	while (!__atomic_load_n(&log->stop, __ATOMIC_ACQUIRE) &&
	       log->nr < RELEASE_MAX_OPENS) {
		struct release_open *o = &log->opens[log->nr];
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &o->start);
		fd = open(path, O_RDONLY);
		o->err = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		log->nr++;
		__atomic_store_n(&log->running, 1, __ATOMIC_RELEASE);
	}
	_exit(0);
}

TEST_F(hardening, released_group_denies_nothing)
{
	struct timespec t0, t1;
	struct release_log *log;
	long long mid, end;
	int late = 0, late_denied = 0, after_denied = 0;
	char path[PATH_MAX];
	pid_t opener;
	int fd;

	log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, log);
	self->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_UNLIMITED_MARKS,
				     O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	/* The oldest mark: removed last. */
	ASSERT_EQ(0, fanotify_mark(self->fan_fd, FAN_MARK_ADD,
				   FAN_OPEN_PERM | FAN_EVENT_ON_CHILD,
				   AT_FDCWD, self->fs.in));
	snprintf(path, sizeof(path), "%s/fill", self->fs.out);
	ASSERT_EQ(0, mkdir(path, 0755));
	for (int i = 0; i < RELEASE_FILLER_MARKS; i++) {
		snprintf(path, sizeof(path), "%s/fill/%d", self->fs.out, i);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		ASSERT_LE(0, fd);
		close(fd);
		ASSERT_EQ(0, fanotify_mark(self->fan_fd, FAN_MARK_ADD,
					   FAN_CLOSE_WRITE, AT_FDCWD, path));
	}
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, NULL, 0));
	ASSERT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));

	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	opener = fork();
	ASSERT_LE(0, opener);
	if (opener == 0) {
		/* The group's file must have one reference: the parent's. */
		close(self->fan_fd);
		release_opener(log, path);
	}
	while (!__atomic_load_n(&log->running, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(20000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(self->fan_fd);
	self->fan_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	usleep(20000);
	__atomic_store_n(&log->stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(opener, waitpid(opener, NULL, 0));

	mid = (ts_ns(&t0) + ts_ns(&t1)) / 2;
	end = ts_ns(&t1);
	for (int i = 0; i < log->nr; i++) {
		long long start = ts_ns(&log->opens[i].start);

		if (start >= mid && start < end) {
			late++;
			late_denied += log->opens[i].err != 0;
		} else if (start >= end) {
			after_denied += log->opens[i].err != 0;
		}
	}
	TH_LOG("close took %lld us; %d opens in its second half, %d denied",
	       (end - ts_ns(&t0)) / 1000, late, late_denied);
	/* The window was really exercised... */
	ASSERT_LE(10, late);
	/* ...and nothing in it, or after it, was denied. */
	EXPECT_EQ(0, late_denied);
	EXPECT_EQ(0, after_denied);
	munmap(log, sizeof(*log));
}

/*
 * Recycled pids.  Child P exists when the filter is attached, then exits
 * and is reaped; clone3() with set_tid makes a new child with the same pid
 * number, which must not inherit what the filter said about P.
 */
static int touch_in(void *dir)
{
	return touch_write(dir, "w") ? 1 : 0;
}

TEST_F(hardening, guard_exemption_dies_with_the_process)
{
	char path[PATH_MAX];
	struct open_req req = { .path = path, .flags = O_RDONLY };
	pid_t p, again;
	int go;

	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	self->fan_fd = perm_group(self->fs.root, 0);
	ASSERT_LE(0, self->fan_fd);
	p = child_start_paused(open_errno, &req, &go);
	ASSERT_LT(0, p);
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, &p, 1));
	/* P itself is exempt. */
	ASSERT_EQ(0, child_release(p, go, 1000));

	again = fork_with_pid(p);
	if (again == 0)
		_exit(open_errno(&req));
	if (again < 0)
		SKIP(return, "clone3() with set_tid: %s", strerror(errno));
	ASSERT_EQ(p, again);
	EXPECT_EQ(EPERM, child_wait(again, 1000));
}

TEST_F(hardening, actor_tgid_dies_with_the_process)
{
	struct fid_events *ev;
	struct actor_args a;
	pid_t p, again;
	__u32 size;
	int go;

	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	p = child_start_paused(touch_in, self->fs.in, &go);
	ASSERT_LT(0, p);
	size = actor_args(&a, 0, &p, 1, NULL, 0);
	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	/* P's own event is sent. */
	ASSERT_EQ(0, child_release(p, go, 5000));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, ev));
	ASSERT_EQ(1, ev->nr);
	EXPECT_EQ(p, ev->ev[0].pid);

	again = fork_with_pid(p);
	if (again == 0)
		_exit(touch_in(self->fs.in));
	if (again < 0) {
		free(ev);
		SKIP(return, "clone3() with set_tid: %s", strerror(errno));
	}
	ASSERT_EQ(p, again);
	ASSERT_EQ(0, child_wait(again, 5000));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, ev));
	EXPECT_EQ(0, ev->nr);
	free(ev);
}

/* Attach "guard" exempting @tgid, detach again: 0 or the errno. */
static int guard_errno(int fan_fd, int root_fd, pid_t tgid)
{
	if (attach_guard(fan_fd, root_fd, &tgid, 1))
		return errno;
	return filter_detach(fan_fd);
}

/* Attach "actor" including @tgid, detach again: 0 or the errno. */
static int actor_errno(int fan_fd, pid_t tgid)
{
	struct actor_args a;
	__u32 size = actor_args(&a, 0, &tgid, 1, NULL, 0);

	if (filter_attach(fan_fd, "actor", &a, size))
		return errno;
	return filter_detach(fan_fd);
}

/* tgids are resolved at attach: ESRCH for none, EINVAL for <= 0. */
TEST_F(hardening, tgids_must_name_live_processes)
{
	pid_t gone = unused_pid();

	ASSERT_LT(0, gone);
	self->fan_fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);

	EXPECT_EQ(ESRCH, guard_errno(self->fan_fd, self->in_fd, gone));
	EXPECT_EQ(ESRCH, actor_errno(self->fan_fd, gone));
	EXPECT_EQ(EINVAL, guard_errno(self->fan_fd, self->in_fd, 0));
	EXPECT_EQ(EINVAL, guard_errno(self->fan_fd, self->in_fd, -1));
	/* A live one is accepted. */
	EXPECT_EQ(0, guard_errno(self->fan_fd, self->in_fd, getpid()));
	EXPECT_EQ(0, actor_errno(self->fan_fd, getpid()));
}

/*
 * Disconnected dentries: an ext2 filesystem on a loop device, mounted again
 * after its files were created, so that open_by_handle_at() of in/f gets a
 * dentry that is connected to nothing (tmpfs never makes one).
 */
#define DISK_SIZE (8 << 20)

struct disk {
	char mnt[PATH_MAX];
	char dev[PATH_MAX];
	char f[PATH_MAX];	/* in/f, never looked up after the remount */
	int loop_fd;
	int mounted;
	int mount_fd;
	int in_fd;
	struct file_handle *fh;	/* of in/f */
};

static void disk_release(struct disk *d)
{
	if (d->in_fd >= 0)
		close(d->in_fd);
	if (d->mount_fd >= 0)
		close(d->mount_fd);
	if (d->mounted && umount2(d->mnt, 0))
		umount2(d->mnt, MNT_DETACH);
	if (d->loop_fd >= 0) {
		ioctl(d->loop_fd, LOOP_CLR_FD);
		close(d->loop_fd);
	}
	free(d->fh);
}

/*
 * Make, fill and mount the disk in @dir: NULL, or why not, with *@skip set
 * if the kernel or the system lacks what it takes.
 */
static const char *disk_make(struct disk *d, const char *dir, int *skip)
{
	char img[PATH_MAX], path[PATH_MAX];
	int fd, ret;

	*skip = 1;
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, DISK_SIZE) || close(fd))
		return "cannot make the image";
	ret = make_fs("ext2", img);
	if (ret)
		return ret > 0 ? "no mkfs.ext2" : "mkfs.ext2 failed";
	d->loop_fd = loop_attach(d->dev, sizeof(d->dev), img, dir);
	if (d->loop_fd < 0)
		return "no loop device";
	snprintf(d->mnt, sizeof(d->mnt), "%s/mnt", dir);
	if (mkdir(d->mnt, 0755))
		return "cannot make the mount point";
	if (mount(d->dev, d->mnt, "ext2", 0, NULL))
		return errno == ENODEV ? "no ext2" : "cannot mount ext2";
	d->mounted = 1;

	*skip = 0;
	snprintf(path, sizeof(path), "%s/in", d->mnt);
	if (mkdir(path, 0755) || touch_write(path, "f"))
		return "cannot fill the disk";
	snprintf(d->f, sizeof(d->f), "%s/f", path);
	d->fh = path_handle(d->f);
	if (!d->fh)
		return "name_to_handle_at() failed";
	/* A new superblock: no dentry of the old one is left. */
	d->mounted = 0;
	if (umount2(d->mnt, 0))
		return "cannot unmount the disk";
	if (mount(d->dev, d->mnt, "ext2", 0, NULL))
		return "cannot mount the disk again";
	d->mounted = 1;
	d->mount_fd = open(d->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d->in_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->mount_fd < 0 || d->in_fd < 0)
		return "cannot open the disk's directories";
	return NULL;
}

FIXTURE(disk) {
	struct test_fs fs;
	struct disk d;
	int fan_fd;
};

FIXTURE_SETUP(disk)
{
	const char *why;
	int skip;

	self->fan_fd = -1;
	self->d.loop_fd = -1;
	self->d.mount_fd = -1;
	self->d.in_fd = -1;
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	why = disk_make(&self->d, self->fs.root, &skip);
	if (why) {
		int err = errno;

		disk_release(&self->d);
		test_fs_teardown(&self->fs);
		if (skip)
			SKIP(return, "%s (%s)", why, strerror(err));
		ASSERT_EQ(NULL, why) TH_LOG("%s: %s", why, strerror(err));
	}
}

FIXTURE_TEARDOWN(disk)
{
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	disk_release(&self->d);
	test_fs_teardown(&self->fs);
}

/* open_by_handle_at(mount_fd, fh, O_RDONLY): 0 or its errno. */
static int open_handle_errno(void *arg)
{
	struct disk *d = arg;
	int fd = open_by_handle_at(d->mount_fd, d->fh, O_RDONLY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

TEST_F(disk, subtree_sends_events_on_disconnected_dentries)
{
	struct fid_events *ev;
	char link[64], target[PATH_MAX];
	ssize_t n;
	int fd;

	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	self->fan_fd = fs_group(self->d.mnt, FAN_REPORT_FID, FAN_OPEN);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->d.in_fd));

	fd = open_by_handle_at(self->d.mount_fd, self->d.fh, O_RDONLY);
	ASSERT_LE(0, fd);
	/* The premise: the dentry does not know that it is in/f. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_LT(0, n);
	target[n] = '\0';
	EXPECT_STRNE(self->d.f, target);
	close(fd);

	/* Its place is unknown: the event is sent, not lost. */
	ASSERT_EQ(0, read_fid_events(self->fan_fd, ev));
	EXPECT_EQ(1, fid_events_count_fid(ev, self->d.fh, FAN_OPEN));
	free(ev);
}

TEST_F(disk, guard_denies_disconnected_dentries_to_non_exempt)
{
	pid_t exempt;
	int go;

	self->fan_fd = perm_group(self->d.mnt, 0);
	ASSERT_LE(0, self->fan_fd);
	exempt = child_start_paused(open_handle_errno, &self->d, &go);
	ASSERT_LT(0, exempt);
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->d.in_fd, &exempt, 1));

	/* Fail closed: where the file is cannot be told. */
	EXPECT_EQ(EPERM, run_in_child(open_handle_errno, &self->d, 1000));
	EXPECT_EQ(0, child_release(exempt, go, 1000));
}

/*
 * A filesystem that holds none of the set's directories holds nothing
 * inside them: even a disconnected dentry there is outside.  The set is the
 * tmpfs's in/, the events come from the disk.
 */
TEST_F(disk, subtree_skips_disconnected_dentries_of_other_filesystems)
{
	struct filter_counters c;
	struct fid_events *ev;
	int in_fd, fd;

	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, in_fd);
	self->fan_fd = fs_group(self->d.mnt, FAN_REPORT_FID, FAN_OPEN);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, in_fd));
	close(in_fd);

	fd = open_by_handle_at(self->d.mount_fd, self->d.fh, O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);

	ASSERT_EQ(0, read_fid_events(self->fan_fd, ev));
	EXPECT_EQ(0, fid_events_count_fid(ev, self->d.fh, FAN_OPEN));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(1, c.seen);
	EXPECT_EQ(1, c.skipped);
	EXPECT_EQ(0, c.sent);
	free(ev);
}

/* Nor does a fail-closed guard of another filesystem deny it. */
TEST_F(disk, guard_allows_disconnected_dentries_of_other_filesystems)
{
	pid_t self_pid = getpid();
	int in_fd;

	in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, in_fd);
	self->fan_fd = perm_group(self->d.mnt, 0);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_guard(self->fan_fd, in_fd, &self_pid, 1));
	close(in_fd);

	EXPECT_EQ(0, run_in_child(open_handle_errno, &self->d, 1000));
}

/* Open and close @base/@name: 0, or -1. */
static int open_close(const char *base, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	fd = open(path, O_RDONLY);
	return fd < 0 ? -1 : close(fd);
}

/*
 * However many filesystems the set's directories are on: one on each of
 * five tmpfs mounts, more than a set once noted, tell nothing about the
 * disk, which holds none of them, and each of the five is still found.
 * Marking them in another order than the set lists them gives their
 * superblocks ids out of order, so the set's table of superblocks is
 * filled in the middle too.
 */
#define MANY_FILESYSTEMS 5

TEST_F(disk, subtree_skips_disconnected_dentries_beside_many_filesystems)
{
	static const int mark_order[MANY_FILESYSTEMS] = { 4, 2, 0, 3, 1 };
	char mnt[MANY_FILESYSTEMS][PATH_MAX];
	int fds[MANY_FILESYSTEMS], mounted = 0, fd;
	struct filter_counters c;

	for (; mounted < MANY_FILESYSTEMS; mounted++) {
		snprintf(mnt[mounted], sizeof(mnt[0]), "%s/fs%d",
			 self->fs.root, mounted);
		ASSERT_EQ(0, mkdir(mnt[mounted], 0755));
		ASSERT_EQ(0, mount("fanfilter", mnt[mounted], "tmpfs", 0,
				   "size=1m"));
		ASSERT_EQ(0, touch_write(mnt[mounted], "f"));
		fds[mounted] = open(mnt[mounted], O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, fds[mounted]);
	}
	self->fan_fd = fs_group(self->d.mnt, FAN_REPORT_FID, FAN_OPEN);
	ASSERT_LE(0, self->fan_fd);
	for (int i = 0; i < MANY_FILESYSTEMS; i++)
		ASSERT_EQ(0, fanotify_mark(self->fan_fd,
					   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
					   FAN_OPEN, AT_FDCWD,
					   mnt[mark_order[i]]));
	ASSERT_EQ(0, attach_roots_n(self->fan_fd, subtree_filter(), fds,
				    MANY_FILESYSTEMS));

	fd = open_by_handle_at(self->d.mount_fd, self->d.fh, O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	for (int i = 0; i < MANY_FILESYSTEMS; i++)
		ASSERT_EQ(0, open_close(mnt[i], "f"));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(1 + MANY_FILESYSTEMS, c.seen);
	EXPECT_EQ(1, c.skipped);
	EXPECT_EQ(MANY_FILESYSTEMS, c.sent);
	while (mounted--) {
		close(fds[mounted]);
		umount2(mnt[mounted], MNT_DETACH);
	}
}

/*
 * A directory whose root is further than walks go (FANOTIFY_FILTER_MAX_DEPTH,
 * 2048 steps) is refused with ELOOP and nothing is attached: finding it is
 * a walk like the others, with the same bound.  One exactly 2048 steps
 * below its root is accepted.
 */
#define MAX_DEPTH 2048

TEST_F(hardening, roots_deeper_than_walks_go_are_refused)
{
	int dir = dup(self->in_fd), deepest_ok = -1, next;

	/* in/ is 1 step below the tmpfs root; d number k is 1 + k steps. */
	ASSERT_LE(0, dir);
	for (int steps = 2; steps <= MAX_DEPTH + 1; steps++) {
		ASSERT_EQ(0, mkdirat(dir, "d", 0755));
		next = openat(dir, "d", O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, next);
		if (steps == MAX_DEPTH)
			deepest_ok = dup(next);
		close(dir);
		dir = next;
	}
	ASSERT_LE(0, deepest_ok);
	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	errno = 0;
	EXPECT_EQ(-1, attach_subtree(self->fan_fd, dir));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, attach_subtree(self->fan_fd, deepest_ok));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
	close(deepest_ok);
	close(dir);
}

/*
 * Directory identities hold their superblock: after an unmount, a new
 * filesystem whose superblock gets the old one's memory must not match.
 * By construction the identity repeats: each mount is a fresh ext2 whose
 * root (inode 2, generation 0) is the attached one's, so only the
 * superblock's address tells them apart.  To give the allocator every
 * chance to hand out the old address, the test stays on one CPU (where
 * the old superblock is freed, after an RCU grace period and a work
 * item) and mounts a filesystem made beforehand on a second device, with
 * nothing in between; forty rounds.
 */
/* 40 mkfs and mounts, half a second apart: past the default 30 s. */
TEST_F_TIMEOUT(disk, identity_never_matches_a_later_filesystem, 300)
{
	char img[PATH_MAX], name[16];
	struct filter_counters c;
	struct disk other = { .loop_fd = -1, .mount_fd = -1, .in_fd = -1 };
	struct disk *cur = &self->d, *next = &other;
	int rounds = 40, fd;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	snprintf(img, sizeof(img), "%s/other.img", self->fs.root);
	fd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
	other.loop_fd = loop_attach(other.dev, sizeof(other.dev), img, self->fs.root);
	ASSERT_LE(0, other.loop_fd);
	snprintf(other.mnt, sizeof(other.mnt), "%s", self->d.mnt);

	/* FID events: a sent one must not pin the mount and stop the test. */
	self->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID |
				     FAN_CLOEXEC, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->d.mount_fd));
	/* The attachment pins nothing: the filesystem unmounts. */
	close(self->d.in_fd);
	close(self->d.mount_fd);
	self->d.in_fd = -1;
	self->d.mount_fd = -1;

	for (int i = 0; i < rounds; i++) {
		struct disk *t;

		ASSERT_EQ(0, make_fs("ext2", next->dev));
		ASSERT_EQ(0, umount2(cur->mnt, 0)) TH_LOG("%s", strerror(errno));
		cur->mounted = 0;
		/* An RCU grace period and the work item that frees it. */
		usleep(500000);
		ASSERT_EQ(0, mount(next->dev, next->mnt, "ext2", 0, NULL));
		next->mounted = 1;
		ASSERT_EQ(0, fanotify_mark(self->fan_fd,
					   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
					   FAN_CLOSE_WRITE, AT_FDCWD, next->mnt));
		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_EQ(0, touch_write(next->mnt, name));
		t = cur;
		cur = next;
		next = t;
	}
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(rounds, c.seen);
	EXPECT_EQ(rounds, c.skipped);
	EXPECT_EQ(0, c.sent);
	if (other.mounted)
		umount2(other.mnt, 0);
	other.mounted = 0;
	disk_release(&other);
}

/*
 * A root that is not the filesystem's: a nilfs2 snapshot mounted beside the
 * live filesystem is a tree of its own on the same superblock (as an NFS
 * export mounted on its own is).  A walk that meets no directory of the
 * set ends outside only at the root the set's directories hang from; at
 * the other, the tree above is unseen: unknown.  A snapshot's copy of a
 * directory has the directory's inode number and generation: it is that
 * directory.
 */
#define NILFS_SIZE (32 << 20)

struct snapshot {
	struct disk d;		/* the live filesystem, in d.mnt */
	char snap[PATH_MAX];	/* its snapshot, mounted */
	int snap_mounted;
};

static const char *const mkfs_nilfs2[] = {
	"/usr/sbin/mkfs.nilfs2", "/sbin/mkfs.nilfs2",
};

/* mkfs.nilfs2 with 1 MiB segments on @img; 1 if there is no mkfs.nilfs2. */
static int make_nilfs2(const char *img)
{
	const char *mkfs = NULL;
	int status;
	pid_t pid;

	for (unsigned int i = 0; i < ARRAY_SIZE(mkfs_nilfs2); i++)
		if (!mkfs && !access(mkfs_nilfs2[i], X_OK))
			mkfs = mkfs_nilfs2[i];
	if (!mkfs)
		return 1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execl(mkfs, "mkfs.nilfs2", "-q", "-f", "-B", "256", img,
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Make a checkpoint of the filesystem of @dir a snapshot: its number, or 0. */
static __u64 nilfs2_snapshot(const char *dir)
{
	struct nilfs_cpmode mode = { .cm_mode = NILFS_SNAPSHOT };
	__u64 cno = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (!ioctl(fd, NILFS_IOCTL_SYNC, &cno)) {
		mode.cm_cno = cno;
		if (ioctl(fd, NILFS_IOCTL_CHANGE_CPMODE, &mode))
			cno = 0;
	}
	close(fd);
	return cno;
}

/* Make, fill, snapshot and mount: NULL, or why not, *@skip as disk_make(). */
static const char *snapshot_make(struct snapshot *s, const char *dir,
				 int *skip)
{
	char img[PATH_MAX], opts[32];
	int fd, ret;
	__u64 cno;

	*skip = 1;
	snprintf(img, sizeof(img), "%s/nilfs2.img", dir);
	fd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, NILFS_SIZE) || close(fd))
		return "cannot make the image";
	ret = make_nilfs2(img);
	if (ret)
		return ret > 0 ? "no mkfs.nilfs2" : "mkfs.nilfs2 failed";
	s->d.loop_fd = loop_attach(s->d.dev, sizeof(s->d.dev), img, dir);
	if (s->d.loop_fd < 0)
		return "no loop device";
	snprintf(s->d.mnt, sizeof(s->d.mnt), "%s/live", dir);
	snprintf(s->snap, sizeof(s->snap), "%s/snapshot", dir);
	if (mkdir(s->d.mnt, 0755) || mkdir(s->snap, 0755))
		return "cannot make the mount points";
	if (mount(s->d.dev, s->d.mnt, "nilfs2", 0, NULL))
		return errno == ENODEV ? "no nilfs2" : "cannot mount nilfs2";
	s->d.mounted = 1;

	*skip = 0;
	snprintf(s->d.f, sizeof(s->d.f), "%s/in", s->d.mnt);
	if (mkdir(s->d.f, 0755) || touch_write(s->d.f, "f"))
		return "cannot fill in/";
	snprintf(s->d.f, sizeof(s->d.f), "%s/out", s->d.mnt);
	if (mkdir(s->d.f, 0755) || touch_write(s->d.f, "g"))
		return "cannot fill out/";
	cno = nilfs2_snapshot(s->d.mnt);
	if (!cno)
		return "cannot make a snapshot";
	snprintf(opts, sizeof(opts), "cp=%llu", (unsigned long long)cno);
	if (mount(s->d.dev, s->snap, "nilfs2", MS_RDONLY, opts))
		return "cannot mount the snapshot";
	s->snap_mounted = 1;
	snprintf(s->d.f, sizeof(s->d.f), "%s/in", s->d.mnt);
	s->d.in_fd = open(s->d.f, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->d.in_fd < 0)
		return "cannot open in/";
	return NULL;
}

static void snapshot_release(struct snapshot *s)
{
	if (s->snap_mounted && umount2(s->snap, 0))
		umount2(s->snap, MNT_DETACH);
	disk_release(&s->d);
}

FIXTURE(snapshot) {
	struct test_fs fs;
	struct snapshot s;
	int fan_fd;
};

FIXTURE_SETUP(snapshot)
{
	const char *why;
	int skip;

	self->fan_fd = -1;
	self->s.d.loop_fd = -1;
	self->s.d.mount_fd = -1;
	self->s.d.in_fd = -1;
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	why = snapshot_make(&self->s, self->fs.root, &skip);
	if (why) {
		int err = errno;

		snapshot_release(&self->s);
		test_fs_teardown(&self->fs);
		if (skip)
			SKIP(return, "%s (%s)", why, strerror(err));
		ASSERT_EQ(NULL, why) TH_LOG("%s: %s", why, strerror(err));
	}
}

FIXTURE_TEARDOWN(snapshot)
{
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	snapshot_release(&self->s);
	test_fs_teardown(&self->fs);
}

/* @base/@name's file handle; NULL on failure. */
static struct file_handle *handle_of(const char *base, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", base, name);
	return path_handle(path);
}

/* The handles of live/ and snapshot/'s in/f and out/g. */
struct snapshot_handles {
	struct file_handle *live_f, *live_g, *snap_f, *snap_g;
};

static int snapshot_handles_get(struct snapshot_handles *h,
				const struct snapshot *s)
{
	h->live_f = handle_of(s->d.mnt, "in/f");
	h->live_g = handle_of(s->d.mnt, "out/g");
	h->snap_f = handle_of(s->snap, "in/f");
	h->snap_g = handle_of(s->snap, "out/g");
	return h->live_f && h->live_g && h->snap_f && h->snap_g ? 0 : -1;
}

static void snapshot_handles_put(struct snapshot_handles *h)
{
	free(h->live_f);
	free(h->live_g);
	free(h->snap_f);
	free(h->snap_g);
}

/*
 * Attach subtree with the directories @rel (relative to @s: "live/in" or
 * "snapshot/in"), open and close in/f and out/g of both trees, and check
 * which of the four events were sent: @sent, bits 0..3 for live in/f,
 * live out/g, snapshot in/f, snapshot out/g.
 */
static void snapshot_expect_sent(struct __test_metadata *_metadata,
				 struct snapshot *s, int *fan_fd,
				 const char *const *rel, int nr, unsigned int sent)
{
	struct file_handle *fh[4];
	struct snapshot_handles h;
	struct filter_counters c;
	struct fid_events *ev;
	int fds[2], n_sent = 0;
	char path[PATH_MAX];

	ASSERT_EQ(0, snapshot_handles_get(&h, s));
	/* A snapshot's handles name its checkpoint: not the live files'. */
	ASSERT_NE(0, memcmp(h.snap_f->f_handle, h.live_f->f_handle,
			    h.live_f->handle_bytes));
	fh[0] = h.live_f;
	fh[1] = h.live_g;
	fh[2] = h.snap_f;
	fh[3] = h.snap_g;
	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	for (int i = 0; i < nr; i++) {
		/* s->snap is <dir>/snapshot, s->d.mnt <dir>/live. */
		snprintf(path, sizeof(path), "%s", s->snap);
		*strrchr(path, '/') = '\0';
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 "/%s", rel[i]);
		fds[i] = open(path, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, fds[i]);
	}
	*fan_fd = fs_group(s->d.mnt, FAN_REPORT_FID, FAN_OPEN);
	ASSERT_LE(0, *fan_fd);
	ASSERT_EQ(0, attach_roots_n(*fan_fd, subtree_filter(), fds, nr));
	for (int i = 0; i < nr; i++)
		close(fds[i]);
	ASSERT_EQ(0, open_close(s->d.mnt, "in/f"));
	ASSERT_EQ(0, open_close(s->d.mnt, "out/g"));
	ASSERT_EQ(0, open_close(s->snap, "in/f"));
	ASSERT_EQ(0, open_close(s->snap, "out/g"));

	ASSERT_EQ(0, read_fid_events(*fan_fd, ev));
	for (int i = 0; i < 4; i++) {
		int want = !!(sent & (1U << i));

		EXPECT_EQ(want, fid_events_count_fid(ev, fh[i], FAN_OPEN))
			TH_LOG("event %d", i);
		n_sent += want;
	}
	ASSERT_EQ(0, filter_counters(*fan_fd, &c));
	EXPECT_EQ(4, c.seen);
	EXPECT_EQ(4 - n_sent, c.skipped);
	EXPECT_EQ(n_sent, c.sent);
	free(ev);
	snapshot_handles_put(&h);
}

/* The events of snapshot_expect_sent(). */
enum { LIVE_F = 1, LIVE_G = 2, SNAP_F = 4, SNAP_G = 8 };

/*
 * The premise of the tests below: one superblock, two roots, the
 * snapshot's root not the filesystem's.
 */
static void snapshot_premise(struct __test_metadata *_metadata,
			     const struct snapshot *s)
{
	struct stat live_st, snap_st;

	ASSERT_EQ(0, stat(s->d.mnt, &live_st));
	ASSERT_EQ(0, stat(s->snap, &snap_st));
	ASSERT_EQ(live_st.st_dev, snap_st.st_dev);
}

/*
 * in/ of the live tree: the snapshot's out/g hangs from another root than
 * the set's directory, which may be below a directory of the set for all
 * the walk can see: unknown, sent.  The snapshot's in/ has the live in/'s
 * identity: inside.
 */
TEST_F(snapshot, subtree_sends_what_hangs_from_another_root)
{
	static const char *const live_in[] = { "live/in" };

	snapshot_premise(_metadata, &self->s);
	snapshot_expect_sent(_metadata, &self->s, &self->fan_fd, live_in, 1,
			     LIVE_F | SNAP_F | SNAP_G);
}

/* in/ of the snapshot: now the live tree hangs from another root. */
TEST_F(snapshot, subtree_ends_outside_at_the_root_its_directories_hang_from)
{
	static const char *const snap_in[] = { "snapshot/in" };

	snapshot_premise(_metadata, &self->s);
	snapshot_expect_sent(_metadata, &self->s, &self->fan_fd, snap_in, 1,
			     LIVE_F | LIVE_G | SNAP_F);
}

/* Directories under both roots: no root is above all of them. */
TEST_F(snapshot, subtree_knows_no_outside_when_directories_hang_from_two_roots)
{
	static const char *const both[] = { "live/in", "snapshot/in" };

	snapshot_premise(_metadata, &self->s);
	snapshot_expect_sent(_metadata, &self->s, &self->fan_fd, both, 2,
			     LIVE_F | LIVE_G | SNAP_F | SNAP_G);
}

TEST_F(snapshot, guard_denies_what_hangs_from_another_root)
{
	pid_t self_pid = getpid();
	char snap_out[PATH_MAX], snap_in[PATH_MAX], live_out[PATH_MAX];

	snprintf(snap_out, sizeof(snap_out), "%s/out", self->s.snap);
	snprintf(snap_in, sizeof(snap_in), "%s/in", self->s.snap);
	snprintf(live_out, sizeof(live_out), "%s/out", self->s.d.mnt);
	self->fan_fd = perm_group(self->s.d.mnt, 0);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->s.d.in_fd, &self_pid, 1));

	/* Fail closed where the place is unknown, not on the whole tree. */
	EXPECT_EQ(EPERM, child_open(snap_out, "g", O_RDONLY));
	EXPECT_EQ(EPERM, child_open(snap_in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(live_out, "g", O_RDONLY));
}

/*
 * Events raised by a kworker: kernfs reports changes of cgroup.events
 * ("populated 1" -> "0") from a work item.  Such events have no actor;
 * "actor" sends them rather than lose them.
 */
FIXTURE(kworker) {
	char mnt[64];
	char cg[128];
	int mounted;
	int fan_fd;
	struct fid_events *ev;
};

FIXTURE_SETUP(kworker)
{
	int err;

	self->fan_fd = -1;
	self->ev = calloc(1, sizeof(*self->ev));
	ASSERT_NE(NULL, self->ev);
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fanfilter-cg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	if (mount("none", self->mnt, "cgroup2", 0, NULL)) {
		err = errno;
		rmdir(self->mnt);
		if (err == ENODEV)
			SKIP(return, "no cgroup2");
		ASSERT_EQ(0, err) TH_LOG("mount cgroup2: %s", strerror(err));
	}
	self->mounted = 1;
	snprintf(self->cg, sizeof(self->cg), "%s/fanfilter-%d", self->mnt,
		 getpid());
	if (mkdir(self->cg, 0755)) {
		err = errno;
		umount2(self->mnt, MNT_DETACH);
		rmdir(self->mnt);
		ASSERT_EQ(0, err) TH_LOG("mkdir %s: %s", self->cg, strerror(err));
	}
}

FIXTURE_TEARDOWN(kworker)
{
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	/* Emptied when its last process was reaped. */
	for (int i = 0; i < 100 && rmdir(self->cg) && errno == EBUSY; i++)
		usleep(10000);
	umount2(self->mnt, MNT_DETACH);
	rmdir(self->mnt);
	free(self->ev);
}

static int do_nothing(void *arg)
{
	return 0;
}

/* Move a child into @cg and let it exit: @cg is populated, then empty. */
static int populate_and_empty(const char *cg)
{
	char path[PATH_MAX], pid[16];
	int go, ret;
	pid_t child;

	child = child_start_paused(do_nothing, NULL, &go);
	if (child < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", child);
	ret = write_text(path, pid);
	if (child_release(child, go, 5000))
		return -1;
	return ret;
}

/* FAN_MODIFY events that arrive within @ms milliseconds (then 200 ms more). */
static int modify_events(int fan_fd, struct fid_events *ev, int ms)
{
	struct pollfd pfd = { .fd = fan_fd, .events = POLLIN };
	int n = 0;

	ev->nr = 0;
	if (poll(&pfd, 1, ms) != 1)
		return 0;
	usleep(200000);
	if (read_fid_events(fan_fd, ev))
		return -1;
	for (int i = 0; i < ev->nr; i++)
		n += !!(ev->ev[i].mask & FAN_MODIFY);
	return n;
}

/*
 * Watch @cg/cgroup.events and check that a populate-and-empty cycle
 * reports FAN_MODIFY from a kernel thread: NULL, or why not.
 */
static const char *kernfs_events_arrive(const char *cg, int *fan_fd,
					struct fid_events *ev)
{
	char path[PATH_MAX];

	*fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_REPORT_FID,
				O_RDONLY);
	if (*fan_fd < 0)
		return "fanotify_init";
	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	if (fanotify_mark(*fan_fd, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, path))
		return "no FID mark on cgroup.events";
	if (populate_and_empty(cg))
		return "cannot move a child into the cgroup";
	if (modify_events(*fan_fd, ev, 3000) <= 0)
		return "no FAN_MODIFY of cgroup.events";
	/* A late notification must not count for the next step. */
	usleep(300000);
	if (read_fid_events(*fan_fd, ev))
		return "cannot drain the group";
	return NULL;
}

TEST_F(kworker, actor_include_sends_kernel_thread_events)
{
	const char *why = kernfs_events_arrive(self->cg, &self->fan_fd,
					       self->ev);
	pid_t me = getpid();
	struct actor_args a;
	__u32 size;

	if (why)
		SKIP(return, "%s (%s)", why, strerror(errno));
	size = actor_args(&a, 0, &me, 1, NULL, 0);
	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, populate_and_empty(self->cg));
	EXPECT_LT(0, modify_events(self->fan_fd, self->ev, 3000));
	if (self->ev->nr)
		EXPECT_NE(me, self->ev->ev[0].pid);
}

TEST_F(kworker, actor_not_self_sends_kernel_thread_events)
{
	const char *why = kernfs_events_arrive(self->cg, &self->fan_fd,
					       self->ev);
	struct actor_args a;
	__u32 size;

	if (why)
		SKIP(return, "%s (%s)", why, strerror(errno));
	size = actor_args(&a, FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF, NULL, 0,
			  NULL, 0);
	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, populate_and_empty(self->cg));
	EXPECT_LT(0, modify_events(self->fan_fd, self->ev, 3000));
}

TEST_HARNESS_MAIN
