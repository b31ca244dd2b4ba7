#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Writes bindings.rs, the Rust form of the user API, from the C headers:
# the patched kernel's <linux/fanotify.h> (its uapi headers' include
# directory, INCLUDE) and src/uapi/fanotify_filters.h.  The C headers are
# the one definition; tests/uapi_bindings.rs runs this again and fails if
# bindings.rs differs.
#
# Usage: generate.sh INCLUDE [OUT]     (OUT defaults to bindings.rs here)
# BINDGEN names bindgen (default: bindgen in PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
include=${1:?usage: generate.sh INCLUDE [OUT]}
out=${2:-$here/bindings.rs}
${BINDGEN:-bindgen} "$here/wrapper.h" \
	--allowlist-type 'fan_.*|fanotify_filter_args|fanotify_filter_roots|fanotify_filter_bpf_args' \
	--allowlist-var 'FAN_(FILTER|SUBTREE|GUARD|KIND|NAME|ACTOR|POLICY|IOC_MAGIC).*' \
	-o "$out.tmp" \
	-- -I"$include" -I"$here/../../../../src/uapi"
mv "$out.tmp" "$out"
