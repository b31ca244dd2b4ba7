#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the kernel's checkpatch.pl --strict over both patch series and the
# C test programs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# spdxcheck.py needs the Debian python3 with python3-ply and python3-git.
export PATH=/usr/bin:$PATH
rc=0
# Each series with the checkpatch.pl of its own kernel.
for k in "${KERNELS[@]}"; do
	tree=$(FANFILTER_KERNEL=$k "$REPO/scripts/kernel-tree.sh" test)
	# Run from the kernel tree: inside this repo's git checkout
	# checkpatch would check the patch files as added source files.
	while read -r p; do
		[[ -z $p || $p == \#* ]] && continue
		(cd "$tree" && "$tree/scripts/checkpatch.pl" --strict --quiet \
			"$REPO/patches/$k/$p") || rc=1
	done <"$REPO/patches/$k/series"
done
(cd "$tree" && "$tree/scripts/checkpatch.pl" --strict --quiet --no-tree \
	-f "$REPO"/tests/*.[ch] "$REPO"/examples/*.c "$REPO"/bench/*.c "$REPO"/bpf/fanfilter-bpf.c \
	"$REPO"/src/uapi/*.h) || rc=1
((rc == 0)) && msg "checkpatch --strict: clean"
exit "$rc"
