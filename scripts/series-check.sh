#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# series-check.sh [KERNEL...]: builds and boots every step of the series of
# each kernel (patches/KERNEL/series; both by default), from the whole
# series down to the stock kernel, and runs in each boot the tests that
# step can pass: the stock-semantics test without a filter (every step,
# including the stock kernel) and the step's own kselftest where the step
# has one.  The whole series is what scripts/test.sh tests in full.
#
# It starts from a copy of the cached test kernel build and reverts one
# patch at a time, so each step is an incremental build.  Prints one line
# per step and exits non-zero if any step fails to build or to pass.
# FANFILTER_SERIES_DOWNTO=N stops after step N (default 0, the stock
# kernel): N=22 checks only the steps that patches 23 and later add.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

kernels=("$@")
((${#kernels[@]})) || kernels=("${KERNELS[@]}")
"$REPO/scripts/setup.sh" "${kernels[@]}"
failed=0

check_series() {
	top=$("$REPO/scripts/build-kernel.sh" test)
	make -s -C "$REPO" KDIR="$top" tests

	mapfile -t patches < <(grep -v '^\s*\(#\|$\)' "$PATCHES/series")
	tree=$CACHE/series-check-$KERNEL
	msg "copying $top to $tree"
	rm -rf "$tree"
	cp -a "$top" "$tree"
	results=$(new_results_dir series-check)/$KERNEL

	for ((step = ${#patches[@]}; step >= ${FANFILTER_SERIES_DOWNTO:-0}; step--)); do
		name=${patches[step - 1]:-stock}
		((step == 0)) && name="stock $KERNEL"
		dir=$results/step-$step
		mkdir -p "$dir/tests"
		# Chained: `set -e` does not apply on the left of `||`, and a
		# failed build must not boot the previous step's kernel.
		(
			cd "$tree" &&
				rm -f lib/test_fanotify_filter.ko &&
				"${KMAKE[@]}" -s olddefconfig &&
				"${KMAKE[@]}" -j"$(($(nproc) + 1))" bzImage modules &&
				rm -rf usr-headers &&
				"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$tree/usr-headers"
		) >"$dir/build.log" 2>&1 || {
			echo "$KERNEL step $step ($name): BUILD FAILED, see $dir/build.log"
			failed=1
			break
		}
		# This kernel's build of it: build/tests follows the last make
		# tests, which may be another kernel's.
		cp "$REPO/build/$(basename "$top")/tests/semantics_test" "$dir/tests/"
		selftest=$tree/tools/testing/selftests/filesystems/fanotify_filter/fanotify_filter_test.c
		if [[ -f $selftest ]]; then
			cc -O2 -Wall -Werror -I"$tree/usr-headers/include" \
				-o "$dir/tests/fanotify_filter_test" "$selftest"
		fi
		# The test filter module, where the step has it (a tree under
		# /var/cache is not visible in the guest).
		if [[ -f $tree/lib/test_fanotify_filter.ko ]]; then
			cp "$tree/lib/test_fanotify_filter.ko" "$dir/tests/"
		fi
		vm_rc=0
		"$REPO/qemu/run-vm.sh" "$tree" "$dir" 600 -- \
			bash "$REPO/tests/run-series-step.sh" "$dir" "$dir/tests" || vm_rc=$?
		if summary=$("$REPO/scripts/tap-summary.sh" "$dir" "$vm_rc"); then
			echo "$KERNEL step $step ($name): boots; $(tail -1 <<<"$summary")"
		else
			echo "$KERNEL step $step ($name): FAILED"
			grep -E '^not ok|^# FAIL' <<<"$summary" | sed 's/^/    /'
			failed=1
		fi
		((step == 0)) && break
		# Revert this step's patch to get the previous step.
		git -C "$tree" apply -R "$PATCHES/${patches[step - 1]}" ||
			die "cannot revert ${patches[step - 1]}"
	done
	rm -rf "$tree"
}

for k in "${kernels[@]}"; do
	export FANFILTER_KERNEL=$k
	kernel_settings "$k"
	check_series
done
exit "$failed"
