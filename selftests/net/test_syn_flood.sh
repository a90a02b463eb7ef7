#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 3: spoofed SYNs must not fill the flow map and leave real
# connections plain. H2 floods a steered listening port of H1 with SYNs that
# offer TCP-ENO, from spoofed addresses (selftests/tools/synflood: 8000 per
# second, 48,000 in all, against a daemon started with --max-flows 4096 so
# that the old behaviour, an entry per SYN, fills it within a second), while
# real connections from H2 run:
#  - every real connection is encrypted, its data intact;
#  - tc_flows never holds a handshake that was not proven, whatever the
#    flood: it holds the real connections only;
#  - half-open handshakes stay within --half-open, evictions are counted and
#    logged; after the flood they are gone;
#  - without ENO (plain SYNs) the same holds;
#  - the daemon's CPU time over the flood is reported (a figure, not checked).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require socat python3
FLOOD=$BUILD/tests/synflood
LOADER=$BIN/tcpcrypt-loader
[ -x "$TCD" ] && [ -x "$FLOOD" ] || { skip test_syn_flood "no $TCD or $FLOOD (run make)"; exit 0; }

P=5301
RATE=8000
SECS=6
HALF=1024
F=$TMPD/data
mkfile "$F" 1
two_hosts
# H1 answers the spoofed sources through H2, which drops what is not its own
ip -n "$H1" route add default via 192.0.2.2

tcd() {	# NAME NS ARGS...: an encrypting daemon (-v: sessions are logged)
	local name=$1 ns=$2
	shift 2
	tcd_run "$name" "$ns" "running" -i eth0 -v --include "port $P-$((P + 1))" "$@"
}

flows() {	# NS: entries in tc_flows
	ip netns exec "$1" "$LOADER" -j status eth0 |
		python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["flows"])'
}

half_open() {	# NAME: the daemon's half-open handshakes now
	ctr_line "$(tcd_stats "$1")" "flows(SIGUSR1): half_open" half_open
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

check "daemons start" tcd h1 "$H1" --max-flows 4096 --half-open $HALF
tcd h2 "$H2" || fail "h2 daemon starts"
MAC=$(ip netns exec "$H1" cat /sys/class/net/eth0/address)
REAL=0

# flood: spoofed SYN [eno]
flood_round() {
	local what=$1 eno=${2:-} fpid max_flows=0 max_half=0 n i ok=0 enc0 enc1 t0 t1
	enc0=$(grep -c "encrypted 192.0.2.1:$P 192.0.2.2:" "$TMPD/h1.log")
	t0=$(cpu_ticks "${TCD_PID[h1]}")
	ip netns exec "$H2" "$FLOOD" eth0 "$MAC" 192.0.2.1 $P $RATE $SECS $eno \
		>"$TMPD/flood.out" 2>&1 &
	fpid=$!
	sleep 1
	# real connections while it runs; tc_flows and the half-open set sampled
	for i in 1 2 3 4 5 6 7 8; do
		if xfer_socat "$H1" "$H2" 192.0.2.1 $P "$F" 2>"$TMPD/xfer.err"; then
			ok=$((ok + 1))
		else
			log "transfer $i failed: $(tr '\n' ' ' <"$TMPD/xfer.err") out $(stat -c %s "$TMPD/socat.out" 2>&1) in $(stat -c %s "$F")"
		fi
		n=$(flows "$H1")
		[ "${n:-0}" -gt "$max_flows" ] && max_flows=$n
		n=$(half_open h1)
		[ "${n:-0}" -gt "$max_half" ] && max_half=$n
	done
	wait $fpid
	t1=$(cpu_ticks "${TCD_PID[h1]}")
	enc1=$(grep -c "encrypted 192.0.2.1:$P 192.0.2.2:" "$TMPD/h1.log")
	log "$what: $(cat "$TMPD/flood.out") spoofed SYNs in ${SECS}s; real transfers intact: $ok/8," \
		"encrypted: $((enc1 - enc0)); tc_flows at most $max_flows, half-open at most" \
		"$max_half; daemon CPU $(( (t1 - t0) * 10 )) ms"
	check "$what: the flood ran" grep -q "^sent [1-9]" "$TMPD/flood.out"
	check "$what: every real transfer intact" [ $ok = 8 ]
	check "$what: every real connection encrypted" [ $((enc1 - enc0)) -ge 8 ]
	# the real connections' entries stay while their sockets do (TIME_WAIT)
	REAL=$((REAL + 8))
	check "$what: no spoofed handshake in tc_flows" [ "$max_flows" -le $((REAL + 2)) ]
	check "$what: half-open handshakes within --half-open" [ "$max_half" -le $HALF ]
}

flood_round "ENO SYN flood" eno
s=$(tcd_stats h1)
log "$(grep 'flows(SIGUSR1): half_open' <<<"$s")"
check "ENO SYN flood: evictions counted" [ "$(ctr_line "$s" "flows(SIGUSR1): half_open" half_open_evicted)" -gt 0 ]
check "ENO SYN flood: and logged" grep -q "half-open limit" "$TMPD/h1.log"
check "ENO SYN flood: no spoofed source was ever encrypted" \
	bash -c "! grep -q 'encrypted 192.0.2.1:$P 10\.200\.' '$TMPD/h1.log'"
flood_round "plain SYN flood"
check "h1 exits 0" tcd_stop h1
check "h2 exits 0" tcd_stop h2
done_testing
