#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh [KERNEL...]: sets up the machine, and for each kernel (7.3 and
# 6.12 by default; name one for quick work) builds the patched kernel
# (cached) and the Rust module, boots the kernel under QEMU and runs every
# test program in it.  The host unit tests run once, with the first kernel.
# Prints the TAP of all tests of each kernel and a closing "N passed,
# N failed" line over all of them.  Fails on a test failure, a kernel
# splat in a guest log, or a timeout.  The logs stay in
# build/test-results/latest/KERNEL/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
start=$SECONDS

kernels=("$@")
if [[ -n ${FANFILTER_KDIR:-} ]]; then
	# A tree built by hand is one kernel: test that one.
	kernels=("$(tree_kernel "$FANFILTER_KDIR")")
fi
((${#kernels[@]})) || kernels=("${KERNELS[@]}")
"$REPO/scripts/setup.sh" "${kernels[@]}"

results=$(new_results_dir test-results)
rc=0 passed=0 failed=0 skipped=0
for k in "${kernels[@]}"; do
	kstart=$SECONDS
	out=$results/$k
	mkdir -p "$out"
	# A kernel that does not build is a failure of its own; the other
	# kernel is still tested.
	if ! kdir=$(FANFILTER_KERNEL=$k "$REPO/scripts/build-kernel.sh" test) ||
		! msg "Linux $k: building the Rust module and the tests" ||
		! make -s -C "$REPO" KDIR="$kdir" module userspace tests ||
		! "$REPO/scripts/codegen-check.sh" "$kdir" "$out"; then
		echo "not ok - Linux $k: the kernel, the module or the tests did not build"
		rc=1 failed=$((failed + 1))
		continue
	fi
	msg "Linux $k: building filters with valid and invalid names"
	"$REPO/scripts/name-check.sh" "$kdir" "$out" || {
		echo "not ok - Linux $k: scripts/name-check.sh did not run"
		rc=1 failed=$((failed + 1))
	}
	if [[ $k == "${kernels[0]}" ]]; then
		msg "running the host unit tests (argument parsers, fanfilter library)"
		run_host_tests "$out" "$kdir"
	fi

	vm_rc=0
	"$REPO/qemu/run-vm.sh" "$kdir" "$out" "${FANFILTER_TEST_TIMEOUT:-1500}" -- \
		bash "$REPO/tests/run-in-guest.sh" "$out" \
		"$REPO/src/fanotify_filters.ko" "$REPO/build/tests" \
		"${FANFILTER_STRESS_SECONDS:-10}" || vm_rc=$?

	echo "# Linux $k ($(basename "$kdir"))"
	"$REPO/scripts/tap-summary.sh" "$out" "$vm_rc" | tee "$out/summary.txt" || rc=1
	read -r p f s < <(sed -nE 's/^tests: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' \
		"$out/summary.txt") || true
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))
	msg "Linux $k took $((SECONDS - kstart)) s"
done
echo "# all kernels (Linux ${kernels[*]}):"
echo "tests: $passed passed, $failed failed, $skipped skipped"
msg "test run took $((SECONDS - start)) s; logs: $results"
exit "$rc"
