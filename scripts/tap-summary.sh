#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh OUTDIR VM_STATUS: merges the per-program TAP of a guest
# run into one TAP stream, checks the guest logs for kernel splats, and
# prints "N passed, N failed, N skipped".  Exit 0 only if all is well.
set -uo pipefail
out=$1 vm_rc=$2
SPLATS='BUG:|WARNING:|Oops|KASAN|UBSAN|Kernel panic|general protection fault|'
SPLATS+='possible (recursive|circular) locking|inconsistent lock state|'
SPLATS+='suspicious RCU usage|unreferenced object|scheduling while atomic|'
SPLATS+='sleeping function called from invalid context|blocked for more than'

passed=0 failed=0 skipped=0 n=0
lines=()
for tap in "$out"/*.tap; do
	[[ -e $tap ]] || continue
	prog=$(basename "$tap" .tap)
	prog_rc=$(cat "$out/$prog.rc" 2>/dev/null || echo missing)
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
			n=$((n + 1))
			desc=${BASH_REMATCH[2]}
			if [[ -n ${BASH_REMATCH[1]} ]]; then
				failed=$((failed + 1))
				lines+=("not ok $n $prog: $desc")
			elif [[ $desc == *"# SKIP"* ]]; then
				skipped=$((skipped + 1))
				lines+=("ok $n $prog: $desc")
			else
				passed=$((passed + 1))
				lines+=("ok $n $prog: $desc")
			fi
		fi
	done <"$tap"
	# A program that crashed or failed without a failing test line.
	if [[ $prog_rc != 0 && $prog_rc != 4 ]] && ! grep -q '^not ok' "$tap"; then
		n=$((n + 1)) failed=$((failed + 1))
		lines+=("not ok $n $prog: exited with status $prog_rc")
	fi
done

problems=()
if [[ -f $out/timeout ]]; then
	problems+=("the VM timed out")
elif [[ ! -f $out/rc ]]; then
	problems+=("the guest did not finish (vng status $vm_rc)")
elif [[ $(cat "$out/rc") != 0 ]]; then
	problems+=("the guest could not load the module (see guest.log)")
fi
for log in "$out/console.log" "$out/dmesg.log" "$out/kmemleak.log"; do
	[[ -f $log ]] || continue
	if grep -Eq "$SPLATS" "$log"; then
		problems+=("kernel splat in $(basename "$log"):")
		while IFS= read -r l; do problems+=("    $l"); done < <(grep -E "$SPLATS" "$log" | head -5)
	fi
done
((n)) || problems+=("no test ran")

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${lines[@]}"
for p in "${problems[@]}"; do echo "# FAIL: $p"; done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $failed == 0 && ${#problems[@]} == 0 ]]
