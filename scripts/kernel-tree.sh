#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-tree.sh [test|debug|prototype]: makes sure the patched, configured kernel
# tree for a flavor of FANFILTER_KERNEL (lib.sh) exists in the cache and
# prints its path.  The tree is keyed by the hash of source version,
# patches, config and toolchain (lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

flavor=${1:-test}
dir=$(kernel_dir "$flavor")
[[ -f $dir/.fanfilter-configured ]] && { echo "$dir"; exit 0; }

[[ -f $KERNEL_TARBALL ]] || die "$KERNEL_TARBALL missing: run scripts/setup.sh $KERNEL"
# Also drop half-made trees of earlier, interrupted or failed runs.
rm -rf "$dir" "${dir%-*}-"*.tmp
mkdir -p "$dir.tmp"
msg "unpacking $KERNEL_TARBALL"
tar -xf "$KERNEL_TARBALL" -C "$dir.tmp" --strip-components=1
while read -r p; do
	[[ -z $p || $p == \#* ]] && continue
	msg "applying $p"
	git -C "$dir.tmp" apply --whitespace=error-all "$PATCHES/$p" ||
		die "patch $KERNEL/$p does not apply"
done < "$PATCHES/series"
# The prototype flavor: measurement prototypes on top of the series.
if [[ $flavor == prototype ]]; then
	[[ -f $REPO/patches/prototype/$KERNEL/series ]] ||
		die "no prototype for Linux $KERNEL (patches/prototype/$KERNEL)"
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		msg "applying prototype $p"
		git -C "$dir.tmp" apply --whitespace=error-all \
			"$REPO/patches/prototype/$KERNEL/$p" ||
			die "prototype $KERNEL/$p does not apply"
	done < "$REPO/patches/prototype/$KERNEL/series"
fi

(
	cd "$dir.tmp"
	"${KMAKE[@]}" -s tinyconfig
	frags=("${KERNEL_CONFIGS[@]}")
	[[ $flavor == test ]] || frags+=("$REPO/qemu/kernel-$flavor.config")
	scripts/kconfig/merge_config.sh -m .config "${frags[@]}" >/dev/null
	"${KMAKE[@]}" -s olddefconfig
	# merge_config does not fail on dropped options; check the ones that
	# matter, since e.g. MODVERSIONS silently removes RUST: every
	# "=y" whose symbol no later fragment sets otherwise (the debug
	# flavor turns KUNIT off again).
	awk 'match($0, /^(# )?CONFIG_[A-Z0-9_]+[= ]/) {
		sym = substr($0, RSTART, RLENGTH - 1); sub(/^# /, "", sym)
		last[sym] = $0; if (!(sym in seen)) { seen[sym] = 1; order[++n] = sym }
	     }
	     END { for (i = 1; i <= n; i++) if (last[order[i]] ~ /=y$/) print last[order[i]] }' \
		"${frags[@]}" | while read -r want; do
		grep -qx "$want" .config || die "$want did not survive olddefconfig"
	done
)
touch "$dir.tmp/.fanfilter-configured"
mv "$dir.tmp" "$dir"
echo "$dir"
