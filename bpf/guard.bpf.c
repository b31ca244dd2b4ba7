// SPDX-License-Identifier: GPL-2.0
/*
 * "bpf_guard": a permission filter.  Denies opens and reads at or below
 * the attachment's directories (or of objects whose place is unknown) to
 * every process but the one in the "exempt" map; allows every other
 * permission event in the kernel; sends notification events unchanged.
 */
#include "fanotify_filter.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s32);
} exempt SEC(".maps");

SEC("struct_ops/filter")
int BPF_PROG(guard_filter, struct fanotify_filter_event *event)
{
	__u32 zero = 0;
	__s32 *tgid, actor;

	if (!(event->mask & FS_PERM_EVENTS))
		return FAN_FILTER_SEND;
	if (bpf_fanotify_event_locate(event) == FAN_FILTER_OUTSIDE)
		return FAN_FILTER_SKIP;
	/* Kernel threads (tgid 0) are never exempt. */
	actor = bpf_fanotify_actor_tgid();
	tgid = bpf_map_lookup_elem(&exempt, &zero);
	if (tgid && actor && *tgid == actor)
		return FAN_FILTER_SKIP;
	return -EPERM;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_guard = {
	.filter = (void *)guard_filter,
	.name = "bpf_guard",
};

char LICENSE[] SEC("license") = "GPL";
