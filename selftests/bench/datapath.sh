#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, section "datapath": what carrying TCP through tcpcryptd costs,
# beside what a user would pick instead (a TLS proxy).
#
# Two hosts in network namespaces over a veth pair (selftests/net/lib.sh).
# Cases, each at MTU 1500 and 9000:
#   plain         no daemon, no BPF
#   stunnel       Debian's stunnel4 on both ends, TLS 1.3 TLS_AES_128_GCM_SHA256
#                 (client: 127.0.0.1 -> tunnel -> server -> 127.0.0.1)
#   not steered   tcpcryptd attached on both hosts, the port excluded by
#                 policy: the cost of the datapath to other traffic, per mode
#                 in BENCH_MODES (default "auto skb"; auto is tc on a veth)
#   pass-through  tcpcryptd --passthrough on both hosts, the port steered, per
#                 mode in BENCH_MODES
#   tcpcrypt AEAD one row per AEAD (the modes tcpcryptd -h lists for --aead)
#                 in auto mode, and the first AEAD in every other mode of
#                 BENCH_MODES
# BENCH_REPS (1) runs every case that many times, the cases interleaved, and
# the table gives each figure's median, with the range of the one-stream
# throughput: one run of each case swings by up to a tenth here.
# Per case: iperf3 for BENCH_SECONDS (10) with 1 stream and with -P 4
# (throughput; whole-VM CPU seconds per GB from /proc/stat, less what the
# machine burnt per second in the 2 s before the run, since it is shared), and
# request/response latency (build/tests/tcd_rr: BENCH_RR round trips of 64
# bytes, p50/p99). Every process of host 1 (application, stunnel, daemon) is
# pinned to CPU 0 and of host 2 to CPU 1, in every case. Ratios are to plain
# and to stunnel measured in the same run. Nothing asserts on time.
#
# The table goes to stdout and, with the raw figures, to $BENCH_OUT
# (default build/bench); with gnuplot a plot of it (datapath.svg) too.
set -u
source "$(dirname "$0")/../net/lib.sh"
source "$(dirname "$0")/lib.sh"
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_RR=${BENCH_RR:-20000}
BENCH_MODES=${BENCH_MODES:-auto skb}
BENCH_MTUS=${BENCH_MTUS:-1500 9000}
BENCH_REPS=${BENCH_REPS:-1}
BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
TCD=${TCD:-$BIN/tcpcryptd}
RR=$BUILD/tests/tcd_rr
for t in "$TCD" "$RR"; do
	[ -x "$t" ] || { echo "datapath: $t missing (run make)"; exit 1; }
done
for c in iperf3 python3; do
	command -v $c >/dev/null || { echo "datapath: needs $c"; exit 1; }
done
HAVE_STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
mkdir -p "$BENCH_OUT"
TMPD=$(mktemp -d /tmp/tcd-bench.XXXXXX)
on_exit "rm -rf $TMPD"
ROWS=()
PIDS=()
CPU1=0
CPU2=$(( $(nproc) > 1 ? 1 : 0 ))

# CPU jiffies now: the machine's busy, softirq + irq, and those of the
# long-lived processes of the case (LONG_PIDS: daemons, stunnel); then ns
LONG_PIDS=()
cpu_sample() {
	local p t=0
	for p in "${LONG_PIDS[@]}"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	awk -v t=$t '/^cpu / {b = 0; for (i = 2; i <= 9; i++) b += $i; print b - $5 - $6, $7 + $8, t}' \
		/proc/stat
	date +%s%N
}

# iperf CPORT SPORT ADDR STREAMS -> "Gbit/s CPU-s/GB whole-VM-CPU-s/GB others-CPUs":
# the client connects to ADDR:CPORT, the server listens on SPORT (they
# differ behind stunnel). CPU-s/GB counts the case's own work: its
# processes (iperf3 reports its own CPU time; daemons and stunnel from
# /proc) and all softirq and irq time (tick accounting charges it to no
# process), since this machine is shared; the whole machine's is kept too,
# with what the rest of the machine burnt meanwhile.
iperf() {
	local port=$1 sport=$2 addr=$3 streams=$4 pid out=$TMPD/iperf.json a b
	ip netns exec "$H2" taskset -c $CPU2 timeout $((BENCH_SECONDS + 30)) \
		iperf3 -s -1 -p "$sport" >/dev/null 2>&1 &
	pid=$!
	wait_port "$H2" "$sport" || { echo "0 0 0 0"; return; }
	a=$(cpu_sample | tr '\n' ' ')
	ip netns exec "$H1" taskset -c $CPU1 timeout $((BENCH_SECONDS + 25)) iperf3 -c "$addr" \
		-p "$port" -P "$streams" -t "$BENCH_SECONDS" -J >"$out" 2>/dev/null
	b=$(cpu_sample | tr '\n' ' ')
	wait $pid 2>/dev/null
	python3 - "$out" "$(getconf CLK_TCK)" $a $b <<'PY'
import json, sys
hz = int(sys.argv[2])
b0, s0, p0, n0, b1, s1, p1, n1 = map(int, sys.argv[3:11])
secs = (n1 - n0) / 1e9
try:
    e = json.load(open(sys.argv[1]))["end"]
    gb = e["sum_received"]["bytes"] / 1e9
    cpu = e["cpu_utilization_percent"]
    dur = e["sum_received"]["seconds"]
    iperf_s = (cpu["host_total"] + cpu["remote_total"]) / 100 * dur
    ours = iperf_s + (s1 - s0 + p1 - p0) / hz
    whole = (b1 - b0) / hz
    others = max(whole - ours, 0) / secs
    print("%.2f %.2f %.2f %.2f" % (e["sum_received"]["bits_per_second"] / 1e9, ours / gb,
                                    whole / gb, others))
except Exception:
    print("0 0 0 0")
PY
}

rr_us() {	# PORT ADDR -> "p50 p99"
	ip netns exec "$H1" taskset -c $CPU1 timeout 120 "$RR" client "$2" "$1" "$BENCH_RR" 64 |
		sed -n 's/p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/p'
}

# measure NAME MODE PORT ADDR: one row; iperf3 on PORT, tcd_rr on PORT + 1
# (behind stunnel the servers listen on 5301/5302, the client uses PORT)
measure() {
	local name=$1 mode=$2 tp=$3 addr=$4 sp=$3 one four r
	[ "$name" = stunnel ] && sp=5301
	bg "$H2" taskset -c $CPU2 "$RR" server $((sp + 1))
	wait_port "$H2" $((sp + 1))
	one=$(iperf "$tp" "$sp" "$addr" 1)
	four=$(iperf "$tp" "$sp" "$addr" 4)
	r=$(rr_us $((tp + 1)) "$addr")
	kill "$LAST_PID" 2>/dev/null
	ROWS+=("$name|$mode|$MTU|$one|$four|${r:-0 0}")
	set -- $one
	printf "  %-13s %-9s mtu %-5s %s Gbit/s %s CPU-s/GB (whole VM %s, others %s CPUs)," \
		"$name" "$mode" "$MTU" "$1" "$2" "$3" "$4"
	set -- $four
	printf " -P 4 %s Gbit/s %s CPU-s/GB, rr p50/p99 %s us\n" "$1" "$2" "${r:-?}"
}

# daemons MODE [ARGS]: tcpcryptd on both hosts, 5301-5302 excluded (not
# steered); pass-through unless ARGS choose an AEAD
daemons() {
	local mode=$1 pt=--passthrough rc
	shift
	[[ " $* " == *" --aead "* ]] && pt=
	bench_daemons $pt --mode "$mode" "$@" --exclude "port 5301-5302"
	rc=$?
	LONG_PIDS=("${PIDS[@]}")
	return $rc
}

# stunnel: H1 127.0.0.1:6001 (iperf3) and :6002 (rr) -> TLS -> H2 -> 127.0.0.1
stunnel_start() {
	local d=$TMPD/stunnel
	mkdir -p "$d"
	[ -f "$d/key.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 1 -subj /CN=bench \
		>/dev/null 2>&1
	cat >"$d/server.conf" <<-CONF
		foreground = yes
		pid =
		sslVersionMin = TLSv1.3
		ciphersuites = TLS_AES_128_GCM_SHA256
		cert = $d/cert.pem
		key = $d/key.pem
		[iperf]
		accept = 192.0.2.2:6002
		connect = 127.0.0.1:5301
		[rr]
		accept = 192.0.2.2:6003
		connect = 127.0.0.1:5302
	CONF
	cat >"$d/client.conf" <<-CONF
		foreground = yes
		pid =
		client = yes
		sslVersionMin = TLSv1.3
		ciphersuites = TLS_AES_128_GCM_SHA256
		[iperf]
		accept = 127.0.0.1:6001
		connect = 192.0.2.2:6002
		[rr]
		accept = 127.0.0.1:6002
		connect = 192.0.2.2:6003
	CONF
	bg "$H2" sh -c "exec taskset -c $CPU2 $HAVE_STUNNEL $d/server.conf >$d/server.log 2>&1"
	STUNNEL_PIDS=($LAST_PID)
	bg "$H1" sh -c "exec taskset -c $CPU1 $HAVE_STUNNEL $d/client.conf >$d/client.log 2>&1"
	STUNNEL_PIDS+=($LAST_PID)
	LONG_PIDS=("${STUNNEL_PIDS[@]}")
	wait_port "$H1" 6001 && wait_port "$H1" 6002 && wait_port "$H2" 6002
}

stunnel_stop() {
	local p
	for p in "${STUNNEL_PIDS[@]}"; do kill -- -"$p" 2>/dev/null; done
	for p in "${STUNNEL_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LONG_PIDS=()
}

two_hosts
echo "datapath: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"iperf3 ${BENCH_SECONDS}s, $BENCH_RR round trips, host 1 on CPU $CPU1, host 2 on CPU $CPU2"
# the AEADs its --aead help lists ("... most preferred first: a, b, c (default ...")
AEADS=$("$TCD" -h 2>/dev/null | tr '\n' ' ' | grep -o -- '--aead LIST .*' |
	sed -n 's/.*most preferred first: *\([a-z0-9, ]*\).*/\1/p' | tr -d ',' | head -1)
# one_round: every case once, at every MTU
one_round() {
	for MTU in $BENCH_MTUS; do
		for ns in "$H1" "$H2"; do ip -n "$ns" link set eth0 mtu "$MTU"; done
		measure "plain" "-" 5301 192.0.2.2
		if [ -n "$HAVE_STUNNEL" ] && stunnel_start; then
			measure "stunnel" "-" 6001 127.0.0.1
			stunnel_stop
		else
			echo "  stunnel: skipped (needs Debian's stunnel4; scripts/deps.sh installs it)"
		fi
		for mode in $BENCH_MODES; do
			daemons "$mode" || continue
			used=$(grep -o "attached ([a-z]* mode)" "$TMPD/d0.log" | grep -o "(.*)" | tr -d '()' |
			       cut -d' ' -f1)
			measure "not steered" "${mode/auto/auto:$used}" 5301 192.0.2.2
			measure "pass-through" "${mode/auto/auto:$used}" 5201 192.0.2.2
			stop_daemons
		done
		if [ -z "$AEADS" ]; then
			[ "$MTU" = "${BENCH_MTUS%% *}" ] && echo "  tcpcrypt with each AEAD: skipped" \
				"(tcpcryptd -h lists no --aead: this tcpcryptd carries TCP, it does not encrypt yet)"
		else
			for a in $AEADS; do
				daemons auto --aead "$a" || continue
				measure "tcpcrypt $a" "auto" 5201 192.0.2.2
				stop_daemons
			done
			for mode in $BENCH_MODES; do
				[ "$mode" = auto ] && continue
				a=${AEADS%% *}
				daemons "$mode" --aead "$a" || continue
				measure "tcpcrypt $a" "$mode" 5201 192.0.2.2
				stop_daemons
			done
		fi
	done
}

for REP in $(seq "$BENCH_REPS"); do
	[ "$BENCH_REPS" -gt 1 ] && echo "  run $REP of $BENCH_REPS"
	one_round
done

printf "%s\n" "${ROWS[@]}" >"$BENCH_OUT/datapath.rows"
PYTHONPATH="$(dirname "$0")" python3 - "$BENCH_OUT" "${ROWS[@]}" <<'PY'
import sys
from reps import median
out = sys.argv[1]
def f(x): return [float(v) for v in x.split()]
# the runs of one case: each field's median, and the one-stream range
runs = {}
for r in sys.argv[2:]:
    name, mode, mtu, one, four, rr = r.split("|")
    runs.setdefault((name, mode, mtu), []).append((f(one), f(four), f(rr)))
rows, spread = [], {}
for (name, mode, mtu), rs in runs.items():
    med = [[median([x[k][i] for x in rs]) for i in range(len(rs[0][k]))] for k in range(3)]
    rows.append([name, mode, mtu] + med)
    spread[(name, mode, mtu)] = (min(x[0][0] for x in rs), max(x[0][0] for x in rs), len(rs))
base, tls = {}, {}
for name, mode, mtu, one, four, rr in rows:
    if name == "plain":
        base[mtu] = (one, four, rr)
    if name == "stunnel":
        tls[mtu] = (one, four, rr)
def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"
print()
print("| case | XDP mode | MTU | Gbit/s 1 stream | x plain | x stunnel | CPU-s/GB | "
      "Gbit/s -P 4 | x plain | x stunnel | CPU-s/GB -P 4 | rr 64 B p50/p99 us |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
others = []
dat = open(out + "/datapath.dat", "w")
dat.write("# case mtu gbit1 gbit4 xplain1 xplain4 cpu_gb1\n")
for name, mode, mtu, o, q, r in rows:
    b = base.get(mtu, ([0, 0], [0, 0], [0, 0]))
    t = tls.get(mtu, ([0, 0], [0, 0], [0, 0]))
    others += [o[3], q[3]]
    lo, hi, n = spread[(name, mode, mtu)]
    one1 = "%.2f" % o[0] + (" (%.2f-%.2f)" % (lo, hi) if n > 1 else "")
    print("| %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %s | %.2f | %.0f / %.0f |" % (
        name, mode, mtu, one1, ratio(o[0], b[0][0]), ratio(o[0], t[0][0]), o[1],
        q[0], ratio(q[0], b[1][0]), ratio(q[0], t[1][0]), q[1], r[0], r[1]))
    dat.write('"%s%s" %s %.2f %.2f %s %s %.2f\n' % (
        name, "" if mode in ("-",) else " (" + mode + ")", mtu, o[0], q[0],
        ratio(o[0], b[0][0]), ratio(q[0], b[1][0]), o[1]))
print()
print("CPU-s/GB: the case's processes plus all softirq/irq time; the rest of the machine "
      "burnt %.1f-%.1f CPUs meanwhile" % (min(others), max(others)))
n = max(v[2] for v in spread.values())
if n > 1:
    print("Each figure is the median of %d runs, the cases interleaved; in brackets the "
          "range of the one-stream throughput" % n)
PY
if command -v gnuplot >/dev/null; then
	gnuplot <<-GP 2>/dev/null && echo "plot: $BENCH_OUT/datapath.svg"
		set terminal svg size 900,480 font "sans,11"
		set output "$BENCH_OUT/datapath.svg"
		set title "TCP over a veth pair, one stream: Gbit/s (2 vCPUs, $(date -u +%F))"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set ylabel "Gbit/s"
		set yrange [0:*]
		set key top right
		set xtics rotate by -25 scale 0
		set grid ytics
		plot "< grep ' 1500 ' $BENCH_OUT/datapath.dat" using 3:xtic(1) title "MTU 1500", \
		     "< grep ' 9000 ' $BENCH_OUT/datapath.dat" using 3 title "MTU 9000"
	GP
fi
