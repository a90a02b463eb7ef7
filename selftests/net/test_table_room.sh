#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A flow table full of connections that are over. A client that opens and
# closes connections one after another leaves each for its TIME_WAIT (60 s)
# in the flow table; at more than --max-flows a minute the table was full and
# new connections were refused (left plain, or their SYNs dropped). Now a new
# connection takes the place of the oldest one that is over both ways with
# nothing left to resend or redeliver, and one still open never goes. Both
# daemons run with --max-flows 16: tc_flows holds 16 entries (the daemon's
# own table, with the half-open allowance, 144 flows), so room is made where
# a proven connection's entry goes in:
#  - 300 short connections in a row (tcd_rr conns), each answered, all
#    encrypted, none refused (table_full 0), the evictions counted;
#  - a connection opened before them and idle through them then carries a
#    marked file, intact, and the marker never appears on the wire.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc tcpdump python3
RR=$BUILD/tests/tcd_rr
[ -x "$TCD" ] && [ -x "$RR" ] || { skip test_table_room "no $TCD or $RR (run make)"; exit 0; }

P=5401		# the short connections
L=5402		# the long one
N=300
MARK=TCPCRYPT-TABLE-ROOM-MARKER
routed_hosts

tcd() {	# NAME NS: an encrypting daemon with a tiny flow table
	tcd_run "$1" "$2" "running" -i eth0 --max-flows 16 --include "port $P-$L"
}
flows_ctr() { ctr_line "$(tcd_stats "$1")" "flows(SIGUSR1): $2" "$3"; }
eng_ctr() { ctr_line "$(tcd_stats "$1")" "engine(SIGUSR1)" "$2"; }

check "daemons start with --max-flows 16" tcd h1 "$H1"
tcd h2 "$H2" || fail "h2 daemon starts"

mkmarked "$TMPD/marked" 1
ip netns exec "$R" tcpdump -i eth1 -s 0 -B 32768 -U -w "$TMPD/wire.pcap" "tcp port $L" >/dev/null 2>&1 &
CAP_PID=$!
BG_PIDS+=($CAP_PID)
sleep 1

# the long connection: open now, its data only after the others
ip netns exec "$H2" timeout 60 nc -l $L >"$TMPD/long.out" &
LONG_SRV=$!
wait_port "$H2" $L || fail "long connection's server listens"
mkfifo "$TMPD/fifo"
ip netns exec "$H1" timeout 60 nc -N 198.51.100.2 $L <"$TMPD/fifo" &
LONG_CLI=$!
exec 3>"$TMPD/fifo"
check "the long connection is established" wait_for 10 \
	ip netns exec "$H1" sh -c "ss -Htn state established 'dport = :$L' | grep -q ."

bg "$H2" "$RR" server $P
wait_port "$H2" $P || fail "tcd_rr server listens"
check "$N connections in a row through 16-flow tables, each answered" \
	ip netns exec "$H1" timeout 120 "$RR" conns 198.51.100.2 $P $N 64

e1=$(flows_ctr h1 csum_bad evicted_done)
e2=$(flows_ctr h2 csum_bad evicted_done)
f1=$(flows_ctr h1 active table_full)
f2=$(flows_ctr h2 active table_full)
c1=$(eng_ctr h1 encrypted_conns)
log "h1: evicted_done=$e1 table_full=$f1 encrypted_conns=$c1; h2: evicted_done=$e2 table_full=$f2"
check "none refused: table_full 0 at both ends" [ "${f1:-x}" = 0 -a "${f2:-x}" = 0 ]
check "finished connections made room in tc_flows (evicted: h1 $e1, h2 $e2; >= $((N - 16)))" \
	[ "${e1:-0}" -ge $((N - 16)) -a "${e2:-0}" -ge $((N - 16)) ]
check "tc_flows was made with --max-flows entries (16)" \
	sh -c "ip netns exec '$H1' bpftool -j map show name tc_flows | grep -q '\"max_entries\":16,'"
check "every connection encrypted (h1: $c1 of $((N + 1)))" [ "${c1:-0}" -ge $((N + 1)) ]
check "h1's log says the table is full, once (at most once a minute)" \
	[ "$(grep -c 'flow table full (.*--max-flows 16)' "$TMPD/h1.log")" = 1 ]
# tcnetstat -s shows the same count (the daemon writes it every second)
tcn_evicted() {
	local j
	j=$(ip netns exec "$H1" "$BIN/tcnetstat" -s -j 2>/dev/null) || return 1
	[[ $j =~ \"total\":\{[^}]*\"evicted_done\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "$1" ]
}
check "tcnetstat -s -j shows h1's evicted_done ($e1)" wait_for 5 tcn_evicted "$e1"

# the long connection was open all along: still steered, still encrypted
cat "$TMPD/marked" >&3
exec 3>&-
wait "$LONG_CLI"
wait "$LONG_SRV"
check "the long connection, idle through it all, then carried 1 MiB intact" \
	same_sha "$TMPD/marked" "$TMPD/long.out"
sleep 0.5
kill "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
check "the marker never appears on the wire" [ "$(grep -c "$MARK" "$TMPD/wire.pcap")" = 0 ]
check "the capture saw the long connection's data" [ "$(stat -c %s "$TMPD/wire.pcap")" -gt 1000000 ]

check "h1 exits 0" tcd_stop h1
check "h2 exits 0" tcd_stop h2
done_testing
