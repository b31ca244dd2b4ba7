// SPDX-License-Identifier: GPL-2.0
/* Must not load: a filter sees an event, it does not change it. */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(write_filter, struct fanotify_filter_event *event)
{
	event->mask = 0;
	return FAN_FILTER_SEND;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_write = {
	.filter = (void *)write_filter,
	.name = "bpf_reject_write",
};

char LICENSE[] SEC("license") = "GPL";
