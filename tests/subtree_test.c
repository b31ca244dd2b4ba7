// SPDX-License-Identifier: GPL-2.0
/*
 * The "subtree" filter (or, with FANFILTER_SUBTREE_FILTER=bpf_subtree, its
 * BPF twin) and the attach/detach API it is used through: a
 * group with a filesystem mark on a private tmpfs gets the events from in/
 * and out/; with the filter rooted at in/, only those from in/.
 */
#include "fanfilter_test.h"

#include <pthread.h>
#include <sys/resource.h>

#include "kselftest_harness.h"

FIXTURE(subtree) {
	struct test_fs fs;
	int fan_fd;
	int in_fd;
};

FIXTURE_SETUP(subtree)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, self->fs.root));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
}

FIXTURE_TEARDOWN(subtree)
{
	close(self->in_fd);
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

/* Write in/a, in/deep/b, out/c, out/d and collect the CLOSE_WRITE events. */
static int write_both_sides(struct test_fs *fs, struct event_paths *ev)
{
	char deep[PATH_MAX];

	snprintf(deep, sizeof(deep), "%s/deep", fs->in);
	mkdir(deep, 0755);
	if (touch_write(fs->in, "a") || touch_write(deep, "b") ||
	    touch_write(fs->out, "c") || touch_write(fs->out, "d"))
		return -1;
	return 0;
}

TEST_F(subtree, no_filter_gets_both_sides)
{
	struct event_paths ev;

	ASSERT_EQ(0, write_both_sides(&self->fs, &ev));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(4, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "a"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "deep/b"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "c"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "d"));
}

TEST_F(subtree, filter_keeps_inside_only)
{
	struct event_paths ev;
	char line[256], want[256];

	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	/* The filter keeps an identity, not the fd. */
	close(self->in_fd);
	self->in_fd = -1;

	ASSERT_EQ(0, write_both_sides(&self->fs, &ev));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "a"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "deep/b"));
	EXPECT_FALSE(event_paths_has(&ev, self->fs.out, "c"));
	EXPECT_FALSE(event_paths_has(&ev, self->fs.out, "d"));

	/* The kernel's own account of the same four events. */
	filter_fdinfo_counters(self->fan_fd, line, sizeof(line));
	snprintf(want, sizeof(want),
		 "fanotify filter:%s seen:4 skipped:2 sent:2 denied:0 invalid:0\n",
		 subtree_filter());
	EXPECT_STREQ(want, line);
}

TEST_F(subtree, detach_restores_all_events)
{
	struct event_paths ev;

	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	ASSERT_EQ(0, filter_detach(self->fan_fd));

	ASSERT_EQ(0, write_both_sides(&self->fs, &ev));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(4, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "c"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "d"));
}

TEST_F(subtree, rename_out_of_subtree_stops_matching)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct event_paths ev;

	snprintf(from, sizeof(from), "%s/moving", self->fs.in);
	snprintf(to, sizeof(to), "%s/moving", self->fs.out);
	ASSERT_EQ(0, mkdir(from, 0755));
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, touch_write(from, "before"));
	ASSERT_EQ(0, rename(from, to));
	ASSERT_EQ(0, touch_write(to, "after"));

	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	/* Reported under its current path, which is now out/. */
	EXPECT_TRUE(event_paths_has(&ev, to, "before"));
	EXPECT_FALSE(event_paths_has(&ev, to, "after"));
}

/*
 * Directory-entry events (create, delete, move) of a DFID_NAME group carry
 * the parent directory and the name; they are filtered by the directory.
 */
TEST_F(subtree, dirent_events_filtered_by_parent)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct event_names ev;
	int fd;

	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK |
			   FAN_REPORT_DFID_NAME, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM |
				   FAN_MOVED_TO | FAN_ONDIR,
				   AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_subtree(fd, self->in_fd));

	ASSERT_EQ(0, touch_write(self->fs.in, "in_file"));
	ASSERT_EQ(0, touch_write(self->fs.out, "out_file"));
	snprintf(a, sizeof(a), "%s/in_dir", self->fs.in);
	snprintf(b, sizeof(b), "%s/out_dir", self->fs.out);
	ASSERT_EQ(0, mkdir(a, 0755));
	ASSERT_EQ(0, mkdir(b, 0755));
	ASSERT_EQ(0, rmdir(a));
	ASSERT_EQ(0, rmdir(b));
	/* Moved within in/, and within out/. */
	snprintf(a, sizeof(a), "%s/in_file", self->fs.in);
	snprintf(b, sizeof(b), "%s/in_moved", self->fs.in);
	ASSERT_EQ(0, rename(a, b));
	snprintf(a, sizeof(a), "%s/out_file", self->fs.out);
	snprintf(b, sizeof(b), "%s/out_moved", self->fs.out);
	ASSERT_EQ(0, rename(a, b));
	snprintf(a, sizeof(a), "%s/in_moved", self->fs.in);
	ASSERT_EQ(0, unlink(a));
	ASSERT_EQ(0, unlink(b));

	ASSERT_EQ(0, read_event_names(fd, &ev));
	EXPECT_EQ(1, event_names_count(&ev, "in_file", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "in_dir", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "in_dir", FAN_DELETE));
	EXPECT_EQ(1, event_names_count(&ev, "in_file", FAN_MOVED_FROM));
	EXPECT_EQ(1, event_names_count(&ev, "in_moved", FAN_MOVED_TO));
	EXPECT_EQ(1, event_names_count(&ev, "in_moved", FAN_DELETE));
	/* Events merge, so count names, not events: none from out/. */
	for (int i = 0; i < ev.nr; i++)
		EXPECT_EQ(0, strncmp(ev.name[i], "in_", 3));
	close(fd);
}

TEST_F(subtree, reconfig_switches_roots)
{
	struct fan_subtree_args *args;
	struct fanotify_filter_args fa = {};
	struct event_paths ev;
	int out_fd;
	__u32 size;

	snprintf(fa.name, sizeof(fa.name), "%s", subtree_filter());

	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	out_fd = open(self->fs.out, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, out_fd);
	args = subtree_args(&out_fd, 1, &size);
	ASSERT_NE(NULL, args);
	fa.args = (uintptr_t)args;
	fa.args_size = size;
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa));
	free(args);
	close(out_fd);

	ASSERT_EQ(0, write_both_sides(&self->fs, &ev));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "c"));
	EXPECT_TRUE(event_paths_has(&ev, self->fs.out, "d"));
}

struct race_writer {
	const char *dirs[3];
	int files;
};

static void *race_write(void *arg)
{
	struct race_writer *w = arg;
	char name[32];
	int i;

	for (i = 0; i < w->files; i++) {
		snprintf(name, sizeof(name), "%c%d", 'a' + i % 3, i);
		if (touch_write(w->dirs[i % 3], name))
			return (void *)1;
	}
	return NULL;
}

/*
 * Switch the roots between {a, b} and {a} while a writer creates files in
 * a/, b/ and c/.  Every event from a/ must arrive under both
 * configurations, none from c/ under either, and each from b/ at most
 * once: a torn or missing configuration would break one of these.
 */
TEST_F(subtree, reconfig_race_loses_nothing)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	struct fan_subtree_args *ab, *only_a;
	struct fanotify_filter_args fa = {};
	struct race_writer w = { .dirs = { a, b, c }, .files = 1500 };
	struct event_paths *ev;
	int fds[2], i, n_a = 0, n_b = 0, n_c = 0, flips = 0;
	__u32 size_ab, size_a;
	pthread_t writer;
	void *wret;

	snprintf(fa.name, sizeof(fa.name), "%s", subtree_filter());

	snprintf(a, sizeof(a), "%s/a", self->fs.in);
	snprintf(b, sizeof(b), "%s/b", self->fs.in);
	snprintf(c, sizeof(c), "%s/c", self->fs.in);
	ASSERT_EQ(0, mkdir(a, 0755));
	ASSERT_EQ(0, mkdir(b, 0755));
	ASSERT_EQ(0, mkdir(c, 0755));
	fds[0] = open(a, O_RDONLY | O_DIRECTORY);
	fds[1] = open(b, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	ab = subtree_args(fds, 2, &size_ab);
	only_a = subtree_args(fds, 1, &size_a);
	ASSERT_NE(NULL, ab);
	ASSERT_NE(NULL, only_a);
	ASSERT_EQ(0, filter_attach(self->fan_fd, subtree_filter(), ab, size_ab));

	ASSERT_EQ(0, pthread_create(&writer, NULL, race_write, &w));
	while (pthread_tryjoin_np(writer, &wret) == EBUSY) {
		fa.args = (uintptr_t)(flips % 2 ? ab : only_a);
		fa.args_size = flips % 2 ? size_ab : size_a;
		ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa));
		flips++;
	}
	ASSERT_EQ(NULL, wret);
	TH_LOG("%d reconfigurations during %d writes", flips, w.files);
	EXPECT_LT(2, flips);

	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, ev));
	for (i = 0; i < ev->nr; i++) {
		const char *base = strrchr(ev->path[i], '/') + 1;

		n_a += base[0] == 'a';
		n_b += base[0] == 'b';
		n_c += base[0] == 'c';
	}
	EXPECT_EQ(w.files / 3, n_a);
	EXPECT_EQ(0, n_c);
	EXPECT_GE(w.files / 3, n_b);
	free(ev);
	free(ab);
	free(only_a);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(subtree, unknown_filter_is_enoent)
{
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "no-such-filter", NULL, 0));
	EXPECT_EQ(ENOENT, errno);
	/* Nothing was attached. */
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(subtree, second_attach_is_ebusy)
{
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));
	EXPECT_EQ(-1, attach_subtree(self->fan_fd, self->in_fd));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, filter_detach(self->fan_fd));
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(subtree, bad_args_are_einval_and_attach_nothing)
{
	struct fan_subtree_args *args;
	int file_fd;
	__u32 size;

	args = subtree_args(&self->in_fd, 1, &size);
	ASSERT_NE(NULL, args);

	args->version = FAN_SUBTREE_ARGS_VERSION + 1;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(EINVAL, errno);
	args->version = FAN_SUBTREE_ARGS_VERSION;

	/* Size that disagrees with nr_roots. */
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size - 1));
	EXPECT_EQ(EINVAL, errno);

	/* A root that is not a directory. */
	ASSERT_EQ(0, touch_write(self->fs.in, "file"));
	file_fd = openat(self->in_fd, "file", O_RDONLY);
	ASSERT_LE(0, file_fd);
	args->root_fds[0] = file_fd;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(ENOTDIR, errno);
	close(file_fd);

	/* A root fd that is not open. */
	args->root_fds[0] = 1000000;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(EBADF, errno);
	free(args);

	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

/* nr_roots 0 and MAX + 1 are rejected, MAX is accepted (one fd repeated). */
TEST_F(subtree, roots_limits)
{
	static int fds[FAN_SUBTREE_MAX_ROOTS + 1];
	struct fan_subtree_args *args;
	__u32 size;

	for (int i = 0; i <= FAN_SUBTREE_MAX_ROOTS; i++)
		fds[i] = self->in_fd;
	args = subtree_args(fds, FAN_SUBTREE_MAX_ROOTS, &size);
	ASSERT_NE(NULL, args);
	EXPECT_EQ(0, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
	free(args);

	args = subtree_args(fds, FAN_SUBTREE_MAX_ROOTS + 1, &size);
	ASSERT_NE(NULL, args);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(EINVAL, errno);
	free(args);

	args = subtree_args(fds, 0, &size);
	ASSERT_NE(NULL, args);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, subtree_filter(), args, size));
	EXPECT_EQ(EINVAL, errno);
	free(args);
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

/* 1024 distinct roots, whose fds are closed after the attach. */
TEST_F(subtree, thousand_roots)
{
	static int fds[1024];
	struct rlimit rl = { 4096, 4096 };
	struct fan_subtree_args *args;
	struct event_paths *ev;
	char dir[PATH_MAX];
	__u32 size;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (int i = 0; i < 1024; i++) {
		snprintf(dir, sizeof(dir), "%s/d%d", self->fs.in, i);
		ASSERT_EQ(0, mkdir(dir, 0755));
		fds[i] = open(dir, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, fds[i]);
	}
	args = subtree_args(fds, 1024, &size);
	ASSERT_NE(NULL, args);
	ASSERT_EQ(0, filter_attach(self->fan_fd, subtree_filter(), args, size));
	free(args);
	for (int i = 0; i < 1024; i++)
		close(fds[i]);

	ev = calloc(1, sizeof(*ev));
	ASSERT_NE(NULL, ev);
	for (int i = 0; i < 1024; i += 73) {
		snprintf(dir, sizeof(dir), "%s/d%d", self->fs.in, i);
		ASSERT_EQ(0, touch_write(dir, "f"));
	}
	snprintf(dir, sizeof(dir), "%s/d1023", self->fs.in);
	ASSERT_EQ(0, touch_write(dir, "f"));
	/* Beside the roots, not below one. */
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	ASSERT_EQ(0, touch_write(self->fs.out, "f"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, ev));
	EXPECT_EQ(16, ev->nr);	/* 0, 73, ... 1022 and 1023 */
	EXPECT_TRUE(event_paths_has(ev, dir, "f"));
	EXPECT_FALSE(event_paths_has(ev, self->fs.in, "f"));
	free(ev);
}

/* A root on another filesystem keeps it neither busy nor mounted. */
TEST_F(subtree, unmount_while_attached)
{
	struct fan_subtree_args *args;
	struct event_paths ev;
	char mnt[PATH_MAX], sub[PATH_MAX];
	int fds[2];
	__u32 size;

	snprintf(mnt, sizeof(mnt), "%s/mnt", self->fs.root);
	snprintf(sub, sizeof(sub), "%s/sub", mnt);
	ASSERT_EQ(0, mkdir(mnt, 0755));
	ASSERT_EQ(0, mount("fanfilter-inner", mnt, "tmpfs", 0, NULL));
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, mnt));
	fds[0] = open(sub, O_RDONLY | O_DIRECTORY);
	fds[1] = self->in_fd;
	ASSERT_LE(0, fds[0]);
	args = subtree_args(fds, 2, &size);
	ASSERT_NE(NULL, args);
	ASSERT_EQ(0, filter_attach(self->fan_fd, subtree_filter(), args, size));
	free(args);
	close(fds[0]);

	ASSERT_EQ(0, touch_write(sub, "a"));
	ASSERT_EQ(0, touch_write(mnt, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, sub, "a"));

	/* Not lazily: EBUSY here would mean the filter pins the mount. */
	ASSERT_EQ(0, umount2(mnt, 0));
	ASSERT_EQ(0, touch_write(self->fs.in, "c"));
	ASSERT_EQ(0, touch_write(self->fs.out, "d"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "c"));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
}

/* Must stay last: it unloads and reloads the module. */
TEST_F(subtree, rmmod_refused_while_attached)
{
	struct event_paths ev;

	if (strcmp(subtree_filter(), "subtree"))
		SKIP(return, "%s is not the module's (bpf_test covers BPF unload)",
		     subtree_filter());
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	EXPECT_EQ(-1, module_unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_TRUE(module_loaded());

	/* The filter still works after the refused removal. */
	ASSERT_EQ(0, write_both_sides(&self->fs, &ev));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);

	ASSERT_EQ(0, filter_detach(self->fan_fd));
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());

	/* Gone with its module. */
	EXPECT_EQ(-1, attach_subtree(self->fan_fd, self->in_fd));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, module_load());
	ASSERT_TRUE(module_loaded());
}

TEST_HARNESS_MAIN
