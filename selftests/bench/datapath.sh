#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, section "datapath": what carrying TCP through tcpcryptd costs.
#
# Two hosts in network namespaces over a veth pair (selftests/net/lib.sh),
# one TCP stream (iperf3, BENCH_SECONDS each) and request/response latency
# (build/tests/tcd_rr: BENCH_RR round trips of 1 and 64 bytes, p50/p99), for:
#   plain        no daemon, no BPF
#   not steered  tcpcryptd attached on both hosts, the port excluded by policy
#   pass-through tcpcryptd --passthrough on both hosts, the port steered
# per XDP mode (BENCH_MODES, default "native skb"), MTU 1500; plus
# pass-through at the largest MTU (3506). Ratios are to plain TCP measured in
# the same run. Each daemon is pinned to its own CPU (taskset) so that the
# two hosts, which share this machine, do not share a poller CPU.
# Nothing asserts on time.
set -u
source "$(dirname "$0")/../net/lib.sh"
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_RR=${BENCH_RR:-20000}
BENCH_MODES=${BENCH_MODES:-native skb}
TCD=$BIN/tcpcryptd
RR=$BUILD/tests/tcd_rr
for t in "$TCD" "$RR"; do
	[ -x "$t" ] || { echo "datapath: $t missing (run make)"; exit 1; }
done
command -v iperf3 >/dev/null || { echo "datapath: needs iperf3"; exit 1; }

TMPD=$(mktemp -d /tmp/tcd-bench.XXXXXX)
on_exit "rm -rf $TMPD"
ROWS=()
PIDS=()

tput_gbit() {	# PORT ADDR
	local pid
	ip netns exec "$H2" timeout $((BENCH_SECONDS + 20)) iperf3 -s -1 -p "$1" >/dev/null 2>&1 &
	pid=$!
	wait_port "$H2" "$1" || { echo 0; return; }
	ip netns exec "$H1" timeout $((BENCH_SECONDS + 15)) iperf3 -c "$2" -p "$1" \
		-t "$BENCH_SECONDS" -J 2>/dev/null | python3 -c '
import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("0")'
	wait $pid 2>/dev/null
}

rr_us() {	# PORT ADDR SIZE -> "p50 p99"
	ip netns exec "$H1" timeout 60 "$RR" client "$2" "$1" "$BENCH_RR" "$3" |
		sed -n 's/p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/p'
}

# measure NAME MODE PORT_T PORT_R: one table row.
measure() {
	local name=$1 mode=$2 pt=$3 pr=$4 g r1 r64
	bg "$H2" "$RR" server "$pr"
	wait_port "$H2" "$pr"
	g=$(tput_gbit "$pt" 192.0.2.2)
	r1=$(rr_us "$pr" 192.0.2.2 1)
	r64=$(rr_us "$pr" 192.0.2.2 64)
	kill "$LAST_PID" 2>/dev/null
	ROWS+=("$name|$mode|$MTU|$g|${r1:-0 0}|${r64:-0 0}")
	echo "  $name ($mode, mtu $MTU): $g Gbit/s, rr 1 B p50/p99 ${r1:-?} us, 64 B ${r64:-?} us"
}

daemons() {	# MODE
	local ns cpu=0
	PIDS=()
	for ns in "$H1" "$H2"; do
		ip netns exec "$ns" taskset -c $cpu "$TCD" -i eth0 --passthrough --mode "$1" \
			--exclude "port 5301-5302" >"$TMPD/$ns.log" 2>&1 &
		PIDS+=($!)
		BG_PIDS+=($!)
		cpu=$(( (cpu + 1) % $(nproc) ))
	done
	for ns in "$H1" "$H2"; do
		wait_for 15 grep -q "running" "$TMPD/$ns.log" || {
			echo "datapath: tcpcryptd did not start in $ns:"; cat "$TMPD/$ns.log"; return 1; }
	done
}

stop_daemons() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}

two_hosts
MTU=1500
echo "datapath: $(uname -r), $(nproc) CPUs, ${BENCH_SECONDS}s iperf3, $BENCH_RR round trips"
measure "plain" "-" 5301 5302
for mode in $BENCH_MODES; do
	daemons "$mode" || continue
	measure "not steered" "$mode" 5301 5302
	measure "pass-through" "$mode" 5201 5202
	stop_daemons
done
MTU=3506
for ns in "$H1" "$H2"; do ip -n "$ns" link set eth0 mtu $MTU; done
measure "plain" "-" 5301 5302
mode=${BENCH_MODES%% *}
if daemons "$mode"; then
	measure "pass-through" "$mode" 5201 5202
	stop_daemons
fi

python3 - "${ROWS[@]}" <<'PY'
import sys
rows = [r.split("|") for r in sys.argv[1:]]
base = {}
for name, mode, mtu, g, r1, r64 in rows:
    if name == "plain":
        base[mtu] = (float(g), float(r1.split()[0]), float(r64.split()[0]))
def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"
print()
print("| case | XDP mode | MTU | Gbit/s | x plain | rr 1 B p50/p99 us | x plain p50 | rr 64 B p50/p99 us | x plain p50 |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for name, mode, mtu, g, r1, r64 in rows:
    b = base.get(mtu, (0, 0, 0))
    p1, p64 = r1.split(), r64.split()
    print("| %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s |" % (
        name, mode, mtu, g, ratio(float(g), b[0]), p1[0], p1[1], ratio(float(p1[0]), b[1]),
        p64[0], p64[1], ratio(float(p64[0]), b[2])))
PY
