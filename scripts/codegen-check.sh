#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# codegen-check.sh KDIR OUTDIR: TAP into OUTDIR/host_codegen_test.tap.
# The Rust subtree filter must cost no more than the C sample subtree_c
# (issue 9): both only call fanotify_filter_locate(), so their
# per-event trampolines must have no more instructions than the C
# function (objects of the last module build and of KDIR).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kdir=$1 out=$2

# Instructions of the function whose symbol matches the regex, nops of
# the alignment padding left out.
insns() {
	llvm-objdump -d --no-show-raw-insn "$1" | awk -v re="$2" '
		$0 ~ "^[0-9a-f]+ <" re ">:$" { f = 1; next }
		f && /^$/ { f = 0 }
		f && /^ +[0-9a-f]+:/ && !/\tnop/ { n++ }
		END { print n + 0 }'
}

rust=$(insns "$REPO/src/fanotify_filters.o" '[^>]*7Subtree[^>]*15filter_callback[^>]*')
c=$(insns "$kdir/samples/fanotify/filter-subtree.o" 'subtree_filter')
rc=0
((rust > 0 && c > 0 && rust <= c)) || rc=1
{
	echo "TAP version 13"
	echo "1..1"
	echo "# instructions: Rust Subtree filter_callback $rust, C subtree_filter $c"
	((rc == 0)) || printf 'not '
	echo "ok 1 - Rust subtree filter call no longer than subtree_c's"
} >"$out/host_codegen_test.tap"
echo "$rc" >"$out/host_codegen_test.rc"
