#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# package_test.sh OUTDIR: TAP into OUTDIR/host_package_test.tap.  Builds
# the .deb (scripts/package.sh) and make install's tree, and checks what a
# sysadmin gets: the files, the control data, a binary that runs, a man
# page that renders without warnings, completions that load.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
out=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
n=0 failed=0
exec >"$out/host_package_test.tap" 2>&1
ok() { # ok STATUS DESCRIPTION
	n=$((n + 1))
	if (($1 == 0)); then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi
}
echo "TAP version 13"
echo "1..6"
files=(usr/bin/fanfilter usr/share/man/man1/fanfilter.1.gz
	usr/share/bash-completion/completions/fanfilter
	usr/share/zsh/vendor-completions/_fanfilter
	usr/share/fish/vendor_completions.d/fanfilter.fish
	usr/share/doc/fanfilter/copyright)

deb=$("$REPO/scripts/package.sh" "$scratch/pkg")
ok $? "the package builds"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' >"$scratch/list"
rc=0
for f in "${files[@]}"; do grep -qx "$f" "$scratch/list" || { echo "# missing $f"; rc=1; }; done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/userspace/fanfilter-cli/Cargo.toml" | head -1)
[[ $(dpkg-deb -f "$deb" Package) == fanfilter && $(dpkg-deb -f "$deb" Version) == "$version" ]] &&
	dpkg-deb -f "$deb" Depends | grep -q 'libbpf1' || rc=1
ok $rc "it holds the command, man page, completions and copyright; control data"

dpkg-deb -x "$deb" "$scratch/root"
[[ $("$scratch/root/usr/bin/fanfilter" --version) == "fanfilter $version" ]] &&
	! file "$scratch/root/usr/bin/fanfilter" | grep -q 'not stripped'
ok $? "the packaged binary runs and is stripped"

warnings=$(MANWIDTH=80 man --warnings -l "$scratch/root/usr/share/man/man1/fanfilter.1.gz" 2>&1 >/dev/null)
[[ -z $warnings ]] && MANWIDTH=80 man -l "$scratch/root/usr/share/man/man1/fanfilter.1.gz" 2>/dev/null |
	grep -q 'exit\-on\-overflow\|exit-on-overflow'
ok $? "the man page renders without warnings${warnings:+: $warnings}"

bash -c "source '$scratch/root/usr/share/bash-completion/completions/fanfilter' &&
	complete -p fanfilter" >/dev/null 2>&1
ok $? "the bash completion loads and completes fanfilter"

make -s -C "$REPO" install DESTDIR="$scratch/inst" PREFIX=/usr/local >/dev/null 2>&1
rc=$?
for f in "${files[@]}"; do [[ -e $scratch/inst/${f/usr/usr\/local} ]] || { echo "# make install: no $f"; rc=1; }; done
ok $rc "make install DESTDIR=... PREFIX=/usr/local installs the same files"
# tap-summary.sh wants every program's status beside its TAP.
echo $((failed > 0)) >"$out/host_package_test.rc"
exit $((failed > 0))
