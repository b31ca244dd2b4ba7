#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [SECONDS]: builds the debug kernel (qemu/kernel-debug.config:
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_OBJECTS_RCU_HEAD),
# boots it and runs tests/stress_test.c for SECONDS (default 600).  Fails
# on a failed assertion, any splat or any kmemleak report.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds=${1:-600}

"$REPO/scripts/setup.sh"
kdir=$("$REPO/scripts/build-kernel.sh" debug)
# make module rebuilds from scratch when KDIR differs from the last build.
make -s -C "$REPO" KDIR="$kdir" module tests

out=$(new_results_dir stress-results)
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" $((seconds + 900)) -- \
	bash "$REPO/tests/run-in-guest.sh" "$out" \
	"$REPO/src/fanotify_filters.ko" "$REPO/build/tests" "$seconds" \
	'stress_test' || vm_rc=$?
"$REPO/scripts/tap-summary.sh" "$out" "$vm_rc"
