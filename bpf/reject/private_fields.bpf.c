// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: the event's dentry, data and directory lie beyond the
 * struct the program sees; reading them would let it walk the tree itself.
 */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(peek_filter, struct fanotify_filter_event *event)
{
	__u64 hidden = *(volatile __u64 *)(event + 1);

	return hidden ? FAN_FILTER_SEND : FAN_FILTER_SKIP;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_private = {
	.filter = (void *)peek_filter,
	.name = "bpf_reject_private",
};

char LICENSE[] SEC("license") = "GPL";
