// SPDX-License-Identifier: GPL-2.0
/*
 * The "guard" filter answers permission events in the kernel: opens below
 * a protected directory fail with EPERM for non-exempt processes, every
 * other open is allowed without user space being asked.  The listener in
 * these tests never answers, so an open that reached user space would
 * block: each open runs in a child with a deadline.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

FIXTURE(guard) {
	struct test_fs fs;
	int fan_fd;
	int in_fd;
};

FIXTURE_SETUP(guard)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	ASSERT_EQ(0, touch_write(self->fs.in, "secret"));
	ASSERT_EQ(0, touch_write(self->fs.out, "public"));
	self->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_NONBLOCK,
				     O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	self->in_fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->in_fd);
}

FIXTURE_TEARDOWN(guard)
{
	close(self->in_fd);
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

/* Open @dir/@name read-only in a child; see child_open(). */
static int open_in_child(const char *dir, const char *name)
{
	return child_open(dir, name, O_RDONLY);
}

TEST_F(guard, denies_inside_allows_outside_in_kernel)
{
	char line[256];

	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, NULL, 0));

	EXPECT_EQ(EPERM, open_in_child(self->fs.in, "secret"));
	EXPECT_EQ(0, open_in_child(self->fs.out, "public"));

	/* Nothing was queued for user space. */
	EXPECT_EQ(-1, read(self->fan_fd, line, sizeof(line)));
	EXPECT_EQ(EAGAIN, errno);

	filter_fdinfo_counters(self->fan_fd, line, sizeof(line));
	EXPECT_STREQ("fanotify filter:guard seen:2 skipped:1 sent:0 denied:1 invalid:0\n",
		     line);
}

TEST_F(guard, exempt_process_is_allowed)
{
	pid_t me = getpid();
	char path[PATH_MAX];
	int fd;

	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard(self->fan_fd, self->in_fd, &me, 1));
	/* open_in_child() forks: the child is not exempt... */
	EXPECT_EQ(EPERM, open_in_child(self->fs.in, "secret"));
	/* ...but this process is. */
	snprintf(path, sizeof(path), "%s/secret", self->fs.in);
	fd = open(path, O_RDONLY);
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(guard, without_filter_permission_events_reach_user_space)
{
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	/* Nobody answers, so the open waits: proof that the filter above
	 * really answered in the kernel.
	 */
	EXPECT_EQ(CHILD_BLOCKED, open_in_child(self->fs.out, "public"));
}

TEST_F(guard, notification_events_pass_unchanged)
{
	struct event_paths ev;
	int fd;

	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard(fd, self->in_fd, NULL, 0));
	ASSERT_EQ(0, touch_write(self->fs.in, "secret"));
	ASSERT_EQ(0, touch_write(self->fs.out, "public"));
	ASSERT_EQ(0, read_event_paths(fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
	close(fd);
}

TEST_F(guard, bad_args_einval)
{
	struct fan_guard_args a = {
		.version = FAN_GUARD_ARGS_VERSION,
		.nr_roots = 1,
		.nr_exempt = FAN_GUARD_MAX_EXEMPT + 1,
	};

	EXPECT_EQ(-1, filter_attach(self->fan_fd, "guard", &a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	a.nr_exempt = 0;
	a.nr_exempt_uids = FAN_GUARD_MAX_EXEMPT + 1;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "guard", &a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	/* A uid counted but not there. */
	a.nr_exempt_uids = 1;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "guard", &a, sizeof(a)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

/* struct fan_guard_args with one root and the exempt uids @uids. */
struct guard_uid_args {
	struct fan_guard_args hdr;
	__u32 ids[3];
};

static int attach_guard_uids(int fan_fd, int root_fd, const __u32 *uids,
			     int nr)
{
	struct guard_uid_args a = {
		.hdr = {
			.version = FAN_GUARD_ARGS_VERSION,
			.nr_roots = 1,
			.nr_exempt_uids = nr,
		},
	};

	for (int i = 0; i < nr; i++)
		a.ids[i] = uids[i];
	a.ids[nr] = root_fd;
	return filter_attach(fan_fd, "guard", &a,
			     sizeof(a.hdr) + (nr + 1) * sizeof(a.ids[0]));
}

struct open_as_req {
	const char *path;
	uid_t uid;
};

/* In a child: become @uid (real, effective, saved), open, return errno. */
static int open_as(void *arg)
{
	const struct open_as_req *r = arg;
	int fd;

	if (setresgid(r->uid, r->uid, r->uid) ||
	    setresuid(r->uid, r->uid, r->uid))
		return 100;
	fd = open(r->path, O_RDONLY);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Exempt by effective uid: every process of the user, such as a daemon's
 * children, which a list of pids cannot name in advance.
 */
TEST_F(guard, exempt_uid_is_allowed_others_denied)
{
	const __u32 uids[] = { 1000, 1002 };
	char path[PATH_MAX];
	struct open_as_req r = { .path = path };

	snprintf(path, sizeof(path), "%s/secret", self->fs.in);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard_uids(self->fan_fd, self->in_fd, uids, 2));
	r.uid = 1000;
	EXPECT_EQ(0, run_in_child(open_as, &r, 1000));
	r.uid = 1002;
	EXPECT_EQ(0, run_in_child(open_as, &r, 1000));
	r.uid = 1001;
	EXPECT_EQ(EPERM, run_in_child(open_as, &r, 1000));
	/* Root is no exception. */
	EXPECT_EQ(EPERM, open_in_child(self->fs.in, "secret"));
}

struct overlay_req {
	const char *merged;
	char opts[2 * PATH_MAX + 32];
};

/*
 * In a child: become uid 1000 but keep CAP_SYS_ADMIN, and mount an
 * overlay; returns 0 or the errno.  Its creator credentials are then uid
 * 1000's.
 */
static int mount_overlay_as_1000(void *arg)
{
	const struct overlay_req *o = arg;
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (prctl(PR_SET_KEEPCAPS, 1) || setresgid(1000, 1000, 1000) ||
	    setresuid(1000, 1000, 1000))
		return 100;
	d[0].effective = 1u << CAP_SYS_ADMIN;
	d[0].permitted = 1u << CAP_SYS_ADMIN;
	if (syscall(SYS_capset, &h, d))
		return 101;
	if (mount("overlay", o->merged, "overlay", 0, o->opts))
		return errno;
	return 0;
}

/*
 * An exempt uid is the actor's own: overlayfs opens a lower file with its
 * mounter's credentials, and a reader of the overlay must not pass for
 * its mounter.  (The lower layer is the protected directory.)
 */
TEST_F(guard, overlay_reader_is_not_its_mounter)
{
	const __u32 uids[] = { 1000 };
	char empty[PATH_MAX], merged[PATH_MAX], path[PATH_MAX];
	struct overlay_req o = { .merged = merged };
	struct open_as_req r = { .path = path };

	snprintf(empty, sizeof(empty), "%s/empty", self->fs.out);
	snprintf(merged, sizeof(merged), "%s/merged", self->fs.out);
	ASSERT_EQ(0, mkdir(empty, 0755));
	ASSERT_EQ(0, mkdir(merged, 0755));
	snprintf(o.opts, sizeof(o.opts), "lowerdir=%s:%s", self->fs.in, empty);
	ASSERT_EQ(0, run_in_child(mount_overlay_as_1000, &o, 5000));
	snprintf(path, sizeof(path), "%s/secret", merged);

	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_OPEN_PERM, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, attach_guard_uids(self->fan_fd, self->in_fd, uids, 1));
	r.uid = 1001;
	EXPECT_EQ(EPERM, run_in_child(open_as, &r, 1000));
	/* The mounter's own uid reading through it is exempt. */
	r.uid = 1000;
	EXPECT_EQ(0, run_in_child(open_as, &r, 1000));
	EXPECT_EQ(0, umount2(merged, MNT_DETACH));
}

/* A uid with no mapping ((uid_t)-1) is a caller's bug: nothing attached. */
TEST_F(guard, unmapped_uid_einval)
{
	const __u32 uids[] = { 1000, (__u32)-1 };

	EXPECT_EQ(-1, attach_guard_uids(self->fan_fd, self->in_fd, uids, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

/* Accepted at each bound, EINVAL one past it, nothing attached after. */
TEST_F(guard, limits)
{
	static const struct {
		int nr_roots, nr_exempt, ok;
	} cases[] = {
		{ FAN_SUBTREE_MAX_ROOTS, FAN_GUARD_MAX_EXEMPT, 1 },
		{ 1, 0, 1 },
		{ FAN_SUBTREE_MAX_ROOTS + 1, 0, 0 },
		{ 1, FAN_GUARD_MAX_EXEMPT + 1, 0 },
		{ 0, 1, 0 },
	};

	pid_t exempt[FAN_GUARD_MAX_EXEMPT + 1];

	/* Exempt tgids must name live processes. */
	ASSERT_EQ(0, idle_children_start(exempt, FAN_GUARD_MAX_EXEMPT + 1));
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fan_guard_args *a;
		__u32 size;
		int ret;

		a = guard_args(self->in_fd, cases[i].nr_roots, exempt,
			       cases[i].nr_exempt, &size);
		ASSERT_NE(NULL, a);
		ret = filter_attach(self->fan_fd, "guard", a, size);
		free(a);
		if (cases[i].ok) {
			EXPECT_EQ(0, ret) TH_LOG("case %u", i);
			EXPECT_EQ(0, filter_detach(self->fan_fd));
		} else {
			EXPECT_EQ(-1, ret) TH_LOG("case %u", i);
			EXPECT_EQ(EINVAL, errno) TH_LOG("case %u", i);
			EXPECT_EQ(-1, filter_detach(self->fan_fd));
		}
	}
	idle_children_stop(exempt, FAN_GUARD_MAX_EXEMPT + 1);
}

TEST_HARNESS_MAIN
