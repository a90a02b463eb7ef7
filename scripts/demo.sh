#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: two hosts made of network namespaces, tcpcryptd on each, a real
# transfer between them, and the session ids on both ends, or a plain
# statement of what this version cannot show yet.
set -u
source "$(dirname "$0")/../selftests/net/lib.sh"

say() { printf '\n== %s\n' "$*"; }
has_opt() { "$BIN/$1" -h 2>&1 | grep -q -- "$2"; }

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces): sudo make demo"; exit 1; }

say "two hosts: $(echo tc$$-H1) 192.0.2.1 <-veth-> $(echo tc$$-H2) 192.0.2.2"
two_hosts || exit 1

mode=none
if has_opt tcpcryptd --passthrough; then
	# The segment engine (encryption) is a later piece of work; until it lands
	# the daemons carry the connection through AF_XDP unchanged.
	if has_opt tcpcryptd --encrypt || has_opt tcpcryptd --no-passthrough; then
		mode=encrypt
	else
		mode=passthrough
	fi
fi

if [ $mode = none ]; then
	say "tcpcryptd cannot attach yet in this version (it only prints usage):"
	echo "   the transfer below is plain TCP, not steered through AF_XDP, not encrypted."
else
	logs=$(mktemp -d)
	on_exit "rm -rf $logs"
	for h in "$H1" "$H2"; do
		args=(-i eth0 --include "port 5001")
		[ $mode = passthrough ] && args+=(--passthrough)
		bg "$h" "$BIN/tcpcryptd" "${args[@]}" 2>"$logs/${h##*-}.log"
	done
	for h in "$H1" "$H2"; do
		wait_for 10 sh -c "ip netns exec $h $BIN/tcpcrypt-loader -j status eth0 | grep -q '\"host\":{'" || true
	done
	say "tcpcryptd attached on both hosts ($mode), steering port 5001; H1:"
	ip netns exec "$H1" "$BIN/tcpcrypt-loader" status eth0 2>&1 | sed 's/^/   /'
fi

say "transfer: 16 MiB of random bytes from H1 to H2 port 5001"
data=$(mktemp) recv=$(mktemp)
on_exit "rm -f $data $recv"
head -c 16M /dev/urandom >"$data"
bg "$H2" sh -c "timeout 60 nc -l -N -p 5001 >$recv"
wait_port "$H2" 5001
ip netns exec "$H1" timeout 60 nc -N 192.0.2.2 5001 <"$data"
wait "$LAST_PID" 2>/dev/null
a=$(sha256sum <"$data" | cut -c1-64) b=$(sha256sum <"$recv" | cut -c1-64)
echo "   sent     sha256 $a"
echo "   received sha256 $b"
[ "$a" = "$b" ] && echo "   identical" || { echo "   DIFFERENT"; exit 1; }

say "session ids"
if [ $mode != none ]; then
	# hold a connection open so both ends have something to list
	bg "$H2" timeout 10 nc -l -p 5001
	wait_port "$H2" 5001
	bg "$H1" sh -c "sleep 3 | timeout 10 nc -N 192.0.2.2 5001"
	sleep 0.5
	for h in "$H1" "$H2"; do
		echo "   tcnetstat on ${h##*-}:"
		ip netns exec "$h" "$BIN/tcnetstat" | sed 's/^/     /'
	done
fi
if [ $mode != encrypt ]; then
	echo "   none: this version does not encrypt yet (the tcpcrypt segment engine is"
	echo "   not implemented), so no connection has a session id to show."
fi
