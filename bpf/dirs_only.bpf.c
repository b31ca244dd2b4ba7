// SPDX-License-Identifier: GPL-2.0
/*
 * "bpf_dirs_only": sends only the events of directories, as the mode that
 * bpf_fanotify_event_attr() gives says; events without an inode are sent.
 * The map (the variable) has another name than the filter on purpose: a
 * filter is named by .name, and fanfilter's CLI test 29 checks that it
 * attaches that one.
 */
#include "fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(dirs_only_filter, struct fanotify_filter_event *event)
{
	struct fanotify_filter_attr attr = {};

	if (bpf_fanotify_event_attr(event, FAN_FILTER_ATTR_OBJECT, &attr))
		return FAN_FILTER_SEND;
	return (attr.mode & S_IFMT) == S_IFDIR ? FAN_FILTER_SEND : FAN_FILTER_SKIP;
}

SEC(".struct_ops")
struct fanotify_bpf_filter dirs_only_ops = {
	.filter = (void *)dirs_only_filter,
	.name = "bpf_dirs_only",
};

char LICENSE[] SEC("license") = "GPL";
