// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: an address turned into an event with bpf_rdonly_cast(),
 * whose result the verifier knows to be untrusted.
 */
#include "../fanotify_filter.bpf.h"
#include <bpf/bpf_core_read.h>

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

SEC("struct_ops/filter")
int BPF_PROG(cast_event_filter, struct fanotify_filter_event *event)
{
	__u64 addr = bpf_get_prandom_u32();
	struct fanotify_filter_event *fake;

	fake = bpf_rdonly_cast((void *)addr,
			       bpf_core_type_id_kernel(struct fanotify_filter_event));
	return bpf_fanotify_event_locate(fake) == FAN_FILTER_OUTSIDE;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_cast_event = {
	.filter = (void *)cast_event_filter,
	.name = "bpf_reject_cast_event",
};

char LICENSE[] SEC("license") = "GPL";
