#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-in-guest.sh OUTDIR MODULE.ko FANBENCH [ARGS...]: runs inside the VM.
# Loads the module, runs fanbench on a fresh tmpfs and leaves in OUTDIR
# bench.json, bench.log (progress), bench.rc, dmesg.log, and rc written
# last.
out=$1 ko=$2 bench=$3
shift 3
exec >"$out/guest.log" 2>&1
# shellcheck source=bpf/start-loader.sh
source "$(dirname "$0")/../bpf/start-loader.sh"
set -x
status=0
dir=$(mktemp -d /tmp/fanbench-XXXXXX)
# (f): the BPF subtree filter, registered by its loader for the run.
bpfdir=$(dirname "$bench")/bpf
LOADER_PID=
if [[ -x $bpfdir/fanfilter-bpf ]]; then
	# Not ready: fanbench fails on the missing filter.
	start_bpf_loader "$bpfdir/fanfilter-bpf" "$bpfdir/subtree.bpf.o" \
		"$out/bpf-loader.log" || true
fi
if insmod "$ko" && mount -t tmpfs -o size=512m fanbench "$dir"; then
	"$bench" "$@" "$dir" >"$out/bench.json" 2>"$out/bench.log"
	echo $? >"$out/bench.rc"
else
	status=1
fi
[[ -n $LOADER_PID ]] && kill -TERM "$LOADER_PID" && wait "$LOADER_PID"
dmesg >"$out/dmesg.log"
echo "$status" >"$out/rc"
