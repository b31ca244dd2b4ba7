// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel groups: fanotify groups a module owns, with no fd.
 *
 * The module's kernel-resident guard (src/kernel_guard.rs), configured by
 * root through /sys/fs/fanotify/groups/fanotify_filters/guard/config,
 * denies with no process holding a fanotify fd, even after the process that
 * configured it is gone; "off" and rmmod allow again, also while opens are
 * in flight; bad configurations fail with their errno and leave the guard
 * as it was.  The series' test module (its kgroup parameter) shows that
 * the kernel destroys the groups a module leaves behind at unload.
 */
#include "fanfilter_test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"

#define GROUPS_DIR "/sys/fs/fanotify/groups/"
#define GUARD_DIR GROUPS_DIR FANFILTER_MODULE "/guard/"
#define GUARD_CONFIG GUARD_DIR "config"
#define TEST_GROUPS_DIR GROUPS_DIR TEST_MODULE "/"
#define TEST_KGROUP_CMD "/sys/module/" TEST_MODULE "/parameters/kgroup"

/* Write @text to the guard's config: 0 or the errno. */
static int guard_config(const char *text)
{
	return write_text(GUARD_CONFIG, text) ? errno : 0;
}

/* A number from a file of the guard's directory, or -1. */
static long long guard_value(const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), GUARD_DIR "%s", file);
	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The text of a file of the guard's directory, without its newline. */
static const char *guard_text(const char *file)
{
	static char buf[8192];
	char path[256];

	snprintf(path, sizeof(path), GUARD_DIR "%s", file);
	if (read_text(path, buf, sizeof(buf)))
		return "(unreadable)";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Whether any process has a fanotify fd open. */
static int fanotify_fd_holders(void)
{
	DIR *procs = opendir("/proc");
	struct dirent *p;
	int holders = 0;

	if (!procs)
		return -1;
	while ((p = readdir(procs))) {
		char dir[64], link[320], target[64];
		struct dirent *f;
		DIR *fds;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", p->d_name);
		fds = opendir(dir);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", dir, f->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (strstr(target, "[fanotify]"))
				holders++;
		}
		closedir(fds);
	}
	closedir(procs);
	return holders;
}

/* Write @text to the guard's config from a child, which then exits. */
static int config_from_child(const char *text)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(guard_config(text));
	return child_wait(pid, 10000);
}

/* Open @dir/@name as nobody (uid 65534): 0 or the errno. */
static int open_as_nobody(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct open_req req = { .path = path, .flags = O_RDONLY };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return as_nobody(open_errno, &req);
}

/*
 * Write @text to the guard's config from a child that keeps only
 * CAP_DAC_OVERRIDE: root's file, not root's capabilities.
 */
static int config_without_sys_admin(const char *text)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2] = {};

		d[0].effective = 1u << CAP_DAC_OVERRIDE;
		d[0].permitted = 1u << CAP_DAC_OVERRIDE;
		if (syscall(SYS_capset, &h, d))
			_exit(100);
		_exit(guard_config(text));
	}
	return child_wait(pid, 5000);
}

FIXTURE(kguard) {
	struct test_fs fs;
	char arm[256];
	int in_fd;
};

FIXTURE_SETUP(kguard)
{
	self->in_fd = -1;
	if (!module_loaded())
		ASSERT_EQ(0, module_load());
	if (access(GUARD_CONFIG, F_OK))
		SKIP(return, "no kernel-resident guard (%s)", GUARD_CONFIG);
	ASSERT_EQ(0, guard_config("off"));
	ASSERT_EQ(0, test_fs_with_files(&self->fs, &self->in_fd));
	snprintf(self->arm, sizeof(self->arm), "roots=%s", self->fs.in);
}

FIXTURE_TEARDOWN(kguard)
{
	if (!module_loaded())
		module_load();
	guard_config("off");
	if (self->in_fd >= 0) {
		close(self->in_fd);
		test_fs_teardown(&self->fs);
	}
}

/* Configured by a process that is gone, it denies; no fanotify fd exists. */
TEST_F(kguard, denies_after_every_process_is_gone)
{
	EXPECT_STREQ("off", guard_text("config"));
	EXPECT_STREQ("", guard_text("filter"));
	ASSERT_EQ(0, config_from_child(self->arm));
	EXPECT_EQ(0, fanotify_fd_holders());

	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(self->fs.out, "g", O_RDONLY));
	EXPECT_EQ(1, guard_value("denied"));
	EXPECT_STREQ(self->arm, guard_text("config"));
	EXPECT_STREQ("guard", guard_text("filter"));
	EXPECT_STREQ("content", guard_text("class"));

	/* Off: allowed again, nothing attached. */
	ASSERT_EQ(0, config_from_child("off\n"));
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_STREQ("off", guard_text("config"));
	EXPECT_STREQ("", guard_text("filter"));
}

/* Exempt effective uids are allowed; root is not unless listed. */
TEST_F(kguard, exempt_uids)
{
	char text[320];

	snprintf(text, sizeof(text), "%s exempt_uids=65534,7", self->arm);
	ASSERT_EQ(0, chmod(self->fs.in, 0755));
	ASSERT_EQ(0, guard_config(text));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, open_as_nobody(self->fs.in, "f"));
	EXPECT_STREQ(text, guard_text("config"));
}

/*
 * A configuration that fails leaves the guard as it was: off stays off
 * (nothing attached, nothing marked), armed stays armed.
 */
TEST_F(kguard, bad_configuration_leaves_nothing)
{
	char text[512];
	const struct {
		const char *fmt;
		int err;
	} bad[] = {
		/* echo "$UNSET": no disarming (an empty write never arrives). */
		{ "\n", EINVAL },
		{ "roots=", EINVAL },
		{ "roots=%s exempt_uids=", EINVAL },
		{ "roots=relative/dir", EINVAL },
		{ "roots=%s nonsense=1", EINVAL },
		{ "roots=%s exempt_uids=-1", EINVAL },
		{ "exempt_uids=0", EINVAL },
		{ "roots=%s/missing", ENOENT },
		{ "roots=%s/f", ENOTDIR },
		/* The second root fails after the first was set up. */
		{ "roots=%s,%s/missing", ENOENT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), bad[i].fmt, self->fs.in,
			 self->fs.in);
		EXPECT_EQ(bad[i].err, guard_config(text)) TH_LOG("%s", text);
		EXPECT_STREQ("off", guard_text("config"));
		EXPECT_STREQ("", guard_text("filter"));
	}
	/* Nothing marked: the open reaches no group, nothing is counted. */
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, guard_value("allowed"));
	EXPECT_EQ(0, guard_value("unqueued"));

	/* Armed, another arming is refused and changes nothing... */
	ASSERT_EQ(0, guard_config(self->arm));
	snprintf(text, sizeof(text), "roots=%s", self->fs.out);
	EXPECT_EQ(EBUSY, guard_config(text));
	EXPECT_EQ(EINVAL, guard_config("roots=/ bad"));
	EXPECT_EQ(EINVAL, guard_config("\n"));
	/* ...and the same text again is no change, for scripts. */
	EXPECT_EQ(0, guard_config(self->arm));
	EXPECT_STREQ(self->arm, guard_text("config"));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(self->fs.out, "g", O_RDONLY));

	/* Only a task with CAP_SYS_ADMIN configures it. */
	EXPECT_EQ(EPERM, config_without_sys_admin("off"));
	EXPECT_STREQ(self->arm, guard_text("config"));
}

/* rmmod destroys the guard: allowed again; a new load starts off. */
TEST_F(kguard, rmmod_allows_again)
{
	ASSERT_EQ(0, guard_config(self->arm));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	/* The group's attachment of the module's own filter pins nothing. */
	ASSERT_EQ(0, module_unload());
	EXPECT_NE(0, access(GUARD_DIR, F_OK));
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	ASSERT_EQ(0, module_load());
	EXPECT_STREQ("off", guard_text("config"));
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
}

/*
 * A text longer than a page would reach the group a page at a time, each
 * piece taken for a configuration: refused whole.  What is read back fits.
 */
TEST_F(kguard, long_text_is_refused)
{
	static char text[8192];
	size_t len;

	len = snprintf(text, sizeof(text), "%s", self->arm);
	while (len < 5000)
		text[len++] = '/';
	text[len] = '\0';
	EXPECT_EQ(E2BIG, guard_config(text));
	EXPECT_STREQ("off", guard_text("config"));
	/* The longest text read back with its newline within a page. */
	text[4094] = '\0';
	EXPECT_EQ(0, guard_config(text));
	EXPECT_EQ(4094U, strlen(guard_text("config")));
	text[4094] = '/';
	text[4095] = '\0';
	ASSERT_EQ(0, guard_config("off"));
	EXPECT_EQ(E2BIG, guard_config(text));
}

/* Directories below a root are guarded too: listing one is an open. */
TEST_F(kguard, directories_are_guarded)
{
	ASSERT_EQ(0, mkdirat(self->in_fd, "sub", 0755));
	ASSERT_EQ(0, chmod(self->fs.in, 0755));
	ASSERT_EQ(0, guard_config(self->arm));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "sub", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(EPERM, child_open(self->fs.root, "in", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(0, child_open(self->fs.root, "out", O_RDONLY | O_DIRECTORY));
}

/*
 * The counters tell about every access to the marked filesystems: root
 * only.  The marks file shows an unmount taking a root's mark away.
 */
TEST_F(kguard, counters_are_root_only_and_marks_shown)
{
	char path[] = GUARD_DIR "denied";
	struct open_req req = { .path = path, .flags = O_RDONLY };

	ASSERT_EQ(0, guard_config(self->arm));
	EXPECT_EQ(EACCES, as_nobody(open_errno, &req));
	EXPECT_EQ(1, guard_value("marks"));
	/* The filesystem goes: so does its mark, which marks tells. */
	close(self->in_fd);
	self->in_fd = -1;
	ASSERT_EQ(0, umount2(self->fs.root, MNT_DETACH));
	for (int i = 0; i < 100 && guard_value("marks"); i++)
		usleep(10000);
	EXPECT_EQ(0, guard_value("marks"));
	EXPECT_STREQ(self->arm, guard_text("config"));
	ASSERT_EQ(0, guard_config("off"));
	/* For the teardown's umount. */
	ASSERT_EQ(0, mount("fanfilter", self->fs.root, "tmpfs", 0, "size=16m"));
	self->in_fd = open(self->fs.root, O_RDONLY | O_DIRECTORY);
}

struct opener {
	const char *path;
	atomic_int stop;
	atomic_long denied, allowed, other;
};

static void *open_loop(void *arg)
{
	struct opener *o = arg;

	while (!atomic_load(&o->stop)) {
		int fd = open(o->path, O_RDONLY);

		if (fd >= 0) {
			close(fd);
			atomic_fetch_add(&o->allowed, 1);
		} else if (errno == EPERM) {
			atomic_fetch_add(&o->denied, 1);
		} else {
			atomic_fetch_add(&o->other, 1);
		}
	}
	return NULL;
}

/*
 * rmmod while opens under the guard are being decided: the unload waits
 * for them, none fails otherwise than EPERM, and afterwards all pass.
 */
TEST_F(kguard, rmmod_with_permission_events_in_flight)
{
	char path[PATH_MAX], line[512];
	struct opener o = { .path = path };
	pthread_t threads[4];
	long denied_before;
	int kmsg;

	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	ASSERT_EQ(0, guard_config(self->arm));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, open_loop, &o));
	while (atomic_load(&o.denied) < 1000)
		usleep(1000);
	ASSERT_EQ(0, module_unload());
	/* An open that got its denial before the unload may count it late. */
	usleep(100000);
	denied_before = atomic_load(&o.denied);
	/* No denial after rmmod returned, but opens go on. */
	usleep(200000);
	atomic_store(&o.stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	EXPECT_EQ(denied_before, atomic_load(&o.denied));
	EXPECT_LT(0, atomic_load(&o.allowed));
	EXPECT_EQ(0, atomic_load(&o.other));
	EXPECT_EQ(0, kmsg_splat(kmsg, line, sizeof(line))) TH_LOG("%s", line);
	close(kmsg);
	ASSERT_EQ(0, module_load());
}

/* An administrator's disable of the filter disarms the guard: allowed. */
TEST_F(kguard, admin_disable_revokes)
{
	ASSERT_EQ(0, guard_config(self->arm));
	ASSERT_EQ(0, write_text("/sys/fs/fanotify/filters/guard/enabled", "0"));
	EXPECT_EQ(1, guard_value("revoked"));
	EXPECT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(1, guard_value("allowed"));
	/* Disabled, it cannot be armed again. */
	ASSERT_EQ(0, guard_config("off"));
	EXPECT_EQ(EPERM, guard_config(self->arm));
	ASSERT_EQ(0, write_text("/sys/fs/fanotify/filters/guard/enabled", "1"));
	ASSERT_EQ(0, guard_config(self->arm));
	EXPECT_EQ(0, guard_value("revoked"));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
}

/*
 * The series' test module, through its kgroup parameter: the groups a
 * module leaves behind at unload are destroyed by the kernel, with a
 * warning, and allow again.
 */
FIXTURE(leak) {
	struct test_fs fs;
	const char *ko;
	int in_fd;
};

FIXTURE_SETUP(leak)
{
	self->in_fd = -1;
	self->ko = getenv("FANFILTER_TEST_MODULE");
	if (!self->ko || access(self->ko, R_OK))
		SKIP(return, "no test module ($FANFILTER_TEST_MODULE)");
	if (kmod_loaded(TEST_MODULE))
		ASSERT_EQ(0, kmod_unload(TEST_MODULE));
	ASSERT_EQ(0, test_fs_with_files(&self->fs, &self->in_fd));
}

FIXTURE_TEARDOWN(leak)
{
	if (kmod_loaded(TEST_MODULE))
		kmod_unload(TEST_MODULE);
	if (self->in_fd >= 0) {
		close(self->in_fd);
		test_fs_teardown(&self->fs);
	}
}

static int kgroup_cmd(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg);
	return write_text(TEST_KGROUP_CMD, cmd) ? errno : 0;
}

static void leak_or_not(struct __test_metadata *_metadata, const char *ko,
			struct test_fs *fs, int leak)
{
	char line[512], mark[160];
	int kmsg;

	ASSERT_EQ(0, kmod_load(ko, leak ? "leak_kgroups=1" : ""));
	ASSERT_EQ(0, kgroup_cmd("new %s 4", "kg"));
	ASSERT_EQ(0, kgroup_cmd("attach kg " TEST_FILTER " %s", "-1"));
	snprintf(mark, sizeof(mark), "mark kg %u %u %%s",
		 FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_PERM);
	ASSERT_EQ(0, kgroup_cmd(mark, fs->root));
	EXPECT_EQ(EPERM, child_open(fs->in, "f", O_RDONLY));
	EXPECT_EQ(0, access(TEST_GROUPS_DIR "kg", F_OK));

	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	/* The group of the module's own filter does not pin the module. */
	ASSERT_EQ(0, kmod_unload(TEST_MODULE));
	EXPECT_EQ(leak, kmsg_wait_for(kmsg, leak ? 2000 : 200,
				      "left its group", "kg", line,
				      sizeof(line)));
	EXPECT_EQ(0, kmsg_splat(kmsg, line, sizeof(line))) TH_LOG("%s", line);
	close(kmsg);
	EXPECT_NE(0, access(TEST_GROUPS_DIR, F_OK));
	EXPECT_EQ(0, child_open(fs->in, "f", O_RDONLY));
}

/* The module destroys its group in its exit. */
TEST_F(leak, exit_destroys_group)
{
	leak_or_not(_metadata, self->ko, &self->fs, 0);
}

/* The module forgets its group: the kernel destroys it, and warns. */
TEST_F(leak, kernel_destroys_left_group)
{
	leak_or_not(_metadata, self->ko, &self->fs, 1);
}

/*
 * A module whose init fails after its groups were made: the kernel tears
 * down what the failed init left while commands still arrive (the
 * parameter's file lives until the module is freed).  Review found a
 * double teardown here (a general protection fault on LIST_POISON1).
 */
TEST_F(leak, failed_init_with_commands_in_flight)
{
	char line[512];
	int kmsg = kmsg_open();
	pid_t writer;

	ASSERT_LE(0, kmsg);
	writer = fork();
	ASSERT_LE(0, writer);
	if (writer == 0) {
		for (int i = 0; i < 3000; i++) {
			write_text(TEST_KGROUP_CMD, "new a 0");
			write_text(TEST_KGROUP_CMD, "del a");
		}
		_exit(0);
	}
	for (int i = 0; i < 10; i++) {
		EXPECT_EQ(-1, kmod_load(self->ko, "fail_init_after_ms=20"));
		EXPECT_EQ(EAGAIN, errno);
	}
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	EXPECT_EQ(0, kmsg_splat(kmsg, line, sizeof(line))) TH_LOG("%s", line);
	close(kmsg);
	EXPECT_NE(0, access(TEST_GROUPS_DIR, F_OK));
	/* It loads and makes groups as before. */
	ASSERT_EQ(0, kmod_load(self->ko, ""));
	EXPECT_EQ(0, kgroup_cmd("new %s 0", "a"));
	EXPECT_EQ(0, kgroup_cmd("del %s", "a"));
}

TEST_HARNESS_MAIN
