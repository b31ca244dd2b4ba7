#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-in-guest.sh OUTDIR MODULE.ko TESTDIR [STRESS_SECONDS [PATTERN]]:
# runs inside the VM.  Loads the module, runs the test programs of TESTDIR
# matching PATTERN (default *_test), and leaves in OUTDIR one <test>.tap
# and <test>.rc per program, dmesg.log, kmemleak.log where the kernel has
# kmemleak, and rc (written last, so its absence means the guest did not
# get to the end).
out=$1 ko=$2 testdir=$3
export FANFILTER_STRESS_SECONDS=${4:-10}
pattern=${5:-*_test}
exec >"$out/guest.log" 2>&1
set -x
export FANFILTER_KO=$ko
status=0
if insmod "$ko"; then
	for t in "$testdir"/$pattern; do
		name=$(basename "$t")
		timeout $((FANFILTER_STRESS_SECONDS + 600)) "$t" >"$out/$name.tap" 2>&1
		echo $? >"$out/$name.rc"
	done
else
	status=1
fi
if [[ -e /sys/kernel/debug/kmemleak ]] || mount -t debugfs none /sys/kernel/debug 2>/dev/null; then
	if [[ -e /sys/kernel/debug/kmemleak ]]; then
		# Two scans: objects must look unreferenced twice to be reported.
		echo scan >/sys/kernel/debug/kmemleak
		sleep 5
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >"$out/kmemleak.log"
	fi
fi
dmesg >"$out/dmesg.log"
echo "$status" >"$out/rc"
