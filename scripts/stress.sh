#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [SECONDS]: builds the debug kernel (qemu/kernel-debug.config:
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_OBJECTS_RCU_HEAD),
# boots it and runs tests/stress_test.c for SECONDS (default 600) and
# tests/memcg_check.c (filter state is charged to the attacher's memory
# cgroup).  Fails on a failed assertion, any splat or any kmemleak report.
# Then boots it once more and breaks the calling contract on purpose (a
# filter that sleeps, tests/contract_check.c): that boot passes only if the
# kernel reports the sleep.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds=${1:-600}

"$REPO/scripts/setup.sh" "$FANFILTER_KERNEL"
kdir=$("$REPO/scripts/build-kernel.sh" debug)
# make module rebuilds from scratch when KDIR differs from the last build.
make -s -C "$REPO" KDIR="$kdir" module tests

out=$(new_results_dir stress-results)
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" $((seconds + 900)) -- \
	bash "$REPO/tests/run-in-guest.sh" "$out" \
	"$REPO/src/fanotify_filters.ko" "$REPO/build/tests" "$seconds" \
	'stress_test,memcg_check' || vm_rc=$?
rc=0
"$REPO/scripts/tap-summary.sh" "$out" "$vm_rc" || rc=$?

msg "contract check: a filter that sleeps must be reported"
contract=$out/contract
mkdir -p "$contract"
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$contract" 600 -- \
	bash "$REPO/tests/run-in-guest.sh" "$contract" \
	"$REPO/src/fanotify_filters.ko" "$REPO/build/tests" 0 \
	'contract_check' || vm_rc=$?
# DEBUG_ATOMIC_SLEEP reports the sleep under rcu_read_lock() as one of
# these, with the filter in the call trace that follows.
want='BUG: (sleeping function called from invalid context|scheduling while atomic)'
report=$(grep -E -A30 "$want" "$contract/dmesg.log" || true)
if [[ $(cat "$contract/contract_check.rc" 2>/dev/null) == 0 &&
	$report == *test_verdict_filter* ]]; then
	echo "ok - contract: DEBUG_ATOMIC_SLEEP reported the sleeping filter"
else
	echo "not ok - contract: no report of the sleeping filter (vng status $vm_rc), see $contract"
	rc=1
fi
exit "$rc"
