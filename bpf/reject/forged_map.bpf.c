// SPDX-License-Identifier: GPL-2.0
/* Must not load: a map value passed to a kfunc as an event. */
#include "../fanotify_filter.bpf.h"

struct fake_event {
	__u64 words[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fake_event);
} fakes SEC(".maps");

SEC("struct_ops/filter")
int BPF_PROG(forged_map_filter, struct fanotify_filter_event *event)
{
	__u32 zero = 0;
	struct fake_event *fake = bpf_map_lookup_elem(&fakes, &zero);

	if (!fake)
		return FAN_FILTER_SEND;
	return bpf_fanotify_event_locate((void *)fake) == FAN_FILTER_OUTSIDE;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_forged_map = {
	.filter = (void *)forged_map_filter,
	.name = "bpf_reject_forged_map",
};

char LICENSE[] SEC("license") = "GPL";
