#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# package.sh [OUTDIR]: builds the Debian package of the fanfilter command
# (binary, man page, completions) into OUTDIR (default build/packages) and
# prints its path.  The kernel side (patched kernel, module) is not
# packaged: it needs the patched kernel's headers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
outdir=${1:-$REPO/build/packages}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/userspace/fanfilter-cli/Cargo.toml" | head -1)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
"$REPO/scripts/install-userspace.sh" "$stage" /usr
# Debian installs stripped binaries; the build keeps its debug info.
strip --strip-unneeded "$stage/usr/bin/fanfilter"
glibc=$(objdump -T "$stage/usr/bin/fanfilter" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1)
mkdir -p "$stage/DEBIAN" "$outdir"
# Its shared libraries, as dpkg-shlibdeps would name them (libbpf1, and
# libelf1 and zlib1g through it; glibc by the newest symbol version used).
cat >"$stage/DEBIAN/control" <<CONTROL
Package: fanfilter
Version: $version
Architecture: $arch
Maintainer: fanfilter maintainers <maintainers@users.noreply.r-seed-cc9d3b8b.example>
Depends: libc6 (>= ${glibc#GLIBC_}), libbpf1 (>= 1:1.1), libelf1, zlib1g
Section: admin
Priority: optional
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Description: watch and guard filesystems through in-kernel fanotify filters
 fanfilter attaches the in-kernel filters of the fanotify_filters kernel
 module (and BPF filters) to fanotify groups: watch one tree of a huge
 filesystem with one mark and only its events, guard directories in the
 kernel, list the filters and read their counters.  Needs a kernel with
 the fanotify filter patches.
CONTROL
deb=$outdir/fanfilter_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
