#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Writes bindings.rs, the Rust form of the user API, from the C headers:
# the patched kernel's <linux/fanotify.h> (its uapi headers' include
# directory, INCLUDE) and src/uapi/fanotify_filters.h.  The C headers are
# the one definition; tests/layout.rs runs this again and fails if
# bindings.rs differs (and compiles the headers to compare every size and
# offset, which is why bindgen's own layout tests are left out).
#
# Usage: generate.sh INCLUDE [OUT]     (OUT defaults to bindings.rs here)
# BINDGEN names bindgen (default: bindgen in PATH); its output depends on
# its version and on rustfmt, so both are required: bindgen 0.69.5, the
# one the kernel build of this machine uses, and rustfmt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
include=${1:?usage: generate.sh INCLUDE [OUT]}
out=${2:-$here/bindings.rs}
bindgen=${BINDGEN:-bindgen}
want=0.69.5
got=$("$bindgen" --version | awk '{ print $2 }')
if [ "$got" != "$want" ]; then
	echo "generate.sh: bindgen $want needed, $bindgen is $got" >&2
	exit 2
fi
command -v rustfmt >/dev/null || { echo "generate.sh: rustfmt needed" >&2; exit 2; }
"$bindgen" "$here/wrapper.h" \
	--formatter rustfmt \
	--no-layout-tests \
	--allowlist-type 'fan_.*|fanotify_filter_args|fanotify_filter_roots|fanotify_filter_bpf_args' \
	--allowlist-var 'FAN_(FILTER|SUBTREE|GUARD|KIND|NAME|ACTOR|POLICY|IOC_MAGIC).*' \
	-o "$out.tmp" \
	-- -I"$include" -I"$here/../../../../src/uapi"
mv "$out.tmp" "$out"
