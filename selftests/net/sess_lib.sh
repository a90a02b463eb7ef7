#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the session tests (tcnetstat, libtcpcrypt, the authentication
# examples), sourced after lib.sh and tcd_lib.sh.

TCN=$BIN/tcnetstat
SOCKOPT=$BUILD/tests/tc_sockopt

# tcd_encrypts: does this tcpcryptd encrypt by default? Until the segment
# engine was hooked in, its usage line was "tcpcryptd -i IFACE --passthrough".
tcd_encrypts() { ! "$TCD" -h 2>/dev/null | head -1 | grep -q -- '--passthrough'; }

# tcd_enc NAME NS IFACE ARGS...: tcpcryptd encrypting on IFACE of NS, log in
# $TMPD/NAME.log; returns once it runs (1 if it did not start).
tcd_enc() {
	local name=$1 ns=$2 ifc=$3
	shift 3
	tcd_run "$name" "$ns" "running (encrypting)" -i "$ifc" "$@"
}

# tcn_rows NS ARGS...: tcnetstat -j ARGS in NS, one line per row:
# "state local remote role tep aead session_id sas" (null fields as -)
tcn_rows() {
	local ns=$1
	shift
	ip netns exec "$ns" "$TCN" -j "$@" 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(" ".join(str(r.get(k)) if r.get(k) is not None else "-" for k in
          ("state", "local", "remote", "role", "tep", "aead", "session_id", "sas")))'
}

# tcn_field NS PORT FIELD: FIELD of the first encrypted row with PORT at either end
tcn_field() {
	local i
	case $3 in
	state) i=1 ;; local) i=2 ;; remote) i=3 ;; role) i=4 ;; tep) i=5 ;;
	aead) i=6 ;; session_id) i=7 ;; sas) i=8 ;;
	esac
	tcn_rows "$1" --port "$2" | awk -v i="$i" '$1 == "encrypted" {print $i; exit}'
}

# has_session NS PORT: tcnetstat in NS shows an encrypted session on PORT
has_session() { [ -n "$(tcn_field "$1" "$2" session_id)" ]; }

# sessions_or_skip TEST H1 H2 ADDR PORT: skip TEST (exit) unless a connection
# from H1 to ADDR:PORT (on H2) shows an encrypted session in tcnetstat on
# both ends: the engine encrypts on the datapath and exports its sessions.
sessions_or_skip() {
	local t=$1 h1=$2 h2=$3 addr=$4 port=$5 ok=1
	bg "$h2" timeout 15 nc -l "$port"
	wait_port "$h2" "$port" || ok=0
	bg "$h1" sh -c "sleep 5 | timeout 15 nc $addr $port"
	wait_for 10 has_session "$h1" "$port" && wait_for 5 has_session "$h2" "$port" || ok=0
	if [ $ok = 0 ]; then
		skip "$t" "tcpcryptd runs but tcnetstat shows no encrypted session (the engine does not encrypt on the datapath here)"
		exit 0
	fi
}
