#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel_test.sh OUTDIR: TAP into OUTDIR/host_build_kernel_test.tap.
# build-kernel.sh against a fake, configured kernel tree in a scratch
# cache, whose Makefile fails or succeeds on demand: a failed build must
# fail the script and must not be cached as built, and the cache cleanup
# must not count unbuilt trees.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
out=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export FANFILTER_CACHE=$scratch
# A hand-built tree (FANFILTER_KDIR) would bypass the cache under test.
unset FANFILTER_KDIR
# shellcheck disable=SC2034 # kernel_dir (lib.sh) reads it
CACHE=$scratch
# The key of 7.3 reads its source version from the cache: compute it the
# way build-kernel.sh, started below with FANFILTER_CACHE, will.
export FANFILTER_KERNEL
kernel_settings "$FANFILTER_KERNEL"
dir=$(kernel_dir test)

# A configured tree whose build exits with $1.
fake_tree() {
	rm -rf "$1"
	mkdir -p "$1"
	touch "$1/.fanfilter-configured"
	printf 'bzImage modules:\n\t@echo "fake: error: build step" >&2; exit %s\n%s\n' \
		"$2" 'headers_install:' >"$1/Makefile"
}

# A tree of this flavor that an older key built.
fake_built() {
	mkdir -p "${dir%-*}-$1"
	touch "${dir%-*}-$1/.fanfilter-built"
}

n=0 failed=0
# check DESCRIPTION STATUS: one TAP line, ok if STATUS is 0.
check() {
	n=$((n + 1))
	if (($2 == 0)); then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=1
	fi
}

build() {
	"$REPO/scripts/build-kernel.sh" test >"$scratch/stdout" 2>>"$scratch/stderr"
}

{
	echo "TAP version 13"
	echo "1..6"
	fake_tree "$dir" 2
	build
	(($? != 0))
	check "a failed kernel build fails build-kernel.sh" $?
	[[ ! -f $dir/.fanfilter-built ]]
	check "a failed kernel build is not cached as built" $?

	fake_tree "$dir" 0
	build && [[ $(cat "$scratch/stdout") == "$dir" ]]
	check "a good kernel build, the only one, succeeds and prints the tree" $?
	[[ -f $dir/.fanfilter-built ]]
	check "a good kernel build is cached as built" $?

	# Oldest to newest (ls -t; the pauses outlast the clock's tick).
	fake_built 0000000000000001
	sleep 0.05
	fake_built 0000000000000002
	sleep 0.05
	mkdir -p "${dir%-*}-0000000000000003"
	sleep 0.05
	fake_tree "$dir" 0
	build
	check "a good kernel build beside others succeeds" $?
	[[ -d ${dir%-*}-0000000000000002 &&
		! -d ${dir%-*}-0000000000000001 &&
		! -d ${dir%-*}-0000000000000003 ]]
	check "cleanup keeps the newest other built tree, not an unbuilt one" $?
	((failed == 0)) || sed 's/^/# /' "$scratch/stderr"
} >"$out/host_build_kernel_test.tap"
echo "$failed" >"$out/host_build_kernel_test.rc"
