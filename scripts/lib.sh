# SPDX-License-Identifier: GPL-2.0
# Shared settings of the project's scripts; sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything large (kernel trees, the venv) lives outside the repo.
CACHE=${FANFILTER_CACHE:-/var/cache/fanfilter}
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz
VENV=$CACHE/venv
# The kernel and the module must be built by the very same rustc.
export RUSTC=/usr/bin/rustc
export LLVM=1
export PATH=$VENV/bin:/usr/local/bin:$PATH
KMAKE=(make LLVM=1 RUSTC=/usr/bin/rustc BINDGEN=/usr/local/bin/bindgen)

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Hash of everything a kernel build depends on: the source tarball, the
# patch series and the config fragments.  A change in any of them gives a
# new cache entry.
kernel_key() {
	local flavor=${1:-test}
	{
		dpkg-query -W -f='${Version}\n' linux-source-6.12
		cat "$REPO/patches/series"
		while read -r p; do
			[[ -z $p || $p == \#* ]] || cat "$REPO/patches/$p"
		done < "$REPO/patches/series"
		cat "$REPO/qemu/kernel.config"
		[[ $flavor == test ]] || cat "$REPO/qemu/kernel-$flavor.config"
		echo "$flavor"
		/usr/bin/rustc --version
		clang --version | head -1
	} | sha256sum | cut -c1-16
}

# The built kernel tree for a flavor ("test" or "debug").
kernel_dir() {
	local flavor=${1:-test}
	echo "$CACHE/kernel-$flavor-$(kernel_key "$flavor")"
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
		grep -E '^test result:' <<<"$log" | sed 's/^/# /'
		((rc == 0)) || sed 's/^/# /' <<<"$log" | tail -40
	} >"$out/$name.tap"
	echo "$rc" >"$out/$name.rc"
}

# Runs the host unit tests: the filters' argument parsers, the fanfilter
# library and command (against the patched uapi of KDIR), with clippy and
# rustfmt of the latter, the code size of the Rust subtree filter
# against the C sample's (needs the module built against KDIR), and the
# kernel build script's failure and cache handling.
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
	"$REPO/scripts/codegen-check.sh" "$kdir" "$out"
	"$REPO/scripts/build-kernel_test.sh" "$out"
	"$REPO/scripts/package_test.sh" "$out"
}
