// SPDX-License-Identifier: GPL-2.0
/*
 * FAN_IOC_ADD_FILTER / FAN_IOC_DEL_FILTER argument checking: every failure
 * has its own errno and leaves nothing attached.
 */
#include "fanfilter_test.h"

#include <sys/inotify.h>

#include "kselftest_harness.h"

/* An ioctl number for a bigger, future version of the args struct. */
struct args_v1 {
	struct fanotify_filter_args v0;
	__u64 future;
};

#define FAN_IOC_ADD_FILTER_V1 _IOW(FAN_IOC_MAGIC, 1, struct args_v1)
#define FAN_IOC_ADD_FILTER_SHORT _IOW(FAN_IOC_MAGIC, 1, __u64)

FIXTURE(api) {
	int fan_fd;
	int dir_fd;
	struct fan_subtree_args *subtree;
	__u32 subtree_size;
	struct fanotify_filter_args args;
};

FIXTURE_SETUP(api)
{
	self->fan_fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	self->dir_fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dir_fd);
	self->subtree = subtree_args(&self->dir_fd, 1, &self->subtree_size);
	ASSERT_NE(NULL, self->subtree);
	memset(&self->args, 0, sizeof(self->args));
	snprintf(self->args.name, sizeof(self->args.name), "subtree");
	self->args.args = (uintptr_t)self->subtree;
	self->args.args_size = self->subtree_size;
}

FIXTURE_TEARDOWN(api)
{
	free(self->subtree);
	close(self->dir_fd);
	close(self->fan_fd);
}

/* Nothing may be attached after a failed attach. */
static int nothing_attached(int fan_fd)
{
	return filter_detach(fan_fd) == -1 && errno == ENOENT;
}

TEST_F(api, valid_args_attach)
{
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	ASSERT_EQ(0, filter_detach(self->fan_fd));
}

TEST_F(api, unknown_flags_einval)
{
	self->args.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, unterminated_name_einval)
{
	memset(self->args.name, 'a', sizeof(self->args.name));
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, empty_name_enoent)
{
	self->args.name[0] = '\0';
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, args_too_large_e2big)
{
	self->args.args_size = FAN_FILTER_ARGS_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, bad_args_pointer_efault)
{
	self->args.args = 8;
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, bad_struct_pointer_efault)
{
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, struct_smaller_than_v0_einval)
{
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER_SHORT,
			    &self->args));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, bigger_struct_with_zero_tail_accepted)
{
	struct args_v1 v1 = { .v0 = self->args };

	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER_V1, &v1));
	ASSERT_EQ(0, filter_detach(self->fan_fd));
}

TEST_F(api, bigger_struct_with_unknown_tail_e2big)
{
	struct args_v1 v1 = { .v0 = self->args, .future = 1 };

	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER_V1, &v1));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, not_a_fanotify_fd_enotty)
{
	int ino_fd = inotify_init1(0);

	ASSERT_LE(0, ino_fd);
	EXPECT_EQ(-1, ioctl(ino_fd, FAN_IOC_ADD_FILTER, &self->args));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(ino_fd, FAN_IOC_DEL_FILTER));
	EXPECT_EQ(ENOTTY, errno);
	close(ino_fd);
}

/* Attach "guard" (root-only) to a root-made group: 0 if EPERM. */
static int attach_root_only(void *arg)
{
	int fan_fd = *(int *)arg;
	struct fan_guard_args a = {
		.version = FAN_GUARD_ARGS_VERSION,
		.nr_roots = 1,
	};
	struct {
		struct fan_guard_args a;
		__s32 fd;
	} args = { .a = a, .fd = open("/tmp", O_RDONLY | O_DIRECTORY) };

	if (filter_attach(fan_fd, "guard", &args, sizeof(args)) != -1)
		return 1;
	return errno == EPERM ? 0 : 2;
}

/* An unprivileged group attaches "subtree", which opts in: 0 if it works. */
static int attach_unprivileged(void *arg)
{
	struct fan_subtree_args *a;
	int fan_fd, dir_fd, ret;
	__u32 size;

	fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY);
	if (fan_fd < 0)
		return 3;
	dir_fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	if (fanotify_mark(fan_fd, FAN_MARK_ADD, FAN_CREATE | FAN_EVENT_ON_CHILD,
			  AT_FDCWD, "/tmp"))
		return 4;
	a = subtree_args(&dir_fd, 1, &size);
	ret = filter_attach(fan_fd, "subtree", a, size) ? 5 : 0;
	/* ...but not "guard". */
	if (!ret)
		ret = filter_detach(fan_fd) || attach_root_only(&fan_fd) ? 6 : 0;
	free(a);
	return ret;
}

TEST_F(api, unprivileged_eperm_for_root_only_filter)
{
	EXPECT_EQ(0, as_nobody(attach_root_only, &self->fan_fd));
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, unprivileged_group_attaches_opt_in_filter)
{
	EXPECT_EQ(0, as_nobody(attach_unprivileged, NULL));
}

TEST_F(api, close_with_filter_attached_releases_module)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	char path[64];
	FILE *f;
	int refs = -1;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, FAN_IOC_ADD_FILTER, &self->args));
	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", FANFILTER_MODULE);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%d", &refs));
	fclose(f);
	EXPECT_EQ(1, refs);

	close(fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%d", &refs));
	fclose(f);
	EXPECT_EQ(0, refs);
}

TEST_F(api, fdinfo_shows_filter)
{
	unsigned long long first, second, revoked;
	char line[256];

	filter_fdinfo(self->fan_fd, line, sizeof(line));
	EXPECT_STREQ("", line);
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	filter_fdinfo_counters(self->fan_fd, line, sizeof(line));
	EXPECT_STREQ("fanotify filter:subtree seen:0 skipped:0 sent:0 denied:0 invalid:0\n",
		     line);
	/* Then, by key: not revoked, and an id of its own (random). */
	ASSERT_EQ(0, filter_fdinfo_field(self->fan_fd, "revoked", &revoked));
	EXPECT_EQ(0ULL, revoked);
	ASSERT_EQ(0, filter_fdinfo_field(self->fan_fd, "id", &first));
	ASSERT_EQ(0, filter_detach(self->fan_fd));
	filter_fdinfo(self->fan_fd, line, sizeof(line));
	EXPECT_STREQ("", line);
	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	ASSERT_EQ(0, filter_fdinfo_field(self->fan_fd, "id", &second));
	EXPECT_NE(first, second);
	ASSERT_EQ(0, filter_detach(self->fan_fd));
}

TEST_F(api, sysfs_lists_filter)
{
	char buf[256] = "";
	FILE *f;

	f = fopen("/sys/fs/fanotify/filters/subtree/description", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_LT(1, (int)strlen(buf));

	f = fopen("/sys/fs/fanotify/filters/subtree/args", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "fan_subtree_args"));
	/* Who may attach it: admin_test.c, unprivileged_knob_*. */
}

TEST_F(api, reconfig_without_filter_enoent)
{
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER,
			    &self->args));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_TRUE(nothing_attached(self->fan_fd));
}

TEST_F(api, reconfig_other_name_einval)
{
	struct fanotify_filter_args other = self->args;

	ASSERT_EQ(0, ioctl(self->fan_fd, FAN_IOC_ADD_FILTER, &self->args));
	snprintf(other.name, sizeof(other.name), "no-such-filter");
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &other));
	EXPECT_EQ(EINVAL, errno);
	/* Bad args leave the old configuration attached. */
	self->subtree->version = 0;
	EXPECT_EQ(-1, ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER,
			    &self->args));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, filter_detach(self->fan_fd));
}

TEST_HARNESS_MAIN
