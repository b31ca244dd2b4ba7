// SPDX-License-Identifier: GPL-2.0
/*
 * fanbench: what in-kernel fanotify filtering saves.  Runs inside the test
 * VM (bench/run-in-guest.sh) and writes one JSON document to stdout.
 *
 * Workload: a tmpfs with 64 x 64 leaf directories; each iteration creates
 * a file, writes it, closes it, reads it back, renames it and unlinks it.
 * One iteration in 100 happens under the watched subtree (d00 and its 64
 * subdirectories), the others outside.  Configurations, interleaved in
 * every round:
 *
 *   a  no fanotify at all
 *   b  fanotify filesystem mark, no filter: the listener receives every
 *      event and drops those outside the subtree itself, by looking the
 *      parent's file handle up in a hash set of the subtree's directories
 *   c  same mark + the Rust "subtree" filter
 *   d  same mark + the C "subtree_c" filter
 *   f  same mark + the BPF "bpf_subtree" filter (bpf/subtree.bpf.c), when
 *      it is registered (bench/run-in-guest.sh runs its loader)
 *   e  recursive inotify watches on the subtree only (setup timed)
 *
 * The listener is a separate process; the workload ends by creating
 * "END" in the subtree, which the listener waits for.  Every in-subtree
 * file must arrive with all its event bits.
 *
 * Micro benchmarks measure the cost per event of a filter that skips it:
 * pwrite() of one byte (FAN_MODIFY) to a file at depth D, none of whose
 * ancestors is a root, with R roots elsewhere, minus the same loop
 * without any fanotify group, for the Rust, C and BPF subtree filters.
 * "kind" (directories only) skips the same events without walking: the
 * cost of the mark and the hook alone;
 * "ignored" drops them with the mark's ignore mask, before the hook: the
 * cost of fsnotify alone.
 *
 * Many groups: the same skipped pwrite, and the workload, with 1, 2, 10 and
 * 100 groups; "fanout" runs only on a kernel with the prototype of
 * patches/prototype/ (one dispatcher group delivers to member groups after
 * one walk per event).
 *
 * Usage: fanbench [-g] [-r rounds] [-n iterations] [-m micro_ops] DIR
 * (-g: the many-groups runs only)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fanotify.h>

#include "../src/uapi/fanotify_filters.h"

/* The prototype's ioctl (patches/prototype/), absent from the series. */
#ifndef FAN_IOC_PROTO_FANOUT
struct fanotify_fanout_args {
	__s32 dispatcher_fd;
	__s32 root_fd;
	__u64 mask;
};

#define FAN_IOC_PROTO_FANOUT	_IOW(0xFA, 0x7f, struct fanotify_fanout_args)
#endif

#define TOP		64	/* d00 .. d63 */
#define SUB		64	/* s00 .. s63 in each */
#define INSIDE_EVERY	100	/* 1 % of the iterations */
#define MAX_ITER	4194304
#define MARK_MASK	(FAN_CREATE | FAN_MODIFY | FAN_CLOSE_WRITE | \
			 FAN_MOVED_FROM | FAN_MOVED_TO | FAN_DELETE)
/* Bits every in-subtree file must arrive with. */
#define WANT_F		(FAN_CREATE | FAN_MODIFY | FAN_CLOSE_WRITE | \
			 FAN_MOVED_FROM)
#define WANT_G		(FAN_MOVED_TO | FAN_DELETE)

static const char *base;
static long iterations = 10000, micro_ops = 200000;
static int rounds = 5;
/* "bpf_subtree" is registered: run (f). */
static int bpf;

static void die(const char *what)
{
	fprintf(stderr, "fanbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void leaf_path(char *buf, size_t size, int top, int sub)
{
	snprintf(buf, size, "%s/d%02d/s%02d", base, top, sub);
}

/* The directory of iteration @i: 1 in 100 inside d00, the others outside. */
static void iteration_dir(char *buf, size_t size, long i)
{
	__u64 h = (__u64)i * 0x9e3779b97f4a7c15ull;

	if (i % INSIDE_EVERY == 0)
		leaf_path(buf, size, 0, (i / INSIDE_EVERY) % SUB);
	else
		leaf_path(buf, size, 1 + (h >> 40) % (TOP - 1), (h >> 20) % SUB);
}

static void make_tree(void)
{
	char path[PATH_MAX];

	for (int t = 0; t < TOP; t++) {
		snprintf(path, sizeof(path), "%s/d%02d", base, t);
		if (mkdir(path, 0755))
			die(path);
		for (int s = 0; s < SUB; s++) {
			leaf_path(path, sizeof(path), t, s);
			if (mkdir(path, 0755))
				die(path);
		}
	}
}

/* The workload; returns its wall time in seconds. */
static double workload(void)
{
	char dir[PATH_MAX], f[PATH_MAX], g[PATH_MAX], buf[64] = "data";
	double start = now();
	int fd;

	for (long i = 0; i < iterations; i++) {
		iteration_dir(dir, sizeof(dir), i);
		snprintf(f, sizeof(f), "%s/f%ld", dir, i);
		snprintf(g, sizeof(g), "%s/g%ld", dir, i);
		fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
			die(f);
		close(fd);
		fd = open(f, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(buf))
			die(f);
		close(fd);
		if (rename(f, g) || unlink(g))
			die(g);
	}
	return now() - start;
}

static void end_marker(int create)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/d00/END", base);
	if (!create) {
		unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die(path);
	close(fd);
}

/* What the listener reports, in memory shared with the parent. */
struct listener_report {
	long delivered;		/* events read */
	long outside;		/* events outside the subtree (dropped) */
	int overflow;
	double cpu;		/* listener CPU seconds */
	unsigned char got_f[MAX_ITER / INSIDE_EVERY + 1];
	unsigned char got_g[MAX_ITER / INSIDE_EVERY + 1];
};

static struct listener_report *report;

/* Record the event bits of in-subtree file @name ("f<i>" or "g<i>"). */
static void record(const char *name, __u64 mask)
{
	unsigned char bits = 0;
	char *end;
	long i;

	if (name[0] != 'f' && name[0] != 'g')
		return;
	i = strtol(name + 1, &end, 10);
	if (*end || i < 0 || i >= iterations || i % INSIDE_EVERY)
		return;
	bits |= (mask & FAN_CREATE) ? 1 : 0;
	bits |= (mask & FAN_MODIFY) ? 2 : 0;
	bits |= (mask & FAN_CLOSE_WRITE) ? 4 : 0;
	bits |= (mask & FAN_MOVED_FROM) ? 8 : 0;
	bits |= (mask & FAN_MOVED_TO) ? 16 : 0;
	bits |= (mask & FAN_DELETE) ? 32 : 0;
	if (name[0] == 'f')
		report->got_f[i / INSIDE_EVERY] |= bits;
	else
		report->got_g[i / INSIDE_EVERY] |= bits;
}

static long missing_inside(void)
{
	long missing = 0;

	for (long i = 0; i < iterations; i += INSIDE_EVERY) {
		if (report->got_f[i / INSIDE_EVERY] != (1 | 2 | 4 | 8))
			missing++;
		if (report->got_g[i / INSIDE_EVERY] != (16 | 32))
			missing++;
	}
	return missing;
}

/* File handles of the subtree's directories: a small open-addressing set. */
#define HSET_SIZE 256
static struct {
	unsigned int len;
	unsigned char bytes[MAX_HANDLE_SZ];
} hset[HSET_SIZE];

static unsigned int hash_bytes(const unsigned char *p, unsigned int len)
{
	unsigned int h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void hset_add(const char *path)
{
	struct {
		struct file_handle fh;
		unsigned char buf[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	unsigned int len, i;
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		die(path);
	len = sizeof(h.fh) + h.fh.handle_bytes;
	i = hash_bytes((void *)&h.fh, len) % HSET_SIZE;
	while (hset[i].len)
		i = (i + 1) % HSET_SIZE;
	hset[i].len = len;
	memcpy(hset[i].bytes, &h.fh, len);
}

static int hset_has(const struct file_handle *fh)
{
	unsigned int len = sizeof(*fh) + fh->handle_bytes;
	unsigned int i = hash_bytes((const void *)fh, len) % HSET_SIZE;

	for (; hset[i].len; i = (i + 1) % HSET_SIZE)
		if (hset[i].len == len && !memcmp(hset[i].bytes, fh, len))
			return 1;
	return 0;
}

/* The set (b)'s listener filters with: d00 and its subdirectories. */
static void subtree_handles(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/d00", base);
	hset_add(path);
	for (int s = 0; s < SUB; s++) {
		leaf_path(path, sizeof(path), 0, s);
		hset_add(path);
	}
}

static void listener_done(void)
{
	struct timespec ts;

	/* The scheduler's runtime: exact, unlike tick-sampled rusage. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	report->cpu = ts.tv_sec + ts.tv_nsec / 1e9;
	exit(0);
}

static void fanotify_listener(int fd)
{
	static __u64 buf[8192];

	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));
		struct fanotify_event_metadata *md = (void *)buf;

		if (len <= 0)
			die("read fanotify");
		for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
			struct fanotify_event_info_fid *fid = (void *)(md + 1);
			struct file_handle *fh = (void *)fid->handle;
			const char *name;

			report->delivered++;
			if (md->mask & FAN_Q_OVERFLOW) {
				report->overflow = 1;
				continue;
			}
			if (fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
				continue;
			/* What users do today: drop what is outside. */
			if (!hset_has(fh)) {
				report->outside++;
				continue;
			}
			name = (const char *)fh->f_handle + fh->handle_bytes;
			if (!strcmp(name, "END") && (md->mask & FAN_CREATE))
				listener_done();
			record(name, md->mask);
		}
	}
}

static void inotify_listener(int fd)
{
	static __u64 buf[8192];	/* aligned for struct inotify_event */

	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));

		if (len <= 0)
			die("read inotify");
		for (char *p = (char *)buf; p < (char *)buf + len;) {
			struct inotify_event *ev = (void *)p;
			__u64 mask = 0;

			p += sizeof(*ev) + ev->len;
			report->delivered++;
			if (ev->mask & IN_Q_OVERFLOW) {
				report->overflow = 1;
				continue;
			}
			if (!ev->len)
				continue;
			if (!strcmp(ev->name, "END") && (ev->mask & IN_CREATE))
				listener_done();
			mask |= (ev->mask & IN_CREATE) ? FAN_CREATE : 0;
			mask |= (ev->mask & IN_MODIFY) ? FAN_MODIFY : 0;
			mask |= (ev->mask & IN_CLOSE_WRITE) ? FAN_CLOSE_WRITE : 0;
			mask |= (ev->mask & IN_MOVED_FROM) ? FAN_MOVED_FROM : 0;
			mask |= (ev->mask & IN_MOVED_TO) ? FAN_MOVED_TO : 0;
			mask |= (ev->mask & IN_DELETE) ? FAN_DELETE : 0;
			record(ev->name, mask);
		}
	}
}

static int attach(int fan_fd, const char *filter, const int *root_fds,
		  int nr)
{
	struct fan_kind_args dirs_only = {
		FAN_KIND_ARGS_VERSION, FAN_KIND_DIRECTORIES
	};
	struct fanotify_filter_args fa = { 0 };
	struct {
		struct fan_subtree_args a;
		__s32 fds[1000];
	} args = { .a = { FAN_SUBTREE_ARGS_VERSION, nr } };

	memcpy(args.fds, root_fds, nr * sizeof(int));
	snprintf(fa.name, sizeof(fa.name), "%s", filter);
	fa.args = (uintptr_t)&args;
	fa.args_size = sizeof(args.a) + nr * sizeof(int);
	if (!strcmp(filter, "kind")) {
		fa.args = (uintptr_t)&dirs_only;
		fa.args_size = sizeof(dirs_only);
	}
	return ioctl(fan_fd, FAN_IOC_ADD_FILTER, &fa);
}

/* The filter's "seen" counter from fdinfo, or -1. */
static long filter_seen(int fan_fd)
{
	char path[64], line[256];
	long seen = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fan_fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " seen:");

		if (!strncmp(line, "fanotify filter:", 16) && p)
			seen = atol(p + 6);
	}
	fclose(f);
	return seen;
}

struct result {
	double workload, total, setup, cpu;
	long delivered, outside, missing, seen;
	int overflow;
};

static int fanotify_group(void)
{
	char path[PATH_MAX];
	int fd;

	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME |
			   FAN_UNLIMITED_QUEUE, O_RDONLY);
	if (fd < 0)
		die("fanotify_init");
	snprintf(path, sizeof(path), "%s", base);
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MARK_MASK,
			  AT_FDCWD, path))
		die("fanotify_mark");
	return fd;
}

static int inotify_group(double *setup)
{
	char path[PATH_MAX];
	double start = now();
	__u32 mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE |
			IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE;
	int fd = inotify_init1(0);

	if (fd < 0)
		die("inotify_init");
	/* Walk the subtree, as a recursive watcher does at startup. */
	snprintf(path, sizeof(path), "%s/d00", base);
	if (inotify_add_watch(fd, path, mask) < 0)
		die(path);
	for (int s = 0; s < SUB; s++) {
		leaf_path(path, sizeof(path), 0, s);
		if (inotify_add_watch(fd, path, mask) < 0)
			die(path);
	}
	*setup = now() - start;
	return fd;
}

static void run_config(char cfg, struct result *r)
{
	char path[PATH_MAX];
	int fd = -1, root_fd;
	pid_t pid = -1;
	double start;

	memset(r, 0, sizeof(*r));
	memset(report, 0, sizeof(*report));
	r->seen = -1;
	end_marker(0);
	start = now();
	if (cfg == 'b' || cfg == 'c' || cfg == 'd' || cfg == 'f') {
		fd = fanotify_group();
		if (cfg != 'b') {
			snprintf(path, sizeof(path), "%s/d00", base);
			root_fd = open(path, O_RDONLY | O_DIRECTORY);
			if (root_fd < 0 ||
			    attach(fd, cfg == 'c' ? "subtree" :
				   cfg == 'd' ? "subtree_c" : "bpf_subtree",
				   &root_fd, 1))
				die("attach");
			close(root_fd);
		}
	} else if (cfg == 'e') {
		fd = inotify_group(&r->setup);
	}
	if (fd >= 0) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (cfg == 'e')
				inotify_listener(fd);
			else
				fanotify_listener(fd);
		}
	}
	r->workload = workload();
	if (pid > 0) {
		int status;

		end_marker(1);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			die("listener failed");
		r->delivered = report->delivered;
		r->outside = report->outside;
		r->overflow = report->overflow;
		r->cpu = report->cpu;
		r->missing = missing_inside();
		if (cfg == 'c' || cfg == 'd')
			r->seen = filter_seen(fd);
		close(fd);
	}
	r->total = now() - start;
}

/* ---- micro benchmarks ---- */

static char deep_file[PATH_MAX];
static int micro_root_fds[1000];

/* A file at depth @depth below base/deep, and 1000 root dirs elsewhere. */
static void make_micro_tree(void)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/deep", base);
	if (mkdir(path, 0755))
		die(path);
	for (int d = 1; d <= 32; d++) {
		n += snprintf(path + n, sizeof(path) - n, "/l%d", d);
		if (mkdir(path, 0755))
			die(path);
	}
	snprintf(path, sizeof(path), "%s/roots", base);
	if (mkdir(path, 0755))
		die(path);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "%s/roots/r%d", base, i);
		if (mkdir(path, 0755))
			die(path);
		micro_root_fds[i] = open(path, O_RDONLY | O_DIRECTORY);
		if (micro_root_fds[i] < 0)
			die(path);
	}
}

/* Path of the micro file at @depth directories below base/deep. */
static void micro_file(int depth)
{
	int n = snprintf(deep_file, sizeof(deep_file), "%s/deep", base);

	for (int d = 1; d <= depth; d++)
		n += snprintf(deep_file + n, sizeof(deep_file) - n, "/l%d", d);
	snprintf(deep_file + n, sizeof(deep_file) - n, "/file");
}

/* ns per pwrite() with @filter (NULL: no group) and @nr_roots roots. */
static double micro_run(const char *filter, int depth, int nr_roots)
{
	int fan_fd = -1, fd;
	double start, t;

	micro_file(depth);
	fd = open(deep_file, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die(deep_file);
	if (filter) {
		fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME |
				       FAN_NONBLOCK, O_RDONLY);
		if (fan_fd < 0 ||
		    fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  FAN_MODIFY, AT_FDCWD, base))
			die("micro group");
		/* "ignored": fsnotify alone, the mark's ignore mask drops it. */
		if (!strcmp(filter, "ignored") ?
		    fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM |
				  FAN_MARK_IGNORED_MASK |
				  FAN_MARK_IGNORED_SURV_MODIFY, FAN_MODIFY,
				  AT_FDCWD, base) :
		    attach(fan_fd, filter, micro_root_fds, nr_roots))
			die("micro filter");
	}
	start = now();
	for (long i = 0; i < micro_ops; i++)
		if (pwrite(fd, "x", 1, 0) != 1)
			die("pwrite");
	t = now() - start;
	if (filter) {
		__u64 buf[64];

		/* Every event must have been skipped, by the filter if any. */
		if (strcmp(filter, "ignored") && filter_seen(fan_fd) != micro_ops)
			die("micro: filter did not see every event");
		if (read(fan_fd, buf, sizeof(buf)) >= 0) {
			fprintf(stderr, "fanbench: %s: queued mask %#llx\n",
				filter, (unsigned long long)
				((struct fanotify_event_metadata *)buf)->mask);
			exit(1);
		}
		close(fan_fd);
	}
	close(fd);
	return t * 1e9 / micro_ops;
}

static const int depths[] = { 1, 2, 4, 8, 16, 32 };
static const int root_counts[] = { 1, 10, 100, 1000 };
#define NDEPTH 6
#define NROOTS 4
#define MICRO_DEPTH 8

/* ---- many groups ---- */

/*
 * Numbers of groups of the many-groups runs.  Each group has its own
 * filesystem mark; group i's filter watches its own directory (the
 * micro runs: roots/r<i>, as per-project watchers would) or d00 (the
 * workload, so that every group must get every in-subtree event).
 */
static const int group_counts[] = { 1, 2, 10, 100 };
#define NGCOUNTS	4
#define MAX_GROUPS	100

/* What the many-groups runs compare, in this order. */
static const char *const group_kinds[] = {
	"subtree", "subtree_c", "bpf_subtree", "inotify", "fanout", "kind",
	"ignored",
};

#define NGKINDS		7
/* Kinds run on the workload too (the others only explain the micro cost). */
#define NGWORK		5

/* Whether the kernel has the prototype's FAN_IOC_PROTO_FANOUT. */
static int fanout;
/* The dispatcher of the "fanout" groups open, or -1. */
static int fanout_disp = -1;

static int group_kind_runs(int k)
{
	if (!strcmp(group_kinds[k], "fanout"))
		return fanout;
	return strcmp(group_kinds[k], "bpf_subtree") || bpf;
}

/*
 * Kinds also measured on an event inside the first group's directory (the
 * others skip it): a walking filter, and the prototype, whose dispatcher
 * then looks up the walk's directories.
 */
static int group_kind_hits(int k)
{
	return group_kind_runs(k) && (!strcmp(group_kinds[k], "subtree") ||
				      !strcmp(group_kinds[k], "fanout"));
}

/* Any FAN_IOC_PROTO_FANOUT error but ENOTTY: the kernel has it. */
static int fanout_probe(void)
{
	struct fanotify_fanout_args args = { -1, -1, FAN_MODIFY };
	int fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY), ret;

	if (fd < 0)
		die("fanotify_init");
	ret = ioctl(fd, FAN_IOC_PROTO_FANOUT, &args) < 0 && errno != ENOTTY;
	close(fd);
	return ret;
}

/* Close the dispatcher of the "fanout" groups, if open. */
static void fanout_close(void)
{
	if (fanout_disp >= 0)
		close(fanout_disp);
	fanout_disp = -1;
}

/*
 * @nr fanotify groups (or inotify instances for "inotify"), each with a
 * filesystem mark on base and @kind attached; fds go to @fds.  @roots:
 * the directory of each group's filter.  "fanout": @nr member groups
 * without marks, each subscribed with its directory to one dispatcher
 * group that has the mark (fanout_disp; 101 groups for 100 members).
 */
static void open_groups(const char *kind, int nr, int *fds, const int *roots,
			__u64 mask)
{
	const unsigned int flags = FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME |
				   FAN_UNLIMITED_QUEUE | FAN_NONBLOCK;
	int is_fanout = !strcmp(kind, "fanout");

	/* Prototype: one group has the mark, the others subscribe to it. */
	if (is_fanout) {
		fanout_disp = fanotify_init(flags, O_RDONLY);
		if (fanout_disp < 0 ||
		    fanotify_mark(fanout_disp, FAN_MARK_ADD |
				  FAN_MARK_FILESYSTEM, mask, AT_FDCWD, base))
			die("many groups: fanout dispatcher");
	}
	for (int i = 0; i < nr; i++) {
		if (!strcmp(kind, "inotify")) {
			fds[i] = inotify_init1(IN_NONBLOCK);
			if (fds[i] < 0)
				die("inotify_init1");
			continue;
		}
		fds[i] = fanotify_init(flags, O_RDONLY);
		if (fds[i] < 0)
			die("many groups: fanotify_init");
		if (is_fanout) {
			struct fanotify_fanout_args args = {
				fanout_disp, roots[i], mask
			};

			if (ioctl(fds[i], FAN_IOC_PROTO_FANOUT, &args))
				die("many groups: FAN_IOC_PROTO_FANOUT");
			continue;
		}
		if (fanotify_mark(fds[i], FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  mask, AT_FDCWD, base))
			die("many groups: fanotify group");
		if (!strcmp(kind, "ignored")) {
			if (fanotify_mark(fds[i], FAN_MARK_ADD |
					  FAN_MARK_FILESYSTEM |
					  FAN_MARK_IGNORED_MASK |
					  FAN_MARK_IGNORED_SURV_MODIFY, mask,
					  AT_FDCWD, base))
				die("many groups: ignore mask");
		} else if (attach(fds[i], kind, &roots[i],
				  strcmp(kind, "kind") ? 1 : 0)) {
			die("many groups: attach");
		}
	}
}

/* A counter of /sys/fs/fanotify/locate/, or -1. */
static long locate_stat(const char *name)
{
	char path[64], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/fanotify/locate/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? atol(buf) : -1;
}

/* Walks and shared placements per operation of the last micro_groups(). */
static double micro_walks, micro_shared;

/*
 * ns per pwrite() of a file at MICRO_DEPTH, outside every group's
 * directory, with @nr groups of @kind (0: none).  @hit: inside the first
 * group's directory instead (deep/, the file's top; the others keep their
 * own), which that group gets and the others skip.  Deferred work of the
 * groups closed before (mark reaper, RCU) is let run first, outside the
 * timed loop.
 */
static double micro_groups(const char *kind, int nr, int hit)
{
	long ops = micro_ops / (nr > 1 ? nr : 1), walks, shared;
	int fds[MAX_GROUPS], roots[MAX_GROUPS], fd;
	char path[PATH_MAX];
	double start, t;

	if (ops < 20000)
		ops = 20000;
	micro_file(MICRO_DEPTH);
	fd = open(deep_file, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die(deep_file);
	memcpy(roots, micro_root_fds, sizeof(roots));
	if (hit) {
		snprintf(path, sizeof(path), "%s/deep", base);
		roots[0] = open(path, O_RDONLY | O_DIRECTORY);
		if (roots[0] < 0)
			die(path);
	}
	open_groups(kind, nr, fds, roots, FAN_MODIFY);
	if (hit)
		close(roots[0]);
	for (int i = 0; i < nr && !strcmp(kind, "inotify"); i++) {
		if (hit && !i)
			snprintf(path, sizeof(path), "%s/deep", base);
		else
			snprintf(path, sizeof(path), "%s/roots/r%d", base, i);
		if (inotify_add_watch(fds[i], path, IN_MODIFY) < 0)
			die(path);
	}
	usleep(100000);
	walks = locate_stat("walks");
	shared = locate_stat("shared");
	start = now();
	for (long i = 0; i < ops; i++)
		if (pwrite(fd, "x", 1, 0) != 1)
			die("pwrite");
	t = now() - start;
	micro_walks = (double)(locate_stat("walks") - walks) / ops;
	micro_shared = (double)(locate_stat("shared") - shared) / ops;
	fanout_close();
	/* The dispatcher placed every event (where the counters exist). */
	if (!strcmp(kind, "fanout") && walks >= 0 && micro_walks < 1)
		die("many groups: the fanout dispatcher did not place every event");
	for (int i = 0; i < nr; i++) {
		__u64 buf[64];
		ssize_t len;

		/* Every event skipped: by each filter, or ignored. */
		if (strcmp(kind, "ignored") && strcmp(kind, "inotify") &&
		    strcmp(kind, "fanout") && filter_seen(fds[i]) != ops)
			die("many groups: a filter did not see every event");
		/* The first group got its events (merged), the others none. */
		len = read(fds[i], buf, sizeof(buf));
		if (hit && !i ? len <= 0 : len >= 0 || errno != EAGAIN) {
			fprintf(stderr, "fanbench: %s x %d%s: group %d got %s\n",
				kind, nr, hit ? " (hit)" : "", i,
				hit && !i ? "no event" : "an event");
			exit(1);
		}
		close(fds[i]);
	}
	close(fd);
	usleep(100000);
	return t * 1e9 / ops;
}

/* Read what group @fd got; record in-subtree files, count the others. */
static long drain_group(const char *kind, int fd)
{
	static __u64 buf[8192];
	long outside = 0;
	ssize_t len;

	memset(report->got_f, 0, sizeof(report->got_f));
	memset(report->got_g, 0, sizeof(report->got_g));
	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		char *p = (char *)buf;

		if (!strcmp(kind, "inotify")) {
			while (p < (char *)buf + len) {
				struct inotify_event *ev = (void *)p;
				__u64 mask = 0;

				p += sizeof(*ev) + ev->len;
				if (ev->mask & IN_Q_OVERFLOW)
					return -1;
				if (!ev->len)
					continue;
				mask |= (ev->mask & IN_CREATE) ? FAN_CREATE : 0;
				mask |= (ev->mask & IN_MODIFY) ? FAN_MODIFY : 0;
				mask |= (ev->mask & IN_CLOSE_WRITE) ?
					FAN_CLOSE_WRITE : 0;
				mask |= (ev->mask & IN_MOVED_FROM) ?
					FAN_MOVED_FROM : 0;
				mask |= (ev->mask & IN_MOVED_TO) ?
					FAN_MOVED_TO : 0;
				mask |= (ev->mask & IN_DELETE) ? FAN_DELETE : 0;
				record(ev->name, mask);
			}
			continue;
		}
		for (struct fanotify_event_metadata *md = (void *)buf;
		     FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
			struct fanotify_event_info_fid *fid = (void *)(md + 1);
			struct file_handle *fh = (void *)fid->handle;

			if (md->mask & FAN_Q_OVERFLOW)
				return -1;
			if (fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
				continue;
			if (!hset_has(fh)) {
				outside++;
				continue;
			}
			record((const char *)fh->f_handle + fh->handle_bytes,
			       md->mask);
		}
	}
	if (len < 0 && errno != EAGAIN)
		die("many groups: read");
	return outside;
}

struct groups_result {
	double workload;
	long missing;	/* in-subtree files some group lacks events of */
	long outside;	/* events some group got from outside the subtree */
};

/* The workload with @nr groups of @kind watching d00 (0: none). */
static void workload_groups(const char *kind, int nr, struct groups_result *r)
{
	int fds[MAX_GROUPS], roots[MAX_GROUPS];
	char path[PATH_MAX];

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/d00", base);
	for (int i = 0; i < nr; i++) {
		roots[i] = open(path, O_RDONLY | O_DIRECTORY);
		if (roots[i] < 0)
			die(path);
	}
	open_groups(kind, nr, fds, roots, MARK_MASK);
	for (int i = 0; i < nr; i++)
		close(roots[i]);
	for (int i = 0; i < nr && !strcmp(kind, "inotify"); i++) {
		__u32 mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE |
			     IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE;

		if (inotify_add_watch(fds[i], path, mask) < 0)
			die(path);
		for (int s = 0; s < SUB; s++) {
			char leaf[PATH_MAX];

			leaf_path(leaf, sizeof(leaf), 0, s);
			if (inotify_add_watch(fds[i], leaf, mask) < 0)
				die(leaf);
		}
	}
	usleep(100000);
	r->workload = workload();
	fanout_close();
	for (int i = 0; i < nr; i++) {
		long outside = drain_group(kind, fds[i]);

		if (outside < 0)
			die("many groups: queue overflow");
		r->outside += outside;
		r->missing += missing_inside();
		close(fds[i]);
	}
}

static void raise_group_limits(void)
{
	/* The micro runs' 1000 roots stay open beside the groups. */
	struct rlimit nofile = { 4096, 4096 };
	static const char *const files[] = {
		"/proc/sys/fs/fanotify/max_user_groups",
		"/proc/sys/fs/inotify/max_user_instances",
	};

	/* Room for MAX_GROUPS groups beside what the guest runs. */
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "w");

		if (!f || fprintf(f, "%d\n", 4 * MAX_GROUPS) < 0 || fclose(f))
			die(files[i]);
	}
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		die("RLIMIT_NOFILE");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double s[64];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_series(const char *key, double *v, int n, int last)
{
	double lo = v[0], hi = v[0];

	for (int i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	printf("\"%s\": {\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"runs\": [",
	       key, median(v, n), lo, hi);
	for (int i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	printf("]}%s\n", last ? "" : ",");
}

/* print_series() of group kind @k with group_counts[@n], named @prefix kind_n. */
static void print_group_series(const char *prefix, int k, int n, double *v)
{
	char key[64];

	snprintf(key, sizeof(key), "%s%s_%d", prefix, group_kinds[k],
		 group_counts[n]);
	print_series(key, v, rounds, 0);
}

int main(int argc, char **argv)
{
	static const char configs[] = "abcdef";
	static struct result res[6][64];
	static double micro_none[64], micro_c[NDEPTH][64], micro_d[NDEPTH][64];
	static double micro_f[NDEPTH][64], micro_roots[NROOTS][64];
	static double micro_droots[NROOTS][64], micro_froots[NROOTS][64];
	static double micro_kind[64], micro_ign[64];
	static double gmicro[NGKINDS][NGCOUNTS][64], gwork_none[64];
	static double gwalks[NGKINDS][NGCOUNTS][64], gshared[NGKINDS][NGCOUNTS][64];
	static double ghit[NGKINDS][NGCOUNTS][64];
	static struct groups_result gwork[NGWORK][NGCOUNTS][64];
	int opt, nr_configs, groups_only = 0;

	while ((opt = getopt(argc, argv, "gr:n:m:")) != -1) {
		if (opt == 'g')
			groups_only = 1;
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'n')
			iterations = atol(optarg);
		else if (opt == 'm')
			micro_ops = atol(optarg);
		else
			return 2;
	}
	if (optind != argc - 1 || rounds < 1 || rounds > 64 ||
	    iterations < INSIDE_EVERY || iterations > MAX_ITER) {
		fprintf(stderr, "%s\n",
			"usage: fanbench [-g] [-r rounds] [-n iterations] [-m micro_ops] DIR");
		return 2;
	}
	base = argv[optind];
	/* (f) only where the BPF filter is registered. */
	bpf = !access("/sys/fs/fanotify/filters/bpf_subtree", F_OK);
	nr_configs = groups_only ? 0 : bpf ? 6 : 5;
	fanout = fanout_probe();
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		die("mmap");
	make_tree();
	make_micro_tree();
	subtree_handles();
	raise_group_limits();

	/* Warm the dcache (names of every run) and the caches, unrecorded. */
	run_config('a', &res[0][0]);
	if (!groups_only)
		run_config('c', &res[0][0]);
	micro_run("subtree", MICRO_DEPTH, 1);

	for (int r = 0; r < rounds; r++) {
		/* Rotate the order so no configuration always runs first. */
		for (int k = 0; k < nr_configs; k++) {
			int c = (k + r) % nr_configs;

			run_config(configs[c], &res[c][r]);
			fprintf(stderr, "round %d %c: %.3f s\n", r, configs[c],
				res[c][r].workload);
		}
		micro_none[r] = micro_run(NULL, MICRO_DEPTH, 1);
		/* The hook without a walk: "kind" skips files at once. */
		if (!groups_only) {
			micro_kind[r] = micro_run("kind", MICRO_DEPTH, 0);
			micro_ign[r] = micro_run("ignored", MICRO_DEPTH, 0);
		}
		for (int i = 0; i < NDEPTH && !groups_only; i++) {
			micro_c[i][r] = micro_run("subtree", depths[i], 1);
			micro_d[i][r] = micro_run("subtree_c", depths[i], 1);
			if (bpf)
				micro_f[i][r] = micro_run("bpf_subtree",
							  depths[i], 1);
		}
		for (int i = 0; i < NROOTS && !groups_only; i++) {
			micro_roots[i][r] = micro_run("subtree", MICRO_DEPTH,
						      root_counts[i]);
			micro_droots[i][r] = micro_run("subtree_c", MICRO_DEPTH,
						       root_counts[i]);
			if (bpf)
				micro_froots[i][r] = micro_run("bpf_subtree",
							       MICRO_DEPTH,
							       root_counts[i]);
		}
		/* Many groups, the workload and the per-event cost. */
		gwork_none[r] = workload();
		for (int k = 0; k < NGKINDS; k++) {
			if (!group_kind_runs(k))
				continue;
			for (int n = 0; n < NGCOUNTS; n++) {
				gmicro[k][n][r] = micro_groups(group_kinds[k],
							       group_counts[n], 0);
				gwalks[k][n][r] = micro_walks;
				gshared[k][n][r] = micro_shared;
				if (group_kind_hits(k))
					ghit[k][n][r] = micro_groups(group_kinds[k],
								     group_counts[n], 1);
				if (k >= NGWORK)
					continue;
				workload_groups(group_kinds[k],
						group_counts[n], &gwork[k][n][r]);
				fprintf(stderr, "round %d %s x %d: %.3f s\n", r,
					group_kinds[k], group_counts[n],
					gwork[k][n][r].workload);
			}
		}
	}

	printf("{\n\"iterations\": %ld, \"inside_every\": %d, \"rounds\": %d,\n",
	       iterations, INSIDE_EVERY, rounds);
	printf("\"micro_ops\": %ld, \"micro_depth\": %d,\n", micro_ops,
	       MICRO_DEPTH);
	if (groups_only)
		goto groups;
	printf("\"configs\": {\n");
	for (int c = 0; c < nr_configs; c++) {
		double v[64];

		printf("\"%c\": {\n", configs[c]);
#define SERIES(field, last) do {					\
		for (int r = 0; r < rounds; r++)			\
			v[r] = res[c][r].field;				\
		print_series(#field, v, rounds, last);			\
	} while (0)
		SERIES(workload, 0);
		SERIES(total, 0);
		SERIES(setup, 0);
		SERIES(cpu, 0);
		SERIES(delivered, 0);
		SERIES(outside, 0);
		SERIES(missing, 0);
		SERIES(seen, 0);
		SERIES(overflow, 1);
#undef SERIES
		printf("}%s\n", c < nr_configs - 1 ? "," : "");
	}
	printf("},\n\"micro\": {\n");
	print_series("none", micro_none, rounds, 0);
	print_series("kind_skip", micro_kind, rounds, 0);
	print_series("ignored", micro_ign, rounds, 0);
	for (int i = 0; i < NDEPTH; i++) {
		char key[32];

		snprintf(key, sizeof(key), "c_depth_%d", depths[i]);
		print_series(key, micro_c[i], rounds, 0);
		snprintf(key, sizeof(key), "d_depth_%d", depths[i]);
		print_series(key, micro_d[i], rounds, 0);
		if (bpf) {
			snprintf(key, sizeof(key), "f_depth_%d", depths[i]);
			print_series(key, micro_f[i], rounds, 0);
		}
	}
	for (int i = 0; i < NROOTS; i++) {
		char key[32];

		snprintf(key, sizeof(key), "d_roots_%d", root_counts[i]);
		print_series(key, micro_droots[i], rounds, 0);
		if (bpf) {
			snprintf(key, sizeof(key), "f_roots_%d", root_counts[i]);
			print_series(key, micro_froots[i], rounds, 0);
		}
		snprintf(key, sizeof(key), "c_roots_%d", root_counts[i]);
		print_series(key, micro_roots[i], rounds, i == NROOTS - 1);
	}
	printf("},\n");
groups:
	printf("\"groups\": {\n\"counts\": [");
	for (int n = 0; n < NGCOUNTS; n++)
		printf("%s%d", n ? ", " : "", group_counts[n]);
	printf("],\n\"micro\": {\n");
	for (int k = 0; k < NGKINDS; k++) {
		if (!group_kind_runs(k))
			continue;
		for (int n = 0; n < NGCOUNTS; n++) {
			print_group_series("", k, n, gmicro[k][n]);
			print_group_series("walks_", k, n, gwalks[k][n]);
			print_group_series("shared_", k, n, gshared[k][n]);
			if (group_kind_hits(k))
				print_group_series("hit_", k, n, ghit[k][n]);
		}
	}
	print_series("none", micro_none, rounds, 1);
	printf("},\n\"workload\": {\n");
	for (int k = 0; k < NGWORK; k++) {
		if (!group_kind_runs(k))
			continue;
		for (int n = 0; n < NGCOUNTS; n++) {
			char key[64];
			double v[64];

			snprintf(key, sizeof(key), "%s_%d", group_kinds[k],
				 group_counts[n]);
			printf("\"%s\": {", key);
			for (int r = 0; r < rounds; r++)
				v[r] = gwork[k][n][r].workload;
			print_series("workload", v, rounds, 0);
			for (int r = 0; r < rounds; r++)
				v[r] = gwork[k][n][r].missing;
			print_series("missing", v, rounds, 0);
			for (int r = 0; r < rounds; r++)
				v[r] = gwork[k][n][r].outside;
			print_series("outside", v, rounds, 1);
			printf("},\n");
		}
	}
	print_series("none", gwork_none, rounds, 1);
	printf("}\n}\n}\n");
	return 0;
}
