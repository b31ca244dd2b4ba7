// SPDX-License-Identifier: GPL-2.0
/*
 * Filters on a mount group (FAN_REPORT_MNT, Linux 6.15 and later).  Such
 * a group is sent mount events only (FAN_MNT_ATTACH, FAN_MNT_DETACH of a
 * mount namespace's mark), and its filter is called for them like for
 * any event.  A mount event has no object:
 *
 * - a filter that skips it drops it, and one that sends it passes it;
 * - a denial is invalid (it is not a permission event): the event is sent
 *   and counted invalid;
 * - "subtree" cannot place it and sends it, whatever its roots;
 * - "kind" counts it as a non-directory.
 *
 * Each test runs in its own mount namespace.  On a kernel whose uapi has
 * no mount events (6.12) the whole program is one skip.
 */
#include "fanfilter_test.h"

#include <sched.h>
#include <sys/mount.h>

#include "kselftest_harness.h"

#ifdef FAN_REPORT_MNT

FIXTURE(mount_events) {
	char dir[64];
	char inside[96];
	char outside[96];
	int fan_fd;
	int root_fd;
};

FIXTURE_SETUP(mount_events)
{
	const char *ko = getenv("FANFILTER_TEST_MODULE");
	int ns_fd;

	self->fan_fd = -1;
	self->root_fd = -1;
	if (!ko || access(ko, R_OK))
		SKIP(return, "no test module ($FANFILTER_TEST_MODULE: %s)",
		     ko ? ko : "unset");
	if (!kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_load(ko, ""));
	ASSERT_TRUE(module_loaded());

	/* Mounts of this test stay in its own namespace. */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(self->dir, sizeof(self->dir), "/tmp/mount-events-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->inside, sizeof(self->inside), "%s/in", self->dir);
	snprintf(self->outside, sizeof(self->outside), "%s/out", self->dir);
	ASSERT_EQ(0, mkdir(self->inside, 0755));
	ASSERT_EQ(0, mkdir(self->outside, 0755));
	self->root_fd = open(self->inside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->root_fd);

	ns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ns_fd);
	self->fan_fd = fanotify_init(FAN_REPORT_MNT | FAN_NONBLOCK, 0);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd, FAN_MARK_ADD | FAN_MARK_MNTNS,
				   FAN_MNT_ATTACH | FAN_MNT_DETACH, ns_fd,
				   NULL));
	close(ns_fd);
}

FIXTURE_TEARDOWN(mount_events)
{
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	if (self->root_fd >= 0)
		close(self->root_fd);
	/* The namespace, and its mounts, go with the test's process. */
}

/* Mount a tmpfs on @dir and unmount it: one attach, one detach event. */
static int mount_and_unmount(const char *dir)
{
	if (mount("tmpfs", dir, "tmpfs", 0, NULL))
		return -1;
	return umount(dir);
}

struct mount_event_count {
	__u64 mask;
	int n;
};

static void count_mount_event(const struct fanotify_event_metadata *md,
			      void *ctx)
{
	struct mount_event_count *c = ctx;

	if (md->mask & c->mask)
		c->n++;
}

/* How many events of @mask the group has queued; -1 on a read error. */
static int mount_events_read(int fan_fd, __u64 mask)
{
	struct mount_event_count c = { .mask = mask };

	return drain_events(fan_fd, count_mount_event, &c) ? -1 : c.n;
}

static int attach_verdict(int fan_fd, __s32 verdict)
{
	return filter_attach(fan_fd, TEST_FILTER, &verdict, sizeof(verdict));
}

/* The baseline: without a filter the group gets both events. */
TEST_F(mount_events, are_reported_without_a_filter)
{
	ASSERT_EQ(0, mount("tmpfs", self->outside, "tmpfs", 0, NULL));
	EXPECT_EQ(1, mount_events_read(self->fan_fd, FAN_MNT_ATTACH));
	ASSERT_EQ(0, umount(self->outside));
	EXPECT_EQ(1, mount_events_read(self->fan_fd, FAN_MNT_DETACH));
}

/* The filter is called for mount events: a skip drops them, counted. */
TEST_F(mount_events, a_skip_drops_them)
{
	struct filter_counters c;

	ASSERT_EQ(0, attach_verdict(self->fan_fd, VERDICT_SKIP));
	ASSERT_EQ(0, mount_and_unmount(self->outside));
	EXPECT_EQ(0, mount_events_read(self->fan_fd, ~0ULL));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(2, c.seen);
	EXPECT_EQ(2, c.skipped);
	EXPECT_EQ(0, c.sent);
}

/* A send passes them, with their types. */
TEST_F(mount_events, a_send_passes_them)
{
	struct filter_counters c;

	ASSERT_EQ(0, attach_verdict(self->fan_fd, VERDICT_SEND));
	ASSERT_EQ(0, mount("tmpfs", self->outside, "tmpfs", 0, NULL));
	EXPECT_EQ(1, mount_events_read(self->fan_fd, FAN_MNT_ATTACH));
	ASSERT_EQ(0, umount(self->outside));
	EXPECT_EQ(1, mount_events_read(self->fan_fd, FAN_MNT_DETACH));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(2, c.seen);
	EXPECT_EQ(2, c.sent);
}

/* A mount event is no permission event: a denial is invalid, and sent. */
TEST_F(mount_events, a_denial_is_invalid_and_sent)
{
	struct filter_counters c;

	ASSERT_EQ(0, attach_verdict(self->fan_fd, -EPERM));
	ASSERT_EQ(0, mount_and_unmount(self->outside));
	EXPECT_EQ(2, mount_events_read(self->fan_fd,
				       FAN_MNT_ATTACH | FAN_MNT_DETACH));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(0, c.denied);
}

/* subtree cannot place a mount event, inside its root or not: it sends. */
TEST_F(mount_events, subtree_sends_them_as_unknown)
{
	struct filter_counters c;

	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->root_fd));
	ASSERT_EQ(0, mount_and_unmount(self->inside));
	ASSERT_EQ(0, mount_and_unmount(self->outside));
	EXPECT_EQ(4, mount_events_read(self->fan_fd,
				       FAN_MNT_ATTACH | FAN_MNT_DETACH));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(4, c.seen);
	EXPECT_EQ(4, c.sent);
}

/* kind counts an event without an object as a non-directory. */
TEST_F(mount_events, kind_counts_them_as_non_directories)
{
	ASSERT_EQ(0, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION,
				 FAN_KIND_DIRECTORIES));
	ASSERT_EQ(0, mount_and_unmount(self->outside));
	EXPECT_EQ(0, mount_events_read(self->fan_fd, ~0ULL));
	ASSERT_EQ(0, filter_detach(self->fan_fd));
	ASSERT_EQ(0, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION,
				 FAN_KIND_NON_DIRECTORIES));
	ASSERT_EQ(0, mount_and_unmount(self->outside));
	EXPECT_EQ(2, mount_events_read(self->fan_fd,
				       FAN_MNT_ATTACH | FAN_MNT_DETACH));
}

#else /* !FAN_REPORT_MNT */

TEST(mount_events)
{
	SKIP(return, "this kernel's uapi has no mount events (6.12)");
}

#endif /* FAN_REPORT_MNT */

TEST_HARNESS_MAIN
