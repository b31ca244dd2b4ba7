# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the guest scripts (tests/, bench/).
#
# start_bpf_loader LOADER OBJECT LOG: starts the libbpf loader in the
# background (its pid in LOADER_PID) and waits up to 30 s for its "ready"
# line, after which the object's filter types are registered.  Returns 1,
# with a line in LOG, if that line never came.
start_bpf_loader() {
	"$1" "$2" >"$3" 2>&1 &
	# shellcheck disable=SC2034 # read by the caller
	LOADER_PID=$!
	for _ in $(seq 300); do
		grep -q 'fanfilter-bpf: ready' "$3" && return 0
		sleep 0.1
	done
	echo "start-loader.sh: no ready line after 30 s" >>"$3"
	return 1
}
