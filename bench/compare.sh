#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# compare.sh: the comparison of GitHub issue 10.  Boots the patched kernel
# once and runs bench/compare-guest.sh in it: on tmpfs trees of
# COMPARE_SIZES directories (default "10000 100000"), one subtree of 1 % of
# them is watched by `fanfilter watch --subtree`, `inotifywait -r`,
# `fsnotifywait -r` and `fatrace` (filtered in user space) in turn, while
# COMPARE_OPS (default 100000) create+write+close+unlink operations hit the
# whole tree, then COMPARE_RACE (default 100) "mkdir d; create d/f" pairs
# run in the subtree.  Prints a Markdown table; the raw results stay in
# build/compare-results/latest/.  Fails if the guest did not finish or any
# tool failed.  `compare.sh --report DIR` prints the tables of an earlier
# run again.
#
# Under TCG it runs, like scripts/bench.sh, one vCPU with -icount: busy
# guest time counts instructions (1 ns each), so host load does not
# disturb the numbers, and watcher and workload share one CPU.  sleep=on
# (bench.sh has sleep=off): idle time passes in real time, so waits on the
# host's 9p are short instead of jumping to the next timer.
# FANFILTER_VM_CPUS and FANFILTER_TCG_OPTS override both.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

# report DIR: the Markdown tables of a run's result files.
report() {
	local out=$1 size run f base ops race sizes header
	read -r ops race sizes header <"$out/params"
	echo "$header; $ops operations, $race race pairs"
	echo
	echo "| dirs | watcher | needs | ready s | CPU s until ready | marks | slab Δ kB |" \
		"events to user space | in subtree | subtree creates seen / expected |" \
		"race missed (tight / shell) | CPU s workload | workload ops/s | vs no watcher |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for size in ${sizes//,/ }; do
		# Throughput without a watcher: the mean of the runs before and after.
		base=$(cat "$out/result-$size-none.txt" "$out/result-$size-none2.txt" 2>/dev/null |
			awk -F= '$1 == "ops_per_s" { s += $2; n++ } END { if (n) printf "%.1f", s / n }')
		for run in none fanfilter inotifywait fsnotifywait fsnotifywait-S fatrace none2; do
			f=$out/result-$size-$run.txt
			[[ -f $f ]] || { echo "| $size | $run | | missing |||||||||||"; continue; }
			awk -F= -v run="$run" -v base="$base" '
			{ v[$1] = substr($0, length($1) + 2) }
			function g(k) { return k in v ? v[k] : "-" }
			function f3(k) { return k in v ? sprintf("%.3f", v[k]) : "-" }
			END {
				name = run == "none" ? "none (first)" : run == "none2" ? "none (last)" : run
				sub(/-S$/, " -S", name)
				if (run == "fsnotifywait") name = "fsnotifywait -r"
				# What a user needs to run it so: a filesystem mark needs
				# CAP_SYS_ADMIN, the filter of fanfilter the patched kernel.
				needs = run == "fanfilter" ? "root, patched kernel" : \
					run == "fsnotifywait-S" || run == "fatrace" ? "root" : "-"
				if (v["status"] == "behind") {
					printf "| %s | %s | %s | %s | %s | %s | %s | did not keep pace: %s not done in %s s, %s lines printed, %.1f s CPU | - | - | - | - | - | - |\n",
						v["dirs"], name, needs, f3("ready_s"), f3("cpu_ready_s"), g("marks"), g("sunreclaim_kb"),
						v["behind"], v["behind_limit_s"], g("printed"), v["cpu_total_s"]
					exit
				}
				if (v["status"] != "ok") {
					printf "| %s | %s | %s | %s |||||||||||\n", v["size"], name, needs, v["status"]
					exit
				}
				if (run ~ /^none/) {
					printf "| %s | %s | - | - | - | - | %s | - | - | - | - | - | %.0f | %.3f |\n",
						v["dirs"], name, g("sunreclaim_kb"), v["ops_per_s"], v["ops_per_s"] / base
					exit
				}
				missed = sprintf("%d / %d", v["race"] - v["race_tight_seen"], v["race"] - v["race_shell_seen"])
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %.0f | %.3f |\n",
					v["dirs"], name, needs, f3("ready_s"), f3("cpu_ready_s"), g("marks"), g("sunreclaim_kb"),
					g("events"), g("subtree_events"), g("subtree_creates"), g("subtree_ops"),
					missed, f3("cpu_work_s"), v["ops_per_s"], v["ops_per_s"] / base
			}' "$f"
		done
	done
	echo
	echo "| dirs | watcher | slab Δ kB at workload end | CPU s in all | exit status | lines without a path | at 1024 open files | fanfilter's counters |"
	echo "|---|---|---|---|---|---|---|---|"
	for size in ${sizes//,/ }; do
		for run in fanfilter inotifywait fsnotifywait fsnotifywait-S fatrace; do
			f=$out/result-$size-$run.txt
			grep -qs '^status=ok' "$f" || continue
			awk -F= -v run="$run" '
			{ v[$1] = substr($0, length($1) + 2) }
			END {
				c = "kernel_counters" in v ? v["kernel_counters"] "; queue overflows " v["overflows"] : "-"
				n = "nofile_1024" in v ? v["nofile_1024"] : "-"
				u = "unplaced" in v ? v["unplaced"] : "-"
				printf "| %s | %s | %s | %.3f | %s | %s | %s | %s |\n", v["dirs"], run,
					v["backlog_sunreclaim_kb"], v["cpu_total_s"], v["exit"], u, n, c
			}' "$f"
		done
	done
}

# status DIR: fails unless the guest finished and every tool succeeded.
status() {
	local out=$1 failed
	[[ -f $out/status ]] || die "the guest did not finish; logs: $out"
	failed=$(grep -l '^status=failed' "$out"/result-*.txt 2>/dev/null || true)
	[[ $(cat "$out/status") == ok && -z $failed ]] ||
		die "guest status: $(cat "$out/status")${failed:+; failed: $failed}"
}

if [[ ${1:-} == --report ]]; then
	report "$2"
	status "$2"
	exit
fi

sizes=${COMPARE_SIZES:-10000 100000}
ops=${COMPARE_OPS:-100000}
race=${COMPARE_RACE:-100}

# A kernel built by hand (FANFILTER_KDIR, see build-kernel.sh) implies a
# machine that is set up; setup.sh would configure a tree of its own.
[[ -n ${FANFILTER_KDIR:-} ]] || "$REPO/scripts/setup.sh"
for t in inotifywait fsnotifywait fatrace; do
	command -v "$t" >/dev/null || die "no $t: apt-get install inotify-tools fatrace"
done
kdir=$("$REPO/scripts/build-kernel.sh" test)
msg "building the Rust module"
make -s -C "$REPO" KDIR="$kdir" module
out=$(new_results_dir compare-results)
# A copy: src/*.ko is rebuilt by whoever builds next, maybe for another
# kernel, while this run boots.
cp "$REPO/src/fanotify_filters.ko" "$out/"
[[ $(modinfo -F vermagic "$out/fanotify_filters.ko") == "$(cat "$kdir/include/config/kernel.release") "* ]] ||
	die "src/fanotify_filters.ko was not built for $kdir (a concurrent build?)"
# The fanfilter command, where the Makefile knows how to build it.
if make -s -C "$REPO" KDIR="$kdir" -n userspace >/dev/null 2>&1; then
	make -s -C "$REPO" KDIR="$kdir" userspace
fi
fanfilter=$REPO/userspace/target/release/fanfilter
[[ -x $fanfilter ]] || msg "WARNING: no $fanfilter: fanfilter is left out"

export FANFILTER_TCG_OPTS=${FANFILTER_TCG_OPTS--icount shift=0,sleep=on}
export FANFILTER_VM_CPUS=${FANFILTER_VM_CPUS:-1}
read -r -a size_args <<<"$sizes"
start=$SECONDS
vm_rc=0
"$REPO/qemu/run-vm.sh" "$kdir" "$out" "${COMPARE_TIMEOUT:-3000}" -- \
	bash "$REPO/bench/compare-guest.sh" "$out" "$out/fanotify_filters.ko" \
	"$fanfilter" "$ops" "$race" "${size_args[@]}" || vm_rc=$?
msg "guest run took $((SECONDS - start)) s (vng status $vm_rc)"
accel=$(cat "$out/accel")
[[ $accel == tcg && -n $FANFILTER_TCG_OPTS ]] && accel+=" ($FANFILTER_TCG_OPTS)"
echo "$ops $race ${sizes// /,} Watcher comparison, $(date -u '+%Y-%m-%d %H:%M UTC')," \
	"$(nproc) host CPUs, VM with $FANFILTER_VM_CPUS vCPU under $accel," \
	"kernel $(basename "$kdir")" >"$out/params"
if [[ ! -f $out/status ]]; then
	tail -20 "$out/guest.log" >&2 || true
fi
report "$out"
msg "results: $out"
status "$out"
