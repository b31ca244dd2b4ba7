#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh [KERNEL...]: installs what building and testing need on a
# Debian 12 machine, for the given kernels (lib.sh's KERNELS by default).
# Idempotent: a second run checks and returns in seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	rustc-web rust-web-src cargo-web rustfmt-web
	rust-web-clippy clang lld llvm libelf-dev flex bison bc libssl-dev cpio
	kmod qemu-system-x86 python3-venv make xz-utils perl gcc libc6-dev git
	python3-matplotlib rsync python3-ply python3-git inotify-tools fatrace
	dwarves bpftool libbpf-dev
	# mkfs.nilfs2: hardening_test's snapshot, a root of its own on a
	# superblock, as an NFS export mounted apart has.
	nilfs-tools
	# mkfs.ext2, mkfs.ext4: hardening_test's disconnected dentries,
	# precontent_test's filesystem that allows pre-content events.
	e2fsprogs
	# package_test.sh: the .deb's man page, binary and strip.
	man-db groff-base file binutils
)
VIRTME_NG_VERSION=1.42
RUST_TOOLCHAIN_NAME=fanfilter-debian-rustc

kernels=("$@")
((${#kernels[@]})) || kernels=("${KERNELS[@]}")
for k in "${kernels[@]}"; do
	kernel_settings "$k"
	APT_PACKAGES+=("${KERNEL_PACKAGES[@]}")
done

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	msg "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# linux-source-7.3 comes from trixie-backports, which this bookworm machine
# does not use: fetched with a private sources list and unpacked into the
# cache, never installed.
fetch_linux_7_3() {
	local dir=$CACHE/linux-source-7.3 apt=$CACHE/apt-trixie-backports opts deb
	[[ -f $dir/version && -f $KERNEL_TARBALL ]] && return
	msg "fetching linux-source-7.3 from trixie-backports into $dir"
	rm -rf "$apt" "$dir"
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$dir"
	echo "deb http://deb.debian.org/debian trixie-backports main" >"$apt/sources.list"
	opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt"
		-o "Dir::Cache::Archives=$apt/archives"
		-o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update -qq
	(cd "$apt" && apt-get "${opts[@]}" download -qq linux-source-7.3)
	deb=$(echo "$apt"/linux-source-7.3_*.deb)
	[[ -f $deb ]] || die "linux-source-7.3 could not be downloaded"
	dpkg-deb -x "$deb" "$dir"
	dpkg-deb -f "$deb" Version >"$dir/version"
	rm -rf "$apt"
}

for k in "${kernels[@]}"; do
	kernel_settings "$k"
	if [[ "$("$BINDGEN" --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]]; then
		msg "installing bindgen-cli $BINDGEN_VERSION for $k (a few minutes)"
		/usr/bin/cargo install --quiet --locked bindgen-cli \
			--version "$BINDGEN_VERSION" --root "${BINDGEN%/bin/bindgen}"
	fi
	[[ $k == 7.3 ]] && fetch_linux_7_3
done

if [[ "$("$VENV/bin/vng" --version 2>/dev/null)" != *"$VIRTME_NG_VERSION"* ]]; then
	msg "installing virtme-ng $VIRTME_NG_VERSION into $VENV"
	mkdir -p "$CACHE"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet "virtme-ng==$VIRTME_NG_VERSION"
fi

# rust-toolchain.toml names the Debian rustc the kernel is built with.
# rustup cannot download it, so link it and pin this checkout to the link;
# otherwise every rustup-managed cargo/rustc in the tree would fail offline.
if command -v rustup >/dev/null; then
	if ! rustup toolchain list | grep -q "^$RUST_TOOLCHAIN_NAME"; then
		rustup toolchain link "$RUST_TOOLCHAIN_NAME" /usr >/dev/null
	fi
	if [[ "$(cd "$REPO" && rustup show active-toolchain 2>/dev/null)" != "$RUST_TOOLCHAIN_NAME"* ]]; then
		rustup override set "$RUST_TOOLCHAIN_NAME" --path "$REPO" >/dev/null 2>&1
	fi
fi

# One-sentence diagnosis if a kernel build system would not build Rust.
for k in "${kernels[@]}"; do
	kernel_settings "$k"
	tree=$(FANFILTER_KERNEL=$k "$REPO/scripts/kernel-tree.sh" test)
	if ! out=$(cd "$tree" && "${KMAKE[@]}" rustavailable 2>&1); then
		die "Linux $k cannot build Rust with this toolchain: $(grep -m1 -E '^\*\*\* +[^ ]' <<<"$out" | sed 's/^\*\*\* *//')"
	fi
done
msg "setup complete: Rust is available to the kernel build (${kernels[*]})"
