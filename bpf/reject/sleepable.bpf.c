// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load when loaded sleepable (fanfilter-bpf --sleepable): a filter
 * runs under rcu_read_lock() and cannot sleep.  libbpf 1.1 knows no
 * "struct_ops.s/" section, so the loader sets BPF_F_SLEEPABLE itself.
 */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(sleepy_filter, struct fanotify_filter_event *event)
{
	return FAN_FILTER_SEND;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_sleepable = {
	.filter = (void *)sleepy_filter,
	.name = "bpf_reject_sleepable",
};

char LICENSE[] SEC("license") = "GPL";
