// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: the event of an earlier call, kept in a map as a number
 * (which a loader with CAP_PERFMON may store), passed to a kfunc in a
 * later call, when that event's stack frame is gone.
 */
#include "../fanotify_filter.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} saved SEC(".maps");

SEC("struct_ops/filter")
int BPF_PROG(saved_event_filter, struct fanotify_filter_event *event)
{
	__u32 zero = 0;
	__u64 *old = bpf_map_lookup_elem(&saved, &zero);
	int ret = FAN_FILTER_SEND;

	if (!old)
		return ret;
	if (*old)
		ret = bpf_fanotify_event_locate((void *)*old) == FAN_FILTER_OUTSIDE;
	*old = (__u64)event;
	return ret;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_saved_event = {
	.filter = (void *)saved_event_filter,
	.name = "bpf_reject_saved_event",
};

char LICENSE[] SEC("license") = "GPL";
