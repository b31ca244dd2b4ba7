// SPDX-License-Identifier: GPL-2.0
/*
 * Races attach, reconfigure, detach, group close and module removal
 * against an event storm on every CPU.  The test asserts that every
 * control operation fails only with the errno its race explains; the
 * runner fails the run on any kernel splat (the debug kernel adds KASAN,
 * lockdep, kmemleak and atomic-sleep checks).
 *
 * FANFILTER_STRESS_SECONDS sets the duration (default 10).
 */
#include "fanfilter_test.h"

#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"

struct stress {
	struct test_fs fs;
	int in_fd, out_fd;
	atomic_int stop;
	atomic_long attaches, reconfigs, detaches, closes, rmmods, events;
	atomic_int failures;
};

static void fail(struct stress *s, const char *what, int err)
{
	fprintf(stderr, "# unexpected: %s: %s\n", what, strerror(err));
	atomic_fetch_add(&s->failures, 1);
}

static void *storm(void *arg)
{
	struct stress *s = arg;
	char name[64];
	unsigned long i = 0;

	while (!atomic_load(&s->stop)) {
		const char *dir = (i & 1) ? s->fs.in : s->fs.out;
		char path[PATH_MAX];

		snprintf(name, sizeof(name), "f%lu-%lu",
			 (unsigned long)pthread_self() % 1000, i++ % 64);
		if (touch_write(dir, name) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			unlink(path);
		}
	}
	return NULL;
}

static int subtree_attach(struct stress *s, int fan_fd, unsigned long cmd,
			  int root)
{
	struct fan_subtree_args *a;
	struct fanotify_filter_args fa = { .name = "subtree" };
	__u32 size;
	int ret;

	a = subtree_args(&root, 1, &size);
	if (!a)
		return -1;
	fa.args = (uintptr_t)a;
	fa.args_size = size;
	ret = ioctl(fan_fd, cmd, &fa);
	free(a);
	return ret;
}

/* Attach, flip the root back and forth, detach, on one long-lived group. */
static void *control(void *arg)
{
	struct stress *s = arg;
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	__u64 buf[512];

	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				    FAN_CLOSE_WRITE | FAN_OPEN, AT_FDCWD,
				    s->fs.root)) {
		fail(s, "group for attach and detach", errno);
		return NULL;
	}
	while (!atomic_load(&s->stop)) {
		ssize_t n;

		if (subtree_attach(s, fd, FAN_IOC_ADD_FILTER, s->in_fd) == 0) {
			atomic_fetch_add(&s->attaches, 1);
		} else if (errno != ENOENT) {	/* module away */
			fail(s, "attach", errno);
		}
		if (subtree_attach(s, fd, FAN_IOC_RECONFIG_FILTER, s->out_fd) == 0)
			atomic_fetch_add(&s->reconfigs, 1);
		else if (errno != ENOENT)
			fail(s, "reconfig", errno);
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			struct fanotify_event_metadata *md = (void *)buf;

			for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
				if (md->fd >= 0)
					close(md->fd);
				atomic_fetch_add(&s->events, 1);
			}
		}
		if (filter_detach(fd) == 0)
			atomic_fetch_add(&s->detaches, 1);
		else if (errno != ENOENT)
			fail(s, "detach", errno);
	}
	close(fd);
	return NULL;
}

/* Groups that are closed with a filter still attached. */
static void *churn(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load(&s->stop)) {
		int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);

		if (fd < 0) {
			fail(s, "group to close", errno);
			break;
		}
		if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  FAN_CLOSE_WRITE, AT_FDCWD, s->fs.root))
			fail(s, "mark of group to close", errno);
		if (subtree_attach(s, fd, FAN_IOC_ADD_FILTER, s->in_fd) &&
		    errno != ENOENT)
			fail(s, "attach to group to close", errno);
		usleep(1000);
		close(fd);
		atomic_fetch_add(&s->closes, 1);
	}
	return NULL;
}

/* rmmod attempts: refused while attached; reload when one succeeds. */
static void *remover(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load(&s->stop)) {
		if (module_unload() == 0) {
			atomic_fetch_add(&s->rmmods, 1);
			if (module_load())
				fail(s, "reload", errno);
		} else if (errno != EWOULDBLOCK && errno != EAGAIN) {
			fail(s, "rmmod", errno);
		}
		usleep(5000);
	}
	return NULL;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/* The harness's default 30 s limit is too short for a long run. */
TEST_F_TIMEOUT(stress, race_control_against_event_storm, 7200)
{
	const char *env = getenv("FANFILTER_STRESS_SECONDS");
	int seconds = env ? atoi(env) : 10;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t threads[16];
	struct stress *s;
	int i, n = 0;

	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, test_fs_setup(&s->fs));
	s->in_fd = open(s->fs.in, O_RDONLY | O_DIRECTORY);
	s->out_fd = open(s->fs.out, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, s->in_fd);
	ASSERT_LE(0, s->out_fd);

	for (i = 0; i < ncpu && i < 8; i++)
		ASSERT_EQ(0, pthread_create(&threads[n++], NULL, storm, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, control, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, churn, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, remover, s));

	sleep(seconds);
	atomic_store(&s->stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);

	TH_LOG("%lds: %ld attach, %ld reconfig, %ld detach, %ld close, %ld rmmod, %ld events",
	       (long)seconds, atomic_load(&s->attaches),
	       atomic_load(&s->reconfigs), atomic_load(&s->detaches),
	       atomic_load(&s->closes), atomic_load(&s->rmmods),
	       atomic_load(&s->events));
	EXPECT_EQ(0, atomic_load(&s->failures));
	/* Every race was exercised. */
	EXPECT_LT(0, atomic_load(&s->attaches));
	EXPECT_LT(0, atomic_load(&s->reconfigs));
	EXPECT_LT(0, atomic_load(&s->closes));
	if (!module_loaded())
		ASSERT_EQ(0, module_load());

	close(s->in_fd);
	close(s->out_fd);
	test_fs_teardown(&s->fs);
	free(s);
}

TEST_HARNESS_MAIN
