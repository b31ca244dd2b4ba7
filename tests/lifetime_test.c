// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime rules, checked with the series' test module
 * (lib/test_fanotify_filter.ko, $FANFILTER_TEST_MODULE) and its filter
 * "test_verdict": a module whose init has registered a filter but then
 * fails never offers it, a reconfiguration that returns the old state
 * instead of a new one is refused without freeing that state, and one
 * group's slow reconfiguration holds up no other group.
 */
#include "fanfilter_test.h"

#include <time.h>

#include "kselftest_harness.h"

#define TEST_FILTER_DIR "/sys/fs/fanotify/filters/" TEST_FILTER
/* Flags of the 8-byte args: ->reconfigure() returns the old state... */
#define TEST_VERDICT_RECONFIG_RETURN_OLD 2
/* ...or takes 2 s. */
#define TEST_VERDICT_RECONFIG_SLOW 4

/* The args of test_verdict: the short form is the verdict alone. */
struct verdict_args {
	__s32 verdict;
	__u32 flags;
};

FIXTURE(lifetime) {
	const char *ko;
	struct test_fs fs;
	int fan_fd;
	int kmsg_fd;
};

FIXTURE_SETUP(lifetime)
{
	self->fan_fd = -1;
	self->kmsg_fd = -1;
	self->ko = getenv("FANFILTER_TEST_MODULE");
	if (!self->ko || access(self->ko, R_OK))
		SKIP(return, "no test module ($FANFILTER_TEST_MODULE: %s)",
		     self->ko ? self->ko : "unset");
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
	self->kmsg_fd = kmsg_open();
	ASSERT_LE(0, self->kmsg_fd);
}

FIXTURE_TEARDOWN(lifetime)
{
	close(self->kmsg_fd);
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	test_fs_teardown(&self->fs);
	if (kmod_loaded(TEST_MODULE))
		kmod_unload(TEST_MODULE);
}

/* Attach test_verdict with the short args; 0 or the errno. */
static int attach_verdict(int fan_fd, __s32 verdict)
{
	return filter_attach(fan_fd, TEST_FILTER, &verdict, sizeof(verdict)) ?
	       errno : 0;
}

/* Whether test_verdict can be attached: 0 (and detached again) or the errno. */
static int probe_verdict(int fan_fd)
{
	int err = attach_verdict(fan_fd, VERDICT_SEND);

	if (!err)
		filter_detach(fan_fd);
	return err;
}

/* Write in/@name and count the close-write events that arrive. */
static int events_of_write(struct test_fs *fs, int fan_fd, const char *name)
{
	struct event_paths ev;

	if (touch_write(fs->in, name) ||
	    read_event_paths(fan_fd, FAN_CLOSE_WRITE, &ev))
		return -1;
	return ev.nr;
}

struct load_req {
	const char *ko;
	const char *params;
};

static int load_errno(void *arg)
{
	const struct load_req *req = arg;

	return kmod_load(req->ko, req->params) ? errno : 0;
}

/*
 * While the init of the module sleeps, its filter is registered (and in
 * sysfs) but the module is not live: attaching it must fail with ENOENT,
 * or the filter would outlive the module that the failing init frees.
 */
TEST_F_TIMEOUT(lifetime, failing_init_never_offers_its_filter, 120)
{
	struct load_req req = {
		.ko = self->ko,
		.params = "fail_init_after_ms=1500",
	};
	int appeared = 0, attach, status;
	char line[1024];
	pid_t pid;

	if (kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_unload(TEST_MODULE));
	ASSERT_NE(0, access(TEST_FILTER_DIR, F_OK));

	pid = fork();
	if (pid == 0)
		_exit(load_errno(&req));
	ASSERT_LT(0, pid);
	for (int i = 0; i < 2000 && !appeared; i++) {
		appeared = !access(TEST_FILTER_DIR, F_OK);
		if (!appeared)
			usleep(5000);
	}
	attach = appeared ? probe_verdict(self->fan_fd) : -1;
	status = child_wait(pid, 60000);

	ASSERT_TRUE(appeared) TH_LOG("the filter never appeared in sysfs");
	EXPECT_EQ(ENOENT, attach);
	/* The init failed, and took its filter with it. */
	EXPECT_NE(0, status) TH_LOG("insmod %s succeeded", req.params);
	EXPECT_NE(0, access(TEST_FILTER_DIR, F_OK));
	EXPECT_EQ(ENOENT, probe_verdict(self->fan_fd));
	EXPECT_FALSE(kmsg_splat(self->kmsg_fd, line, sizeof(line)))
		TH_LOG("%s", line);

	/* Loaded normally, it works. */
	if (!kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_load(self->ko, ""));
	ASSERT_EQ(0, attach_verdict(self->fan_fd, VERDICT_SEND));
	EXPECT_EQ(1, events_of_write(&self->fs, self->fan_fd, "a"));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
}

/*
 * A ->reconfigure() that hands back the old state is refused with EINVAL;
 * the old state stays attached and working, and is freed once, at detach.
 */
TEST_F(lifetime, reconfigure_returning_old_state_is_refused)
{
	struct fanotify_filter_args fa = { .name = TEST_FILTER };
	struct verdict_args va = { .verdict = VERDICT_SKIP };
	struct filter_counters c;
	char line[1024];

	if (!kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_load(self->ko, ""));
	ASSERT_EQ(0, attach_verdict(self->fan_fd, VERDICT_SKIP));
	EXPECT_EQ(0, events_of_write(&self->fs, self->fan_fd, "a"));

	/* The 8-byte form is understood: skip again, flags 0. */
	fa.args = (uintptr_t)&va;
	fa.args_size = sizeof(va);
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa));

	va.verdict = VERDICT_SEND;
	va.flags = TEST_VERDICT_RECONFIG_RETURN_OLD;
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa));
	EXPECT_EQ(EINVAL, errno);
	/* Still the old state: skipped. */
	EXPECT_EQ(0, events_of_write(&self->fs, self->fan_fd, "b"));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(2, c.skipped);

	EXPECT_EQ(0, filter_detach(self->fan_fd));
	EXPECT_EQ(1, events_of_write(&self->fs, self->fan_fd, "c"));
	EXPECT_FALSE(kmsg_splat(self->kmsg_fd, line, sizeof(line)))
		TH_LOG("%s", line);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int slow_reconfigure(void *arg)
{
	struct verdict_args va = {
		.verdict = VERDICT_SEND,
		.flags = TEST_VERDICT_RECONFIG_SLOW,
	};
	struct fanotify_filter_args fa = {
		.name = TEST_FILTER,
		.args = (uintptr_t)&va,
		.args_size = sizeof(va),
	};

	return ioctl(*(int *)arg, FAN_IOC_RECONFIG_FILTER, &fa) ? errno : 0;
}

/*
 * Changes of a filter are serialized per group: while one group's
 * ->reconfigure() takes 2 s, another group attaches and detaches at once.
 */
TEST_F(lifetime, slow_reconfigure_holds_up_no_other_group)
{
	struct timespec t0;
	double took;
	int other, slow;
	pid_t pid;

	if (!kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_load(self->ko, ""));
	ASSERT_EQ(0, attach_verdict(self->fan_fd, VERDICT_SEND));
	other = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, other);

	slow = self->fan_fd;
	pid = fork();
	if (pid == 0)
		_exit(slow_reconfigure(&slow));
	ASSERT_LT(0, pid);
	/* Well inside the 2 s of the slow ->reconfigure(). */
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, attach_verdict(other, VERDICT_SKIP));
	EXPECT_EQ(0, filter_detach(other));
	took = seconds_since(&t0);
	EXPECT_LT(took, 0.5) TH_LOG("attach and detach took %.2f s", took);
	EXPECT_EQ(0, child_wait(pid, 10000));
	close(other);
}

TEST_HARNESS_MAIN
