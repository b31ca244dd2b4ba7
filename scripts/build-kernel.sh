#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh [test|debug|prototype]: builds the patched kernel of a flavor, for
# FANFILTER_KERNEL (lib.sh), if the cache has no build for the current
# source, patches and config, and prints the tree's path.  Progress goes to
# stderr, the full log into the tree.
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
# Every step checked by hand: `set -e` does not apply inside a
# subshell on the left of `||`, so a failed make would otherwise be
# cached as built.
(
	cd "$dir" || exit 1
	"${KMAKE[@]}" -j"$(($(nproc) + 1))" bzImage modules 2>&1 |
		tee build.log |
		awk '/^  (CC|RUSTC|LD|AR)/ { n++; if (n % 500 == 0) { printf "    ... %d objects\n", n > "/dev/stderr" } }
		     /error:|Error [0-9]/ { print > "/dev/stderr" }'
	((PIPESTATUS[0] == 0)) || exit 1
	"${KMAKE[@]}" -s headers_install INSTALL_HDR_PATH="$dir/usr-headers" \
		>>build.log 2>&1 || exit 1
) || die "kernel build failed, see $dir/build.log"
touch "$dir/.fanfilter-built"
msg "kernel ($flavor) built in $((SECONDS - start)) s"

# Keep this build and the newest other build of this flavor (to go back
# to); older builds, and trees of other keys never built, are stale.
kept=0
# shellcheck disable=SC2012 # our own names: no spaces or newlines
ls -dt "${dir%-*}-"* | while read -r tree; do
	[[ $tree == "$dir" || $tree == *.tmp ]] && continue
	[[ -f $tree/.fanfilter-built ]] && ((kept++ == 0)) && continue
	rm -rf "$tree"
done
echo "$dir"
