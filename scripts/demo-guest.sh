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

# A private directory: a fixed path such as /tmp/demo could be where the
# checkout (and so $cli) lives, which the tmpfs would hide.
tmp=$(mktemp -d /tmp/fanfilter-demo-XXXXXX) || fail "no temporary directory"
demo=$tmp/fs
mkdir "$demo" && mount -t tmpfs demo "$demo" || fail "no tmpfs"
trap 'umount -l "$demo"; rm -rf "$tmp"' EXIT
for p in alpha beta gamma delta epsilon; do mkdir -p "$demo/projects/$p/src"; done
mkdir -p "$demo/secret" && echo hunter2 >"$demo/secret/key"

say fanfilter list
"$cli" list || fail "list failed"

say "fanfilter watch $demo --subtree $demo/projects/beta --events create,close-write,delete &"
"$cli" watch "$demo" --subtree "$demo/projects/beta" --events create,close-write,delete \
	>"$tmp/events" 2>"$tmp/watch.err" &
watcher=$!
for _ in $(seq 100); do grep -q '^fanfilter: watching' "$tmp/watch.err" && break; sleep 0.1; done
cat "$tmp/watch.err"
echo "# 5 projects x 20 files are written; only beta's 20 are of interest"
for p in alpha beta gamma delta epsilon; do
	for i in $(seq 20); do echo "v$i" >"$demo/projects/$p/src/f$i.c"; done
done
rm "$demo/projects/beta/src/f1.c"
sleep 1
say "kill -INT %1   # Ctrl-C"
kill -INT $watcher
wait $watcher || fail "the watch exited with $?"
echo "# what arrived (first 6 of $(wc -l <"$tmp/events") lines):"
head -6 "$tmp/events"
echo "# on stderr when it stopped:"
grep -v '^fanfilter: watching' "$tmp/watch.err"
# 20 creates + 20 close-writes + 1 delete, all in beta; fanotify merges
# events on one file that are queued together into one line
# ("CLOSE_WRITE,CREATE"), so the events are counted, not the lines.
events=$(awk '{ n += split($2, e, ",") } END { print n + 0 }' "$tmp/events")
((events == 41)) || fail "expected 41 events, got $events"
grep -qv "$demo/projects/beta/" "$tmp/events" && fail "an event outside beta arrived"
grep -q 'seen 201 skipped 160 sent 41 ' "$tmp/watch.err" || fail "unexpected counters"

say "fanfilter guard $demo/secret &"
"$cli" guard "$demo/secret" >"$tmp/guard.out" 2>"$tmp/guard.err" &
guard=$!
for _ in $(seq 100); do grep -q '^fanfilter: guarding' "$tmp/guard.err" && break; sleep 0.1; done
cat "$tmp/guard.err"
say cat $demo/secret/key
cat "$demo/secret/key" && fail "the guard let cat read the key"
sleep 1
say "kill -INT %1"
kill -INT $guard
wait $guard || fail "the guard exited with $?"
cat "$tmp/guard.out"
grep -v '^fanfilter: guarding' "$tmp/guard.err"
grep -q ' DENIED OPEN_PERM pid=' "$tmp/guard.out" || fail "the denial was not reported"

# The kernel-resident guard: the module's own group, configured through
# sysfs by a shell that exits at once; no process keeps a fanotify fd.
kguard=/sys/fs/fanotify/groups/fanotify_filters/guard
say "sh -c 'echo roots=$demo/secret > $kguard/config'"
sh -c "echo roots=$demo/secret > $kguard/config" || fail "the kernel guard was not armed"
say "ls -l /proc/[0-9]*/fd | grep -c fanotify   # processes' fanotify fds"
holders=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c 'anon_inode:\[fanotify\]')
echo "$holders"
((holders == 0)) || fail "a process holds a fanotify fd"
say cat $demo/secret/key
cat "$demo/secret/key" && fail "the kernel guard let cat read the key"
say "cat $kguard/{config,filter,denied}"
cat "$kguard/config" "$kguard/filter" "$kguard/denied"
(($(cat "$kguard/denied") >= 1)) || fail "the kernel guard counted no denial"
say "echo off > $kguard/config; cat $demo/secret/key"
echo off >"$kguard/config" || fail "the kernel guard was not disarmed"
cat "$demo/secret/key" || fail "the disarmed guard still denies"
echo
echo "demo: all as announced"
