// SPDX-License-Identifier: GPL-2.0
/*
 * The "name" filter: exact names, prefixes and suffixes, to send only the
 * matching names or to exclude them; names of directory-entry events and
 * of events on open files; a rename takes effect at once; every limit of
 * the args at, below and above its bound.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

FIXTURE(name) {
	struct test_fs fs;
	int fan_fd;
};

FIXTURE_SETUP(name)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_CREATE);
	ASSERT_LE(0, self->fan_fd);
}

FIXTURE_TEARDOWN(name)
{
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

/* Create each of @names in @dir; 0 on success. */
static int create_all(const char *dir, const char *const *names, int nr)
{
	for (int i = 0; i < nr; i++)
		if (touch_write(dir, names[i]))
			return -1;
	return 0;
}

static const char *const files[] = {
	"Makefile", "Makefile.bak", "libfoo.a", "x.so", "so", "other.txt",
	"a.o", ".#lock",
};

TEST_F(name, include_exact_prefix_suffix)
{
	static struct name_args a;
	struct event_names ev;

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_EXACT, "Makefile");
	name_args_add(&a, FAN_NAME_PREFIX, "lib");
	name_args_add(&a, FAN_NAME_SUFFIX, ".so");
	ASSERT_EQ(0, attach_names(self->fan_fd, &a));
	ASSERT_EQ(0, create_all(self->fs.in, files, 8));
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(3, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, "Makefile", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "libfoo.a", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "x.so", FAN_CREATE));
}

TEST_F(name, exclude_sends_the_others)
{
	static struct name_args a;
	struct event_names ev;

	name_args_init(&a, FAN_NAME_EXCLUDE);
	name_args_add(&a, FAN_NAME_SUFFIX, ".o");
	name_args_add(&a, FAN_NAME_PREFIX, ".#");
	name_args_add(&a, FAN_NAME_SUFFIX, ".bak");
	ASSERT_EQ(0, attach_names(self->fan_fd, &a));
	ASSERT_EQ(0, create_all(self->fs.in, files, 8));
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(5, ev.nr);
	EXPECT_EQ(0, event_names_count(&ev, "a.o", FAN_CREATE));
	EXPECT_EQ(0, event_names_count(&ev, ".#lock", FAN_CREATE));
	EXPECT_EQ(0, event_names_count(&ev, "Makefile.bak", FAN_CREATE));
	EXPECT_EQ(1, event_names_count(&ev, "so", FAN_CREATE));
}

/* Events on open files carry no entry name: the dentry's name is used. */
TEST_F(name, file_events_use_current_name)
{
	static struct name_args a;
	struct event_paths ev;
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, self->fs.root));
	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_SUFFIX, ".log");
	ASSERT_EQ(0, attach_names(fd, &a));
	ASSERT_EQ(0, touch_write(self->fs.in, "a.log"));
	ASSERT_EQ(0, touch_write(self->fs.in, "b.txt"));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "a.log"));

	/* Renamed away from the pattern: no longer matches. */
	snprintf(from, sizeof(from), "%s/a.log", self->fs.in);
	snprintf(to, sizeof(to), "%s/a.txt", self->fs.in);
	ASSERT_EQ(0, rename(from, to));
	ASSERT_EQ(0, touch_write(self->fs.in, "a.txt"));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(0, ev.nr);
	close(fd);
}

TEST_F(name, longest_name_and_most_patterns)
{
	static struct name_args a;
	struct event_names ev;
	char longest[256];

	memset(longest, 'n', 255);
	longest[255] = '\0';
	name_args_init(&a, 0);
	for (int i = 0; i < FAN_NAME_MAX_PATTERNS - 1; i++)
		name_args_add(&a, FAN_NAME_EXACT, "no-such-file");
	name_args_add(&a, FAN_NAME_EXACT, longest);
	ASSERT_EQ(FAN_NAME_MAX_PATTERNS, (int)a.hdr.nr_patterns);
	ASSERT_EQ(0, attach_names(self->fan_fd, &a));
	ASSERT_EQ(0, touch_write(self->fs.in, longest));
	ASSERT_EQ(0, touch_write(self->fs.in, "other"));
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, longest, FAN_CREATE));
}

TEST_F(name, bad_args_einval)
{
	static struct name_args a;

	name_args_init(&a, 0);
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "no pattern");

	name_args_init(&a, 0);
	for (int i = 0; i < FAN_NAME_MAX_PATTERNS + 1; i++)
		name_args_add(&a, FAN_NAME_EXACT, "x");
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "one pattern too many");

	name_args_init(&a, 0);
	name_args_add_len(&a, FAN_NAME_EXACT, "", 0);
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "empty pattern");

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_PREFIX, "a/b");
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "'/' in a pattern");

	name_args_init(&a, 0);
	name_args_add_len(&a, FAN_NAME_PREFIX, "a\0b", 3);
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "NUL in a pattern");

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_SUFFIX + 1, "x");
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "unknown kind");

	name_args_init(&a, 0);
	name_args_add(&a, 0, "x");
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "kind 0");

	name_args_init(&a, 0x2);
	name_args_add(&a, FAN_NAME_EXACT, "x");
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "unknown flag");

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_EXACT, "x");
	a.hdr.zero = 1;
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "reserved field set");

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_EXACT, "x");
	a.hdr.version = FAN_NAME_ARGS_VERSION + 1;
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "unknown version");

	name_args_init(&a, 0);
	name_args_add(&a, FAN_NAME_EXACT, "xyz");
	a.size--;
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "truncated pattern");
	a.size += 2;
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "trailing byte");

	a.size = sizeof(a.hdr) - 1;
	expect_attach_einval(_metadata, self->fan_fd, "name", a.bytes, a.size,
			     "short header");
}

TEST_HARNESS_MAIN
