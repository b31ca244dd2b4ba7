/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tests of the fanotify filters: a private tmpfs with
 * an "in" and an "out" directory, attaching filters, and collecting the
 * events a group received.
 */
#ifndef FANFILTER_TEST_H
#define FANFILTER_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/fanotify.h>
#include <linux/loop.h>

#include "../src/uapi/fanotify_filters.h"
#include "kselftest_harness.h"

#define FANFILTER_MODULE "fanotify_filters"
/*
 * The series' test module (lib/test_fanotify_filter.c, $FANFILTER_TEST_MODULE)
 * and its filter, which returns the verdict it was attached with.
 */
#define TEST_MODULE "test_fanotify_filter"
#define TEST_FILTER "test_verdict"
/* Verdicts of include/linux/fanotify_filter.h, which is not uapi. */
#define VERDICT_SEND 0
#define VERDICT_SKIP 1
#define MAX_EVENTS 1024

/* Run the calling thread on CPU @cpu only. */
static inline int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* A private tmpfs with the directories in/ and out/. */
struct test_fs {
	char root[64];
	char in[96];
	char out[96];
};

static inline int test_fs_setup(struct test_fs *fs)
{
	snprintf(fs->root, sizeof(fs->root), "/tmp/fanfilter-XXXXXX");
	if (!mkdtemp(fs->root))
		return -1;
	if (mount("fanfilter", fs->root, "tmpfs", 0, "size=16m"))
		return -1;
	snprintf(fs->in, sizeof(fs->in), "%s/in", fs->root);
	snprintf(fs->out, sizeof(fs->out), "%s/out", fs->root);
	if (mkdir(fs->in, 0755) || mkdir(fs->out, 0755))
		return -1;
	return 0;
}

static inline void test_fs_teardown(struct test_fs *fs)
{
	umount2(fs->root, MNT_DETACH);
	rmdir(fs->root);
}

/* Create (or truncate) a file, write to it and close it. */
static inline int touch_write(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/*
 * test_fs_setup() with in/f and out/g written, and a directory fd of in/
 * in *@in_fd: 0, or -1 (nothing is left set up).
 */
static inline int test_fs_with_files(struct test_fs *fs, int *in_fd)
{
	if (test_fs_setup(fs))
		return -1;
	if (!touch_write(fs->in, "f") && !touch_write(fs->out, "g")) {
		*in_fd = open(fs->in, O_RDONLY | O_DIRECTORY);
		if (*in_fd >= 0)
			return 0;
	}
	test_fs_teardown(fs);
	return -1;
}

/* FAN_IOC_ADD_FILTER or FAN_IOC_RECONFIG_FILTER (@cmd) of @name. */
static inline int filter_ioctl(int fan_fd, unsigned long cmd, const char *name,
			       const void *args, __u32 args_size)
{
	struct fanotify_filter_args fa = {
		.args = (uintptr_t)args,
		.args_size = args_size,
	};

	snprintf(fa.name, sizeof(fa.name), "%s", name);
	return ioctl(fan_fd, cmd, &fa);
}

static inline int filter_attach(int fan_fd, const char *name,
				const void *args, __u32 args_size)
{
	return filter_ioctl(fan_fd, FAN_IOC_ADD_FILTER, name, args, args_size);
}

static inline int filter_reconfig(int fan_fd, const char *name,
				  const void *args, __u32 args_size)
{
	return filter_ioctl(fan_fd, FAN_IOC_RECONFIG_FILTER, name, args,
			    args_size);
}

static inline int filter_detach(int fan_fd)
{
	return ioctl(fan_fd, FAN_IOC_DEL_FILTER);
}

/*
 * A non-blocking notification group that reports @report (FAN_REPORT_*
 * flags, 0 for fds) with a filesystem mark for @mask on the filesystem of
 * @path; -1 on failure.
 */
static inline int fs_group(const char *path, unsigned int report, __u64 mask)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | report,
			       O_RDONLY);

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask,
			  AT_FDCWD, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* fs_group() reporting FAN_REPORT_DFID_NAME. */
static inline int dfid_name_group(const char *path, __u64 mask)
{
	return fs_group(path, FAN_REPORT_DFID_NAME, mask);
}

/*
 * In a test: attaching filter @name with @args of @size bytes fails with
 * EINVAL and leaves nothing attached; @what names the case in the log.
 */
static inline void expect_attach_einval(struct __test_metadata *_metadata,
					int fan_fd, const char *name,
					const void *args, __u32 size,
					const char *what)
{
	errno = 0;
	EXPECT_EQ(-1, filter_attach(fan_fd, name, args, size)) TH_LOG("%s", what);
	EXPECT_EQ(EINVAL, errno) TH_LOG("%s", what);
	EXPECT_EQ(-1, filter_detach(fan_fd));
	EXPECT_EQ(ENOENT, errno);
}

/* Build struct fan_subtree_args for @nr directory fds; free() the result. */
static inline struct fan_subtree_args *subtree_args(const int *fds, int nr,
						    __u32 *size)
{
	struct fan_subtree_args *a;

	*size = sizeof(*a) + nr * sizeof(a->root_fds[0]);
	a = calloc(1, *size);
	if (!a)
		return NULL;
	a->version = FAN_SUBTREE_ARGS_VERSION;
	a->nr_roots = nr;
	memcpy(a->root_fds, fds, nr * sizeof(fds[0]));
	return a;
}

/*
 * Build struct fan_guard_args for @nr_exempt tgids and @nr_roots copies of
 * the directory fd @root_fd; free() the result.
 */
static inline struct fan_guard_args *guard_args(int root_fd, int nr_roots,
						const pid_t *exempt,
						int nr_exempt, __u32 *size)
{
	struct fan_guard_args *a;

	*size = sizeof(*a) + (nr_exempt + nr_roots) * sizeof(a->ids[0]);
	a = calloc(1, *size);
	if (!a)
		return NULL;
	a->version = FAN_GUARD_ARGS_VERSION;
	a->nr_roots = nr_roots;
	a->nr_exempt = nr_exempt;
	for (int i = 0; i < nr_exempt; i++)
		a->ids[i] = exempt[i];
	for (int i = 0; i < nr_roots; i++)
		a->ids[nr_exempt + i] = root_fd;
	return a;
}

/* Attach "subtree" with the single root @dir_fd. */
/*
 * The subtree filter under test: "subtree" (Rust), or another with the
 * same arguments and rules named by FANFILTER_SUBTREE_FILTER, such as the
 * BPF "bpf_subtree", so that one set of test bodies checks both.
 */
static inline const char *subtree_filter(void)
{
	const char *name = getenv("FANFILTER_SUBTREE_FILTER");

	return name && *name ? name : "subtree";
}

/*
 * Attach @filter with the @nr roots @fds as struct fan_subtree_args (which
 * is also the layout of a BPF filter's struct fanotify_filter_roots).
 */
static inline int attach_roots_n(int fan_fd, const char *filter,
				 const int *fds, int nr)
{
	struct fan_subtree_args *args;
	__u32 size;
	int ret;

	args = subtree_args(fds, nr, &size);
	if (!args)
		return -1;
	ret = filter_attach(fan_fd, filter, args, size);
	free(args);
	return ret;
}

/* attach_roots_n() with the one root @dir_fd. */
static inline int attach_roots(int fan_fd, const char *filter, int dir_fd)
{
	return attach_roots_n(fan_fd, filter, &dir_fd, 1);
}

static inline int attach_subtree(int fan_fd, int dir_fd)
{
	return attach_roots(fan_fd, subtree_filter(), dir_fd);
}

/* A permission group (never answering) with a FAN_OPEN_PERM mark on @path. */
static inline int perm_group(const char *path, unsigned int flags)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_NONBLOCK | flags,
			       O_RDONLY);

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_OPEN_PERM, AT_FDCWD, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Attach "guard" with the single root @root_fd and @nr_exempt tgids. */
static inline int attach_guard(int fan_fd, int root_fd, const pid_t *exempt,
			       int nr_exempt)
{
	struct fan_guard_args *a;
	__u32 size;
	int ret;

	a = guard_args(root_fd, 1, exempt, nr_exempt, &size);
	if (!a)
		return -1;
	ret = filter_attach(fan_fd, "guard", a, size);
	free(a);
	return ret;
}

static inline int attach_kind(int fan_fd, __u32 version, __u32 kind)
{
	struct fan_kind_args a = { .version = version, .kind = kind };

	return filter_attach(fan_fd, "kind", &a, sizeof(a));
}

/* Args of "name": room for FAN_NAME_MAX_PATTERNS + 1 patterns of 255 bytes. */
struct name_args {
	__u32 size;
	union {
		struct fan_name_args hdr;
		__u8 bytes[sizeof(struct fan_name_args) +
			   (FAN_NAME_MAX_PATTERNS + 1) * 257];
	};
};

static inline void name_args_init(struct name_args *a, __u32 flags)
{
	memset(a, 0, sizeof(*a));
	a->hdr.version = FAN_NAME_ARGS_VERSION;
	a->hdr.flags = flags;
	a->size = sizeof(a->hdr);
}

/* Append a pattern of @len bytes (@len may differ from strlen(@name)). */
static inline void name_args_add_len(struct name_args *a, __u8 kind,
				     const char *name, __u8 len)
{
	a->bytes[a->size++] = kind;
	a->bytes[a->size++] = len;
	memcpy(a->bytes + a->size, name, len);
	a->size += len;
	a->hdr.nr_patterns++;
}

static inline void name_args_add(struct name_args *a, __u8 kind,
				 const char *name)
{
	name_args_add_len(a, kind, name, strlen(name));
}

static inline int attach_names(int fan_fd, const struct name_args *a)
{
	return filter_attach(fan_fd, "name", a->bytes, a->size);
}

/* Args of "actor": room for one id too many of each kind. */
struct actor_args {
	struct fan_actor_args hdr;
	__u32 ids[2 * FAN_ACTOR_MAX_IDS + 2];
};

/* Fill @a; returns its size. */
static inline __u32 actor_args(struct actor_args *a, __u32 flags,
			       const pid_t *tgids, int nr_tgids,
			       const uid_t *uids, int nr_uids)
{
	memset(a, 0, sizeof(*a));
	a->hdr.version = FAN_ACTOR_ARGS_VERSION;
	a->hdr.flags = flags;
	a->hdr.nr_tgids = nr_tgids;
	a->hdr.nr_uids = nr_uids;
	for (int i = 0; i < nr_tgids; i++)
		a->ids[i] = tgids[i];
	for (int i = 0; i < nr_uids; i++)
		a->ids[nr_tgids + i] = uids[i];
	return sizeof(a->hdr) + 4 * (nr_tgids + nr_uids);
}

/*
 * Read the queued events of a non-blocking group and call @fn for each.
 * Returns 0 once the queue is empty, -1 on a read error or an overflow
 * event.  Event fds are closed after @fn.
 */
static inline int drain_events(int fan_fd,
			       void (*fn)(const struct fanotify_event_metadata *,
					  void *),
			       void *ctx)
{
	__u64 buf[1024];	/* aligned for the event structs */
	ssize_t len;
	int ret = 0;

	for (;;) {
		struct fanotify_event_metadata *md;

		len = read(fan_fd, buf, sizeof(buf));
		if (len < 0 && errno == EAGAIN)
			return ret;
		if (len <= 0)
			return -1;
		for (md = (void *)buf; FAN_EVENT_OK(md, len);
		     md = FAN_EVENT_NEXT(md, len)) {
			if (md->mask & FAN_Q_OVERFLOW)
				ret = -1;
			else
				fn(md, ctx);
			if (md->fd >= 0)
				close(md->fd);
		}
	}
}

/* Paths of the queued events (fd-reporting groups) whose mask has @mask. */
struct event_paths {
	__u64 mask;
	int nr;
	char path[MAX_EVENTS][256];
};

static inline void add_event_path(const struct fanotify_event_metadata *md,
				  void *ctx)
{
	struct event_paths *ev = ctx;
	char link[64];
	ssize_t n;

	if (!(md->mask & ev->mask) || md->fd < 0 || ev->nr >= MAX_EVENTS)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
	n = readlink(link, ev->path[ev->nr], sizeof(ev->path[0]) - 1);
	if (n > 0) {
		ev->path[ev->nr][n] = '\0';
		ev->nr++;
	}
}

static inline int read_event_paths(int fan_fd, __u64 mask,
				   struct event_paths *ev)
{
	ev->mask = mask;
	ev->nr = 0;
	return drain_events(fan_fd, add_event_path, ev);
}

static inline int event_paths_has(const struct event_paths *ev,
				  const char *dir, const char *name)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (i = 0; i < ev->nr; i++)
		if (!strcmp(ev->path[i], path))
			return 1;
	return 0;
}

/*
 * Names and masks of the queued events of a FAN_REPORT_DFID_NAME group:
 * the entry name of each event's DFID_NAME record.
 */
struct event_names {
	int nr;
	__u64 mask[MAX_EVENTS];
	char name[MAX_EVENTS][NAME_MAX + 1];
};

static inline void add_event_name(const struct fanotify_event_metadata *md,
				  void *ctx)
{
	const struct fanotify_event_info_fid *fid = (const void *)(md + 1);
	struct event_names *ev = ctx;
	const struct file_handle *fh;

	/* A rename's first record is its old place. */
	if (md->event_len <= sizeof(*md) || ev->nr >= MAX_EVENTS ||
	    (fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME &&
	     fid->hdr.info_type != FAN_EVENT_INFO_TYPE_OLD_DFID_NAME))
		return;
	fh = (const struct file_handle *)fid->handle;
	ev->mask[ev->nr] = md->mask;
	snprintf(ev->name[ev->nr], NAME_MAX + 1, "%s",
		 (const char *)fh->f_handle + fh->handle_bytes);
	ev->nr++;
}

static inline int read_event_names(int fan_fd, struct event_names *ev)
{
	ev->nr = 0;
	return drain_events(fan_fd, add_event_name, ev);
}

/* How many events named @name with any bit of @mask were queued. */
static inline int event_names_count(const struct event_names *ev,
				    const char *name, __u64 mask)
{
	int i, n = 0;

	for (i = 0; i < ev->nr; i++)
		if (!strcmp(ev->name[i], name) && (ev->mask[i] & mask))
			n++;
	return n;
}

/*
 * The queued events of a group, with the pid and the info records of each:
 * the object's file handle (FID record) and the entry names of the
 * DFID_NAME record and of FAN_RENAME's OLD_DFID_NAME and NEW_DFID_NAME
 * records ("" where the event has none, as in groups that report fds).
 */
#define FID_EVENTS_MAX 256

struct fid_event {
	__u64 mask;
	pid_t pid;
	int fid_type;		/* handle_type of the FID record, -1 if none */
	__u32 fid_bytes;
	unsigned char fid[MAX_HANDLE_SZ];
	char name[NAME_MAX + 1];
	char old_name[NAME_MAX + 1];
	char new_name[NAME_MAX + 1];
};

struct fid_events {
	int nr;
	struct fid_event ev[FID_EVENTS_MAX];
};

static inline void add_fid_event(const struct fanotify_event_metadata *md,
				 void *ctx)
{
	const char *p = (const char *)md + md->metadata_len;
	const char *end = (const char *)md + md->event_len;
	struct fid_events *evs = ctx;
	struct fid_event *e;

	if (evs->nr >= FID_EVENTS_MAX)
		return;
	e = &evs->ev[evs->nr++];
	memset(e, 0, sizeof(*e));
	e->mask = md->mask;
	e->pid = md->pid;
	e->fid_type = -1;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_fid *info = (const void *)p;
		const struct file_handle *fh = (const void *)info->handle;
		char *name = NULL;

		if (info->hdr.len < sizeof(info->hdr) || p + info->hdr.len > end)
			break;
		p += info->hdr.len;
		switch (info->hdr.info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
			if (fh->handle_bytes > sizeof(e->fid))
				continue;
			e->fid_type = fh->handle_type;
			e->fid_bytes = fh->handle_bytes;
			memcpy(e->fid, fh->f_handle, fh->handle_bytes);
			continue;
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			name = e->name;
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			name = e->old_name;
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			name = e->new_name;
			break;
		default:	/* DFID, PIDFD, ...: nothing to keep */
			continue;
		}
		snprintf(name, NAME_MAX + 1, "%s",
			 (const char *)fh->f_handle + fh->handle_bytes);
	}
}

static inline int read_fid_events(int fan_fd, struct fid_events *evs)
{
	evs->nr = 0;
	return drain_events(fan_fd, add_fid_event, evs);
}

/* Events with every bit of @mask whose DFID_NAME entry name is @name. */
static inline int fid_events_count(const struct fid_events *evs,
				   const char *name, __u64 mask)
{
	int n = 0;

	for (int i = 0; i < evs->nr; i++)
		if ((evs->ev[i].mask & mask) == mask &&
		    !strcmp(evs->ev[i].name, name))
			n++;
	return n;
}

/* FAN_RENAME events from @old_name to @new_name. */
static inline int fid_events_renames(const struct fid_events *evs,
				     const char *old_name,
				     const char *new_name)
{
	int n = 0;

	for (int i = 0; i < evs->nr; i++)
		if ((evs->ev[i].mask & FAN_RENAME) &&
		    !strcmp(evs->ev[i].old_name, old_name) &&
		    !strcmp(evs->ev[i].new_name, new_name))
			n++;
	return n;
}

/* Events with every bit of @mask whose object is the file of handle @fh. */
static inline int fid_events_count_fid(const struct fid_events *evs,
				       const struct file_handle *fh,
				       __u64 mask)
{
	int n = 0;

	for (int i = 0; i < evs->nr; i++)
		if ((evs->ev[i].mask & mask) == mask &&
		    evs->ev[i].fid_type == fh->handle_type &&
		    evs->ev[i].fid_bytes == fh->handle_bytes &&
		    !memcmp(evs->ev[i].fid, fh->f_handle, fh->handle_bytes))
			n++;
	return n;
}

/* The file handle of @path (name_to_handle_at()); free() it. */
static inline struct file_handle *path_handle(const char *path)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	int mount_id;

	if (!fh)
		return NULL;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0)) {
		free(fh);
		return NULL;
	}
	return fh;
}

/* The fdinfo line of the attached filter, or "" if there is none. */
static inline void filter_fdinfo(int fan_fd, char *line, size_t size)
{
	char path[64];
	FILE *f;

	line[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fan_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, size, f))
		if (!strncmp(line, "fanotify filter:", 16))
			break;
	if (feof(f))
		line[0] = '\0';
	fclose(f);
}

/*
 * The fdinfo line up to its "invalid:" counter, with the newline: the
 * fields after it (revoked, id, ...) are parsed by key and may grow.
 */
static inline void filter_fdinfo_counters(int fan_fd, char *line,
					  size_t size)
{
	char *end;

	filter_fdinfo(fan_fd, line, size);
	end = strstr(line, " invalid:");
	if (!end)
		return;
	end += strlen(" invalid:");
	end += strspn(end, "0123456789");
	/* The line ends with a newline: there is room for one here. */
	end[0] = '\n';
	end[1] = '\0';
}

/* The value of @key ("id", "revoked") in the fdinfo line: 0, or -1. */
static inline int filter_fdinfo_field(int fan_fd, const char *key,
				      unsigned long long *value)
{
	char line[256], word[32];
	const char *at;

	filter_fdinfo(fan_fd, line, sizeof(line));
	snprintf(word, sizeof(word), " %s:", key);
	at = strstr(line, word);
	if (!at)
		return -1;
	*value = strtoull(at + strlen(word), NULL, 10);
	return 0;
}

/* The counters of the fdinfo line of the attached filter. */
struct filter_counters {
	char name[FAN_FILTER_NAME_MAX];
	long seen, skipped, sent, denied, invalid;
};

/* 0, or -1 if no filter is attached. */
static inline int filter_counters(int fan_fd, struct filter_counters *c)
{
	char line[256];

	filter_fdinfo(fan_fd, line, sizeof(line));
	memset(c, 0, sizeof(*c));
	if (sscanf(line,
		   "fanotify filter:%31s seen:%ld skipped:%ld sent:%ld denied:%ld invalid:%ld",
		   c->name, &c->seen, &c->skipped, &c->sent, &c->denied,
		   &c->invalid) != 6)
		return -1;
	return 0;
}

/*
 * mkfs.@type -q -F @img (ext2, ext4); 1 if there is no such mkfs, which a
 * test takes as a reason to skip.
 */
static inline int make_fs(const char *type, const char *img)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin" };
	char mkfs[64], name[32];
	unsigned int i;
	int status;
	pid_t pid;

	snprintf(name, sizeof(name), "mkfs.%s", type);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(mkfs, sizeof(mkfs), "%s/%s", dirs[i], name);
		if (!access(mkfs, X_OK))
			break;
	}
	if (i == ARRAY_SIZE(dirs))
		return 1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl(mkfs, name, "-q", "-F", img, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * Attach @img to a free loop device, detached again when its last user is
 * gone; its fd, with its path in @dev.  Makes the device node in @dir if
 * /dev has none.
 */
static inline int loop_attach(char *dev, size_t dev_size, const char *img,
			      const char *dir)
{
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int ctl, nr, fd, img_fd, ret;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -1;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return -1;
	snprintf(dev, dev_size, "/dev/loop%d", nr);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(dev, dev_size, "%s/loop%d", dir, nr);
		if (mknod(dev, S_IFBLK | 0600, makedev(7, nr)))
			return -1;
		fd = open(dev, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	img_fd = open(img, O_RDWR | O_CLOEXEC);
	cfg.fd = img_fd;
	ret = img_fd < 0 ? -1 : ioctl(fd, LOOP_CONFIGURE, &cfg);
	if (img_fd >= 0)
		close(img_fd);
	if (ret) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Load the module file @ko with the parameters @params ("" for none). */
static inline int kmod_load(const char *ko, const char *params)
{
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

static inline int kmod_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

static inline int kmod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

static inline int module_loaded(void)
{
	return kmod_loaded(FANFILTER_MODULE);
}

static inline int module_unload(void)
{
	return kmod_unload(FANFILTER_MODULE);
}

/* Load the module from $FANFILTER_KO (set by the test runner). */
static inline int module_load(void)
{
	const char *ko = getenv("FANFILTER_KO");

	return ko ? kmod_load(ko, "") : -1;
}

/* Read at most @size - 1 bytes of the file @path into @buf; -1 on error. */
static inline int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* A counter of /sys/fs/fanotify/locate/, or (unsigned long)-1. */
static inline unsigned long locate_stat(const char *name)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/sys/fs/fanotify/locate/%s", name);
	if (read_text(path, buf, sizeof(buf)))
		return (unsigned long)-1;
	return strtoul(buf, NULL, 10);
}

/* Write @text to the file @path in one write(); -1 with errno on error. */
static inline int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Child processes.  A permission event that reaches the listeners of these
 * tests, which never answer, keeps the opener waiting: opens that may do so
 * run in a child with a deadline.
 */
#define CHILD_BLOCKED 99

/*
 * Wait for the child @pid for up to @ms milliseconds: its exit status, -1
 * if a signal killed it, or CHILD_BLOCKED if it was still running (it is
 * then killed and reaped).
 */
static inline int child_wait(pid_t pid, int ms)
{
	int status;

	for (int i = 0; i <= ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return CHILD_BLOCKED;
}

/* Run @fn(@arg) in a child; child_wait() of it for @ms milliseconds. */
static inline int run_in_child(int (*fn)(void *), void *arg, int ms)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	return child_wait(pid, ms);
}

/*
 * Start a child that runs @fn(@arg) once child_release() lets it go, so
 * that its pid can be used first; the fd to release it goes to @go.
 */
static inline pid_t child_start_paused(int (*fn)(void *), void *arg, int *go)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(fn(arg));
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* Let a child_start_paused() child run; child_wait() of it. */
static inline int child_release(pid_t pid, int go, int ms)
{
	char c = 'g';
	int ret = write(go, &c, 1) == 1 ? 0 : -1;

	close(go);
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return child_wait(pid, ms);
}

struct open_req {
	const char *path;
	int flags;
};

/* open(): 0 on success, else its errno. */
static inline int open_errno(void *arg)
{
	const struct open_req *req = arg;
	int fd = open(req->path, req->flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Open @dir/@name with @flags in a child: 0 on success, the errno on
 * failure, CHILD_BLOCKED if the open waited for user space for a second.
 */
static inline int child_open(const char *dir, const char *name, int flags)
{
	char path[PATH_MAX];
	struct open_req req = { .path = path, .flags = flags };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return run_in_child(open_errno, &req, 1000);
}

/*
 * Open @dir/@name in a child while answering, with @response, the
 * permission event that the open raises on @fan_fd (a FAN_NONBLOCK
 * group), if one comes within 2 s: the child's open_errno(), with *@asked
 * telling whether user space was asked.
 */
static inline int child_open_answered(int fan_fd, const char *dir,
				      const char *name, __u32 response,
				      int *asked)
{
	char path[PATH_MAX];
	struct open_req req = { .path = path, .flags = O_RDONLY };
	struct pollfd p = { .fd = fan_fd, .events = POLLIN };
	struct fanotify_event_metadata md;
	struct fanotify_response r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*asked = 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(open_errno(&req));
	if (poll(&p, 1, 2000) == 1 &&
	    read(fan_fd, &md, sizeof(md)) == (ssize_t)sizeof(md)) {
		r.fd = md.fd;
		r.response = response;
		*asked = write(fan_fd, &r, sizeof(r)) == (ssize_t)sizeof(r);
		close(md.fd);
	}
	return child_wait(pid, 5000);
}

/* Run @fn(@arg) in a child that dropped root; returns its exit status. */
static inline int as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static inline void idle_children_stop(const pid_t *pids, int nr)
{
	for (int i = 0; i < nr; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/*
 * Start @nr children that do nothing, so that their pids are live tgids;
 * they die with the caller, or with idle_children_stop().
 */
static inline int idle_children_start(pid_t *pids, int nr)
{
	pid_t parent = getpid();

	for (int i = 0; i < nr; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			idle_children_stop(pids, i);
			return -1;
		}
		if (pids[i] == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) ||
			    getppid() != parent)
				_exit(1);
			for (;;)
				pause();
		}
	}
	return 0;
}

/* A pid that no task has right now; 0 if none was found. */
static inline pid_t unused_pid(void)
{
	char buf[32];
	long max = 32768;

	if (!read_text("/proc/sys/kernel/pid_max", buf, sizeof(buf)))
		max = strtol(buf, NULL, 10);
	for (pid_t pid = max - 1; pid > max / 2; pid--)
		if (kill(pid, 0) && errno == ESRCH)
			return pid;
	return 0;
}

/* struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1). */
struct fanfilter_clone_args {
	__aligned_u64 flags, pidfd, child_tid, parent_tid, exit_signal;
	__aligned_u64 stack, stack_size, tls, set_tid, set_tid_size;
};

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

/*
 * fork() into a child whose pid is @pid (clone3() with set_tid): 0 in the
 * child, @pid in the parent, -1 with errno on failure (EEXIST: the pid is
 * in use).
 */
static inline pid_t fork_with_pid(pid_t pid)
{
	struct fanfilter_clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};

	return syscall(__NR_clone3, &args, sizeof(args));
}

/*
 * The kernel log (/dev/kmsg) from now on: records logged before the call
 * are not read.
 */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read the next kernel log records for up to @ms milliseconds until one
 * contains both @a and @b (@b may be NULL); 1 if one did, with its text in
 * @line.
 */
static inline int kmsg_wait_for(int fd, int ms, const char *a, const char *b,
				char *line, size_t size)
{
	char rec[8192];

	line[0] = '\0';
	for (int waited = 0; waited <= ms;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)	/* overwritten: read on */
			continue;
		if (n <= 0) {
			usleep(20000);
			waited += 20;
			continue;
		}
		rec[n] = '\0';
		if (strstr(rec, a) && (!b || strstr(rec, b))) {
			snprintf(line, size, "%s", rec);
			return 1;
		}
	}
	return 0;
}

/*
 * Whether a kernel record logged since kmsg_open() (and not yet read) is a
 * splat: the first such record goes to @line.
 */
static inline int kmsg_splat(int fd, char *line, size_t size)
{
	static const char *const splats[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN", "refcount_t:",
		"general protection fault", "list_add corruption",
		"list_del corruption",
	};
	char rec[8192];

	line[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		for (unsigned int i = 0; i < ARRAY_SIZE(splats); i++) {
			if (strstr(rec, splats[i])) {
				snprintf(line, size, "%s", rec);
				return 1;
			}
		}
	}
}

struct loader {
	pid_t pid;
	int out;
};

/*
 * BPF filters: bpf/fanfilter-bpf registers the struct_ops maps of an
 * object (a bpf/NAME.bpf.o) as filter types until it gets SIGTERM.  Both are
 * built into bpf/ beside the test programs.
 */
static inline const char *bpf_path(const char *name)
{
	static char bpf_dir[PATH_MAX], path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n;

	if (!bpf_dir[0]) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return "";
		exe[n] = '\0';
		snprintf(bpf_dir, sizeof(bpf_dir), "%s/bpf", dirname(exe));
	}
	snprintf(path, sizeof(path), "%s/%s", bpf_dir, name);
	return path;
}

/*
 * Run the loader on @obj (with "--sleepable" if @how is LOADER_SLEEPABLE,
 * "--no-link" if LOADER_NO_LINK, without CAP_SYS_ADMIN but with CAP_BPF
 * and CAP_PERFMON if LOADER_NO_SYS_ADMIN, as it is if 0) until it says
 * "ready": 0; or its exit status if it stops first, with its output in
 * @log.
 */
#define LOADER_SLEEPABLE	1
#define LOADER_NO_SYS_ADMIN	2
#define LOADER_NO_LINK		3
static inline int loader_start(struct loader *l, const char *obj, int how,
			       char *log, size_t log_size)
{
	char loader[PATH_MAX + 64], object[PATH_MAX + 64];
	static char buf[65536];
	size_t len = 0;
	int out[2], status;

	buf[0] = '\0';
	snprintf(loader, sizeof(loader), "%s", bpf_path("fanfilter-bpf"));
	snprintf(object, sizeof(object), "%s", bpf_path(obj));
	if (pipe(out))
		return -1;
	l->pid = fork();
	if (l->pid < 0)
		return -1;
	if (l->pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		/* As capsh --drop=cap_sys_admin: root keeps every other cap. */
		if (how == LOADER_NO_SYS_ADMIN &&
		    prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0))
			_exit(126);
		if (how == LOADER_SLEEPABLE)
			execl(loader, loader, object, "--sleepable", NULL);
		else if (how == LOADER_NO_LINK)
			execl(loader, loader, object, "--no-link", NULL);
		else
			execl(loader, loader, object, NULL);
		_exit(127);
	}
	close(out[1]);
	l->out = out[0];
	while (!strstr(buf, "fanfilter-bpf: ready\n")) {
		struct pollfd p = { .fd = l->out, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 30000) <= 0)
			break;
		/*
		 * A full buffer keeps its end, where the verifier says why:
		 * a failing loader must run to its exit, not be killed.
		 */
		if (len > sizeof(buf) / 2) {
			memmove(buf, buf + len - sizeof(buf) / 4,
				sizeof(buf) / 4);
			len = sizeof(buf) / 4;
		}
		n = read(l->out, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	/* The end of the output, where the reason is. */
	if (log)
		snprintf(log, log_size, "%s",
			 len >= log_size ? buf + len - (log_size - 1) : buf);
	if (strstr(buf, "fanfilter-bpf: ready\n"))
		return 0;
	kill(l->pid, SIGKILL);
	waitpid(l->pid, &status, 0);
	close(l->out);
	l->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Unregister: the loader's exit status. */
static inline int loader_stop(struct loader *l)
{
	int status;

	if (!l->pid)
		return -1;
	kill(l->pid, SIGTERM);
	waitpid(l->pid, &status, 0);
	close(l->out);
	l->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif /* FANFILTER_TEST_H */
