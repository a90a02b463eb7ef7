#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers of the bench sections (sourced after selftests/net/lib.sh, with
# TCD, TMPD, H1, H2, CPU1 and CPU2 set).

# bench_daemons ARGS...: tcpcryptd -i eth0 ARGS on both hosts, host 1's on
# CPU1 and host 2's on CPU2, logs in $TMPD/d0.log and d1.log, pids in PIDS;
# returns once both run (1 if one did not start).
bench_daemons() {
	local ns cpu=$CPU1 n=0
	PIDS=()
	for ns in "$H1" "$H2"; do
		ip netns exec "$ns" taskset -c $cpu "$TCD" -i eth0 "$@" >"$TMPD/d$n.log" 2>&1 &
		PIDS+=($!)
		BG_PIDS+=($!)
		cpu=$CPU2
		n=$((n + 1))
	done
	for n in 0 1; do
		wait_for 15 grep -q "running" "$TMPD/d$n.log" || {
			echo "$(basename "$0" .sh): tcpcryptd did not start:"
			cat "$TMPD/d$n.log"
			return 1
		}
	done
}

stop_daemons() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	LONG_PIDS=()
}
