#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh [test|debug]: builds the patched kernel of a flavor if the
# cache has no build for the current source, patches and config, and prints
# the tree's path.  Progress goes to stderr, the full log into the tree.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

flavor=${1:-test}
# A kernel tree built by hand (while working on the series) instead.
if [[ -n ${FANFILTER_KDIR:-} ]]; then
	[[ -f $FANFILTER_KDIR/arch/x86/boot/bzImage ]] ||
		die "FANFILTER_KDIR=$FANFILTER_KDIR has no built kernel"
	echo "$FANFILTER_KDIR"
	exit 0
fi
dir=$("$(dirname "$0")/kernel-tree.sh" "$flavor")
if [[ -f $dir/.fanfilter-built ]]; then
	msg "kernel ($flavor) is cached: $dir"
	echo "$dir"
	exit 0
fi

msg "building the $flavor kernel in $dir (a few minutes; log: $dir/build.log)"
start=$SECONDS
(
	cd "$dir"
	"${KMAKE[@]}" -j"$(($(nproc) + 1))" bzImage modules 2>&1 |
		tee build.log |
		awk '/^  (CC|RUSTC|LD|AR)/ { n++; if (n % 500 == 0) { printf "    ... %d objects\n", n > "/dev/stderr" } }
		     /error:|Error [0-9]/ { print > "/dev/stderr" }'
	test "${PIPESTATUS[0]}" -eq 0
	"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$dir/usr-headers" >>build.log 2>&1
) || die "kernel build failed, see $dir/build.log"
touch "$dir/.fanfilter-built"
msg "kernel ($flavor) built in $((SECONDS - start)) s"

# Keep the two newest builds of this flavor; older ones are stale.
ls -dt "$CACHE/kernel-$flavor-"* 2>/dev/null | grep -v '\.tmp$' | tail -n +3 |
	while read -r old; do rm -rf "$old"; done
echo "$dir"
