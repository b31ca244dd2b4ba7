# SPDX-License-Identifier: GPL-2.0
# Shared settings of the project's scripts; sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything large (kernel trees, the venv) lives outside the repo.
CACHE=${FANFILTER_CACHE:-/var/cache/fanfilter}
VENV=$CACHE/venv
# The kernels the series is kept for: mainline first (the primary target),
# then the LTS backport.  FANFILTER_KERNEL picks one of them for a script
# that works on one kernel (default: the first).
KERNELS=(7.3 6.12)
FANFILTER_KERNEL=${FANFILTER_KERNEL:-${KERNELS[0]}}
# The kernel and the module must be built by the very same rustc (and the
# kernel's doctests by its rustdoc).
export RUSTC=/usr/bin/rustc
export PATH=$VENV/bin:/usr/local/bin:$PATH

# kernel_settings VERSION: sets, for one kernel, where its source comes from
# (KERNEL_TARBALL, KERNEL_PACKAGE_VERSION), the Debian packages its build
# needs (KERNEL_PACKAGES), its patch series (PATCHES), its config fragments
# (KERNEL_CONFIGS) and the make arguments its build needs (KMAKE_ARGS,
# KMAKE).  6.12 builds with
# bookworm's clang 14 and bindgen 0.69.5; 7.3 needs LLVM >= 17 and bindgen
# >= 0.71.1: clang-19 and a bindgen of its own.
kernel_settings() {
	case $1 in
	6.12)
		KERNEL_PACKAGES=(linux-source-6.12)
		KERNEL_CONFIGS=("$REPO/qemu/kernel.config")
		KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz
		KERNEL_PACKAGE_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
		BINDGEN_VERSION=0.69.5
		BINDGEN=/usr/local/bin/bindgen
		# bindgen loads the newest libclang it finds, 19 once 7.3's
		# toolchain is there, which refuses clang 14's flags.
		KMAKE_ARGS=(LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
			BINDGEN=$BINDGEN LIBCLANG_PATH=/usr/lib/llvm-14/lib)
		CLANG=clang
		;;
	7.3)
		# bookworm's LLVM 19; the source is fetched by setup.sh.
		KERNEL_PACKAGES=(clang-19 lld-19 llvm-19 libclang-19-dev)
		KERNEL_CONFIGS=("$REPO/qemu/kernel.config" "$REPO/qemu/kernel-7.3.config")
		KERNEL_TARBALL=$CACHE/linux-source-7.3/usr/src/linux-source-7.3.tar.xz
		KERNEL_PACKAGE_VERSION=$(cat "$CACHE/linux-source-7.3/version" 2>/dev/null || true)
		BINDGEN_VERSION=0.71.1
		BINDGEN=/usr/local/lib/fanfilter/bindgen-$BINDGEN_VERSION/bin/bindgen
		KMAKE_ARGS=(LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
			BINDGEN=$BINDGEN LIBCLANG_PATH=/usr/lib/llvm-19/lib)
		CLANG=clang-19
		;;
	*) die "unknown kernel '$1' (known: ${KERNELS[*]})" ;;
	esac
	KERNEL=$1
	PATCHES=$REPO/patches/$1
	KMAKE=(make "${KMAKE_ARGS[@]}")
}

# The kernel a built tree is: "6.12" or "7.3", from its release string.
tree_kernel() {
	local release
	release=$(cat "$1/include/config/kernel.release" 2>/dev/null) ||
		die "$1 is not a configured kernel tree"
	case $release in
	6.12.*) echo 6.12 ;;
	7.3.*) echo 7.3 ;;
	*) die "$1 is Linux $release, for which there is no series" ;;
	esac
}

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Hash of everything a kernel build of the current kernel (kernel_settings)
# depends on: the source package, the patch series, the config fragments
# and the toolchain.  A change in any of them gives a new cache entry.
kernel_key() {
	local flavor=${1:-test}
	{
		echo "$KERNEL_PACKAGE_VERSION"
		cat "$PATCHES/series"
		while read -r p; do
			[[ -z $p || $p == \#* ]] || cat "$PATCHES/$p"
		done < "$PATCHES/series"
		cat "${KERNEL_CONFIGS[@]}"
		[[ $flavor == test ]] || cat "$REPO/qemu/kernel-$flavor.config"
		if [[ $flavor == prototype ]]; then
			cat "$REPO/patches/prototype/$KERNEL/series"
			cat "$REPO/patches/prototype/$KERNEL/"*.patch
		fi
		echo "$flavor"
		/usr/bin/rustc --version
		"$CLANG" --version | head -1
		[[ $KERNEL == 6.12 ]] || "$BINDGEN" --version
	} | sha256sum | cut -c1-16
}

# The built kernel tree for a flavor ("test", "debug", or "prototype": the
# series and patches/prototype/, for scripts/prototype-bench.sh) of the current
# kernel; 6.12's trees keep the names they had before 7.3 was added.
kernel_dir() {
	local flavor=${1:-test} prefix=kernel
	[[ $KERNEL == 6.12 ]] || prefix=kernel-$KERNEL
	echo "$CACHE/$prefix-$flavor-$(kernel_key "$flavor")"
}

# A new timestamped directory under build/<kind>, also reachable as
# build/<kind>/latest; prints its path.
new_results_dir() {
	local base=$REPO/build/$1 dir
	dir=$base/$(date +%Y%m%d-%H%M%S)
	mkdir -p "$dir"
	ln -sfn "$(basename "$dir")" "$base/latest"
	echo "$dir"
}

# cargo test output as TAP into OUTDIR/NAME.{tap,rc}, beside the guest's
# programs, so that tap-summary.sh counts them.  EXTRA: more "name rc"
# checks to append (clippy, rustfmt).
cargo_tap() {
	local out=$1 name=$2 rc=$3 log=$4
	shift 4
	{
		echo "TAP version 13"
		{
			sed -nE 's/^test (.*) \.\.\. ok$/ok - \1/p; s/^test (.*) \.\.\. FAILED$/not ok - \1/p' <<<"$log"
			while (($#)); do
				if (($2 == 0)); then echo "ok - $1"; else echo "not ok - $1"; fi
				shift 2
			done
		} | awk '{ sub(/ - /, " " NR " - "); print }'
		grep -E '^test result:' <<<"$log" | sed 's/^/# /' || true
		((rc == 0)) || sed 's/^/# /' <<<"$log" | tail -40
	} >"$out/$name.tap"
	echo "$rc" >"$out/$name.rc"
}

# Runs the host unit tests: the filters' argument parsers, the fanfilter
# library and command (against the patched uapi of KDIR), with clippy and
# rustfmt of the latter, and the kernel build script's failure and cache
# handling.  (codegen-check.sh, run per kernel by test.sh, compares the
# Rust subtree filter's code with the C sample's.)
run_host_tests() {
	local out=$1 kdir=$2 log rc=0 clippy=0 fmt=0
	log=$(cd "$REPO/src/filters/host-tests" && /usr/bin/cargo test 2>&1) || rc=$?
	cargo_tap "$out" host_args_test "$rc" "$log"
	rc=0
	log=$(cd "$REPO/userspace" && FANFILTER_UAPI_INCLUDE="$kdir/usr-headers/include" \
		RUSTC=/usr/bin/rustc /usr/bin/cargo test --locked 2>&1) || rc=$?
	(cd "$REPO/userspace" && RUSTC=/usr/bin/rustc /usr/bin/cargo clippy --locked --all-targets \
		-- -D warnings >"$out/userspace-clippy.log" 2>&1) || clippy=1
	(cd "$REPO/userspace" && /usr/bin/cargo fmt --check >"$out/userspace-fmt.log" 2>&1) || fmt=1
	((clippy || fmt)) && rc=1
	cargo_tap "$out" host_userspace_test "$rc" "$log" \
		"clippy -D warnings (userspace)" "$clippy" "rustfmt --check (userspace)" "$fmt"
	"$REPO/scripts/build-kernel_test.sh" "$out"
	"$REPO/scripts/package_test.sh" "$out"
}
kernel_settings "$FANFILTER_KERNEL"
