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
 * generation), not a reference, so it never keeps a mount busy.  Events
 * whose place cannot be told (a disconnected dentry, an inode without a
 * name such as a deleted file's DELETE_SELF, FS_ERROR) are sent.
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
 * deny the access with EPERM unless the acting process is exempt; allow
 * every other permission event in the kernel, without asking user space.
 * Other events are sent unchanged.  A process is exempt if it is one of
 * the exempt processes or runs with one of the exempt effective uids (a
 * daemon's children, which no pid list can name in advance).  Exempt
 * tgids are those of the attacher's pid namespace and must name live
 * processes (ESRCH otherwise); the filter holds the processes, not the
 * numbers, so a process that later reuses a number is not exempt.  Uids
 * are those of the attacher's user namespace (EINVAL if unmapped).
 * Objects whose place cannot be told (disconnected dentries, roots other
 * than the one the directories hang from) are denied: guard fails closed;
 * kernel threads are never exempt.
 */
#define FAN_GUARD_ARGS_VERSION	1
#define FAN_GUARD_MAX_EXEMPT	64

struct fan_guard_args {
	__u32 version;		/* FAN_GUARD_ARGS_VERSION */
	__u32 nr_roots;		/* 1 .. FAN_SUBTREE_MAX_ROOTS */
	__u32 nr_exempt;	/* 0 .. FAN_GUARD_MAX_EXEMPT tgids */
	/* 0 .. FAN_GUARD_MAX_EXEMPT uids; was reserved, 0: no uids */
	__u32 nr_exempt_uids;
	/* nr_exempt tgids (> 0), nr_exempt_uids uids (__u32), nr_roots fds */
	__s32 ids[];
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

/*
 * "name": send only events whose object's name matches one of the
 * patterns, or with FAN_NAME_EXCLUDE only events whose name matches none.
 * The name is the entry name of directory-entry events, otherwise the last
 * component of the object's path; events without one are sent.  The
 * header is followed by nr_patterns packed struct fan_name_pattern, each
 * followed by its len bytes, and nothing else.
 */
#define FAN_NAME_ARGS_VERSION	1
#define FAN_NAME_MAX_PATTERNS	128
#define FAN_NAME_EXCLUDE	0x1	/* flags: skip matching names */
#define FAN_NAME_EXACT		1
#define FAN_NAME_PREFIX		2
#define FAN_NAME_SUFFIX		3

struct fan_name_args {
	__u32 version;		/* FAN_NAME_ARGS_VERSION */
	__u32 flags;		/* 0 or FAN_NAME_EXCLUDE */
	__u32 nr_patterns;	/* 1 .. FAN_NAME_MAX_PATTERNS */
	__u32 zero;		/* must be 0 */
};

struct fan_name_pattern {
	__u8 kind;		/* FAN_NAME_EXACT, _PREFIX or _SUFFIX */
	__u8 len;		/* 1 .. 255 bytes of name, no '/' or NUL */
	char name[];
};

/*
 * "actor": send only events caused by one of the processes (tgids of the
 * attacher's pid namespace, which must be live: ESRCH otherwise) or
 * effective uids (of the caller's user namespace at attach or reconfigure,
 * which must map them: EINVAL otherwise), or with FAN_ACTOR_EXCLUDE only events caused by
 * others.  FAN_ACTOR_NOT_SELF also skips the events of the
 * process that attached the filter; without ids it is only accepted
 * together with FAN_ACTOR_EXCLUDE.  Events raised by kernel threads have no
 * known actor and are sent.  Root only.
 */
#define FAN_ACTOR_ARGS_VERSION	1
#define FAN_ACTOR_MAX_IDS	64
#define FAN_ACTOR_EXCLUDE	0x1
#define FAN_ACTOR_NOT_SELF	0x2

struct fan_actor_args {
	__u32 version;		/* FAN_ACTOR_ARGS_VERSION */
	__u32 flags;		/* FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF */
	__u32 nr_tgids;		/* 0 .. FAN_ACTOR_MAX_IDS */
	__u32 nr_uids;		/* 0 .. FAN_ACTOR_MAX_IDS */
	__u32 ids[];		/* nr_tgids tgids (__s32, > 0), then nr_uids uids */
};

/*
 * "policy": the subtree, kind, name and actor filters, and directories to
 * prune, in one attachment; an event is sent only if every given part
 * sends it.  The header is followed by nr_sections sections, each a
 * struct fan_policy_section and the args of the filter its type names,
 * padded with zeros to a multiple of 4 bytes.  Each type at most once; all
 * of them at their largest exceed FAN_FILTER_ARGS_MAX (E2BIG).  Root only.
 *
 * FAN_POLICY_PRUNE takes the args of "subtree" and drops the events on
 * objects at or below its directories, the directories' own events too
 * (their creation, deletion, FAN_MOVED_FROM and FAN_MOVED_TO).  An event
 * is dropped only if every place it names is known to be pruned:
 * FAN_RENAME out of a pruned directory or into one is sent, and so is the
 * FAN_RENAME of a pruned directory itself (its old name is outside); of a
 * move across the border only the half outside is sent (FAN_MOVED_FROM of
 * a move in, FAN_MOVED_TO of a move out).  FAN_MOVE_SELF (whose old place
 * is gone), the other events about a file's inode alone (a link count
 * change, FAN_DELETE_SELF: a file may have names outside, some of them
 * unlinked but still open) and events whose place cannot be told (see
 * "subtree") are never dropped.  Directories are kept by identity (superblock, inode
 * number, generation): one created later under the same name is not
 * pruned; on a filesystem without inode generations, one that reuses a
 * pruned directory's inode number is.
 */
#define FAN_POLICY_ARGS_VERSION	1
#define FAN_POLICY_SUBTREE	1	/* struct fan_subtree_args */
#define FAN_POLICY_KIND		2	/* struct fan_kind_args */
#define FAN_POLICY_NAME		3	/* struct fan_name_args and patterns */
#define FAN_POLICY_ACTOR	4	/* struct fan_actor_args */
#define FAN_POLICY_PRUNE	5	/* struct fan_subtree_args */

struct fan_policy_args {
	__u32 version;		/* FAN_POLICY_ARGS_VERSION */
	__u32 nr_sections;	/* 1 .. 5 */
};

struct fan_policy_section {
	__u32 type;		/* FAN_POLICY_* */
	__u32 size;		/* bytes of args that follow, without padding */
};

#endif /* _UAPI_FANOTIFY_FILTERS_H */
