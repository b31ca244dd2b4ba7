#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rust_doctests_test: the kernel crate's doctests, which the kernel ran as
# the KUnit suite rust_doctests_kernel at boot (CONFIG_RUST_KERNEL_DOCTESTS,
# in the 7.3 test kernel): every case of the suite is in the kernel log
# (qemu/run-vm.sh boots with a log buffer that keeps them all) and passed,
# the examples of kernel::fs::fanotify, kernel::pid and kernel::task
# (Kuid::from_uid_in_current_ns) among them.  TAP.  6.12's test kernel has
# no KUnit: one skip there; a 7.3 kernel without it fails.
echo "TAP version 13"
if [[ ! -d /sys/module/kunit ]]; then
	if [[ $(uname -r) == 6.* ]]; then
		echo "1..1"
		echo "ok 1 - kernel crate doctests # SKIP the kernel has no KUnit (CONFIG_KUNIT)"
		exit 0
	fi
	echo "1..1"
	echo "not ok 1 - kernel crate doctests: the kernel has no KUnit (CONFIG_KUNIT)"
	exit 1
fi
log=$(dmesg --notime)
# KUnit reports each case as "ok N rust_doctest_kernel_<file>_rs_<i>" (or
# "not ok"), then the suite's "# Totals: pass:P fail:F skip:S total:T" and
# "ok N rust_doctests_kernel".
cases=$(grep -E '^[[:space:]]*(not )?ok [0-9]+ rust_doctest_kernel_' <<<"$log")
# The suite's totals: the line before its result.
totals=$(grep -E -B1 '^[[:space:]]*(not )?ok [0-9]+ rust_doctests_kernel$' <<<"$log" |
	grep -E -m1 '# Totals: pass:[0-9]+' | sed 's/^[[:space:]]*//')
echo "1..5"
n=0 rc=0
check() {
	local what=$1 re=$2 min=$3 ran failed
	n=$((n + 1))
	ran=$(grep -cE " ${re}\$" <<<"$cases")
	failed=$(grep -E "^[[:space:]]*not ok [0-9]+ ${re}\$" <<<"$cases")
	if ((ran < min)) || [[ -n $failed ]]; then
		rc=1
		[[ -n $failed ]] && sed "s/^[[:space:]]*/# /" <<<"$failed"
		printf 'not '
	fi
	echo "ok $n - $what: $ran doctests ran (at least $min), $(grep -c . <<<"$failed") failed"
}
check "kernel::fs::fanotify" 'rust_doctest_kernel_fs_fanotify_rs_[0-9]+' 2
check "kernel::pid" 'rust_doctest_kernel_pid_rs_[0-9]+' 1
check "kernel::task" 'rust_doctest_kernel_task_rs_[0-9]+' 4
check "the whole kernel crate" 'rust_doctest_kernel_[a-z0-9_]+' 100
# Every case of the suite is in the log: none was lost before this ran.
n=$((n + 1))
total=$(sed -nE 's/.* total:([0-9]+).*/\1/p' <<<"$totals")
if [[ -z $total || $(grep -c . <<<"$cases") != "$total" ]] ||
	! grep -qE '^[[:space:]]*ok [0-9]+ rust_doctests_kernel$' <<<"$log"; then
	rc=1
	printf 'not '
fi
echo "ok $n - the suite passed and its $(grep -c . <<<"$cases") cases are all in the log (${totals:-no totals line})"
exit $rc
