// SPDX-License-Identifier: GPL-2.0
/*
 * "bpf_guard": a permission filter.  Denies opens and reads at or below
 * the attachment's directories (or of objects whose place is unknown) to
 * every process but those the attachment exempts (pidfds in struct
 * fanotify_filter_bpf_args, held by reference, so a recycled pid number
 * is never exempt); allows every other permission event in the kernel;
 * sends notification events unchanged.
 */
#include "fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(guard_filter, struct fanotify_filter_event *event)
{
	if (!(event->mask & FS_PERM_EVENTS))
		return FAN_FILTER_SEND;
	if (bpf_fanotify_event_locate(event) == FAN_FILTER_OUTSIDE)
		return FAN_FILTER_SKIP;
	/* Kernel threads are never exempt. */
	if (bpf_fanotify_actor_exempt(event))
		return FAN_FILTER_SKIP;
	return -EPERM;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_guard = {
	.filter = (void *)guard_filter,
	.name = "bpf_guard",
};

char LICENSE[] SEC("license") = "GPL";
