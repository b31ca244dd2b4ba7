/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a BPF fanotify filter needs besides vmlinux.h: the kfuncs of
 * fs/notify/fanotify/fanotify_filter_bpf.c and the event bits, which are
 * #defines the BTF does not carry.
 */
#ifndef FANOTIFY_FILTER_BPF_H
#define FANOTIFY_FILTER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define FS_ACCESS_PERM		0x00020000
#define FS_OPEN_PERM		0x00010000
#define FS_OPEN_EXEC_PERM	0x00040000
#define FS_PERM_EVENTS		(FS_ACCESS_PERM | FS_OPEN_PERM | FS_OPEN_EXEC_PERM)
#define FS_ISDIR		0x40000000
#define S_IFMT			0170000
#define S_IFDIR			0040000
#define EPERM			1

extern int bpf_fanotify_event_attr(struct fanotify_filter_event *event, __u32 which,
				   struct fanotify_filter_attr *attr) __ksym;
extern int bpf_fanotify_event_locate(struct fanotify_filter_event *event) __ksym;
extern int bpf_fanotify_event_name(struct fanotify_filter_event *event, char *buf,
				   __u32 buf__sz) __ksym;
extern __s32 bpf_fanotify_actor_tgid(void) __ksym;
extern __s64 bpf_fanotify_actor_euid(void) __ksym;
extern int bpf_fanotify_actor_exempt(struct fanotify_filter_event *event) __ksym;

#endif /* FANOTIFY_FILTER_BPF_H */
