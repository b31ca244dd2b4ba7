#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-in-guest.sh OUTDIR MODULE.ko TESTDIR [STRESS_SECONDS [PATTERNS
#                 [TEST_MODULE.ko]]]:
# runs inside the VM.  Loads the module, runs the test programs of TESTDIR
# matching PATTERNS (globs separated by commas, not spaces, which the shell
# of run-vm.sh would split; default *_test), and leaves in OUTDIR one
# <test>.tap and <test>.rc per program, dmesg.log, kmemleak.log where the
# kernel has kmemleak, and rc (written last, so its absence means the guest
# did not get to the end).
#
# TEST_MODULE.ko is the series' lib/test_fanotify_filter.ko; by default
# TESTDIR/test_fanotify_filter.ko, where tests/Makefile copies it (a kernel
# tree under /var/cache is not visible in the guest), else
# $FANFILTER_KDIR/lib/test_fanotify_filter.ko.  It is exported as
# FANFILTER_TEST_MODULE: lifetime_test loads and unloads it itself; for the
# series' kselftest and contract_check it is loaded around the program.
out=$1 ko=$2 testdir=$3
export FANFILTER_STRESS_SECONDS=${4:-10}
patterns=${5:-*_test}
test_ko=${6:-}
if [[ -z $test_ko && -f $testdir/test_fanotify_filter.ko ]]; then
	test_ko=$testdir/test_fanotify_filter.ko
elif [[ -z $test_ko && -n ${FANFILTER_KDIR:-} ]]; then
	test_ko=$FANFILTER_KDIR/lib/test_fanotify_filter.ko
fi
exec >"$out/guest.log" 2>&1
# shellcheck source=bpf/start-loader.sh
source "$(dirname "$0")/../bpf/start-loader.sh"

# subtree_test once more on the BPF "bpf_subtree" (bpf/subtree.bpf.c),
# registered by the loader for the run: one set of test bodies, two filters;
# many_groups_test once more with a third of its groups on it.
run_bpf_variant() {
	local loader=$testdir/bpf/fanfilter-bpf name=${2%_test}_bpf_test
	[[ -x $loader && -f $testdir/bpf/subtree.bpf.o ]] || return 0
	# Not ready: the tests run anyway and fail on the missing filter.
	start_bpf_loader "$loader" "$testdir/bpf/subtree.bpf.o" \
		"$out/bpf-loader.log" || true
	FANFILTER_SUBTREE_FILTER=bpf_subtree timeout 600 "$1" \
		>"$out/$name.tap" 2>&1
	echo $? >"$out/$name.rc"
	kill -TERM "$LOADER_PID"
	wait "$LOADER_PID"
}
set -x
export FANFILTER_KO=$ko
export FANFILTER_TEST_MODULE=$test_ko
status=0
if insmod "$ko"; then
	IFS=, read -ra globs <<<"$patterns"
	for glob in "${globs[@]}"; do
		for t in "$testdir"/$glob; do
			name=$(basename "$t")
			loaded=
			if [[ ($name == fanotify_filter_test || $name == contract_check) &&
				-f $test_ko ]] &&
				insmod "$test_ko"; then
				loaded=1
			fi
			timeout $((FANFILTER_STRESS_SECONDS + 600)) "$t" >"$out/$name.tap" 2>&1
			echo $? >"$out/$name.rc"
			[[ -n $loaded ]] && rmmod test_fanotify_filter
			[[ $name == subtree_test || $name == many_groups_test ]] &&
				run_bpf_variant "$t" "$name"
		done
	done
else
	status=1
fi
if [[ -e /sys/kernel/debug/kmemleak ]] || mount -t debugfs none /sys/kernel/debug 2>/dev/null; then
	if [[ -e /sys/kernel/debug/kmemleak ]]; then
		# Two scans: objects must look unreferenced twice to be reported.
		echo scan >/sys/kernel/debug/kmemleak
		sleep 5
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >"$out/kmemleak.log"
	fi
fi
dmesg >"$out/dmesg.log"
echo "$status" >"$out/rc"
