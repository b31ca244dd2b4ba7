#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# prototype-bench.sh: the many-groups benchmark (fanbench -g) on a kernel
# with the series and the measurement prototypes of patches/prototype/
# (one dispatcher group delivering to member groups after one walk per
# event), beside the series' own filters in the same run.  The kernel is
# cached like the others, as the "prototype" flavor.  FANBENCH_ARGS
# overrides the sizes (default "-g -r 3 -n 10000 -m 200000").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export FANFILTER_BENCH_FLAVOR=prototype
export FANBENCH_ARGS=${FANBENCH_ARGS:--g -r 3 -n 10000 -m 200000}
exec "$REPO/scripts/bench.sh"
