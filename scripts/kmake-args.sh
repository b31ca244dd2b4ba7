#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kmake-args.sh KDIR: prints the make arguments (LLVM, RUSTC, BINDGEN, ...)
# that the kernel tree KDIR was built with, for the Makefiles of the
# module, the tests and the benchmark: 6.12 and 7.3 need other toolchains.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kernel_settings "$(tree_kernel "$1")"
echo "${KMAKE_ARGS[*]}"
