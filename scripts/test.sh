#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh: sets up the machine, builds the patched kernel (cached) and the
# Rust module, boots the kernel under QEMU and runs every test program in
# it.  Prints the TAP of all tests and a closing "N passed, N failed" line.
# Fails on a test failure, a kernel splat in the guest log, or a timeout.
# The guest's logs stay in build/test-results/latest/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
start=$SECONDS

"$REPO/scripts/setup.sh"
kdir=$("$REPO/scripts/build-kernel.sh" test)
msg "building the Rust module and the tests"
make -s -C "$REPO" KDIR="$kdir" module userspace tests

out=$(new_results_dir test-results)
msg "running the host unit tests (argument parsers, fanfilter library)"
run_host_tests "$out" "$kdir"

vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" "${FANFILTER_TEST_TIMEOUT:-1500}" -- \
	bash "$REPO/tests/run-in-guest.sh" "$out" \
	"$REPO/src/fanotify_filters.ko" "$REPO/build/tests" \
	"${FANFILTER_STRESS_SECONDS:-10}" || vm_rc=$?

"$REPO/scripts/tap-summary.sh" "$out" "$vm_rc"
rc=$?
msg "test run took $((SECONDS - start)) s; logs: $out"
exit "$rc"
