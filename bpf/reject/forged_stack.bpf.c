// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: an event built on the program's stack passed to a kfunc,
 * which would then read and lock at addresses the program chose.
 */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(forged_stack_filter, struct fanotify_filter_event *event)
{
	__u64 fake[8] = { FS_OPEN_PERM };
	char name[16];

	return bpf_fanotify_event_name((void *)fake, name, sizeof(name)) > 0;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_forged_stack = {
	.filter = (void *)forged_stack_filter,
	.name = "bpf_reject_forged_stack",
};

char LICENSE[] SEC("license") = "GPL";
