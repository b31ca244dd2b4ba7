/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Arguments of the filters registered by the fanotify_filters module, as
 * passed in struct fanotify_filter_args.args / .args_size to
 * FAN_IOC_ADD_FILTER.  All integers are in native byte order.
 */
#ifndef _UAPI_FANOTIFY_FILTERS_H
#define _UAPI_FANOTIFY_FILTERS_H

#include <linux/types.h>

/*
 * "subtree": send only events on objects at or below one of the given
 * directories.  The directories are opened by the caller and passed as
 * fds; the filter keeps their identity (superblock, inode number,
 * generation), not a reference, so it never keeps a mount busy.
 */
#define FAN_SUBTREE_ARGS_VERSION	1
#define FAN_SUBTREE_MAX_ROOTS		4096

struct fan_subtree_args {
	__u32 version;		/* FAN_SUBTREE_ARGS_VERSION */
	__u32 nr_roots;		/* 1 .. FAN_SUBTREE_MAX_ROOTS */
	__s32 root_fds[];	/* nr_roots fds of directories */
};

/*
 * "guard": for permission events (FAN_OPEN_PERM, FAN_ACCESS_PERM,
 * FAN_OPEN_EXEC_PERM) on objects at or below one of the given directories,
 * deny the access with EPERM unless the acting process is one of the exempt
 * tgids; allow every other permission event in the kernel, without asking
 * user space.  Other events are sent unchanged.
 */
#define FAN_GUARD_ARGS_VERSION	1
#define FAN_GUARD_MAX_EXEMPT	64

struct fan_guard_args {
	__u32 version;		/* FAN_GUARD_ARGS_VERSION */
	__u32 nr_roots;		/* 1 .. FAN_SUBTREE_MAX_ROOTS */
	__u32 nr_exempt;	/* 0 .. FAN_GUARD_MAX_EXEMPT */
	__u32 zero;		/* must be 0 */
	__s32 ids[];		/* nr_exempt tgids, then nr_roots fds */
};

/*
 * "kind": send only events on directories, or only events on
 * non-directories.  Directory events still need FAN_ONDIR in the mark.
 */
#define FAN_KIND_ARGS_VERSION	1
#define FAN_KIND_DIRECTORIES	1
#define FAN_KIND_NON_DIRECTORIES	2

struct fan_kind_args {
	__u32 version;		/* FAN_KIND_ARGS_VERSION */
	__u32 kind;		/* FAN_KIND_DIRECTORIES or FAN_KIND_NON_DIRECTORIES */
};

#endif /* _UAPI_FANOTIFY_FILTERS_H */
