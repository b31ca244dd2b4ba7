// SPDX-License-Identifier: GPL-2.0
/*
 * fanotify's built-in rules keep their stock 6.12 behaviour, and run
 * before the filter: FAN_ONDIR, FAN_EVENT_ON_CHILD, ignore masks and queue
 * overflow.  Each rule is checked once without a filter and once with a
 * filter that sends everything (subtree rooted at the filesystem root),
 * whose "seen" counter shows that rejected events never reached it.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

FIXTURE(semantics) {
	struct test_fs fs;
	int root_fd;
};

FIXTURE_VARIANT(semantics) {
	int with_filter;
};

FIXTURE_VARIANT_ADD(semantics, no_filter) {
	.with_filter = 0,
};

FIXTURE_VARIANT_ADD(semantics, pass_all_filter) {
	.with_filter = 1,
};

FIXTURE_SETUP(semantics)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->root_fd = open(self->fs.root, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->root_fd);
}

FIXTURE_TEARDOWN(semantics)
{
	close(self->root_fd);
	test_fs_teardown(&self->fs);
}

/* A group with the variant's filter; the filter passes everything. */
static int new_group(int root_fd,
		     int with_filter, unsigned int flags)
{
	struct fan_subtree_args *a;
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | flags,
			       O_RDONLY);
	__u32 size;

	if (fd < 0 || !with_filter)
		return fd;
	a = subtree_args(&root_fd, 1, &size);
	if (!a || filter_attach(fd, "subtree", a, size)) {
		free(a);
		close(fd);
		return -1;
	}
	free(a);
	return fd;
}

/* The filter's "seen" counter, or -1 without a filter. */
static long filter_seen(int fd)
{
	char line[256];
	const char *p;

	filter_fdinfo(fd, line, sizeof(line));
	p = strstr(line, "seen:");
	return p ? atol(p + 5) : -1;
}

TEST_F(semantics, ondir_needed_for_directory_events)
{
	char dir[PATH_MAX];
	struct event_names ev;
	int fd;

	fd = new_group(self->root_fd, variant->with_filter,
		       FAN_REPORT_DFID_NAME);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CREATE, AT_FDCWD, self->fs.root));
	snprintf(dir, sizeof(dir), "%s/sub", self->fs.in);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, touch_write(self->fs.in, "file"));
	ASSERT_EQ(0, read_event_names(fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "file", FAN_CREATE));
	if (variant->with_filter)
		EXPECT_EQ(1, filter_seen(fd));

	/* With FAN_ONDIR, the directory event arrives too. */
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CREATE | FAN_ONDIR, AT_FDCWD,
				   self->fs.root));
	snprintf(dir, sizeof(dir), "%s/sub2", self->fs.in);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, read_event_names(fd, &ev));
	EXPECT_EQ(1, event_names_count(&ev, "sub2", FAN_CREATE));
	close(fd);
}

TEST_F(semantics, event_on_child_needed_for_child_events)
{
	struct event_paths ev;
	int fd, helper;

	fd = new_group(self->root_fd, variant->with_filter, 0);
	ASSERT_LE(0, fd);
	/* An inode mark on in/ without FAN_EVENT_ON_CHILD. */
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD, FAN_CLOSE_WRITE,
				   AT_FDCWD, self->fs.in));
	/*
	 * Another group watching the children of in/ makes fsnotify report
	 * child events to in/, so our group's mark is visited as a parent
	 * mark and must be skipped for lack of FAN_EVENT_ON_CHILD.
	 */
	helper = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, helper);
	ASSERT_EQ(0, fanotify_mark(helper, FAN_MARK_ADD,
				   FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD,
				   AT_FDCWD, self->fs.in));
	ASSERT_EQ(0, touch_write(self->fs.in, "child"));
	ASSERT_EQ(0, read_event_paths(helper, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	close(helper);
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(0, ev.nr);
	if (variant->with_filter)
		EXPECT_EQ(0, filter_seen(fd));

	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD,
				   FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD,
				   AT_FDCWD, self->fs.in));
	ASSERT_EQ(0, touch_write(self->fs.in, "child"));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "child"));
	close(fd);
}

TEST_F(semantics, ignore_mask_applies_before_filter)
{
	char path[PATH_MAX];
	struct event_paths ev;
	int fd;

	fd = new_group(self->root_fd, variant->with_filter, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, touch_write(self->fs.in, "ignored"));
	snprintf(path, sizeof(path), "%s/ignored", self->fs.in);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK |
				   FAN_MARK_IGNORED_SURV_MODIFY,
				   FAN_CLOSE_WRITE, AT_FDCWD, path));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));

	ASSERT_EQ(0, touch_write(self->fs.in, "ignored"));
	ASSERT_EQ(0, touch_write(self->fs.in, "seen"));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "seen"));
	if (variant->with_filter)
		EXPECT_EQ(2, filter_seen(fd));
	close(fd);
}

TEST_F(semantics, queue_overflow_reported)
{
	char name[32], path[PATH_MAX];
	struct event_names ev;
	int fd, i;

	fd = new_group(self->root_fd, variant->with_filter,
		       FAN_REPORT_DFID_NAME);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CREATE, AT_FDCWD, self->fs.root));
	/* The default queue holds 16384 events; names differ, so none merge. */
	for (i = 0; i < 16384 + 16; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(path, sizeof(path), "%s/%s", self->fs.out, name);
		ASSERT_EQ(0, mknod(path, S_IFREG | 0644, 0));
		ASSERT_EQ(0, unlink(path));
	}
	/* read_event_names() fails on the overflow event. */
	EXPECT_EQ(-1, read_event_names(fd, &ev));
	close(fd);
}

TEST_HARNESS_MAIN
