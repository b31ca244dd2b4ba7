// SPDX-License-Identifier: GPL-2.0
/*
 * "bpf_deny_all": denies every event.  The kernel must honour the denial
 * of permission events only: a notification event is sent and counted
 * invalid, so a broken filter loses nothing.
 */
#include "fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(deny_filter, struct fanotify_filter_event *event)
{
	return -EPERM;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_deny_all = {
	.filter = (void *)deny_filter,
	.name = "bpf_deny_all",
};

char LICENSE[] SEC("license") = "GPL";
