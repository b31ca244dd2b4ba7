// SPDX-License-Identifier: GPL-2.0
/* Must not load: NULL for the event of a kfunc. */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(null_event_filter, struct fanotify_filter_event *event)
{
	return bpf_fanotify_event_locate(NULL) == FAN_FILTER_OUTSIDE;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_null_event = {
	.filter = (void *)null_event_filter,
	.name = "bpf_reject_null_event",
};

char LICENSE[] SEC("license") = "GPL";
