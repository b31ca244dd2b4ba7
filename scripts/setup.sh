#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building and testing need on a Debian 12 machine.
# Idempotent: a second run checks and returns in seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	linux-source-6.12 rustc-web rust-web-src cargo-web rustfmt-web
	rust-web-clippy clang lld llvm libelf-dev flex bison bc libssl-dev cpio
	kmod qemu-system-x86 python3-venv make xz-utils perl gcc libc6-dev git
	python3-matplotlib rsync python3-ply python3-git inotify-tools fatrace
	dwarves bpftool libbpf-dev
	# mkfs.nilfs2: hardening_test's snapshot, a root of its own on a
	# superblock, as an NFS export mounted apart has.
	nilfs-tools
	# package_test.sh: the .deb's man page, binary and strip.
	man-db groff-base file binutils
)
BINDGEN_VERSION=0.69.5
VIRTME_NG_VERSION=1.42
RUST_TOOLCHAIN_NAME=fanfilter-debian-rustc

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

if [[ "$(/usr/local/bin/bindgen --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]]; then
	msg "installing bindgen-cli $BINDGEN_VERSION (a few minutes)"
	/usr/bin/cargo install --quiet --locked bindgen-cli \
		--version "$BINDGEN_VERSION" --root /usr/local
fi

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

# One-sentence diagnosis if the kernel build system would not build Rust.
tree=$("$REPO/scripts/kernel-tree.sh" test)
if ! out=$(cd "$tree" && "${KMAKE[@]}" rustavailable 2>&1); then
	die "the kernel cannot build Rust with this toolchain: $(grep -m1 -i '\*\*\*' <<<"$out" | sed 's/^\*\*\* *//')"
fi
msg "setup complete: Rust is available to the kernel build"
