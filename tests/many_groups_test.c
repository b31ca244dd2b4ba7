// SPDX-License-Identifier: GPL-2.0
/*
 * Many groups on one filesystem, each with its own subtree filter: the
 * second filter that places an event records its ancestors, and the
 * filters of the event's other groups test their own directories against
 * that record (/sys/fs/fanotify/locate/shared counts them).  What each
 * group gets must not depend on the others: every group gets what it gets
 * when it is alone, also for a file moved between two events of one open
 * file (same struct path, other place), under a storm of renames of the
 * directories above, and while other groups attach and detach filters.
 * Groups alternate the Rust "subtree" and the C "subtree_c"; with
 * FANFILTER_SUBTREE_FILTER=bpf_subtree every third group is the BPF one.
 */
#include "fanfilter_test.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "kselftest_harness.h"

#define GROUPS 12
#define MASK (FAN_CREATE | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_MOVED_FROM | \
	      FAN_MOVED_TO | FAN_DELETE | FAN_RENAME | FAN_ATTRIB | \
	      FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR)
#define STORM_FILES 2000

/*
 * Directories of the tree below the test's root, and each group's roots
 * (indexes into dirs[], -1 ends a list): nested, disjoint and a set of
 * two, so that one event is inside some groups and outside others.
 */
static const char *const dirs[] = {
	"a", "a/x", "a/x/y", "b", "c", "c/z", "",
};

static const int group_roots[GROUPS][3] = {
	{ 0, -1 }, { 1, -1 }, { 2, -1 }, { 3, -1 }, { 4, -1 }, { 3, 5, -1 },
	{ 6, -1 }, { 1, 3, -1 }, { 5, -1 }, { 2, 4, -1 }, { 0, -1 }, { 3, -1 },
};

static const char *group_filter(int i)
{
	const char *env = getenv("FANFILTER_SUBTREE_FILTER");

	if (env && *env && strcmp(env, "subtree") && i % 3 == 2)
		return env;
	return i % 2 ? "subtree_c" : "subtree";
}

/*
 * Directories by file handle, to name the directory of each info record
 * of an event the same way in every run (each run has a tree of its own).
 */
#define MAX_LABELS 32
static struct {
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	char label[32];
} labels[MAX_LABELS];
static int nr_labels;

static int label_dir(const char *path, const char *label)
{
	int mnt;

	if (nr_labels == MAX_LABELS)
		return -1;
	labels[nr_labels].h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &labels[nr_labels].h.fh, &mnt, 0))
		return -1;
	snprintf(labels[nr_labels].label, sizeof(labels[0].label), "%s",
		 *label ? label : ".");
	nr_labels++;
	return 0;
}

static const char *label_of(const struct file_handle *fh)
{
	for (int i = 0; i < nr_labels; i++) {
		const struct file_handle *l = &labels[i].h.fh;

		if (l->handle_type == fh->handle_type &&
		    l->handle_bytes == fh->handle_bytes &&
		    !memcmp(l->f_handle, fh->f_handle, fh->handle_bytes))
			return labels[i].label;
	}
	return "?";
}

/* The test filesystem, the tree's copy in use and the groups on it. */
struct many_tree {
	struct test_fs fs;
	char top[128];
	int fan[GROUPS];
};

FIXTURE(many) {
	struct many_tree t;
};

/* A fresh copy of the tree under fs.root/<run>; its path goes to top. */
static int make_tree(struct many_tree *t, int run)
{
	char path[PATH_MAX];

	snprintf(t->top, sizeof(t->top), "%s/run%d", t->fs.root, run);
	if (mkdir(t->top, 0755))
		return -1;
	nr_labels = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->top, dirs[i]);
		if ((*dirs[i] && mkdir(path, 0755)) || label_dir(path, dirs[i]))
			return -1;
	}
	return 0;
}

/* A group on the test filesystem with group @i's filter and roots. */
static int open_group(struct many_tree *t, int i)
{
	int fds[3], nr = 0, fan, ret;
	char path[PATH_MAX];

	fan = dfid_name_group(t->fs.root, MASK);
	if (fan < 0)
		return -1;
	for (; group_roots[i][nr] >= 0; nr++) {
		snprintf(path, sizeof(path), "%s/%s", t->top,
			 dirs[group_roots[i][nr]]);
		fds[nr] = open(path, O_RDONLY | O_DIRECTORY);
	}
	ret = attach_roots_n(fan, group_filter(i), fds, nr);
	for (int k = 0; k < nr; k++)
		close(fds[k]);
	if (ret) {
		close(fan);
		return -1;
	}
	return fan;
}

/* The tree run0 and every group on it. */
static int tree_with_groups(struct many_tree *t)
{
	if (make_tree(t, 0))
		return -1;
	for (int i = 0; i < GROUPS; i++) {
		t->fan[i] = open_group(t, i);
		if (t->fan[i] < 0)
			return -1;
	}
	return 0;
}

FIXTURE_SETUP(many)
{
	for (int i = 0; i < GROUPS; i++)
		self->t.fan[i] = -1;
	ASSERT_EQ(0, test_fs_setup(&self->t.fs));
}

FIXTURE_TEARDOWN(many)
{
	for (int i = 0; i < GROUPS; i++)
		if (self->t.fan[i] >= 0)
			close(self->t.fan[i]);
	test_fs_teardown(&self->t.fs);
}

static int file_op(const char *top, const char *name, int write_it)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, name);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return -1;
	if (write_it && write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int move(const char *top, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s/%s", top, from);
	snprintf(b, sizeof(b), "%s/%s", top, to);
	return rename(a, b);
}

/*
 * Directory events (mkdir, rmdir: create, delete, delete self), a rename
 * in one directory, and inode-only events: the link count of a file with
 * names in two subtrees changes (attrib), and the file goes (delete self).
 */
static int script_more(const char *top)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s/b/sub", top);
	if (mkdir(a, 0755) || label_dir(a, "b/sub") ||
	    file_op(top, "b/sub/g", 1) || move(top, "b/sub/g", "b/sub/h"))
		return -1;
	snprintf(a, sizeof(a), "%s/b/sub/h", top);
	if (unlink(a))
		return -1;
	snprintf(a, sizeof(a), "%s/b/sub", top);
	if (rmdir(a) || file_op(top, "a/x/y/two", 1))
		return -1;
	snprintf(a, sizeof(a), "%s/a/x/y/two", top);
	snprintf(b, sizeof(b), "%s/c/two", top);
	if (link(a, b) || unlink(a))
		return -1;
	return unlink(b);
}

/*
 * Events of every type in every directory, a file that moves between
 * subtrees while open (two events of one struct path, in two places), and
 * a directory moved from one subtree into another with its files.
 */
static int script(const char *top)
{
	char path[PATH_MAX];
	int fd;

	for (unsigned int i = 0; i < ARRAY_SIZE(dirs); i++) {
		char name[PATH_MAX];

		snprintf(name, sizeof(name), "%s%sf%u", dirs[i],
			 *dirs[i] ? "/" : "", i);
		if (file_op(top, name, 1))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/a/x/y/moving", top);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "1", 1) != 1 ||
	    move(top, "a/x/y/moving", "b/moving") || write(fd, "2", 1) != 1 ||
	    move(top, "b/moving", "c/z/moving") || write(fd, "3", 1) != 1)
		return -1;
	close(fd);
	if (move(top, "c/z", "a/x/z") || file_op(top, "a/x/z/inner", 1) ||
	    move(top, "a/x/z/inner", "b/inner") || move(top, "a/x/z", "c/z"))
		return -1;
	snprintf(path, sizeof(path), "%s/b/inner", top);
	if (unlink(path))
		return -1;
	snprintf(path, sizeof(path), "%s/a/f0", top);
	if (unlink(path))
		return -1;
	return script_more(top);
}

/* One line per event: its mask, then each info record's type, object and name. */
struct events_text {
	char *buf;
	size_t size, n;
};

static void add_event_text(const struct fanotify_event_metadata *md,
			   void *ctx)
{
	const char *p = (const char *)(md + 1), *end = (const char *)md +
							md->event_len;
	struct events_text *t = ctx;

	if (t->n >= t->size)
		return;
	t->n += snprintf(t->buf + t->n, t->size - t->n, "%#llx",
			 (unsigned long long)md->mask);
	while (p < end && t->n < t->size) {
		const struct fanotify_event_info_fid *fid = (const void *)p;
		const struct file_handle *fh = (const void *)fid->handle;
		int named = fid->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
			    fid->hdr.info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
			    fid->hdr.info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME;

		if (!fid->hdr.len)
			break;
		t->n += snprintf(t->buf + t->n, t->size - t->n, " %u:%s%s%s",
				 fid->hdr.info_type, label_of(fh),
				 named ? "/" : "",
				 named ? (const char *)fh->f_handle +
					 fh->handle_bytes : "");
		p += fid->hdr.len;
	}
	if (t->n < t->size)
		t->n += snprintf(t->buf + t->n, t->size - t->n, "\n");
}

static int events_text(int fan, char *buf, size_t size)
{
	struct events_text t = { .buf = buf, .size = size };

	buf[0] = '\0';
	return drain_events(fan, add_event_text, &t) || t.n >= size ? -1 : 0;
}

TEST_F(many, every_group_gets_what_it_gets_alone)
{
	static char together[GROUPS][16384], alone[16384];
	unsigned long shared;

	ASSERT_EQ(0, make_tree(&self->t, 0));
	for (int i = 0; i < GROUPS; i++) {
		self->t.fan[i] = open_group(&self->t, i);
		ASSERT_LE(0, self->t.fan[i])
			TH_LOG("group %d (%s)", i, group_filter(i));
	}
	shared = locate_stat("shared");
	ASSERT_EQ(0, script(self->t.top));
	/* The groups did share walks. */
	EXPECT_LT(shared, locate_stat("shared"));
	for (int i = 0; i < GROUPS; i++) {
		ASSERT_EQ(0, events_text(self->t.fan[i], together[i],
					 sizeof(together[i])));
		close(self->t.fan[i]);
		self->t.fan[i] = -1;
	}
	for (int i = 0; i < GROUPS; i++) {
		ASSERT_EQ(0, make_tree(&self->t, i + 1));
		self->t.fan[i] = open_group(&self->t, i);
		ASSERT_LE(0, self->t.fan[i]);
		ASSERT_EQ(0, script(self->t.top));
		ASSERT_EQ(0, events_text(self->t.fan[i], alone, sizeof(alone)));
		close(self->t.fan[i]);
		self->t.fan[i] = -1;
		EXPECT_STREQ(alone, together[i]) TH_LOG("group %d (%s)", i,
							group_filter(i));
		/* The script has events inside every group. */
		EXPECT_NE('\0', alone[0]) TH_LOG("group %d", i);
	}
}

/* One walk per event; the other groups' filters use it. */
TEST_F(many, groups_of_an_event_share_one_walk)
{
	unsigned long walks, shared, dwalks, dshared;
	const int writes = 1000;
	char path[PATH_MAX];
	int fd;

	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, tree_with_groups(&self->t));
	/* Outside every group (the group of "" is on the root of run0). */
	snprintf(path, sizeof(path), "%s/elsewhere", self->t.fs.root);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/elsewhere/f", self->t.fs.root);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	walks = locate_stat("walks");
	shared = locate_stat("shared");
	ASSERT_NE((unsigned long)-1, shared) TH_LOG("no locate/shared");
	for (int i = 0; i < writes; i++)
		ASSERT_EQ(1, pwrite(fd, "x", 1, 0));
	dwalks = locate_stat("walks") - walks;
	dshared = locate_stat("shared") - shared;
	close(fd);
	/* Every group placed every event, by a walk or by a shared one. */
	EXPECT_EQ((unsigned long)writes * GROUPS, dwalks + dshared);
	/*
	 * The first group walks alone, the second records its walk, the
	 * others use it.  Pinned: only a preemption between two groups
	 * makes one walk again.
	 */
	EXPECT_LE(dwalks, 2UL * writes + writes / 10);
	EXPECT_LE((unsigned long)(GROUPS - 2) * writes - writes / 10, dshared);
	for (int i = 0; i < GROUPS; i++) {
		char buf[64];

		EXPECT_EQ(-1, read(self->t.fan[i], buf, sizeof(buf)));
	}
}

/* One open file, written in three places: each group gets its writes. */
TEST_F(many, a_moved_file_is_placed_again_at_each_event)
{
	struct event_names *ev = calloc(1, sizeof(*ev));

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, tree_with_groups(&self->t));
	ASSERT_EQ(0, script(self->t.top));
	for (int i = 0; i < GROUPS; i++) {
		int in_y = 0, in_b = 0, in_z = 0, writes;

		for (int k = 0; group_roots[i][k] >= 0; k++) {
			const char *d = dirs[group_roots[i][k]];

			in_y |= !*d || !strncmp("a/x/y", d, strlen(d));
			in_b |= !*d || !strcmp(d, "b");
			in_z |= !*d || !strcmp(d, "c") || !strcmp(d, "c/z");
		}
		ASSERT_EQ(0, read_event_names(self->t.fan[i], ev));
		/*
		 * One write in each of y, b and z: events of different
		 * directories never merge, so one event per place inside.
		 */
		writes = event_names_count(ev, "moving", FAN_MODIFY);
		EXPECT_EQ(in_y + in_b + in_z, writes) TH_LOG("group %d (%s)", i,
							     group_filter(i));
	}
	free(ev);
}

/* Create and write the files f0 to f<@n - 1> in the directory @dir_fd. */
static int write_files(int dir_fd, int n)
{
	for (int i = 0; i < n; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "f%d", i);
		fd = openat(dir_fd, name, O_WRONLY | O_CREAT, 0644);
		if (fd < 0 || write(fd, "x", 1) != 1)
			return -1;
		close(fd);
	}
	return 0;
}

struct storm {
	char a[PATH_MAX], a2[PATH_MAX], c[PATH_MAX], c2[PATH_MAX];
	atomic_int stop;
	long renames;
};

/*
 * Rename a/x and c/z back and forth: no directory leaves its subtree, so
 * every answer stays the same; this checks the walks under renames (the
 * records made, dropped and made again), not which record is used: that
 * is a_walk_recorded_before_a_rename_is_not_used_after_it.
 */
static void *rename_storm(void *arg)
{
	struct storm *s = arg;

	pin_to(1);
	while (!s->stop) {
		if (rename(s->a, s->a2) || rename(s->a2, s->a) ||
		    rename(s->c, s->c2) || rename(s->c2, s->c))
			return (void *)1;
		s->renames++;
	}
	return NULL;
}

static long count_modify(int fan)
{
	__u64 buf[1024];
	long n = 0;
	ssize_t len;

	while ((len = read(fan, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *md = (void *)buf;

		for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
			if (md->mask & FAN_Q_OVERFLOW)
				return -1;
			n += !!(md->mask & FAN_MODIFY);
		}
	}
	return len < 0 && errno == EAGAIN ? n : -1;
}

/* Whether group @i has a root at or above a/x/y. */
static int group_sees_y(int i)
{
	for (int k = 0; group_roots[i][k] >= 0; k++) {
		const char *d = dirs[group_roots[i][k]];

		if (!*d || !strncmp("a/x/y", d, strlen(d)))
			return 1;
	}
	return 0;
}

/*
 * The storms below take seconds on a test kernel and minutes on the debug
 * kernel (KASAN, lockdep) under TCG: past the harness's default 30 s.
 */
#define MANY_STORM_TIMEOUT	900

TEST_F_TIMEOUT(many, rename_storm_changes_no_group_s_answer,
	       MANY_STORM_TIMEOUT)
{
	struct storm s = { 0 };
	char path[PATH_MAX];
	pthread_t thread;
	void *status;
	int y;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, tree_with_groups(&self->t));
	snprintf(s.a, sizeof(s.a), "%s/a/x", self->t.top);
	snprintf(s.a2, sizeof(s.a2), "%s/a/x2", self->t.top);
	snprintf(s.c, sizeof(s.c), "%s/c/z", self->t.top);
	snprintf(s.c2, sizeof(s.c2), "%s/c/z2", self->t.top);
	snprintf(path, sizeof(path), "%s/a/x/y", self->t.top);
	y = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, y);
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, rename_storm, &s));
	EXPECT_EQ(0, write_files(y, STORM_FILES));
	s.stop = 1;
	ASSERT_EQ(0, pthread_join(thread, &status));
	ASSERT_EQ(NULL, status);
	close(y);
	TH_LOG("%ld rename round trips during the writes", s.renames);
	EXPECT_LT(0, s.renames);
	for (int i = 0; i < GROUPS; i++) {
		EXPECT_EQ(group_sees_y(i) ? STORM_FILES : 0,
			  count_modify(self->t.fan[i])) TH_LOG("group %d (%s)", i,
							     group_filter(i));
	}
}

struct churn {
	int *fans;
	int nr;
	int root_fd;
	atomic_int stop;
	long cycles;
	int error;
};

/* Attach and detach filters on other groups, as fast as it goes. */
static void *churn_filters(void *arg)
{
	struct churn *c = arg;

	pin_to(1);
	while (!c->stop) {
		for (int i = 0; i < c->nr; i++) {
			if (attach_roots(c->fans[i], i % 2 ? "subtree_c" :
					 "subtree", c->root_fd) ||
			    filter_detach(c->fans[i]))
				c->error = errno ? errno : -1;
		}
		c->cycles++;
	}
	return NULL;
}

TEST_F_TIMEOUT(many, filters_attached_and_detached_meanwhile_change_nothing,
	       MANY_STORM_TIMEOUT)
{
	struct churn c = { 0 };
	int churned[GROUPS], y;
	char path[PATH_MAX];
	pthread_t thread;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, tree_with_groups(&self->t));
	for (int i = 0; i < GROUPS; i++) {
		churned[i] = dfid_name_group(self->t.fs.root, FAN_MODIFY);
		ASSERT_LE(0, churned[i]);
	}
	snprintf(path, sizeof(path), "%s/b", self->t.top);
	c.root_fd = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, c.root_fd);
	c.fans = churned;
	c.nr = GROUPS;
	snprintf(path, sizeof(path), "%s/a/x/y", self->t.top);
	y = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, y);
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_filters, &c));
	/* Read the churned groups as we go: they get events too. */
	for (int i = 0; i < STORM_FILES; i += 100) {
		char sub[32];
		int d;

		snprintf(sub, sizeof(sub), "batch%d", i / 100);
		ASSERT_EQ(0, mkdirat(y, sub, 0755));
		d = openat(y, sub, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, d);
		EXPECT_EQ(0, write_files(d, 100));
		close(d);
		for (int k = 0; k < GROUPS; k++)
			EXPECT_LE(0, count_modify(churned[k]));
	}
	c.stop = 1;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	close(y);
	close(c.root_fd);
	TH_LOG("%ld attach-detach cycles of %d groups", c.cycles, GROUPS);
	EXPECT_EQ(0, c.error);
	EXPECT_LT(0, c.cycles);
	for (int i = 0; i < GROUPS; i++) {
		EXPECT_EQ(group_sees_y(i) ? STORM_FILES : 0,
			  count_modify(self->t.fan[i])) TH_LOG("group %d", i);
		EXPECT_LE(0, count_modify(churned[i]));
		close(churned[i]);
	}
}

/*
 * A record made before a rename is not used after it.  Two pre-content
 * groups and two content groups on A/ and B/, all with subtree filters,
 * get FAN_OPEN_PERM for A/f; the second pre-content group's filter
 * records the walk, then its listener moves f to B/ before it answers.
 * The content groups' filters run after the rename: each must place f in
 * B/, as its own walk would, not in A/ as the record said.
 */
struct perm_groups {
	int pre[2], ca, cb;
	char from[PATH_MAX], to[PATH_MAX];
	int pre_answered, ca_got, cb_got, error;
	atomic_int done;
};

static int subtree_perm_group(const char *path, unsigned int class,
			      const char *root)
{
	int fan = fanotify_init(class | FAN_CLOEXEC, O_RDONLY), fd, ret;

	if (fan < 0)
		return -1;
	fd = open(root, O_RDONLY | O_DIRECTORY);
	ret = fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			    FAN_OPEN_PERM, AT_FDCWD, path) ||
	      fd < 0 || attach_roots(fan, group_filter(0), fd);
	if (fd >= 0)
		close(fd);
	if (ret) {
		close(fan);
		return -1;
	}
	return fan;
}

/* Allow what @fan asks, after moving the file if @move; count in @n. */
static void perm_answer(struct perm_groups *g, int fan, int *n, int move)
{
	__u64 buf[512];
	ssize_t len = read(fan, buf, sizeof(buf));
	struct fanotify_event_metadata *md = (void *)buf;

	for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
		struct fanotify_response r = {
			.fd = md->fd, .response = FAN_ALLOW,
		};

		(*n)++;
		if (move && rename(g->from, g->to))
			g->error = errno;
		if (write(fan, &r, sizeof(r)) != sizeof(r))
			g->error = errno;
		close(md->fd);
	}
}

static void *perm_listener(void *arg)
{
	struct perm_groups *g = arg;
	struct pollfd p[4] = {
		{ .fd = g->pre[0], .events = POLLIN },
		{ .fd = g->pre[1], .events = POLLIN },
		{ .fd = g->ca, .events = POLLIN },
		{ .fd = g->cb, .events = POLLIN },
	};

	pin_to(1);
	/* Until the open returned: a slow guest must not leave one unanswered. */
	while (!g->done) {
		if (poll(p, 4, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				/* The second question: move f, then answer. */
				perm_answer(g, p[i].fd, &g->pre_answered,
					    g->pre_answered == 1);
		if (p[2].revents & POLLIN)
			perm_answer(g, g->ca, &g->ca_got, 0);
		if (p[3].revents & POLLIN)
			perm_answer(g, g->cb, &g->cb_got, 0);
	}
	return NULL;
}

TEST_F(many, a_walk_recorded_before_a_rename_is_not_used_after_it)
{
	struct perm_groups g = { .pre = { -1, -1 }, .ca = -1, .cb = -1 };
	unsigned long walks, shared, dwalks, dshared;
	char a[PATH_MAX], b[PATH_MAX];
	pthread_t thread;
	int fd;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, make_tree(&self->t, 0));
	snprintf(a, sizeof(a), "%s/a", self->t.top);
	snprintf(b, sizeof(b), "%s/b", self->t.top);
	snprintf(g.from, sizeof(g.from), "%s/f", a);
	snprintf(g.to, sizeof(g.to), "%s/f", b);
	fd = open(g.from, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, pin_to(0));
	for (int i = 0; i < 2; i++) {
		g.pre[i] = subtree_perm_group(self->t.fs.root,
					      FAN_CLASS_PRE_CONTENT, self->t.top);
		ASSERT_LE(0, g.pre[i]);
	}
	g.ca = subtree_perm_group(self->t.fs.root, FAN_CLASS_CONTENT, a);
	ASSERT_LE(0, g.ca);
	g.cb = subtree_perm_group(self->t.fs.root, FAN_CLASS_CONTENT, b);
	ASSERT_LE(0, g.cb);
	ASSERT_EQ(0, pthread_create(&thread, NULL, perm_listener, &g));
	walks = locate_stat("walks");
	shared = locate_stat("shared");
	fd = open(g.from, O_RDONLY);
	dwalks = locate_stat("walks") - walks;
	dshared = locate_stat("shared") - shared;
	g.done = 1;
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	for (int i = 0; i < 2; i++)
		close(g.pre[i]);
	close(g.ca);
	close(g.cb);
	EXPECT_EQ(0, g.error);
	EXPECT_EQ(2, g.pre_answered);
	EXPECT_EQ(0, access(g.to, F_OK));
	/* Placed where f was when each content group's filter ran: in B/. */
	EXPECT_EQ(0, g.ca_got);
	EXPECT_EQ(1, g.cb_got);
	/*
	 * Four placements: the first pre-content group walked alone, the
	 * second recorded, and the first content group recorded again after
	 * the rename; the second used that record, or recorded once more if
	 * the first (in group order) waited for its answer meanwhile.
	 */
	EXPECT_EQ(4UL, dwalks + dshared);
	EXPECT_LE(3UL, dwalks);
}

TEST_HARNESS_MAIN
