// SPDX-License-Identifier: GPL-2.0
/*
 * The "kind" filter: directory events only, or non-directory events only,
 * on a group whose mark asks for both (FAN_ONDIR).  The same bodies run on
 * the series' Rust sample, "rust_dirs_only" (samples/rust/), the in-tree
 * user of kernel::fs::fanotify, whose one-byte argument 1 selects the
 * non-directories.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

FIXTURE(kind) {
	struct test_fs fs;
	int fan_fd;
};

FIXTURE_VARIANT(kind) {
	__u32 kind;
	const char *kept;
	/* NULL: "kind"; else the Rust sample's name and argument. */
	const char *sample;
	__u8 sample_arg;
	__u32 sample_arg_size;
};

FIXTURE_VARIANT_ADD(kind, directories) {
	.kind = FAN_KIND_DIRECTORIES,
	.kept = "dir",
};

FIXTURE_VARIANT_ADD(kind, non_directories) {
	.kind = FAN_KIND_NON_DIRECTORIES,
	.kept = "file",
};

FIXTURE_VARIANT_ADD(kind, rust_sample_directories) {
	.kept = "dir",
	.sample = "rust_dirs_only",
};

FIXTURE_VARIANT_ADD(kind, rust_sample_non_directories) {
	.kept = "file",
	.sample = "rust_dirs_only",
	.sample_arg = 1,
	.sample_arg_size = 1,
};

/* Attach the variant's filter. */
static int attach_variant(int fan_fd, const FIXTURE_VARIANT(kind) * variant)
{
	if (variant->sample)
		return filter_attach(fan_fd, variant->sample,
				     variant->sample_arg_size ?
				     &variant->sample_arg : NULL,
				     variant->sample_arg_size);
	return attach_kind(fan_fd, FAN_KIND_ARGS_VERSION, variant->kind);
}

FIXTURE_SETUP(kind)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	self->fan_fd = dfid_name_group(self->fs.root, FAN_CREATE | FAN_ONDIR);
	ASSERT_LE(0, self->fan_fd);
}

FIXTURE_TEARDOWN(kind)
{
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

/* Create in/dir and in/file: exactly one of the two events may arrive. */
TEST_F(kind, keeps_only_its_kind)
{
	struct event_names ev;
	char dir[PATH_MAX];

	ASSERT_EQ(0, attach_variant(self->fan_fd, variant));
	snprintf(dir, sizeof(dir), "%s/dir", self->fs.in);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, touch_write(self->fs.in, "file"));
	ASSERT_EQ(0, read_event_names(self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(1, event_names_count(&ev, variant->kept, FAN_CREATE));
}

TEST_F(kind, bad_args_einval)
{
	struct fan_kind_args a = { .version = FAN_KIND_ARGS_VERSION };
	__u8 two[2] = { 2, 1 };

	if (variant->sample) {
		/* The sample takes nothing or the one byte 1. */
		expect_attach_einval(_metadata, self->fan_fd, variant->sample,
				     two, 1, "the byte 2");
		expect_attach_einval(_metadata, self->fan_fd, variant->sample,
				     two, 2, "two bytes");
		return;
	}

	EXPECT_EQ(-1, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, attach_kind(self->fan_fd, FAN_KIND_ARGS_VERSION + 1,
				  FAN_KIND_DIRECTORIES));
	EXPECT_EQ(EINVAL, errno);
	a.kind = FAN_KIND_DIRECTORIES;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "kind", &a, sizeof(a) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "kind", NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

TEST_HARNESS_MAIN
