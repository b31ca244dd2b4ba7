// SPDX-License-Identifier: GPL-2.0
/*
 * The "actor" filter: send only the events of given processes or users,
 * or exclude them, or exclude the listener's own process; who "self" is
 * survives a reconfiguration by another process; root only; every limit
 * of the args at, below and above its bound.
 */
#include "fanfilter_test.h"
#include "kselftest_harness.h"

#include <pthread.h>

#define OTHER_UID 1000

/* A child that writes in/<name> each time it is told to. */
struct writer {
	pid_t pid;
	int cmd, ack;
};

static int writer_start(struct writer *w, uid_t uid, const char *dir,
			const char *name)
{
	int cmd[2], ack[2];
	char c;

	if (pipe(cmd) || pipe(ack))
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(1);
		while (read(cmd[0], &c, 1) == 1) {
			c = touch_write(dir, name) ? 'E' : 'K';
			if (write(ack[1], &c, 1) != 1)
				_exit(2);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	w->cmd = cmd[1];
	w->ack = ack[0];
	return 0;
}

static int writer_write(struct writer *w)
{
	char c = 'w';

	if (write(w->cmd, &c, 1) != 1 || read(w->ack, &c, 1) != 1)
		return -1;
	return c == 'K' ? 0 : -1;
}

static void writer_stop(struct writer *w)
{
	close(w->cmd);
	close(w->ack);
	waitpid(w->pid, NULL, 0);
}

/* The actor pids of the queued events. */
struct event_pids {
	int nr;
	pid_t pid[MAX_EVENTS];
};

static void add_event_pid(const struct fanotify_event_metadata *md, void *ctx)
{
	struct event_pids *ev = ctx;

	if (ev->nr < MAX_EVENTS)
		ev->pid[ev->nr++] = md->pid;
}

static int read_event_pids(int fan_fd, struct event_pids *ev)
{
	ev->nr = 0;
	return drain_events(fan_fd, add_event_pid, ev);
}

FIXTURE(actor) {
	struct test_fs fs;
	int fan_fd;
	struct writer writers[2];	/* as root, as OTHER_UID */
};

FIXTURE_SETUP(actor)
{
	ASSERT_EQ(0, test_fs_setup(&self->fs));
	ASSERT_EQ(0, chmod(self->fs.in, 0777));
	self->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	ASSERT_LE(0, self->fan_fd);
	ASSERT_EQ(0, fanotify_mark(self->fan_fd,
				   FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				   FAN_CLOSE_WRITE, AT_FDCWD, self->fs.root));
	ASSERT_EQ(0, writer_start(&self->writers[0], 0, self->fs.in, "r"));
	ASSERT_EQ(0, writer_start(&self->writers[1], OTHER_UID, self->fs.in,
				  "u"));
}

FIXTURE_TEARDOWN(actor)
{
	/* The second writer holds the first one's pipe: stop it first. */
	writer_stop(&self->writers[1]);
	writer_stop(&self->writers[0]);
	close(self->fan_fd);
	test_fs_teardown(&self->fs);
}

/* This process and the two writers each write once into @dir. */
static int everyone_writes(const char *dir, struct writer *writers,
			   int fan_fd, struct event_pids *ev)
{
	if (touch_write(dir, "self") || writer_write(&writers[0]) ||
	    writer_write(&writers[1]))
		return -1;
	return read_event_pids(fan_fd, ev);
}

static int has_pid(const struct event_pids *ev, pid_t pid)
{
	for (int i = 0; i < ev->nr; i++)
		if (ev->pid[i] == pid)
			return 1;
	return 0;
}

TEST_F(actor, include_tgid)
{
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, 0, &self->writers[0].pid, 1, NULL, 0);

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(has_pid(&ev, self->writers[0].pid));
}

TEST_F(actor, exclude_tgid)
{
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, FAN_ACTOR_EXCLUDE, &self->writers[0].pid,
				1, NULL, 0);

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_FALSE(has_pid(&ev, self->writers[0].pid));
}

TEST_F(actor, include_uid)
{
	uid_t uid = OTHER_UID;
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, 0, NULL, 0, &uid, 1);

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(has_pid(&ev, self->writers[1].pid));
}

TEST_F(actor, exclude_uid)
{
	uid_t uid = 0;
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, FAN_ACTOR_EXCLUDE, NULL, 0, &uid, 1);

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(has_pid(&ev, self->writers[1].pid));
}

TEST_F(actor, not_self)
{
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF,
				NULL, 0, NULL, 0);

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(2, ev.nr);
	EXPECT_FALSE(has_pid(&ev, getpid()));
}

/* "Self" is who attached, even after another process reconfigures. */
TEST_F(actor, reconfigure_keeps_self)
{
	struct fanotify_filter_args fa = { .name = "actor" };
	struct actor_args a;
	struct event_pids ev;
	__u32 size = actor_args(&a, FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF,
				NULL, 0, NULL, 0);
	int status;
	pid_t pid;

	ASSERT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	/* Now also exclude the root child, from a third process. */
	size = actor_args(&a, FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF,
			  &self->writers[0].pid, 1, NULL, 0);
	fa.args = (uintptr_t)&a;
	fa.args_size = size;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ioctl(self->fan_fd, FAN_IOC_RECONFIG_FILTER, &fa) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, everyone_writes(self->fs.in, self->writers, self->fan_fd, &ev));
	EXPECT_EQ(1, ev.nr);
	EXPECT_TRUE(has_pid(&ev, self->writers[1].pid));
}

static int attach_as_nobody(int fan_fd)
{
	struct actor_args a;
	__u32 size = actor_args(&a, FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF,
				NULL, 0, NULL, 0);
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		if (filter_attach(fan_fd, "actor", &a, size) == 0)
			_exit(1);
		_exit(errno == EPERM ? 0 : 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(actor, root_only)
{
	EXPECT_EQ(0, attach_as_nobody(self->fan_fd));
	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(actor, limits)
{
	pid_t tgids[FAN_ACTOR_MAX_IDS + 1];
	uid_t uids[FAN_ACTOR_MAX_IDS + 1];
	struct actor_args a;
	__u32 size;

	/* tgids must name live processes. */
	ASSERT_EQ(0, idle_children_start(tgids, FAN_ACTOR_MAX_IDS + 1));
	for (int i = 0; i <= FAN_ACTOR_MAX_IDS; i++)
		uids[i] = 100000 + i;
	/* At the bounds. */
	size = actor_args(&a, 0, tgids, FAN_ACTOR_MAX_IDS, uids,
			  FAN_ACTOR_MAX_IDS);
	EXPECT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
	size = actor_args(&a, 0, tgids, 1, NULL, 0);
	EXPECT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(0, filter_detach(self->fan_fd));

	/* Above: one id too many. */
	size = actor_args(&a, 0, tgids, FAN_ACTOR_MAX_IDS + 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);
	size = actor_args(&a, 0, NULL, 0, uids, FAN_ACTOR_MAX_IDS + 1);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);

	/* Below: nothing to select, or nothing to exclude. */
	size = actor_args(&a, 0, NULL, 0, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);
	size = actor_args(&a, FAN_ACTOR_EXCLUDE, NULL, 0, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);

	/* Malformed. */
	size = actor_args(&a, 0, (pid_t []){ 0 }, 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);
	size = actor_args(&a, 0x4, tgids, 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);
	size = actor_args(&a, 0, tgids, 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size + 4));
	EXPECT_EQ(EINVAL, errno);
	a.hdr.version = 2;
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);
	/* uids are mapped at attach: (uid_t)-1 has no mapping anywhere. */
	size = actor_args(&a, 0, NULL, 0, (uid_t []){ (uid_t)-1 }, 1);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, filter_detach(self->fan_fd));
	EXPECT_EQ(ENOENT, errno);
	idle_children_stop(tgids, FAN_ACTOR_MAX_IDS + 1);
}

static int parked = 1;

/* Reports its thread id, then stays until parked is cleared. */
static void *park_thread(void *arg)
{
	__atomic_store_n((pid_t *)arg, syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

/*
 * A tgid must name a live thread group: a reaped process's number, or the
 * id of a thread that does not lead its group, is ESRCH (as for
 * pidfd_open()), and nothing is attached.
 */
TEST_F(actor, gone_or_thread_tgid)
{
	struct actor_args a;
	pthread_t thread;
	pid_t gone, tid = 0;
	__u32 size;

	gone = fork();
	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, NULL, 0));
	size = actor_args(&a, 0, &gone, 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(ESRCH, errno);

	ASSERT_EQ(0, pthread_create(&thread, NULL, park_thread, &tid));
	while (!__atomic_load_n(&tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_NE(getpid(), tid);
	size = actor_args(&a, 0, &tid, 1, NULL, 0);
	EXPECT_EQ(-1, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(ESRCH, errno);
	/* The group's own tgid is found. */
	size = actor_args(&a, 0, (pid_t []){ getpid() }, 1, NULL, 0);
	EXPECT_EQ(0, filter_attach(self->fan_fd, "actor", &a, size));
	EXPECT_EQ(0, filter_detach(self->fan_fd));
	__atomic_store_n(&parked, 0, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
}

TEST_HARNESS_MAIN
