// SPDX-License-Identifier: GPL-2.0
/*
 * Must not load: a tp_btf program on fanotify_filter:filter_verdict that
 * reads its dir argument without a NULL check.  dir is NULL for every
 * event but directory-entry events; unless the verifier knows that, it
 * also drops the program's own NULL checks as dead code, and a helper
 * given dir reads address 0.
 */
#include "../fanotify_filter.bpf.h"

SEC("tp_btf/filter_verdict")
int BPF_PROG(null_dir, __u64 id, const char *filter, __u32 mask,
	     const void *data, int data_type, struct inode *dir, int verdict,
	     int ret)
{
	return dir->i_ino == 1;
}

char LICENSE[] SEC("license") = "GPL";
