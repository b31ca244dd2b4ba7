#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh KDIR OUTDIR TIMEOUT -- COMMAND...
#
# Boots the kernel built in KDIR with virtme-ng (the host's root file
# system, read-only, with OUTDIR writable at the same path), runs COMMAND in
# it and powers off.  Never hangs: after TIMEOUT seconds the VM is killed.
# The console goes to OUTDIR/console.log; COMMAND reports through files in
# OUTDIR.  Exit status: 0 booted and ran, 124 timeout, other: vng failed.
#
# KVM is used where it works; where it does not (e.g. a nested guest
# without svm, where qemu hangs after the BIOS), TCG.  The verdict is
# probed once per machine and cached; FANFILTER_ACCEL=kvm|tcg overrides.
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

kdir=$1 out=$2 limit=$3
shift 3
[[ ${1:-} == -- ]] && shift
image=$kdir/arch/x86/boot/bzImage
[[ -f $image ]] || die "no kernel image at $image"
mkdir -p "$out"

vng_run() { # ACCEL OUTDIR LIMIT LOG COMMAND
	local accel=$1 dir=$2 t=$3 log=$4 cmd=$5
	# A log buffer that keeps the whole boot (the KUnit results of the
	# kernel crate's doctests) beside what the tests log.
	local args=(--run "$image" --rwdir "$dir" --cpus "${FANFILTER_VM_CPUS:-2}" --memory 2G
		--append "root=/dev/root log_buf_len=4M" --verbose)
	[[ $accel == tcg ]] && args+=(--disable-kvm)
	# Extra qemu options under TCG, e.g. "-icount shift=0" (benchmark).
	[[ $accel == tcg && -n ${FANFILTER_TCG_OPTS:-} ]] &&
		args+=(--qemu-opts="$FANFILTER_TCG_OPTS")
	timeout --kill-after=15 "$t" vng "${args[@]}" --exec "$cmd" \
		>"$log" 2>&1 </dev/null
}

choose_accel() {
	if [[ -n ${FANFILTER_ACCEL:-} ]]; then
		echo "$FANFILTER_ACCEL"
		return
	fi
	if [[ ! -w /dev/kvm ]]; then
		echo tcg
		return
	fi
	local key verdict probe
	key=$({ grep -m1 '^flags' /proc/cpuinfo; qemu-system-x86_64 --version | head -1; } |
		sha256sum | cut -c1-16)
	verdict=$CACHE/accel-$key
	if [[ ! -f $verdict ]]; then
		msg "probing whether KVM works here (once per machine, at most 90 s)"
		probe=$(mktemp -d)
		vng_run kvm "$probe" 90 "$probe/console.log" "touch $probe/booted"
		if [[ -f $probe/booted ]]; then echo kvm; else echo tcg; fi >"$verdict"
		rm -rf "$probe"
	fi
	cat "$verdict"
}

accel=$(choose_accel)
echo "$accel" >"$out/accel"
msg "booting $(basename "$kdir") under ${accel^^} (timeout ${limit}s)"
start=$SECONDS
vng_run "$accel" "$out" "$limit" "$out/console.log" "$*"
rc=$?
if ((rc == 124 || rc == 137)); then
	msg "TIMEOUT: the VM did not finish within ${limit}s and was killed"
	echo timeout >"$out/timeout"
	exit 124
fi
msg "VM ran for $((SECONDS - start)) s (vng exit status $rc)"
exit "$rc"
