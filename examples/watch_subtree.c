// SPDX-License-Identifier: GPL-2.0
/*
 * Demo: watch one directory of a whole filesystem with fanotify, once with
 * the in-kernel "subtree" filter and once without, and show what reached
 * user space in each case.
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fanotify.h>

#include "../src/uapi/fanotify_filters.h"

#define ROOT "/tmp/fanfilter-demo"
#define DIRS 20
#define FILES_PER_DIR 10

static void write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "demo", 4) != 4 || close(fd))
		err(1, "write %s", path);
}

/* Writes FILES_PER_DIR files into each of DIRS directories: one watched. */
static int workload(void)
{
	char path[PATH_MAX];
	int d, f, n = 0;

	for (d = 0; d < DIRS; d++) {
		for (f = 0; f < FILES_PER_DIR; f++) {
			snprintf(path, sizeof(path), ROOT "/dir%02d/file%02d", d, f);
			write_file(path);
			n++;
		}
	}
	return n;
}

/* Reads and prints the queued events; returns how many there were. */
static int drain(int fan_fd, int verbose)
{
	__u64 buf[1024];	/* aligned for the event structs */
	char link[64], path[PATH_MAX];
	int n = 0;
	ssize_t len;

	while ((len = read(fan_fd, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *md = (void *)buf;

		for (; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
			ssize_t l;

			snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
			l = readlink(link, path, sizeof(path) - 1);
			path[l > 0 ? l : 0] = '\0';
			if (verbose)
				printf("    event CLOSE_WRITE %s\n", path);
			close(md->fd);
			n++;
		}
	}
	return n;
}

/* Prints the kernel's own counters of the attached filter (fdinfo). */
static void print_filter_counters(int fan_fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fan_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "fanotify filter:", 16))
			printf("  kernel counters:    %s", line + 9);
	fclose(f);
}

int main(void)
{
	struct fan_subtree_args *args;
	struct fanotify_filter_args fa = { .name = "subtree" };
	char path[PATH_MAX];
	int fan_fd, dir_fd, d, generated, delivered;

	mkdir(ROOT, 0755);
	if (mount("demo", ROOT, "tmpfs", 0, NULL))
		err(1, "mount tmpfs on " ROOT);
	for (d = 0; d < DIRS; d++) {
		snprintf(path, sizeof(path), ROOT "/dir%02d", d);
		if (mkdir(path, 0755))
			err(1, "mkdir %s", path);
	}

	fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	if (fan_fd < 0)
		err(1, "fanotify_init");
	if (fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_CLOSE_WRITE, AT_FDCWD, ROOT))
		err(1, "fanotify_mark");

	dir_fd = open(ROOT "/dir07", O_RDONLY | O_DIRECTORY);
	args = calloc(1, sizeof(*args) + sizeof(int));
	if (dir_fd < 0 || !args)
		err(1, "setup");
	args->version = FAN_SUBTREE_ARGS_VERSION;
	args->nr_roots = 1;
	args->root_fds[0] = dir_fd;
	fa.args = (uintptr_t)args;
	fa.args_size = sizeof(*args) + sizeof(int);

	printf("Watching the whole tmpfs at %s with a filesystem mark.\n", ROOT);
	printf("Attaching the Rust \"subtree\" filter rooted at %s/dir07.\n", ROOT);
	if (ioctl(fan_fd, FAN_IOC_ADD_FILTER, &fa))
		err(1, "FAN_IOC_ADD_FILTER");
	close(dir_fd);

	generated = workload();
	printf("Wrote %d files in %d directories; events that reached user space:\n",
	       generated, DIRS);
	delivered = drain(fan_fd, 1);
	printf("  with the filter:    %d delivered, %d filtered in the kernel\n",
	       delivered, generated - delivered);
	print_filter_counters(fan_fd);

	if (ioctl(fan_fd, FAN_IOC_DEL_FILTER))
		err(1, "FAN_IOC_DEL_FILTER");
	generated = workload();
	delivered = drain(fan_fd, 0);
	printf("  without the filter: %d delivered, %d filtered in the kernel\n",
	       delivered, generated - delivered);

	close(fan_fd);
	umount2(ROOT, MNT_DETACH);
	return 0;
}
