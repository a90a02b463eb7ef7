#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, section "engine": what the segment engine costs a connection's
# life and a lossy path, beside plain TCP and pass-through in the same run.
#
# Two hosts routed through a third namespace (H1 - R - H2, MTU 1500), so that
# selftests/tools/faults can drop on R's egress both ways.
# Cases: plain (no daemon), pass-through (tcpcryptd --passthrough on both
# hosts), tcpcrypt (both hosts encrypting, AES-128-GCM, X25519), with every
# key exchange fresh (--resume 0) and with session resumption (the default).
# Per case:
#   - fresh connections per second: build/tests/tcd_rr conns, BENCH_CONNS
#     connections one after another, each a 64-byte request/response then close
#     (handshake, key exchange, teardown), p50/p99 of a connection's life;
#   - request/response on one connection: BENCH_RR round trips of 64 bytes;
#   - iperf3, one stream, BENCH_SECONDS, with 1% random loss on R both ways
#     (faults --loss 10000); ratio to plain TCP at 1% loss of the same run;
#   - the same stream without loss, and the ratio of the two: what loss
#     itself costs the case, apart from the datapath's cost.
# BENCH_REPS (1): every case that many times, interleaved; the table gives
# each figure's median and the range of connections per second.
# Host 1's processes on CPU 0, host 2's on CPU 1. Nothing asserts on time.
set -u
source "$(dirname "$0")/../net/lib.sh"
source "$(dirname "$0")/lib.sh"
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_RR=${BENCH_RR:-20000}
BENCH_CONNS=${BENCH_CONNS:-2000}
BENCH_REPS=${BENCH_REPS:-1}
BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
TCD=${TCD:-$BIN/tcpcryptd}
RR=$BUILD/tests/tcd_rr
FAULTS=$BUILD/tests/faults
for t in "$TCD" "$RR" "$FAULTS"; do
	[ -x "$t" ] || { echo "engine: $t missing (run make)"; exit 1; }
done
command -v iperf3 >/dev/null || { echo "engine: needs iperf3"; exit 1; }
mkdir -p "$BENCH_OUT"
TMPD=$(mktemp -d /tmp/tcd-bench.XXXXXX)
on_exit "rm -rf $TMPD"
CPU1=0
CPU2=$(( $(nproc) > 1 ? 1 : 0 ))
ADDR=198.51.100.2
ROWS=()
PIDS=()

# daemons ARGS...: tcpcryptd on both hosts (--mode auto: tc on a veth), waits until they run
daemons() { bench_daemons --mode auto "$@"; }

# stream_gbit PORT LOSS: iperf3 one stream, LOSS per million dropped each way on
# R (0: no fault program at all) -> Gbit/s
stream_gbit() {
	local port=$1 loss=$2 f1= f2= srv g
	if [ "$loss" -gt 0 ]; then
		ip netns exec "$R" "$FAULTS" eth1 --port "$port" --seed 3 --loss "$loss" >"$TMPD/f1" &
		f1=$!
		ip netns exec "$R" "$FAULTS" eth2 --port "$port" --seed 5 --loss "$loss" >"$TMPD/f2" &
		f2=$!
		wait_for 5 grep -q ready "$TMPD/f1" && wait_for 5 grep -q ready "$TMPD/f2"
	fi
	ip netns exec "$H2" taskset -c $CPU2 timeout $((BENCH_SECONDS + 30)) \
		iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
	srv=$!
	wait_port "$H2" "$port"
	g=$(ip netns exec "$H1" taskset -c $CPU1 timeout $((BENCH_SECONDS + 25)) \
		iperf3 -c "$ADDR" -p "$port" -t "$BENCH_SECONDS" -J 2>/dev/null |
		python3 -c 'import json, sys
try: print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("0")')
	wait $srv 2>/dev/null
	if [ -n "$f1" ]; then
		kill $f1 $f2 2>/dev/null
		wait $f1 $f2 2>/dev/null
	fi
	echo "${g:-0}"
}

# measure NAME PORT: conns/s on PORT, rr on PORT + 1, iperf3 at 1% loss on
# PORT + 2 and without loss on PORT + 3
measure() {
	local name=$1 p=$2 c r l n
	bg "$H2" taskset -c $CPU2 "$RR" server "$p"
	local s1=$LAST_PID
	bg "$H2" taskset -c $CPU2 "$RR" server $((p + 1))
	local s2=$LAST_PID
	wait_port "$H2" "$p" && wait_port "$H2" $((p + 1))
	c=$(ip netns exec "$H1" taskset -c $CPU1 timeout 300 "$RR" conns "$ADDR" "$p" \
		"$BENCH_CONNS" 64 | sed -n 's/conns_per_s=\([0-9.]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/p')
	r=$(ip netns exec "$H1" taskset -c $CPU1 timeout 120 "$RR" client "$ADDR" $((p + 1)) \
		"$BENCH_RR" 64 | sed -n 's/p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/p')
	kill "$s1" "$s2" 2>/dev/null
	l=$(stream_gbit $((p + 2)) 10000)
	n=$(stream_gbit $((p + 3)) 0)
	c=${c:-0 0 0}
	r=${r:-0 0}
	ROWS+=("$name|$c|$r|$l|$n")
	printf "  %-12s %s conn/s (life p50/p99 %s us), rr p50/p99 %s us, 1%% loss %s Gbit/s, no loss %s\n" \
		"$name" "${c%% *}" "${c#* }" "$r" "$l" "$n"
}

routed_hosts || exit 1
echo "engine: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $BENCH_CONNS" \
	"connections, $BENCH_RR round trips, iperf3 ${BENCH_SECONDS}s at 1% loss each way"
# one_round: every case once
one_round() {
	measure plain 5401
	if daemons --passthrough; then
		measure pass-through 5411
		stop_daemons
	fi
	# fresh: every connection a full key exchange (X25519, then the Init round
	# trip); resumed: the default, each connection after the first with the
	# same host keyed from the secret the one before left (RFC 8548 3.5)
	if daemons --aead aes128gcm --tep x25519 --resume 0; then
		measure "tcpcrypt fresh" 5421
		stop_daemons
		# proof that those connections were encrypted, from host 1's daemon
		echo "  (host 1's daemon at exit: $(grep -ho "encrypted_conns=[0-9]*" "$TMPD/d0.log" | tail -1))"
	fi
	if daemons --aead aes128gcm --tep x25519; then
		measure "tcpcrypt resumed" 5431
		stop_daemons
		echo "  (host 1's daemon at exit: $(grep -ho "encrypted_conns=[0-9]*" "$TMPD/d0.log" | tail -1)," \
			"$(grep -ho "resume(exit): offered=[0-9]* accepted=[0-9]* resumed=[0-9]* early=[0-9]*" "$TMPD/d0.log" | tail -1))"
	fi
}

for rep in $(seq "$BENCH_REPS"); do
	[ "$BENCH_REPS" -gt 1 ] && echo "  run $rep of $BENCH_REPS"
	one_round
done

printf "%s\n" "${ROWS[@]}" >"$BENCH_OUT/engine.rows"
PYTHONPATH="$(dirname "$0")" python3 - "${ROWS[@]}" <<'PY'
import sys
from reps import median
# the runs of each case: medians, and the range of conn/s
runs = {}
for row in sys.argv[1:]:
    n, c, r, l, nl = row.split("|")
    runs.setdefault(n, []).append((list(map(float, c.split())), list(map(float, r.split())),
                                   float(l), float(nl)))
v, span = {}, {}
for n, rs in runs.items():
    v[n] = ([median([x[0][i] for x in rs]) for i in range(3)],
            [median([x[1][i] for x in rs]) for i in range(2)],
            median([x[2] for x in rs]), median([x[3] for x in rs]))
    span[n] = (min(x[0][0] for x in rs), max(x[0][0] for x in rs), len(rs))
plain = v.get("plain")
pt = v.get("pass-through")
def ratio(a, b): return "%.2f" % (a / b) if b else "-"
print()
print("| case | conn/s | x plain | conn life p50/p99 us | rr 64 B p50/p99 us | "
      "p50 added over pass-through us | Gbit/s at 1% loss | x plain at 1% loss | "
      "Gbit/s without loss | 1% loss / without |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n, (cc, rr, ll, nn) in v.items():
    add = "%.1f" % (rr[0] - pt[1][0]) if pt and n != "plain" and n != "pass-through" else "-"
    lo, hi, k = span[n]
    cs = "%.0f" % cc[0] + (" (%.0f-%.0f)" % (lo, hi) if k > 1 else "")
    print("| %s | %s | %s | %.0f / %.0f | %.0f / %.0f | %s | %.2f | %s | %.2f | %s |" % (
        n, cs, ratio(cc[0], plain[0][0]) if plain else "-", cc[1], cc[2], rr[0], rr[1],
        add, ll, ratio(ll, plain[2]) if plain else "-", nn, ratio(ll, nn)))
if max(x[2] for x in span.values()) > 1:
    print()
    print("Each figure is the median of %d runs, the cases interleaved; in brackets the "
          "range of conn/s" % max(x[2] for x in span.values()))
PY
