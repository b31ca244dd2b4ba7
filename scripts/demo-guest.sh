#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-guest.sh FANFILTER: runs in the VM with the module loaded.  Shows
# what a user types and what arrives: a watch of one project of a tmpfs
# while files change all over it, the kernel's counters, and a guard.
# Exits non-zero if anything differs from what it announces.
set -uo pipefail
cli=$1
say() { printf '\n$ %s\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

mkdir -p /tmp/demo && mount -t tmpfs demo /tmp/demo || fail "no tmpfs"
for p in alpha beta gamma delta epsilon; do mkdir -p /tmp/demo/projects/$p/src; done
mkdir -p /tmp/demo/secret && echo hunter2 >/tmp/demo/secret/key

say fanfilter list
"$cli" list || fail "list failed"

say "fanfilter watch /tmp/demo --subtree /tmp/demo/projects/beta --events create,close-write,delete &"
"$cli" watch /tmp/demo --subtree /tmp/demo/projects/beta --events create,close-write,delete \
	>/tmp/demo-events 2>/tmp/demo-err &
watcher=$!
for _ in $(seq 100); do grep -q '^fanfilter: watching' /tmp/demo-err && break; sleep 0.1; done
cat /tmp/demo-err
echo "# 5 projects x 20 files are written; only beta's 20 are of interest"
for p in alpha beta gamma delta epsilon; do
	for i in $(seq 20); do echo "v$i" >/tmp/demo/projects/$p/src/f$i.c; done
done
rm /tmp/demo/projects/beta/src/f1.c
sleep 1
say "kill -INT %1   # Ctrl-C"
kill -INT $watcher
wait $watcher || fail "the watch exited with $?"
echo "# what arrived (first 6 of $(wc -l </tmp/demo-events) lines):"
head -6 /tmp/demo-events
echo "# on stderr when it stopped:"
grep -v '^fanfilter: watching' /tmp/demo-err
lines=$(wc -l </tmp/demo-events)
# 20 creates + 20 close-writes + 1 delete, all in beta
((lines == 41)) || fail "expected 41 events, got $lines"
grep -qv '/tmp/demo/projects/beta/' /tmp/demo-events && fail "an event outside beta arrived"
grep -q 'seen 201 skipped 160 sent 41 ' /tmp/demo-err || fail "unexpected counters"

say "fanfilter guard /tmp/demo/secret &"
"$cli" guard /tmp/demo/secret >/tmp/guard.out 2>/tmp/guard.err &
guard=$!
for _ in $(seq 100); do grep -q '^fanfilter: guarding' /tmp/guard.err && break; sleep 0.1; done
cat /tmp/guard.err
say cat /tmp/demo/secret/key
cat /tmp/demo/secret/key && fail "the guard let cat read the key"
sleep 1
say "kill -INT %1"
kill -INT $guard
wait $guard || fail "the guard exited with $?"
cat /tmp/guard.out
grep -v '^fanfilter: guarding' /tmp/guard.err
grep -q ' DENIED OPEN_PERM pid=' /tmp/guard.out || fail "the denial was not reported"
echo
echo "demo: all as announced"
