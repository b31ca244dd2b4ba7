#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# name-check.sh KDIR OUTDIR: TAP into OUTDIR/host_name_check_test.tap.
# kernel::fs::fanotify checks Filter::NAME at compile time: a filter
# named as the kernel's registry would refuse must not build.  Builds
# tests/name-check/ against KDIR once per name; the valid names must build,
# the invalid ones must fail with the abstraction's message (not any
# compile error).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kdir=$1 out=$2
kernel_settings "$(tree_kernel "$kdir")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name, whether it builds
cases=(
	"x:valid" "subtree_2:valid" "$(printf 'n%.0s' {1..31}):valid"
	":invalid" "$(printf 'n%.0s' {1..32}):invalid" "a/b:invalid"
	"a:b:invalid" "a b:invalid" "bpf_x:invalid" "$(printf 'x\tx'):invalid"
)
n=0 rc=0
{
	echo "TAP version 13"
	echo "1..${#cases[@]}"
	for c in "${cases[@]}"; do
		name=${c%:*} want=${c##*:}
		n=$((n + 1))
		rm -rf "$work/m" && cp -r "$REPO/tests/name-check" "$work/m"
		got=valid
		FANFILTER_NAME_CHECK=$name "${KMAKE[@]}" -C "$kdir" M="$work/m" \
			name_check.o >"$work/log" 2>&1 || got=invalid
		ok=1
		if [[ $got != "$want" ]]; then
			ok=0
		elif [[ $want == invalid ]] &&
			! grep -qF 'Filter::NAME: see fanotify::is_valid_name()' "$work/log"; then
			# Refused, but not by the check.
			ok=0
		fi
		if ((!ok)); then
			rc=1
			sed 's/^/# /' "$work/log" | tail -20
			printf 'not '
		fi
		echo "ok $n - name '$name' is $want at compile time"
	done
} >"$out/host_name_check_test.tap"
echo "$rc" >"$out/host_name_check_test.rc"
