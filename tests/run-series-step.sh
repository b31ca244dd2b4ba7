#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-series-step.sh OUTDIR TESTDIR: runs inside the VM of one step of
# scripts/series-check.sh.  Runs the stock-semantics tests without a filter
# and, where TESTDIR has it, the step's fanotify_filter kselftest.  Leaves
# <test>.tap and <test>.rc per program, dmesg.log, and rc written last.
out=$1 testdir=$2
exec >"$out/guest.log" 2>&1
set -x
"$testdir/semantics_test" -v no_filter >"$out/semantics_test.tap" 2>&1
echo $? >"$out/semantics_test.rc"
if [[ -x $testdir/fanotify_filter_test ]]; then
	[[ -f $testdir/test_fanotify_filter.ko ]] &&
		insmod "$testdir/test_fanotify_filter.ko"
	"$testdir/fanotify_filter_test" >"$out/fanotify_filter_test.tap" 2>&1
	echo $? >"$out/fanotify_filter_test.rc"
fi
dmesg >"$out/dmesg.log"
echo 0 >"$out/rc"
