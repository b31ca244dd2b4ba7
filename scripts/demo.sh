#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: sets up, builds, boots the patched kernel, loads the Rust module
# and runs scripts/demo-guest.sh in the VM: the fanfilter command watches
# one project of a tmpfs through the subtree filter, then guards a
# directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$REPO/scripts/setup.sh" "$FANFILTER_KERNEL"
kdir=$("$REPO/scripts/build-kernel.sh" test)
make -s -C "$REPO" KDIR="$kdir" module userspace tests
out=$REPO/build/demo
rm -rf "$out"
mkdir -p "$out"
# vng's own exit status says nothing about the guest (it is 255 whenever
# it falls back to the console for the script's I/O): only the files the
# guest wrote do.
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" 600 -- \
	"insmod $REPO/src/fanotify_filters.ko &&" \
	"$REPO/scripts/demo-guest.sh $REPO/userspace/target/release/fanfilter >$out/demo.log 2>&1;" \
	"echo \$? >$out/rc; dmesg >$out/dmesg.log" || vm_rc=$?
[[ -f $out/timeout ]] && die "the VM timed out (see $out/console.log)"
cat "$out/demo.log" 2>/dev/null ||
	die "the demo produced no output (vng status $vm_rc, see $out/console.log)"
[[ $(cat "$out/rc" 2>/dev/null) == 0 ]] || die "the demo failed (see $out/)"
