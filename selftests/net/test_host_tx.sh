#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 6: nothing the host sends through the internal veth
# reaches the wire. An unprivileged user binds a UDP socket to tcv0
# (SO_BINDTODEVICE needs no privilege on an unbound socket) and broadcasts:
# before, tcpcryptd forwarded it onto the interface; now tc_host_tx on
# tcv0's egress drops it, and xdp_host takes only TCP segments of steered
# flows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require socat tcpdump setpriv
[ -x "$TCD" ] || { skip test_host_tx "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 2
two_hosts
for mode in native skb; do
	tcd_start h2 "$H2" --mode $mode --include "port 5201" || { fail "$mode: daemon starts"; continue; }
	tcv0=$(ip -n "$H2" -o link | grep -o 'tcx-[0-9]*h' | head -1)
	ip netns exec "$H1" timeout 6 tcpdump -i eth0 -nn -c 1 'udp port 9999 or udp port 9998' \
		>"$TMPD/wire.out" 2>/dev/null &
	dump=$!
	sleep 1
	for port in 9999 9998; do
		dst=255.255.255.255
		[ $port = 9998 ] && dst=192.0.2.1
		echo "from-tcv0" | ip netns exec "$H2" setpriv --reuid=65534 --regid=65534 \
			--clear-groups socat -u - \
			"UDP4-DATAGRAM:$dst:$port,broadcast,so-bindtodevice=$tcv0" 2>"$TMPD/send.err"
		check "$mode: an unprivileged user can send on $tcv0 (to $dst)" [ $? = 0 ]
	done
	wait "$dump"
	check "$mode: nothing of it reached the wire" sh -c "! grep -q UDP $TMPD/wire.out"
	s=$(tcd_stats h2)
	check "$mode: tc_host_tx dropped it" \
		[ "$(ctr_line "$s" "bpf(SIGUSR1) host_rx" dropped_host_tx)" -ge 2 ]
	check "$mode: the daemon received none of it" \
		[ "$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" host_rx)" = 0 ]
	check "$mode: steered traffic still flows" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
	check "$mode: exits 0" tcd_stop h2
done
done_testing
