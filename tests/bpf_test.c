// SPDX-License-Identifier: GPL-2.0
/*
 * BPF filters (CONFIG_FANOTIFY_FILTER_BPF): a struct_ops map registers a
 * root-only filter type, only with CAP_SYS_ADMIN, only under a "bpf_"
 * name, only through a link that the loader's death releases; attachments
 * outlive the loader; the administrator revokes them; the kernel, not the
 * program, decides which denials count; exemptions are processes, not
 * numbers; and the verifier refuses programs that sleep, write to the
 * event, read what the event hides, or pass the kfuncs any event but the
 * one they were called with.  The loader and objects are bpf/ of the
 * repository, built into bpf/ beside this program.  The subtree rules
 * themselves are subtree_test's, run on "bpf_subtree" as subtree_bpf_test.
 */
#include "fanfilter_test.h"

#include "kselftest_harness.h"

static int sysfs_read(const char *filter, const char *file, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/fanotify/filters/%s/%s", filter,
		 file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	return 0;
}

FIXTURE(bpf) {
	struct test_fs fs;
	struct loader l;
	int in_fd;
	int fan_fd;
};

FIXTURE_SETUP(bpf)
{
	self->l.pid = 0;
	ASSERT_EQ(0, test_fs_with_files(&self->fs, &self->in_fd));
	self->fan_fd = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, self->fan_fd);
}

FIXTURE_TEARDOWN(bpf)
{
	if (self->l.pid)
		loader_stop(&self->l);
	close(self->in_fd);
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

static int unpriv_attach_errno(void *arg)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, 0);

	if (fd < 0)
		return 100;
	return filter_attach(fd, "bpf_subtree", NULL, 0) ? errno : 0;
}

TEST_F(bpf, struct_ops_map_registers_a_root_only_filter)
{
	char buf[128];

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	ASSERT_EQ(0, sysfs_read("bpf_subtree", "description", buf, sizeof(buf)));
	EXPECT_STREQ("a BPF struct_ops filter\n", buf);
	EXPECT_EQ(EPERM, as_nobody(unpriv_attach_errno, NULL));
	EXPECT_EQ(0, loader_stop(&self->l));
	EXPECT_EQ(-1, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
}

/* An attachment holds the map: the loader's exit does not end it. */
TEST_F(bpf, attachment_outlives_the_loader)
{
	struct filter_counters c;
	struct event_paths ev;
	int other;

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, attach_roots(self->fan_fd, "bpf_subtree", self->in_fd));
	ASSERT_EQ(0, loader_stop(&self->l));

	/* Unregistered: no new attachment... */
	other = fs_group(self->fs.root, 0, FAN_CLOSE_WRITE);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, attach_roots(other, "bpf_subtree", self->in_fd));
	EXPECT_EQ(ENOENT, errno);
	close(other);

	/* ...but the existing one still filters. */
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(event_paths_has(&ev, self->fs.in, "a"));
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_STREQ("bpf_subtree", c.name);
	EXPECT_EQ(1, c.skipped);
	EXPECT_EQ(1, c.sent);
	EXPECT_EQ(0, filter_detach(self->fan_fd));
}

/* Without directories, bpf_fanotify_event_locate() says -ENOENT: sent. */
TEST_F(bpf, no_roots_sends_everything)
{
	struct event_paths ev;

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, filter_attach(self->fan_fd, "bpf_subtree", NULL, 0));
	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
}

/*
 * A program that denies everything: the open fails, the notification
 * events arrive all the same and count as invalid.
 */
TEST_F(bpf, denial_counts_only_for_permission_events)
{
	struct filter_counters c;
	struct event_paths ev;
	int perm;

	ASSERT_EQ(0, loader_start(&self->l, "deny_all.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	ASSERT_EQ(0, filter_attach(perm, "bpf_deny_all", NULL, 0));
	ASSERT_EQ(0, filter_attach(self->fan_fd, "bpf_deny_all", NULL, 0));

	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	ASSERT_EQ(0, filter_counters(perm, &c));
	EXPECT_EQ(1, c.denied);
	EXPECT_EQ(0, c.invalid);
	close(perm);

	ASSERT_EQ(0, touch_write(self->fs.in, "a"));
	ASSERT_EQ(0, touch_write(self->fs.out, "b"));
	ASSERT_EQ(0, read_event_paths(self->fan_fd, FAN_CLOSE_WRITE, &ev));
	EXPECT_EQ(2, ev.nr);
	ASSERT_EQ(0, filter_counters(self->fan_fd, &c));
	EXPECT_EQ(0, c.denied);
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(2, c.sent);
}

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

/*
 * Attach @filter with struct fanotify_filter_bpf_args: the root @root_fd
 * and the processes @exempt as pidfds (or, if @pidfds, these fds as they
 * are); @flags and @version as given.  0 or -1 with errno.
 */
static int attach_bpf_args(int fan_fd, const char *filter, int root_fd,
			   const pid_t *exempt, const int *pidfds, int nr,
			   __u32 version, __u32 flags)
{
	struct fanotify_filter_bpf_args *a;
	__u32 size = sizeof(*a) + (1 + nr) * sizeof(__s32);
	int ret = -1, err;

	a = calloc(1, size);
	if (!a)
		return -1;
	a->version = version;
	a->flags = flags;
	a->nr_roots = 1;
	a->nr_exempt = nr;
	a->fds[0] = root_fd;
	for (int i = 0; i < nr; i++) {
		a->fds[1 + i] = pidfds ? pidfds[i] :
			syscall(__NR_pidfd_open, exempt[i], 0);
		if (a->fds[1 + i] < 0)
			goto out;
	}
	ret = filter_attach(fan_fd, filter, a, size);
out:
	err = errno;
	for (int i = 0; !pidfds && i < nr; i++)
		if (a->fds[1 + i] >= 0)
			close(a->fds[1 + i]);
	free(a);
	errno = err;
	return ret;
}

static int attach_bpf_guard(int fan_fd, int root_fd, const pid_t *exempt,
			    int nr)
{
	return attach_bpf_args(fan_fd, "bpf_guard", root_fd, exempt, NULL, nr,
			       FAN_FILTER_BPF_ARGS_VERSION, 0);
}

/* bpf_guard: only the exempt process opens below the root. */
TEST_F(bpf, guard_denies_all_but_the_exempt)
{
	char path[PATH_MAX];
	pid_t self_pid = getpid();
	int perm, fd;

	ASSERT_EQ(0, loader_start(&self->l, "guard.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	ASSERT_EQ(0, attach_bpf_guard(perm, self->in_fd, &self_pid, 1));

	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	EXPECT_EQ(0, child_open(self->fs.out, "g", O_RDONLY));
	snprintf(path, sizeof(path), "%s/f", self->fs.in);
	fd = open(path, O_RDONLY);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	close(perm);
}

/* Open @dir/f: 0 or the errno. */
static int open_in_f(void *dir)
{
	char path[PATH_MAX];
	struct open_req req = { .path = path, .flags = O_RDONLY };

	snprintf(path, sizeof(path), "%s/f", (const char *)dir);
	return open_errno(&req);
}

/*
 * An exemption is a process, not a number: once the exempt process has
 * exited, a new one that gets its pid (clone3() with set_tid) is denied.
 */
TEST_F(bpf, guard_exemption_is_never_recycled)
{
	pid_t p, again;
	int perm, go;

	ASSERT_EQ(0, loader_start(&self->l, "guard.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	p = child_start_paused(open_in_f, self->fs.in, &go);
	ASSERT_LT(0, p);
	ASSERT_EQ(0, attach_bpf_guard(perm, self->in_fd, &p, 1));
	EXPECT_EQ(0, child_release(p, go, 5000));

	again = fork_with_pid(p);
	if (again == 0)
		_exit(open_in_f(self->fs.in));
	if (again < 0) {
		close(perm);
		SKIP(return, "clone3() with set_tid: %s", strerror(errno));
	}
	ASSERT_EQ(p, again);
	EXPECT_EQ(EPERM, child_wait(again, 5000));
	close(perm);
}

/* Bad arguments get their errno and leave nothing attached. */
TEST_F(bpf, guard_arguments_are_checked)
{
	pid_t gone, self_pid = getpid();
	pid_t many[FAN_FILTER_BPF_MAX_EXEMPT + 1];
	int perm, not_a_pidfd[1];

	ASSERT_EQ(0, loader_start(&self->l, "guard.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);

	/* A pidfd of a process that is gone, reaped. */
	gone = fork();
	if (gone == 0)
		_exit(0);
	ASSERT_LT(0, gone);
	not_a_pidfd[0] = syscall(__NR_pidfd_open, gone, 0);
	ASSERT_LE(0, not_a_pidfd[0]);
	ASSERT_EQ(0, child_wait(gone, 5000));
	EXPECT_EQ(-1, attach_bpf_args(perm, "bpf_guard", self->in_fd, NULL,
				      not_a_pidfd, 1, FAN_FILTER_BPF_ARGS_VERSION, 0));
	EXPECT_EQ(ESRCH, errno);
	close(not_a_pidfd[0]);

	/* A thread's pidfd names a thread, not a process. */
	not_a_pidfd[0] = syscall(__NR_pidfd_open, getpid(), O_EXCL /* PIDFD_THREAD */);
	ASSERT_LE(0, not_a_pidfd[0]);
	EXPECT_EQ(-1, attach_bpf_args(perm, "bpf_guard", self->in_fd, NULL,
				      not_a_pidfd, 1, FAN_FILTER_BPF_ARGS_VERSION, 0));
	EXPECT_EQ(EINVAL, errno);
	close(not_a_pidfd[0]);

	/* A directory fd is no pidfd. */
	not_a_pidfd[0] = self->in_fd;
	EXPECT_EQ(-1, attach_bpf_args(perm, "bpf_guard", self->in_fd, NULL,
				      not_a_pidfd, 1, FAN_FILTER_BPF_ARGS_VERSION, 0));
	EXPECT_EQ(EBADF, errno);

	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = self_pid;
	EXPECT_EQ(-1, attach_bpf_guard(perm, self->in_fd, many, ARRAY_SIZE(many)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, attach_bpf_args(perm, "bpf_guard", self->in_fd, &self_pid,
				      NULL, 1, FAN_FILTER_BPF_ARGS_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, attach_bpf_args(perm, "bpf_guard", self->in_fd, &self_pid,
				      NULL, 1, FAN_FILTER_BPF_ARGS_VERSION + 1, 0));
	EXPECT_EQ(EINVAL, errno);

	/* Nothing is attached: the full set is accepted now. */
	EXPECT_EQ(0, attach_bpf_guard(perm, self->in_fd, many,
				      FAN_FILTER_BPF_MAX_EXEMPT));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));
	close(perm);
}

/*
 * The administrator disables a BPF filter: its attachments are revoked at
 * once (the program no longer denies), and the setting outlives the map,
 * so a loader that registers it again cannot bring it back.
 */
TEST_F(bpf, disabled_bpf_filter_is_revoked_and_stays_disabled)
{
	const char *knob = "/sys/fs/fanotify/filters/bpf_deny_all/enabled";
	char buf[16];
	int perm, other, asked;

	ASSERT_EQ(0, loader_start(&self->l, "deny_all.bpf.o", 0, NULL, 0));
	perm = perm_group(self->fs.root, 0);
	ASSERT_LE(0, perm);
	ASSERT_EQ(0, filter_attach(perm, "bpf_deny_all", NULL, 0));
	EXPECT_EQ(EPERM, child_open(self->fs.in, "f", O_RDONLY));

	/* Revoked: user space decides, as without a filter. */
	ASSERT_EQ(0, write_text(knob, "0"));
	EXPECT_EQ(0, child_open_answered(perm, self->fs.in, "f", FAN_ALLOW,
					 &asked));
	EXPECT_TRUE(asked);

	ASSERT_EQ(0, loader_stop(&self->l));
	ASSERT_EQ(0, loader_start(&self->l, "deny_all.bpf.o", 0, NULL, 0));
	EXPECT_EQ(0, read_text(knob, buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	other = perm_group(self->fs.root, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, filter_attach(other, "bpf_deny_all", NULL, 0));
	EXPECT_EQ(EPERM, errno);
	close(other);
	EXPECT_EQ(0, child_open_answered(perm, self->fs.in, "f", FAN_ALLOW,
					 &asked));

	EXPECT_EQ(0, write_text(knob, "1"));
	close(perm);
}

/*
 * The loader fails (1), says why, and registers nothing.  @why: the
 * verifier's words on 6.12; @why_7_3: its words on 7.3 where they differ.
 */
static void expect_rejected(struct __test_metadata *_metadata,
			    struct loader *l, const char *obj, int how,
			    const char *filter, const char *why,
			    const char *why_7_3)
{
	char log[4096], buf[16];

	EXPECT_EQ(1, loader_start(l, obj, how, log, sizeof(log)));
	EXPECT_TRUE(strstr(log, why) || (why_7_3 && strstr(log, why_7_3))) {
		TH_LOG("%s: neither \"%s\" nor \"%s\" in:\n%s", obj, why,
		       why_7_3 ?: "", log);
	}
	EXPECT_EQ(-1, sysfs_read(filter, "unprivileged", buf, sizeof(buf)));
}

TEST_F(bpf, verifier_rejects_a_sleepable_filter)
{
	expect_rejected(_metadata, &self->l, "reject/sleepable.bpf.o",
			LOADER_SLEEPABLE, "bpf_reject_sleepable",
			"attach to unsupported member", NULL);
}

TEST_F(bpf, verifier_rejects_writes_to_the_event)
{
	expect_rejected(_metadata, &self->l, "reject/write_event.bpf.o", 0,
			"bpf_reject_write",
			"fanotify filters may not write to kernel objects", NULL);
}

TEST_F(bpf, verifier_rejects_reads_of_hidden_event_fields)
{
	expect_rejected(_metadata, &self->l, "reject/private_fields.bpf.o", 0,
			"bpf_reject_private", "access beyond struct", NULL);
}

/*
 * The tracepoint's dir is NULL for most events: the verifier must know,
 * or a tp_btf program (CAP_BPF and CAP_PERFMON are enough) reads address
 * 0 through it.  A read without a NULL check is refused.
 */
TEST_F(bpf, verifier_knows_the_tracepoint_dir_may_be_null)
{
	expect_rejected(_metadata, &self->l, "reject/tp_null_dir.bpf.o", 0,
			"bpf_reject_none", "invalid mem access 'trusted_ptr_or_null_'", NULL);
}

/* Inode attributes, as numbers: only the directory's event is sent. */
TEST_F(bpf, attr_gives_the_mode)
{
	struct event_paths ev;
	int group, fd;

	ASSERT_EQ(0, loader_start(&self->l, "dirs_only.bpf.o", 0, NULL, 0));
	group = fs_group(self->fs.root, 0, FAN_OPEN | FAN_ONDIR);
	ASSERT_LE(0, group);
	ASSERT_EQ(0, filter_attach(group, "bpf_dirs_only", NULL, 0));
	fd = open(self->fs.in, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, child_open(self->fs.in, "f", O_RDONLY));
	ASSERT_EQ(0, read_event_paths(group, FAN_OPEN, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_EQ(0, strcmp(ev.path[0], self->fs.in)) TH_LOG("%s", ev.path[0]);
	close(group);
}

/*
 * Without a link, a struct_ops map registered by its update alone stays
 * registered after its loader is killed, until root deletes it by id: the
 * kernel refuses it.
 */
TEST_F(bpf, registration_needs_a_link)
{
	char log[4096], buf[16];

	EXPECT_EQ(1, loader_start(&self->l, "subtree.bpf.o", LOADER_NO_LINK,
				  log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, "does not register: Operation not supported")) {
		TH_LOG("%s", log);
	}
	EXPECT_EQ(-1, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
}

/*
 * A filter type is registered through the loader's bpf_link: the loader's
 * death, even by SIGKILL, unregisters it (an attachment keeps its map).
 */
TEST_F(bpf, loader_killed_unregisters)
{
	char buf[16];
	int gone = 0, status;

	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	ASSERT_EQ(0, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
	ASSERT_EQ(0, kill(self->l.pid, SIGKILL));
	ASSERT_EQ(self->l.pid, waitpid(self->l.pid, &status, 0));
	close(self->l.out);
	self->l.pid = 0;
	for (int i = 0; i < 200 && !gone; i++) {
		gone = sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf));
		if (!gone)
			usleep(10000);
	}
	EXPECT_TRUE(gone) TH_LOG("bpf_subtree still registered after SIGKILL");
}

/*
 * Only the event the kernel passed reaches a kfunc: an event forged on
 * the stack, in a map, from NULL, from an earlier call or by a cast would
 * let the kfuncs read and lock at addresses the program chose.
 */
TEST_F(bpf, verifier_rejects_an_event_forged_on_the_stack)
{
	expect_rejected(_metadata, &self->l, "reject/forged_stack.bpf.o", 0,
			"bpf_reject_forged_stack",
			"arg#0 pointer type STRUCT fanotify_filter_event must point to scalar",
			"R1 is fp expected STRUCT fanotify_filter_event");
}

TEST_F(bpf, verifier_rejects_an_event_forged_in_a_map)
{
	expect_rejected(_metadata, &self->l, "reject/forged_map.bpf.o", 0,
			"bpf_reject_forged_map",
			"arg#0 pointer type STRUCT fanotify_filter_event must point to scalar",
			"R1 is map_value expected STRUCT fanotify_filter_event");
}

TEST_F(bpf, verifier_rejects_a_null_event)
{
	expect_rejected(_metadata, &self->l, "reject/null_event.bpf.o", 0,
			"bpf_reject_null_event",
			"Possibly NULL pointer passed to trusted arg0",
			"Possibly NULL pointer passed to trusted R1");
}

TEST_F(bpf, verifier_rejects_an_event_saved_from_an_earlier_call)
{
	expect_rejected(_metadata, &self->l, "reject/saved_event.bpf.o", 0,
			"bpf_reject_saved_event",
			"arg#0 pointer type STRUCT fanotify_filter_event must point to scalar",
			"R1 is scalar expected STRUCT fanotify_filter_event");
}

TEST_F(bpf, verifier_rejects_an_event_made_by_a_cast)
{
	expect_rejected(_metadata, &self->l, "reject/cast_event.bpf.o", 0,
			"bpf_reject_cast_event", "must be referenced or trusted", NULL);
}

/*
 * Registering a BPF filter type needs CAP_SYS_ADMIN: CAP_BPF and
 * CAP_PERFMON load the program, but a filter type is offered to every
 * root daemon on the system.
 */
TEST_F(bpf, registration_needs_cap_sys_admin)
{
	char log[4096], buf[16];

	EXPECT_EQ(1, loader_start(&self->l, "subtree.bpf.o",
				  LOADER_NO_SYS_ADMIN, log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, "does not register: Operation not permitted")) {
		TH_LOG("%s", log);
	}
	EXPECT_EQ(-1, sysfs_read("bpf_subtree", "unprivileged", buf, sizeof(buf)));
	/* With it, the same object registers. */
	ASSERT_EQ(0, loader_start(&self->l, "subtree.bpf.o", 0, NULL, 0));
	EXPECT_EQ(0, loader_stop(&self->l));
}

/*
 * A BPF filter type cannot take a name outside the "bpf_" namespace, the
 * Rust module's "guard" here, whether or not the module is loaded: a
 * daemon attaching "guard" would get a program that allows everything.
 */
TEST_F(bpf, bpf_type_cannot_take_a_module_name)
{
	const char *why = "hijack does not register: Invalid argument";
	char log[4096];
	int reload = 0;

	ASSERT_TRUE(module_loaded());
	EXPECT_EQ(1, loader_start(&self->l, "reject/hijack_guard.bpf.o", 0,
				  log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, why)) TH_LOG("%s", log);
	if (self->l.pid)
		loader_stop(&self->l);

	ASSERT_EQ(0, module_unload());
	reload = 1;
	EXPECT_EQ(1, loader_start(&self->l, "reject/hijack_guard.bpf.o", 0,
				  log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, why)) TH_LOG("%s", log);
	EXPECT_NE(0, access("/sys/fs/fanotify/filters/guard", F_OK));
	/* A hijack that registered would keep the module from loading. */
	if (self->l.pid)
		loader_stop(&self->l);
	if (reload)
		ASSERT_EQ(0, module_load());
}

TEST_HARNESS_MAIN
