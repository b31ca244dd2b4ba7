// SPDX-License-Identifier: GPL-2.0
/*
 * The "policy" filter: subtree, kind, name and actor in one attachment,
 * all of which must send an event ("files ending in .so under in/, not
 * from process X"); pruned directories, renames out of and into them;
 * reconfiguration; malformed sections.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

struct policy_args {
	__u32 size;
	union {
		struct fan_policy_args hdr;
		__u8 bytes[4096];
	};
};

static void policy_init(struct policy_args *p)
{
	memset(p, 0, sizeof(*p));
	p->hdr.version = FAN_POLICY_ARGS_VERSION;
	p->size = sizeof(p->hdr);
}

/* Append a section of @size bytes of @args, zero-padded to 4 bytes. */
static void policy_add(struct policy_args *p, __u32 type, const void *args,
		       __u32 size)
{
	struct fan_policy_section sec = { .type = type, .size = size };

	memcpy(p->bytes + p->size, &sec, sizeof(sec));
	p->size += sizeof(sec);
	memcpy(p->bytes + p->size, args, size);
	p->size += (size + 3) & ~3u;
	p->hdr.nr_sections++;
}

/* A section of @type (subtree or prune) with the one directory @dir_fd. */
static void policy_add_dir(struct policy_args *p, __u32 type, int dir_fd)
{
	struct {
		struct fan_subtree_args a;
		__s32 fd;
	} s = { { FAN_SUBTREE_ARGS_VERSION, 1 }, dir_fd };

	policy_add(p, type, &s, sizeof(s));
}

static void policy_add_subtree(struct policy_args *p, int dir_fd)
{
	policy_add_dir(p, FAN_POLICY_SUBTREE, dir_fd);
}

/* A name section with one pattern (5 + strlen(@pattern) bytes: padded). */
static void policy_add_name(struct policy_args *p, __u8 kind,
			    const char *pattern)
{
	__u8 buf[sizeof(struct fan_name_args) + 2 + NAME_MAX];
	struct fan_name_args hdr = {
		.version = FAN_NAME_ARGS_VERSION,
		.nr_patterns = 1,
	};
	size_t len = strlen(pattern);

	memcpy(buf, &hdr, sizeof(hdr));
	buf[sizeof(hdr)] = kind;
	buf[sizeof(hdr) + 1] = len;
	memcpy(buf + sizeof(hdr) + 2, pattern, len);
	policy_add(p, FAN_POLICY_NAME, buf, sizeof(hdr) + 2 + len);
}

static void policy_add_kind(struct policy_args *p, __u32 kind)
{
	struct fan_kind_args k = { FAN_KIND_ARGS_VERSION, kind };

	policy_add(p, FAN_POLICY_KIND, &k, sizeof(k));
}

static void policy_add_exclude_tgid(struct policy_args *p, pid_t tgid)
{
	struct {
		struct fan_actor_args a;
		__u32 tgid;
	} a = { { FAN_ACTOR_ARGS_VERSION, FAN_ACTOR_EXCLUDE, 1, 0 }, tgid };

	policy_add(p, FAN_POLICY_ACTOR, &a, sizeof(a));
}

FIXTURE(policy) {
	struct test_fs fs;
	int fan_fd, in_fd;
};

FIXTURE_SETUP(policy)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
	self->fan_fd = dfid_name_group(self->fs.root, FAN_CREATE | FAN_ONDIR);
	ASSERT_LE(0, self->fan_fd);
}

FIXTURE_TEARDOWN(policy)
{
	close(self->fan_fd);
	close(self->in_fd);
	test_fs_teardown(&self->fs);
}

static int attach_policy(int fan_fd, const struct policy_args *p)
{
	return filter_attach(fan_fd, "policy", p->bytes, p->size);
}

/* Create @dir/@name in a child process; returns the child's pid. */
static pid_t create_in_child(const char *dir, const char *name)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(touch_write(dir, name) ? 1 : 0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

TEST_F(policy, so_files_under_in_not_from_x)
{
	static struct policy_args p;
	struct event_names ev;
	char dir[PATH_MAX];
	pid_t x;

	/* Process X exists before the attach, so its tgid is known. */
	int go[2];

	ASSERT_EQ(0, pipe(go));
	x = fork();
	ASSERT_LE(0, x);
	if (x == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(touch_write(self->fs.in, "fromx.so") ? 1 : 0);
	}
	close(go[0]);

	policy_init(&p);
	policy_add_subtree(&p, self->in_fd);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".so");
	policy_add_exclude_tgid(&p, x);
	policy_add_kind(&p, FAN_KIND_NON_DIRECTORIES);
	ASSERT_EQ(0, attach_policy(self->fan_fd, &p));

	ASSERT_EQ(0, touch_write(self->fs.in, "a.so"));	/* sent */
	ASSERT_EQ(0, touch_write(self->fs.in, "b.txt"));	/* name */
	ASSERT_EQ(0, touch_write(self->fs.out, "c.so"));	/* subtree */
	snprintf(dir, sizeof(dir), "%s/d.so", self->fs.in);
	ASSERT_EQ(0, mkdir(dir, 0755));				/* kind */
	ASSERT_EQ(1, write(go[1], "g", 1));			/* actor */
	ASSERT_EQ(x, waitpid(x, NULL, 0));
	ASSERT_LT(0, create_in_child(self->fs.in, "e.so"));	/* sent */
	close(go[1]);

	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "a.so", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "e.so", FAN_CREATE));
}

static int mkdir_in(const char *dir, const char *name, char *path)
{
	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	return mkdir(path, 0755);
}

/* in/ is watched, in/.git/ and all below it is dropped, out/ too. */
TEST_F(policy, prune_drops_pruned_subtrees)
{
	static struct policy_args p;
	char git[PATH_MAX], deep[PATH_MAX], deeper[PATH_MAX];
	struct event_names ev;
	int git_fd;

	ASSERT_EQ(0, mkdir_in(self->fs.in, ".git", git));
	ASSERT_EQ(0, mkdir_in(git, "objects", deep));
	git_fd = open(git, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, git_fd);
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));	/* the setup's */
	policy_init(&p);
	policy_add_subtree(&p, self->in_fd);
	policy_add_dir(&p, FAN_POLICY_PRUNE, git_fd);
	ASSERT_EQ(0, attach_policy(self->fan_fd, &p));
	close(git_fd);

	ASSERT_EQ(0, touch_write(self->fs.in, "kept"));
	ASSERT_EQ(0, touch_write(git, "index"));
	ASSERT_EQ(0, touch_write(deep, "pack"));
	ASSERT_EQ(0, mkdir_in(deep, "ab", deeper));
	ASSERT_EQ(0, mkdir_in(self->fs.in, ".gitx", git));
	ASSERT_EQ(0, touch_write(self->fs.out, "outside"));

	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "kept", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, ".gitx", FAN_CREATE));
}

/*
 * A rename is dropped only if both its places are pruned; moved from and
 * moved to are placed by their own directory.
 */
TEST_F(policy, prune_keeps_renames_out_and_in)
{
	static struct policy_args p;
	char git[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct event_names ev;
	int fan_fd, git_fd;

	fan_fd = dfid_name_group(self->fs.root, FAN_CREATE | FAN_RENAME |
				 FAN_MOVED_FROM | FAN_MOVED_TO);
	ASSERT_LE(0, fan_fd);
	ASSERT_EQ(0, mkdir_in(self->fs.in, ".git", git));
	ASSERT_EQ(0, touch_write(git, "x"));
	ASSERT_EQ(0, touch_write(git, "p"));
	ASSERT_EQ(0, touch_write(self->fs.in, "z"));
	git_fd = open(git, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, git_fd);
	ASSERT_EQ(0, read_event_names(fan_fd, &ev));	/* the setup's */
	policy_init(&p);
	policy_add_dir(&p, FAN_POLICY_PRUNE, git_fd);
	ASSERT_EQ(0, attach_policy(fan_fd, &p));
	close(git_fd);

	/* Out of the pruned directory: the rename and moved to are sent. */
	snprintf(from, sizeof(from), "%s/x", git);
	snprintf(to, sizeof(to), "%s/y", self->fs.in);
	ASSERT_EQ(0, rename(from, to));
	/* Within it: nothing. */
	snprintf(from, sizeof(from), "%s/p", git);
	snprintf(to, sizeof(to), "%s/q", git);
	ASSERT_EQ(0, rename(from, to));
	/* Into it: the rename and moved from are sent. */
	snprintf(from, sizeof(from), "%s/z", self->fs.in);
	snprintf(to, sizeof(to), "%s/z2", git);
	ASSERT_EQ(0, rename(from, to));
	ASSERT_EQ(0, touch_write(git, "f"));
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));

	ASSERT_EQ(0, read_event_names(fan_fd, &ev));
	EXPECT_EQ(5, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "x", FAN_RENAME));
	EXPECT_EQ(0, event_names_count(&ev, "x", FAN_MOVED_FROM));
	EXPECT_EQ(1, event_names_count(&ev, "y", FAN_MOVED_TO));
	EXPECT_EQ(0, event_names_count(&ev, "p", ~0ULL));
	EXPECT_EQ(0, event_names_count(&ev, "q", ~0ULL));
	EXPECT_EQ(1, event_names_count(&ev, "z", FAN_RENAME));
	EXPECT_EQ(1, event_names_count(&ev, "z", FAN_MOVED_FROM));
	EXPECT_EQ(0, event_names_count(&ev, "z2", ~0ULL));
	EXPECT_EQ(1, event_names_count(&ev, "f", FAN_CREATE));
	close(fan_fd);
}

/* Events of each type, for a group that reports only file handles. */
struct type_counts {
	int attrib, move_self;
};

static void count_types(const struct fanotify_event_metadata *md, void *ctx)
{
	struct type_counts *c = ctx;

	c->attrib += !!(md->mask & FAN_ATTRIB);
	c->move_self += !!(md->mask & FAN_MOVE_SELF);
}

/*
 * Events about an object with another place than the one seen: a move of
 * the object itself into a pruned directory (its old place is gone), a
 * link-count change of a file with a name outside, or with a name inside
 * already unlinked but still cached (an open fd keeps it), which the walk
 * places inside if any name is.  None is dropped.
 */
TEST_F(policy, prune_keeps_moves_in_and_other_names)
{
	static struct policy_args p;
	char git[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	struct type_counts c = { 0 };
	int fan_fd, git_fd, held;

	ASSERT_EQ(0, mkdir_in(self->fs.in, ".git", git));
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.in, "bin"));
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	snprintf(from, sizeof(from), "%s/bin", self->fs.in);
	snprintf(to, sizeof(to), "%s/bin", git);
	ASSERT_EQ(0, link(from, to));
	snprintf(from, sizeof(from), "%s/f", self->fs.in);
	snprintf(to, sizeof(to), "%s/f", git);
	ASSERT_EQ(0, link(from, to));
	fan_fd = fs_group(self->fs.root, FAN_REPORT_FID,
			  FAN_ATTRIB | FAN_MOVE_SELF);
	ASSERT_LE(0, fan_fd);
	git_fd = open(git, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, git_fd);
	policy_init(&p);
	policy_add_dir(&p, FAN_POLICY_PRUNE, git_fd);
	ASSERT_EQ(0, attach_policy(fan_fd, &p));
	close(git_fd);

	/* "bin" has a name outside .git as well: a link is seen. */
	snprintf(from, sizeof(from), "%s/bin", self->fs.in);
	snprintf(to, sizeof(to), "%s/bin.2", self->fs.in);
	ASSERT_EQ(0, link(from, to));
	ASSERT_EQ(0, drain_events(fan_fd, count_types, &c));
	EXPECT_EQ(1, c.attrib);
	/* .git/f unlinked while open: its name stays cached. */
	snprintf(to, sizeof(to), "%s/f", git);
	held = open(to, O_RDONLY);
	ASSERT_LE(0, held);
	ASSERT_EQ(0, unlink(to));
	ASSERT_EQ(0, drain_events(fan_fd, count_types, &c));
	EXPECT_EQ(2, c.attrib);
	/* Its last name, outside, unlinked: seen, link count 0 or not. */
	snprintf(from, sizeof(from), "%s/f", self->fs.in);
	ASSERT_EQ(0, unlink(from));
	ASSERT_EQ(0, drain_events(fan_fd, count_types, &c));
	EXPECT_EQ(3, c.attrib);
	close(held);
	/* "a" was outside before it moved in. */
	snprintf(from, sizeof(from), "%s/a", self->fs.in);
	snprintf(to, sizeof(to), "%s/a", git);
	ASSERT_EQ(0, rename(from, to));
	ASSERT_EQ(0, drain_events(fan_fd, count_types, &c));
	EXPECT_EQ(1, c.move_self);
	close(fan_fd);
}

/* All five parts in one attachment: the largest policy there is. */
TEST_F(policy, five_parts_attach)
{
	static struct policy_args p;
	char git[PATH_MAX];
	struct event_names ev;
	int git_fd;

	ASSERT_EQ(0, mkdir_in(self->fs.in, ".git", git));
	git_fd = open(git, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, git_fd);
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));	/* the setup's */
	policy_init(&p);
	policy_add_subtree(&p, self->in_fd);
	policy_add_kind(&p, FAN_KIND_NON_DIRECTORIES);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".so");
	policy_add_exclude_tgid(&p, getppid());
	policy_add_dir(&p, FAN_POLICY_PRUNE, git_fd);
	ASSERT_EQ(5U, p.hdr.nr_sections);
	ASSERT_EQ(0, attach_policy(self->fan_fd, &p));
	close(git_fd);
	ASSERT_EQ(0, touch_write(self->fs.in, "a.so"));	/* sent */
	ASSERT_EQ(0, touch_write(git, "b.so"));		/* pruned */
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "a.so", FAN_CREATE));
}

TEST_F(policy, reconfigure_swaps_all_parts)
{
	static struct policy_args p;
	struct fanotify_filter_args fa = { .name = "policy" };
	struct event_names ev;

	policy_init(&p);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".so");
	ASSERT_EQ(0, attach_policy(self->fan_fd, &p));
	policy_init(&p);
	policy_add_subtree(&p, self->in_fd);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".txt");
	fa.args = (uintptr_t)p.bytes;
	fa.args_size = p.size;
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa));
	ASSERT_EQ(0, touch_write(self->fs.in, "a.so"));
	ASSERT_EQ(0, touch_write(self->fs.in, "b.txt"));
	ASSERT_EQ(0, touch_write(self->fs.out, "c.txt"));
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "b.txt", FAN_CREATE));
}

TEST_F(policy, bad_args_einval)
{
	static struct policy_args p;
	struct fan_policy_section *sec;

	policy_init(&p);
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "no section");

	policy_init(&p);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "duplicate section");

	policy_init(&p);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".so");
	policy_add_subtree(&p, self->in_fd);
	policy_add_exclude_tgid(&p, getpid());
	policy_add_dir(&p, FAN_POLICY_PRUNE, self->in_fd);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "six sections");

	policy_init(&p);
	policy_add_dir(&p, FAN_POLICY_PRUNE, self->in_fd);
	policy_add_dir(&p, FAN_POLICY_PRUNE, self->in_fd);
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "prune twice");

	policy_init(&p);
	policy_add_kind(&p, 3);
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "bad kind args");

	policy_init(&p);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	sec = (void *)(p.bytes + sizeof(p.hdr));
	sec->type = FAN_POLICY_PRUNE + 1;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "unknown type");

	policy_init(&p);
	policy_add_name(&p, FAN_NAME_SUFFIX, ".so");	/* 21 bytes + 3 pad */
	p.bytes[p.size - 1] = 1;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "non-zero padding");
	p.bytes[p.size - 1] = 0;
	p.size -= 1;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "padding cut short");
	p.size += 5;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "trailing bytes");

	policy_init(&p);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	sec = (void *)(p.bytes + sizeof(p.hdr));
	sec->size = 1000;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "section beyond the end");

	policy_init(&p);
	policy_add_kind(&p, FAN_KIND_DIRECTORIES);
	p.hdr.version = 2;
	expect_attach_einval(_metadata, self->fan_fd, "policy", p.bytes, p.size,
			     "unknown version");
}

TEST_HARNESS_MAIN
