// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: walking the dentry tree by hand (here from the inode's
 * first alias up through d_parent) instead of bpf_fanotify_event_locate().
 */
#include "../fanotify_filter.bpf.h"

SEC("struct_ops/filter")
int BPF_PROG(walk_filter, struct fanotify_filter_event *event)
{
	struct inode *inode = bpf_fanotify_event_inode(event);
	struct dentry *d;
	int i;

	if (!inode)
		return FAN_FILTER_SEND;
	d = container_of(inode->i_dentry.first, struct dentry, d_u.d_alias);
	for (i = 0; i < 64 && d; i++)
		d = d->d_parent;
	return d ? FAN_FILTER_SEND : FAN_FILTER_SKIP;
}

SEC(".struct_ops")
struct fanotify_bpf_filter bpf_reject_walk = {
	.filter = (void *)walk_filter,
	.name = "bpf_reject_walk",
};

char LICENSE[] SEC("license") = "GPL";
