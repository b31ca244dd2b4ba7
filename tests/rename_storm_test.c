// SPDX-License-Identifier: GPL-2.0
/*
 * The ancestor walk of "subtree" is retried when a rename ran while it
 * walked.  Under a storm of renames anywhere in the system, a long walk
 * that only ever retried would retry for as long as the storm lasts; it
 * must be bounded instead (one lockless try, then one walk under
 * rename_lock).  A child pinned to CPU 0 renames an unrelated directory
 * back and forth for 5 s while this process, pinned to CPU 1, writes to a
 * file 2048 directories deep, each of whose FAN_MODIFY events needs a walk
 * of 2050 steps.
 */
#include "fanfilter_test.h"

#include <sched.h>
#include <time.h>

#include "kselftest_harness.h"

#define DEPTH 2048
#define WRITES 2000
#define STORM_SECONDS 5
#define NSEC_PER_SEC 1000000000ULL

FIXTURE(storm) {
	struct test_fs fs;
	int in_fd;
	int fan_fd;
	int file_fd;
	pid_t child;
};

FIXTURE_SETUP(storm)
{
	self->in_fd = -1;
	self->fan_fd = -1;
	self->file_fd = -1;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
}

FIXTURE_TEARDOWN(storm)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->file_fd >= 0)
		close(self->file_fd);
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	if (self->in_fd >= 0) {
		close(self->in_fd);
		test_fs_teardown(&self->fs);
	}
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Make @depth nested directories "d" in @dir, and the file "f" in the last. */
static int deep_file(const char *dir, int depth)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), next, file;

	for (int i = 0; fd >= 0 && i < depth; i++) {
		if (mkdirat(fd, "d", 0755)) {
			close(fd);
			return -1;
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	file = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
	close(fd);
	return file;
}

/*
 * On CPU 0, rename @dir/r1 to @dir/r2 and back for STORM_SECONDS: say so
 * on @ready after the first rename, and write the count to @report.
 */
static int rename_storm(const char *dir, int ready, int report)
{
	char r1[PATH_MAX], r2[PATH_MAX];
	__u64 end;
	long n = 0;

	snprintf(r1, sizeof(r1), "%s/r1", dir);
	snprintf(r2, sizeof(r2), "%s/r2", dir);
	if (pin_to(0))
		return 1;
	end = now_ns() + STORM_SECONDS * NSEC_PER_SEC;
	while (now_ns() < end) {
		if (rename(r1, r2) || rename(r2, r1))
			return 2;
		if (n++ == 0 && write(ready, "r", 1) != 1)
			return 3;
	}
	return write(report, &n, sizeof(n)) == sizeof(n) ? 0 : 4;
}

TEST_F_TIMEOUT(storm, deep_walks_stay_bounded_during_a_rename_storm, 300)
{
	int ready[2], report[2], status, writes;
	__u64 t, start, worst = 0;
	char dir[PATH_MAX], c;
	long renames = 0;

	self->fan_fd = fs_group(self->fs.root, FAN_REPORT_FID, FAN_MODIFY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	self->file_fd = deep_file(self->fs.out, DEPTH);
	ASSERT_LE(0, self->file_fd);
	snprintf(dir, sizeof(dir), "%s/r1", self->fs.out);
	ASSERT_EQ(0, mkdir(dir, 0755));

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(report));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(rename_storm(self->fs.out, ready[1], report[1]));
	close(ready[1]);
	close(report[1]);
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(1, read(ready[0], &c, 1));

	start = now_ns();
	for (writes = 0; writes < WRITES; writes++) {
		t = now_ns();
		if (pwrite(self->file_fd, "x", 1, 0) != 1)
			break;
		t = now_ns() - t;
		if (t > worst)
			worst = t;
	}
	t = now_ns() - start;
	ASSERT_EQ((ssize_t)sizeof(renames),
		  read(report[0], &renames, sizeof(renames)));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ksft_print_msg("%d writes in %llu ms, slowest %llu us, %ld renames in %d s\n",
		       writes, t / 1000000, worst / 1000, renames,
		       STORM_SECONDS);
	EXPECT_EQ(0, status);
	EXPECT_EQ(WRITES, writes);
	EXPECT_LT(0, renames);
	EXPECT_GT(NSEC_PER_SEC, worst);
}

TEST_HARNESS_MAIN
