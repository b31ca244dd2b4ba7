// SPDX-License-Identifier: GPL-2.0
/*
 * Races attach, reconfigure, detach, group close and module removal
 * against an event storm on every CPU, with the "subtree" filter on one
 * group and the "policy" filter (subtree, name and actor parts) on another,
 * and, where the BPF loader is built, "bpf_subtree" registered and
 * unregistered by its loader while groups attach it and keep it.  Kernel
 * groups are created and destroyed meanwhile: the module's kernel-resident
 * guard is armed and disarmed through sysfs (and goes with every rmmod),
 * and the series' test module creates, marks and destroys groups and is
 * removed and reloaded with them alive, half of the time leaving them to
 * the kernel.
 * The test asserts that every control operation fails only with the errno
 * its race explains; the
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
	atomic_long bpf_registers, revocations;
	atomic_long guard_arms, kgroups, kgroup_unloads;
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

static int filter_set(struct stress *s, int fan_fd, unsigned long cmd,
		      const char *filter, int root)
{
	struct fan_subtree_args *a;
	struct fanotify_filter_args fa = {};
	__u32 size;
	int ret;

	a = subtree_args(&root, 1, &size);
	if (!a)
		return -1;
	snprintf(fa.name, sizeof(fa.name), "%s", filter);
	fa.args = (uintptr_t)a;
	fa.args_size = size;
	ret = ioctl(fan_fd, cmd, &fa);
	free(a);
	return ret;
}

static int subtree_attach(struct stress *s, int fan_fd, unsigned long cmd,
			  int root)
{
	return filter_set(s, fan_fd, cmd, "subtree", root);
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

		/* ENOENT: module away; EPERM: disabled, or revoked. */
		if (subtree_attach(s, fd, FAN_IOC_ADD_FILTER, s->in_fd) == 0)
			atomic_fetch_add(&s->attaches, 1);
		else if (errno != ENOENT && errno != EPERM)
			fail(s, "attach", errno);
		if (subtree_attach(s, fd, FAN_IOC_RECONFIG_FILTER, s->out_fd) == 0)
			atomic_fetch_add(&s->reconfigs, 1);
		else if (errno != ENOENT && errno != EPERM)
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

/*
 * Policy args: subtree(@root) and name (two-byte @suffix), plus an actor
 * part (not self) and a prune part (@pruned, whose walks a rename makes
 * twice) when @not_self.  Returns the size written into @buf.
 */
static __u32 policy_args(__u8 *buf, int root, const char *suffix,
			 int not_self, int pruned)
{
	struct fan_policy_args hdr = { FAN_POLICY_ARGS_VERSION,
				       2 + 2 * !!not_self };
	struct {
		struct fan_policy_section sec;
		struct fan_subtree_args a;
		__s32 fd;
	} subtree = { { FAN_POLICY_SUBTREE, sizeof(subtree) - 8 },
		      { FAN_SUBTREE_ARGS_VERSION, 1 }, root };
	struct {
		struct fan_policy_section sec;
		struct fan_name_args a;
		__u8 kind, len;
		char name[2];	/* a 20-byte section: no padding */
	} name = { { FAN_POLICY_NAME, sizeof(name) - 8 },
		   { FAN_NAME_ARGS_VERSION, 0, 1, 0 },
		   FAN_NAME_SUFFIX, 2, { suffix[0], suffix[1] } };
	struct {
		struct fan_policy_section sec;
		struct fan_actor_args a;
	} actor = { { FAN_POLICY_ACTOR, sizeof(actor.a) },
		    { FAN_ACTOR_ARGS_VERSION,
		      FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF, 0, 0 } };
	struct {
		struct fan_policy_section sec;
		struct fan_subtree_args a;
		__s32 fd;
	} prune = { { FAN_POLICY_PRUNE, sizeof(prune) - 8 },
		    { FAN_SUBTREE_ARGS_VERSION, 1 }, pruned };
	__u32 size = 0;

	memcpy(buf + size, &hdr, sizeof(hdr));
	size += sizeof(hdr);
	memcpy(buf + size, &subtree, sizeof(subtree));
	size += sizeof(subtree);
	memcpy(buf + size, &name, sizeof(name));
	size += sizeof(name);
	if (not_self) {
		memcpy(buf + size, &actor, sizeof(actor));
		size += sizeof(actor);
		memcpy(buf + size, &prune, sizeof(prune));
		size += sizeof(prune);
	}
	return size;
}

/*
 * The same on a FAN_REPORT_DFID_NAME group with "policy", whose
 * reconfiguration has its own op and whose name part takes name snapshots.
 */
static void *control_policy(void *arg)
{
	struct stress *s = arg;
	struct fanotify_filter_args fa = { .name = "policy" };
	__u8 args[256];
	__u64 buf[512];
	int fd = dfid_name_group(s->fs.root, FAN_CREATE | FAN_CLOSE_WRITE |
				 FAN_DELETE);

	if (fd < 0) {
		fail(s, "group for policy", errno);
		return NULL;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	fa.args = (uintptr_t)args;
	while (!atomic_load(&s->stop)) {
		fa.args_size = policy_args(args, s->in_fd, "-1", 0, -1);
		if (ioctl(fd, FAN_IOC_ADD_FILTER, &fa) == 0)
			atomic_fetch_add(&s->attaches, 1);
		else if (errno != ENOENT)
			fail(s, "attach policy", errno);
		fa.args_size = policy_args(args, s->out_fd, "-3", 1, s->in_fd);
		if (ioctl(fd, FAN_IOC_RECONFIG_FILTER, &fa) == 0)
			atomic_fetch_add(&s->reconfigs, 1);
		else if (errno != ENOENT)
			fail(s, "reconfig policy", errno);
		while (read(fd, buf, sizeof(buf)) > 0)
			atomic_fetch_add(&s->events, 1);
		if (filter_detach(fd) && errno != ENOENT)
			fail(s, "detach policy", errno);
	}
	close(fd);
	return NULL;
}

#define SUBTREE_ENABLED "/sys/fs/fanotify/filters/subtree/enabled"

/*
 * The administrator disables "subtree" and enables it again, revoking its
 * attachments while they filter, attach and reconfigure; ENOENT while the
 * module is away, ENODEV while its sysfs directory is being removed.
 */
static void *revoker(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load(&s->stop)) {
		if (!write_text(SUBTREE_ENABLED, "0"))
			atomic_fetch_add(&s->revocations, 1);
		else if (errno != ENOENT && errno != ENODEV)
			fail(s, "disable", errno);
		usleep(5000);
		if (write_text(SUBTREE_ENABLED, "1") && errno != ENOENT &&
		    errno != ENODEV)
			fail(s, "enable", errno);
		usleep(20000);
	}
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
		    errno != ENOENT && errno != EPERM)
			fail(s, "attach to group to close", errno);
		usleep(1000);
		close(fd);
		atomic_fetch_add(&s->closes, 1);
	}
	return NULL;
}

/*
 * "bpf_subtree": its loader registers it, groups attach and reconfigure it,
 * the loader unregisters it while one group still has it (which keeps
 * the map and goes on filtering), then that group is closed.
 */
static void *bpf_churn(void *arg)
{
	struct stress *s = arg;
	struct loader l;

	while (!atomic_load(&s->stop)) {
		int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);

		if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
					    FAN_CLOSE_WRITE, AT_FDCWD,
					    s->fs.root)) {
			fail(s, "group for bpf", errno);
			break;
		}
		if (loader_start(&l, "subtree.bpf.o", 0, NULL, 0)) {
			fail(s, "bpf loader", EIO);
			close(fd);
			break;
		}
		atomic_fetch_add(&s->bpf_registers, 1);
		if (filter_set(s, fd, FAN_IOC_ADD_FILTER, "bpf_subtree", s->in_fd))
			fail(s, "bpf attach", errno);
		if (filter_set(s, fd, FAN_IOC_RECONFIG_FILTER, "bpf_subtree",
			       s->out_fd))
			fail(s, "bpf reconfig", errno);
		usleep(2000);
		if (loader_stop(&l))
			fail(s, "bpf unregister", EIO);
		usleep(2000);
		close(fd);
	}
	return NULL;
}

/*
 * The kernel-resident guard armed on in/ and disarmed, racing rmmod (the
 * config file is then gone: ENOENT or ENODEV) and the event storm.
 */
static void *kguard_churn(void *arg)
{
	const char *config = "/sys/fs/fanotify/groups/" FANFILTER_MODULE
			     "/guard/config";
	struct stress *s = arg;
	char arm[160];

	snprintf(arm, sizeof(arm), "roots=%s", s->fs.in);
	while (!atomic_load(&s->stop)) {
		if (!write_text(config, arm))
			atomic_fetch_add(&s->guard_arms, 1);
		else if (errno != ENOENT && errno != ENODEV && errno != EBUSY)
			fail(s, "arm kernel guard", errno);
		usleep(3000);
		if (write_text(config, "off") && errno != ENOENT &&
		    errno != ENODEV)
			fail(s, "disarm kernel guard", errno);
		usleep(1000);
	}
	return NULL;
}

/*
 * Groups of the series' test module: created, given its own filter (which
 * denies, skips or sends), marked, destroyed, or left alive when the module
 * is removed, by its exit or, with leak_kgroups, by the kernel.
 */
static void *kgroup_churn(void *arg)
{
	const char *cmd = "/sys/module/" TEST_MODULE "/parameters/kgroup";
	const char *ko = getenv("FANFILTER_TEST_MODULE");
	static const char *const verdicts[] = { "-1", "1", "0" };
	struct stress *s = arg;
	char mark[PATH_MAX + 64];
	unsigned long i = 0;

	snprintf(mark, sizeof(mark), "mark kg %u %u %s",
		 FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_PERM, s->fs.root);
	while (ko && !atomic_load(&s->stop)) {
		char attach[64];

		if (!kmod_loaded(TEST_MODULE) &&
		    kmod_load(ko, (i & 1) ? "leak_kgroups=1" : ""))
			fail(s, "load test module", errno);
		snprintf(attach, sizeof(attach), "attach kg " TEST_FILTER " %s",
			 verdicts[i % 3]);
		if (write_text(cmd, "new kg 4") || write_text(cmd, attach) ||
		    write_text(cmd, mark)) {
			fail(s, "kernel group", errno);
			break;
		}
		atomic_fetch_add(&s->kgroups, 1);
		usleep(2000);
		if (i++ % 4 == 0) {
			/* Its own filter does not pin it. */
			if (kmod_unload(TEST_MODULE))
				fail(s, "rmmod test module", errno);
			atomic_fetch_add(&s->kgroup_unloads, 1);
		} else if (write_text(cmd, "del kg")) {
			fail(s, "destroy kernel group", errno);
		}
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
	pthread_t threads[24];
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
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, control_policy, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, churn, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, remover, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, revoker, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, kguard_churn, s));
	ASSERT_EQ(0, pthread_create(&threads[n++], NULL, kgroup_churn, s));
	if (!access(bpf_path("fanfilter-bpf"), X_OK))
		ASSERT_EQ(0, pthread_create(&threads[n++], NULL, bpf_churn, s));

	sleep(seconds);
	atomic_store(&s->stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);

	TH_LOG("%lds: %ld attach, %ld reconfig, %ld detach, %ld close, %ld rmmod, %ld events",
	       (long)seconds, atomic_load(&s->attaches),
	       atomic_load(&s->reconfigs), atomic_load(&s->detaches),
	       atomic_load(&s->closes), atomic_load(&s->rmmods),
	       atomic_load(&s->events));
	TH_LOG("%ld BPF filter registrations, %ld revocations",
	       atomic_load(&s->bpf_registers), atomic_load(&s->revocations));
	TH_LOG("%ld kernel guard arms, %ld test module kernel groups, %ld unloads with one alive",
	       atomic_load(&s->guard_arms), atomic_load(&s->kgroups),
	       atomic_load(&s->kgroup_unloads));
	EXPECT_EQ(0, atomic_load(&s->failures));
	/* Every race was exercised. */
	EXPECT_LT(0, atomic_load(&s->attaches));
	EXPECT_LT(0, atomic_load(&s->reconfigs));
	EXPECT_LT(0, atomic_load(&s->closes));
	EXPECT_LT(0, atomic_load(&s->revocations));
	EXPECT_LT(0, atomic_load(&s->guard_arms));
	if (getenv("FANFILTER_TEST_MODULE"))
		EXPECT_LT(0, atomic_load(&s->kgroup_unloads));
	if (!module_loaded())
		ASSERT_EQ(0, module_load());
	write_text(SUBTREE_ENABLED, "1");
	write_text("/sys/fs/fanotify/groups/" FANFILTER_MODULE "/guard/config",
		   "off");
	if (kmod_loaded(TEST_MODULE))
		kmod_unload(TEST_MODULE);

	close(s->in_fd);
	close(s->out_fd);
	test_fs_teardown(&s->fs);
	free(s);
}

TEST_HARNESS_MAIN
