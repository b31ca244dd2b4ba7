// SPDX-License-Identifier: GPL-2.0
/*
 * The ancestor walk of "subtree" is retried when a rename ran while it
 * walked.  Under a storm of renames anywhere in the system, a long walk
 * that only ever retried would retry for as long as the storm lasts; it
 * must be bounded instead (four lockless tries, then one walk under
 * rename_lock, which holds off every rename in the system and so must stay
 * rare).  A child pinned to CPU 0 renames an unrelated directory back and
 * forth while this process, pinned to CPU 1, writes to a file deep below:
 * 2048 directories, each FAN_MODIFY event a walk of 2050 steps; then 16
 * directories with 100 groups attached, which measures what the walks cost
 * the renames and how often they take rename_lock, and checks that the
 * groups of an event share one walk (/sys/fs/fanotify/locate/).
 */
#include "fanfilter_test.h"

#include <sched.h>
#include <time.h>

#include "kselftest_harness.h"

#define DEPTH 2048
#define WRITES 2000
#define STORM_SECONDS 5
#define GROUPS 100
#define PHASE_SECONDS 3
/* Lockless passes of a walk before it takes rename_lock. */
#define WALK_TRIES 4
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
 * On CPU 0, rename @dir/r1 to @dir/r2 and back for @seconds: say so on
 * @ready after the first rename, and write the count of round trips to
 * @report.
 */
static int rename_storm(const char *dir, int seconds, int ready, int report)
{
	char r1[PATH_MAX], r2[PATH_MAX];
	__u64 end;
	long n = 0;

	snprintf(r1, sizeof(r1), "%s/r1", dir);
	snprintf(r2, sizeof(r2), "%s/r2", dir);
	if (pin_to(0))
		return 1;
	end = now_ns() + seconds * NSEC_PER_SEC;
	while (now_ns() < end) {
		if (rename(r1, r2) || rename(r2, r1))
			return 2;
		if (n++ == 0 && write(ready, "r", 1) != 1)
			return 3;
	}
	return write(report, &n, sizeof(n)) == sizeof(n) ? 0 : 4;
}

/* The counters of /sys/fs/fanotify/locate/. */
struct walk_stats {
	unsigned long walks, retries, locked, shared;
};

static int walk_stats(struct walk_stats *w)
{
	static const char *const names[] = {
		"walks", "retries", "locked", "shared",
	};
	unsigned long *values[] = {
		&w->walks, &w->retries, &w->locked, &w->shared,
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		*values[i] = locate_stat(names[i]);
		if (*values[i] == (unsigned long)-1)
			return -1;
	}
	return 0;
}

static void walk_stats_since(struct walk_stats *w,
			     const struct walk_stats *before)
{
	w->walks -= before->walks;
	w->retries -= before->retries;
	w->locked -= before->locked;
	w->shared -= before->shared;
}

/*
 * One phase of PHASE_SECONDS: renames in @dir by a child on CPU 0, writes
 * to @file_fd here on CPU 1.  0, or -1.
 */
static int storm_phase(const char *dir, int file_fd, long *round_trips,
		       long *writes)
{
	int ready[2], report[2], status = -1;
	__u64 end;
	pid_t child;
	char c;

	*writes = 0;
	*round_trips = 0;
	if (pipe(ready))
		return -1;
	if (pipe(report))
		goto close_ready;
	child = fork();
	if (child < 0)
		goto close_report;
	if (child == 0)
		_exit(rename_storm(dir, PHASE_SECONDS, ready[1], report[1]));
	if (pin_to(1) || read(ready[0], &c, 1) != 1)
		kill(child, SIGKILL);
	end = now_ns() + PHASE_SECONDS * NSEC_PER_SEC;
	while (now_ns() < end && pwrite(file_fd, "x", 1, 0) == 1)
		(*writes)++;
	if (read(report[0], round_trips, sizeof(*round_trips)) !=
	    sizeof(*round_trips))
		*round_trips = -1;
	if (waitpid(child, &status, 0) != child)
		status = -1;
close_report:
	close(report[0]);
	close(report[1]);
close_ready:
	close(ready[0]);
	close(ready[1]);
	return status == 0 && *round_trips > 0 ? 0 : -1;
}

TEST_F_TIMEOUT(storm, deep_walks_stay_bounded_during_a_rename_storm, 300)
{
	int ready[2], report[2], status, writes;
	__u64 t, start, worst = 0;
	char dir[PATH_MAX], c;
	struct walk_stats before, w;
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
		_exit(rename_storm(self->fs.out, STORM_SECONDS, ready[1],
				   report[1]));
	close(ready[1]);
	close(report[1]);
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, walk_stats(&before));

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
	ASSERT_EQ(0, walk_stats(&w));
	walk_stats_since(&w, &before);
	ASSERT_EQ((ssize_t)sizeof(renames),
		  read(report[0], &renames, sizeof(renames)));
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ksft_print_msg("%d writes in %llu ms, slowest %llu us, %ld renames in %d s\n",
		       writes, t / 1000000, worst / 1000, renames,
		       STORM_SECONDS);
	ksft_print_msg("walks %lu, lockless passes redone %lu, under rename_lock %lu\n",
		       w.walks, w.retries, w.locked);
	EXPECT_EQ(0, status);
	EXPECT_EQ(WRITES, writes);
	EXPECT_LT(0, renames);
	EXPECT_GT(NSEC_PER_SEC, worst);
	/* Each write was walked, by one group, at most once under the lock. */
	EXPECT_LE((unsigned long)WRITES, w.walks);
	EXPECT_GE(w.walks, w.locked);
	EXPECT_LE(WALK_TRIES * w.locked, w.retries);
}

/*
 * 100 groups with "subtree" on in/, all marking the filesystem for
 * modifications and moves in out/ (every event walked, every event
 * skipped): what do their walks cost a rename storm, and how often do they
 * hold off renames by taking rename_lock?  Measured against a phase with
 * no groups, in the same run.
 */
TEST_F_TIMEOUT(storm, hundred_groups_walk_through_a_rename_storm, 120)
{
	long trips0, writes0, trips1, writes1;
	struct walk_stats before, w;
	struct filter_counters c;
	int groups[GROUPS], i;
	char dir[PATH_MAX];
	long per_group;

	self->file_fd = deep_file(self->fs.out, 16);
	ASSERT_LE(0, self->file_fd);
	snprintf(dir, sizeof(dir), "%s/r1", self->fs.out);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, storm_phase(self->fs.out, self->file_fd, &trips0,
				 &writes0));

	for (i = 0; i < GROUPS; i++) {
		groups[i] = dfid_name_group(self->fs.root, FAN_MODIFY |
					    FAN_MOVED_FROM | FAN_MOVED_TO |
					    FAN_ONDIR);
		ASSERT_LE(0, groups[i]) TH_LOG("group %d: %s", i,
					       strerror(errno));
		ASSERT_EQ(0, attach_subtree(groups[i], self->in_fd));
	}
	ASSERT_EQ(0, walk_stats(&before));
	ASSERT_EQ(0, storm_phase(self->fs.out, self->file_fd, &trips1,
				 &writes1));
	ASSERT_EQ(0, walk_stats(&w));
	walk_stats_since(&w, &before);

	/* A write is one walk, a rename two (moved from, moved to). */
	per_group = writes1 + 4 * trips1;
	ksft_print_msg("no groups: %ld renames/s, %ld writes/s\n",
		       2 * trips0 / PHASE_SECONDS, writes0 / PHASE_SECONDS);
	ksft_print_msg("%d groups: %ld renames/s (%.2fx), %ld writes/s (%.2fx)\n",
		       GROUPS, 2 * trips1 / PHASE_SECONDS,
		       (double)trips1 / trips0, writes1 / PHASE_SECONDS,
		       (double)writes1 / writes0);
	ksft_print_msg("walks %lu, passes redone %lu (%.3f%%), locked %lu (%.4f%%), shared %lu\n",
		       w.walks, w.retries, 100.0 * w.retries / w.walks,
		       w.locked, 100.0 * w.locked / w.walks, w.shared);
	/*
	 * Every group placed every event once, and sent none of them: the
	 * first two groups' filters walked (the second recording its walk),
	 * the others' used that walk, unless a rename ran since it was
	 * recorded: then the next group recorded again, at most once per
	 * rename (the renames' own events are walked the same way).
	 */
	EXPECT_EQ((unsigned long)(GROUPS * per_group), w.walks + w.shared);
	EXPECT_LE(w.walks, (unsigned long)(3 * per_group + 2 * trips1));
	for (i = 0; i < GROUPS; i++) {
		ASSERT_EQ(0, filter_counters(groups[i], &c));
		EXPECT_EQ(per_group, c.skipped) TH_LOG("group %d", i);
		EXPECT_EQ(0, c.sent) TH_LOG("group %d", i);
		close(groups[i]);
	}
	/* The lock only after WALK_TRIES lockless passes failed. */
	EXPECT_LE(WALK_TRIES * w.locked, w.retries);
}

TEST_HARNESS_MAIN
