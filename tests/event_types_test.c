// SPDX-License-Identifier: GPL-2.0
/*
 * The filters that look at where an event is and what it is about, event
 * type by event type: the directory-entry events (create, delete, both
 * halves of a move and FAN_RENAME, which names the old and the new place),
 * self events, which name no place, and attribute changes.  A rename is
 * about both of its places and both of its names: a filter that looks at
 * one of them only loses events.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

FIXTURE(event_types) {
	struct test_fs fs;
	int in_fd;
	int fan_fd;
	struct fid_events *ev;
};

FIXTURE_SETUP(event_types)
{
	self->fan_fd = -1;
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
	self->ev = calloc(1, sizeof(*self->ev));
	ASSERT_NE(NULL, self->ev);
}

FIXTURE_TEARDOWN(event_types)
{
	free(self->ev);
	if (self->fan_fd >= 0)
		close(self->fan_fd);
	close(self->in_fd);
	test_fs_teardown(&self->fs);
}

/* rename(@from_dir/@from, @to_dir/@to) */
static int move(const char *from_dir, const char *from, const char *to_dir,
		const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s/%s", from_dir, from);
	snprintf(b, sizeof(b), "%s/%s", to_dir, to);
	return rename(a, b);
}

static int make_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return mkdir(path, 0755);
}

#define MOVES (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_ONDIR)

/*
 * Moved from in/ to out/: FAN_RENAME (whose old place is in/) and
 * FAN_MOVED_FROM arrive, FAN_MOVED_TO (into out/) does not.  The moved
 * dentry is already under out/ when the events are raised.
 */
TEST_F(event_types, subtree_move_out_of_root_sends_rename_and_moved_from)
{
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	ASSERT_EQ(0, make_dir(self->fs.in, "d"));
	self->fan_fd = dfid_name_group(self->fs.root, MOVES);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, move(self->fs.in, "f", self->fs.out, "f"));
	ASSERT_EQ(0, move(self->fs.in, "d", self->fs.out, "d"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_renames(self->ev, "f", "f"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "d", "d"));
	EXPECT_EQ(1, fid_events_count(self->ev, "f", FAN_MOVED_FROM));
	EXPECT_EQ(1, fid_events_count(self->ev, "d", FAN_MOVED_FROM | FAN_ONDIR));
	EXPECT_EQ(0, fid_events_count(self->ev, "f", FAN_MOVED_TO));
	EXPECT_EQ(0, fid_events_count(self->ev, "d", FAN_MOVED_TO));
	EXPECT_EQ(4, self->ev->nr);
}

/* Moved from out/ into in/: FAN_RENAME and FAN_MOVED_TO arrive. */
TEST_F(event_types, subtree_move_into_root_sends_rename_and_moved_to)
{
	ASSERT_EQ(0, touch_write(self->fs.out, "g"));
	ASSERT_EQ(0, make_dir(self->fs.out, "e"));
	self->fan_fd = dfid_name_group(self->fs.root, MOVES);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, move(self->fs.out, "g", self->fs.in, "g"));
	ASSERT_EQ(0, move(self->fs.out, "e", self->fs.in, "e"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_renames(self->ev, "g", "g"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "e", "e"));
	EXPECT_EQ(1, fid_events_count(self->ev, "g", FAN_MOVED_TO));
	EXPECT_EQ(1, fid_events_count(self->ev, "e", FAN_MOVED_TO | FAN_ONDIR));
	EXPECT_EQ(0, fid_events_count(self->ev, "g", FAN_MOVED_FROM));
	EXPECT_EQ(0, fid_events_count(self->ev, "e", FAN_MOVED_FROM));
	EXPECT_EQ(4, self->ev->nr);
}

/* A move within out/ sends nothing; the same move within in/ everything. */
TEST_F(event_types, subtree_move_beside_root_sends_nothing)
{
	ASSERT_EQ(0, touch_write(self->fs.out, "a"));
	ASSERT_EQ(0, touch_write(self->fs.in, "x"));
	self->fan_fd = dfid_name_group(self->fs.root, MOVES);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, move(self->fs.out, "a", self->fs.out, "b"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(0, self->ev->nr);

	ASSERT_EQ(0, move(self->fs.in, "x", self->fs.in, "y"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_renames(self->ev, "x", "y"));
	EXPECT_EQ(1, fid_events_count(self->ev, "x", FAN_MOVED_FROM));
	EXPECT_EQ(1, fid_events_count(self->ev, "y", FAN_MOVED_TO));
	EXPECT_EQ(3, self->ev->nr);
}

/* Creations and deletions, of files and of directories (FAN_ONDIR). */
TEST_F(event_types, subtree_create_and_delete_follow_the_parent)
{
	char path[PATH_MAX];

	self->fan_fd = dfid_name_group(self->fs.root, FAN_CREATE | FAN_DELETE |
				       FAN_ONDIR);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, make_dir(self->fs.in, "d"));
	ASSERT_EQ(0, make_dir(self->fs.out, "od"));
	ASSERT_EQ(0, touch_write(self->fs.in, "c"));
	ASSERT_EQ(0, touch_write(self->fs.out, "oc"));
	snprintf(path, sizeof(path), "%s/d", self->fs.in);
	ASSERT_EQ(0, rmdir(path));
	snprintf(path, sizeof(path), "%s/od", self->fs.out);
	ASSERT_EQ(0, rmdir(path));
	snprintf(path, sizeof(path), "%s/c", self->fs.in);
	ASSERT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/oc", self->fs.out);
	ASSERT_EQ(0, unlink(path));

	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	/* Events on one name merge: count names with each bit. */
	EXPECT_EQ(1, fid_events_count(self->ev, "d", FAN_CREATE | FAN_ONDIR));
	EXPECT_EQ(1, fid_events_count(self->ev, "d", FAN_DELETE | FAN_ONDIR));
	EXPECT_EQ(1, fid_events_count(self->ev, "c", FAN_CREATE));
	EXPECT_EQ(1, fid_events_count(self->ev, "c", FAN_DELETE));
	EXPECT_EQ(0, fid_events_count(self->ev, "c", FAN_ONDIR));
	EXPECT_EQ(0, fid_events_count(self->ev, "od", 0));
	EXPECT_EQ(0, fid_events_count(self->ev, "oc", 0));
}

/*
 * FAN_MOVE_SELF names no place: the inode has already moved to out/, and
 * where it was is unknown, so the event is sent.
 */
TEST_F(event_types, subtree_move_self_is_sent)
{
	struct file_handle *fh;
	char path[PATH_MAX];

	ASSERT_EQ(0, touch_write(self->fs.in, "m"));
	snprintf(path, sizeof(path), "%s/m", self->fs.in);
	fh = path_handle(path);
	ASSERT_NE(NULL, fh);
	self->fan_fd = fs_group(self->fs.root, FAN_REPORT_DFID_NAME |
				FAN_REPORT_FID, FAN_MOVE_SELF);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, move(self->fs.in, "m", self->fs.out, "m"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_count_fid(self->ev, fh, FAN_MOVE_SELF));
	free(fh);
}

/* FAN_DELETE_SELF of a file unlinked in in/ arrives. */
TEST_F(event_types, subtree_delete_self_is_sent)
{
	struct file_handle *fh;
	char path[PATH_MAX];

	ASSERT_EQ(0, touch_write(self->fs.in, "x"));
	snprintf(path, sizeof(path), "%s/x", self->fs.in);
	fh = path_handle(path);
	ASSERT_NE(NULL, fh);
	self->fan_fd = fs_group(self->fs.root, FAN_REPORT_DFID_NAME |
				FAN_REPORT_FID, FAN_DELETE_SELF);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_count_fid(self->ev, fh, FAN_DELETE_SELF));
	free(fh);
}

/* FAN_ATTRIB (chmod) of in/ax arrives, of out/bx does not. */
TEST_F(event_types, subtree_attrib_follows_the_place)
{
	char path[PATH_MAX];

	ASSERT_EQ(0, touch_write(self->fs.in, "ax"));
	ASSERT_EQ(0, touch_write(self->fs.out, "bx"));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_ATTRIB);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, attach_subtree(self->fan_fd, self->in_fd));

	snprintf(path, sizeof(path), "%s/ax", self->fs.in);
	ASSERT_EQ(0, chmod(path, 0600));
	snprintf(path, sizeof(path), "%s/bx", self->fs.out);
	ASSERT_EQ(0, chmod(path, 0600));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_count(self->ev, "ax", FAN_ATTRIB));
	EXPECT_EQ(0, fid_events_count(self->ev, "bx", 0));
	EXPECT_EQ(1, self->ev->nr);
}

/* "name", exact keep.txt: a rename from or to that name is sent. */
TEST_F(event_types, name_include_matches_either_name_of_a_rename)
{
	struct name_args a;

	ASSERT_EQ(0, touch_write(self->fs.in, "keep.txt"));
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.in, "c"));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_RENAME);
	ASSERT_LE(0, self->fan_fd);
	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_EXACT, "keep.txt");
	ASSERT_EQ(0, attach_names(self->fan_fd, &a));

	ASSERT_EQ(0, move(self->fs.in, "keep.txt", self->fs.in, "other"));
	ASSERT_EQ(0, move(self->fs.in, "a", self->fs.in, "keep.txt"));
	ASSERT_EQ(0, move(self->fs.in, "c", self->fs.in, "b"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_renames(self->ev, "keep.txt", "other"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "a", "keep.txt"));
	EXPECT_EQ(0, fid_events_renames(self->ev, "c", "b"));
	EXPECT_EQ(2, self->ev->nr);
}

/* "name", excluding *.tmp: a rename is skipped only if both names match. */
TEST_F(event_types, name_exclude_skips_a_rename_only_if_both_names_match)
{
	struct name_args a;

	ASSERT_EQ(0, touch_write(self->fs.in, "w.tmp"));
	ASSERT_EQ(0, touch_write(self->fs.in, "x.tmp"));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_RENAME);
	ASSERT_LE(0, self->fan_fd);
	name_args_init(&a, FAN_NAME_EXCLUDE);
	name_args_add(&a, FAN_NAME_SUFFIX, ".tmp");
	ASSERT_EQ(0, attach_names(self->fan_fd, &a));

	ASSERT_EQ(0, move(self->fs.in, "w.tmp", self->fs.in, "y.tmp"));
	ASSERT_EQ(0, move(self->fs.in, "x.tmp", self->fs.in, "x.txt"));
	ASSERT_EQ(0, move(self->fs.in, "x.txt", self->fs.in, "z.tmp"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(0, fid_events_renames(self->ev, "w.tmp", "y.tmp"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "x.tmp", "x.txt"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "x.txt", "z.tmp"));
	EXPECT_EQ(2, self->ev->nr);
}

/* "kind": FAN_RENAME of a directory is a directory event. */
TEST_F(event_types, kind_sends_renames_of_its_kind_only)
{
	ASSERT_EQ(0, make_dir(self->fs.in, "d"));
	ASSERT_EQ(0, touch_write(self->fs.in, "f"));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_RENAME | FAN_ONDIR);
	ASSERT_LE(0, self->fan_fd);

	ASSERT_EQ(0, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION,
				 FAN_KIND_DIRECTORIES));
	ASSERT_EQ(0, move(self->fs.in, "d", self->fs.in, "d2"));
	ASSERT_EQ(0, move(self->fs.in, "f", self->fs.in, "f2"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(1, fid_events_renames(self->ev, "d", "d2"));
	EXPECT_EQ(0, fid_events_renames(self->ev, "f", "f2"));
	ASSERT_EQ(1, self->ev->nr);
	EXPECT_TRUE((self->ev->ev[0].mask & FAN_ONDIR) != 0);

	ASSERT_EQ(0, filter_detach(self->fan_fd));
	ASSERT_EQ(0, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION,
				 FAN_KIND_NON_DIRECTORIES));
	ASSERT_EQ(0, move(self->fs.in, "d2", self->fs.in, "d3"));
	ASSERT_EQ(0, move(self->fs.in, "f2", self->fs.in, "f3"));
	ASSERT_EQ(0, read_fid_events(self->fan_fd, self->ev));
	EXPECT_EQ(0, fid_events_renames(self->ev, "d2", "d3"));
	EXPECT_EQ(1, fid_events_renames(self->ev, "f2", "f3"));
	EXPECT_EQ(1, self->ev->nr);
}

TEST_HARNESS_MAIN
