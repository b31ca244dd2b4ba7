// SPDX-License-Identifier: GPL-2.0
/*
 * Filter state is charged to the memory cgroup of the task that attaches
 * it, so an unprivileged user cannot pin kernel memory outside its limits:
 * attaching "subtree" with 4096 roots to 8 groups from a child in a fresh
 * cgroup must raise that cgroup's memory.current by the size of the 8 root
 * sets (16384 slots of 24 bytes and a table of up to 4096 superblocks of
 * 32 bytes each), less what the per-CPU charge stocks
 * can hide: memcg charges in batches of MEMCG_CHARGE_BATCH (64) pages and
 * keeps the rest of a batch per CPU, already counted, so one set of 96
 * pages alone moved memory.current by anything from 62 to 120 pages here.
 * Needs the memory controller, which only the debug kernel of make stress
 * has (scripts/stress.sh runs it there); skips elsewhere.
 */
#include "fanfilter_test.h"

#include <sys/resource.h>

#define NR_ROOTS	4096
/*
 * The set is at most a quarter full: 4 slots per root, 24 bytes each; then
 * room for one superblock per root, 32 bytes each.
 */
#define SET_BYTES	(4 * NR_ROOTS * 24 + NR_ROOTS * 32)
#define NR_GROUPS	8
/* Most a CPU's charge stock holds: MEMCG_CHARGE_BATCH pages. */
#define STOCK_BYTES	(64 * 4096L)

FIXTURE(memcg) {
	struct test_fs fs;
	char mnt[64];
	char cg[128];
};

FIXTURE_SETUP(memcg)
{
	char path[192], controllers[256];

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fanfilter-cg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->mnt));
	if (mount("none", self->mnt, "cgroup2", 0, NULL) && errno != EBUSY) {
		rmdir(self->mnt);
		self->mnt[0] = '\0';
		SKIP(return, "no cgroup2");
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", self->mnt);
	if (read_text(path, controllers, sizeof(controllers)) ||
	    !strstr(controllers, "memory"))
		SKIP(return, "no memory controller (CONFIG_MEMCG)");
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", self->mnt);
	ASSERT_EQ(0, write_text(path, "+memory"));
	snprintf(self->cg, sizeof(self->cg), "%s/fanfilter", self->mnt);
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	ASSERT_EQ(0, test_fs_setup(&self->fs));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->cg[0])
		rmdir(self->cg);
	if (self->mnt[0]) {
		umount2(self->mnt, MNT_DETACH);
		rmdir(self->mnt);
	}
	if (self->fs.root[0])
		test_fs_teardown(&self->fs);
}

static long memory_current(const char *cg)
{
	char path[192], buf[32];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

struct charge {
	const char *cg;
	const char *in;
};

/* In a child: join the cgroup, attach, report the charge; 0 if enough. */
static int attach_charged(void *arg)
{
	const struct charge *c = arg;
	struct rlimit nofile = { NR_ROOTS + 64, NR_ROOTS + 64 };
	static int fds[NR_ROOTS];
	char path[PATH_MAX], procs[192];
	int fan_fd[NR_GROUPS];
	struct fan_subtree_args *a;
	long before, after, want;
	__u32 size;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", c->cg);
	if (write_text(procs, "0") || setrlimit(RLIMIT_NOFILE, &nofile))
		return 10;
	for (int i = 0; i < NR_ROOTS; i++) {
		snprintf(path, sizeof(path), "%s/d%d", c->in, i);
		if (mkdir(path, 0755))
			return 11;
		fds[i] = open(path, O_RDONLY | O_DIRECTORY);
		if (fds[i] < 0)
			return 12;
	}
	a = subtree_args(fds, NR_ROOTS, &size);
	if (!a)
		return 13;
	for (int g = 0; g < NR_GROUPS; g++) {
		fan_fd[g] = dfid_name_group(c->in, FAN_CREATE);
		if (fan_fd[g] < 0)
			return 13;
	}
	before = memory_current(c->cg);
	for (int g = 0; g < NR_GROUPS; g++)
		if (filter_attach(fan_fd[g], "subtree", a, size))
			return 14;
	after = memory_current(c->cg);
	want = (long)NR_GROUPS * SET_BYTES -
	       STOCK_BYTES * sysconf(_SC_NPROCESSORS_ONLN);
	ksft_print_msg("%d x %d roots charged %ld bytes (sets: %d; want >= %ld)\n",
		       NR_GROUPS, NR_ROOTS, after - before, NR_GROUPS * SET_BYTES,
		       want);
	return before >= 0 && after - before >= want ? 0 : 15;
}

/* 4096 directories on a KASAN kernel under load take longer than 30 s. */
TEST_F_TIMEOUT(memcg, filter_state_is_charged_to_the_attacher, 600)
{
	struct charge c = { .cg = self->cg, .in = self->fs.in };

	EXPECT_EQ(0, run_in_child(attach_charged, &c, 500000));
}

TEST_HARNESS_MAIN
