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
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fanotify.h>

#include "../src/uapi/fanotify_filters.h"
#include "kselftest_harness.h"

#define FANFILTER_MODULE "fanotify_filters"
#define MAX_EVENTS 1024

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

static inline int filter_attach(int fan_fd, const char *name,
				const void *args, __u32 args_size)
{
	struct fanotify_filter_args fa = {
		.args = (uintptr_t)args,
		.args_size = args_size,
	};

	snprintf(fa.name, sizeof(fa.name), "%s", name);
	return ioctl(fan_fd, FAN_IOC_ADD_FILTER, &fa);
}

static inline int filter_detach(int fan_fd)
{
	return ioctl(fan_fd, FAN_IOC_DEL_FILTER);
}

/*
 * A non-blocking FAN_REPORT_DFID_NAME group with a filesystem mark for
 * @mask on the filesystem of @path; -1 on failure.
 */
static inline int dfid_name_group(const char *path, __u64 mask)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK |
			       FAN_REPORT_DFID_NAME, O_RDONLY);

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask,
			  AT_FDCWD, path)) {
		close(fd);
		return -1;
	}
	return fd;
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

	if (md->event_len <= sizeof(*md) ||
	    fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME ||
	    ev->nr >= MAX_EVENTS)
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

static inline int module_loaded(void)
{
	return access("/sys/module/" FANFILTER_MODULE, F_OK) == 0;
}

static inline int module_unload(void)
{
	return syscall(SYS_delete_module, FANFILTER_MODULE, O_NONBLOCK);
}

/* Load the module from $FANFILTER_KO (set by the test runner). */
static inline int module_load(void)
{
	const char *ko = getenv("FANFILTER_KO");
	int fd, ret;

	if (!ko)
		return -1;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

#endif /* FANFILTER_TEST_H */
