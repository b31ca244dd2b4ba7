// SPDX-License-Identifier: GPL-2.0
/*
 * "bpf_subtree": the subtree filter as a BPF program.  Attached with
 * struct fanotify_filter_roots (the same layout as the Rust filter's
 * struct fan_subtree_args), it sends only events at or below those
 * directories and those whose place cannot be told.  The walk is the
 * kernel's (bpf_fanotify_event_locate()): the program never loops.
 */
#include "fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(subtree_filter, struct fanotify_filter_event *event)
{
	/* -ENOENT (no directories given) sends everything, as UNKNOWN does. */
	if (bpf_fanotify_event_locate(event) == FAN_FILTER_OUTSIDE)
		return FAN_FILTER_SKIP;
	return FAN_FILTER_SEND;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_subtree = {
	.filter = (void *)subtree_filter,
	.name = "bpf_subtree",
};

char LICENSE[] SEC("license") = "GPL";
