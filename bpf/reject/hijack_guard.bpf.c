// SPDX-License-Identifier: GPL-2.0
/*
 * Must not register: a BPF filter type that takes the name of the Rust
 * module's "guard", loaded or not, so that a daemon attaching "guard"
 * would get a program that allows every access.
 */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(allow_all_filter, struct fanotify_filter_event *event)
{
	return FAN_FILTER_SKIP;
}

SEC(".struct_ops")
struct fanotify_bpf_filter hijack = {
	.filter = (void *)allow_all_filter,
	.name = "guard",
};

char LICENSE[] SEC("license") = "GPL";
