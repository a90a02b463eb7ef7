#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 5: fewer queues served than the interface has must not
# turn into plain TCP for the connections hashed to the others.
#  - --queues 1 on a two-queue interface is refused (usage, with the reason);
#  - queues added while tcpcryptd runs: it says so, and SYNs to steer that
#    arrive on the new queue are dropped, never passed as plain TCP; every
#    connection that completes went through the daemon.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc python3 ethtool
[ -x "$TCD" ] || { skip test_unserved_queue "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 1
# two hosts over a veth with 4 queues a side
ns_new H1 && ns_new H2 || exit 1
ip -n "$H1" link add eth0 numrxqueues 4 numtxqueues 4 type veth peer name eth0 \
	netns "$H2" numrxqueues 4 numtxqueues 4
ip -n "$H1" link set eth0 up
ip -n "$H2" link set eth0 up
addr "$H1" eth0 192.0.2.1/24
addr "$H2" eth0 192.0.2.2/24
channels() { local ns; for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx "$1" tx "$1"; done; }

channels 2
ip netns exec "$H2" "$TCD" -i eth0 --passthrough --queues 1 >"$TMPD/q1.log" 2>&1
check "--queues 1 on a two-queue interface: usage error" [ $? = 2 ]
check "... saying the other queue would not get tcpcrypt" \
	grep -q "has 2 RX queues.*would leave some unserved" "$TMPD/q1.log"
check "... and leaving nothing behind" sh -c "! ip -n $H2 link | grep -q 'tcx-\|xdp'"

# one queue served, then the device grows to four. skb mode: native XDP on
# a veth refuses channel changes (good), and without NAPI a veth hands TX
# queue q to generic XDP as RX queue q - 1: H1's queues 2 and 3 reach H2's
# RX queues 1 and 2.
channels 1
tcd_start h2 "$H2" --mode skb --include "port 5201-5299" || fail "daemon starts on 1 queue"
channels 4
check "it says queues are unserved" wait_for 5 grep -q "now has 4 RX queues, tcpcryptd serves 1" \
	"$TMPD/h2.log"
ok_n=0
for p in $(seq 5201 5216); do
	xfer_nc "$H2" "$H1" 192.0.2.2 $p "$F" 2>/dev/null && ok_n=$((ok_n + 1))
done
log "$ok_n of 16 connections completed"
s=$(tcd_stats h2)
created=$(ctr_line "$s" "flows(SIGUSR1)" created)
log "flows created by the daemon: $created"
check "SYNs on the unserved queue were dropped" \
	[ "$(ctr_line "$s" "bpf(SIGUSR1) wire_rx" dropped_unserved_queue)" -gt 0 ]
check "none passed as plain TCP (no dead_pass_syn, no no_xsk)" \
	[ "$(ctr_line "$s" "bpf(SIGUSR1) wire_rx" dead_pass_syn)" = 0 -a \
	  "$(ctr_line "$s" "bpf(SIGUSR1) wire_rx" no_xsk)" = 0 ]
check "every connection that completed went through the daemon" [ "$created" -ge "$ok_n" ]
check "exits 0" tcd_stop h2
done_testing
