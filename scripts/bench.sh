#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: boots the patched kernel (as the tests do) and runs bench/fanbench
# in it: configurations a-e interleaved over several rounds, and the
# per-event micro benchmarks.  Prints the report table and leaves
# bench.json, report.json, report.md and bench.png in
# build/bench-results/latest/.  FANBENCH_ARGS overrides the sizes, e.g.
# "-r 7 -n 10000 -m 200000" (the defaults).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$REPO/scripts/setup.sh" "$FANFILTER_KERNEL"
# FANFILTER_BENCH_FLAVOR=prototype: the series and patches/prototype/
# (scripts/prototype-bench.sh).
flavor=${FANFILTER_BENCH_FLAVOR:-test}
kdir=$("$REPO/scripts/build-kernel.sh" "$flavor")
# A hand-built tree (FANFILTER_KDIR) must have the prototype too: without
# it the fanout rows would silently be missing.
[[ $flavor != prototype ]] ||
	grep -qx 'CONFIG_FANOTIFY_FANOUT_PROTO=y' "$kdir/.config" ||
	die "$kdir has no CONFIG_FANOTIFY_FANOUT_PROTO"
msg "building the Rust module and the benchmark"
make -s -C "$REPO" KDIR="$kdir" module
# One build per kernel tree: programs built against another kernel's
# headers and BTF would be taken as up to date.
bench_out=$REPO/build/$(basename "$kdir")/bench
make -s -C "$REPO/bench" KDIR="$kdir" OUT="$bench_out"
if grep -qs '^CONFIG_FANOTIFY_FILTER_BPF=y' "$kdir/.config"; then
	make -s -C "$REPO/bpf" KDIR="$kdir" OUT="$bench_out/bpf"
fi

out=$(new_results_dir bench-results)
# Under TCG, host load makes wall time noisy (+-50 % here); with -icount
# the guest clock counts instructions (shift=0: 1 ns each), so rounds agree
# and the ratios are instruction-count ratios.  Under KVM it has no effect.
# icount runs the vCPUs in turn on one clock, so a second vCPU adds no
# parallelism but lets a runnable listener be charged for the other vCPU's
# instructions: one vCPU, where workload and listener share the CPU, as
# they compete for it on a loaded machine, and CPU times are exact.
# (qemu/run-vm.sh applies FANFILTER_TCG_OPTS only when it picks TCG.)
export FANFILTER_TCG_OPTS=${FANFILTER_TCG_OPTS--icount shift=0,sleep=off}
export FANFILTER_VM_CPUS=${FANFILTER_VM_CPUS:-1}
read -r -a args <<<"${FANBENCH_ARGS:--r 7 -n 10000 -m 200000}"
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" "${FANBENCH_TIMEOUT:-3000}" -- \
	bash "$REPO/bench/run-in-guest.sh" "$out" \
	"$REPO/src/fanotify_filters.ko" "$bench_out/fanbench" \
	"${args[@]}" || vm_rc=$?
if [[ $(cat "$out/bench.rc" 2>/dev/null) != 0 ]]; then
	tail -n 5 "$out/bench.log" "$out/guest.log" >&2 || true
	die "the benchmark did not finish (vng status $vm_rc); logs: $out"
fi
machine="$(nproc) host CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
machine+=", VM with $FANFILTER_VM_CPUS vCPU"
accel=$(cat "$out/accel")
[[ $accel == tcg && -n $FANFILTER_TCG_OPTS ]] && accel+=" ($FANFILTER_TCG_OPTS)"
/usr/bin/python3 "$REPO/bench/report.py" "$out" --accel "$accel" \
	--machine "$machine" --kernel "$(basename "$kdir")"
[[ $flavor != prototype ]] || grep -q '"fanout_1"' "$out/bench.json" ||
	die "no fanout rows in $out/bench.json: the prototype did not run"
msg "results: $out"
