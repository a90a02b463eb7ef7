#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcpcryptd --passthrough on two hosts (and across a router): nc, socat,
# curl/lighttpd and iperf3 transfers of steered connections arrive intact
# (sha256), IPv4 and IPv6, native and skb mode, MTU 1500 and the largest MTU
# the datapath supports; an MTU beyond it is refused with a clear error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc socat curl lighttpd iperf3 tcpdump python3
[ -x "$TCD" ] || { skip test_passthrough "no $TCD (run make)"; exit 0; }

# XDP on a veth without multi-buffer: a frame must fit one 4 KB page less
# XDP headroom (256) and skb_shared_info (320): MTU 4096-256-320-14 = 3506.
MAX_MTU=3506
POL=(--include "port 5201-5209")
F=$TMPD/data
mkfile "$F" 20

# suite TAG SRV_NS CLI_NS ADDR4 ADDR6 CLI_ADDR4: every transfer kind once or twice.
suite() {
	local tag=$1 srv=$2 cli=$3 a4=$4 a6=$5 c4=$6
	check "$tag: nc IPv4" xfer_nc "$srv" "$cli" "$a4" 5201 "$F"
	check "$tag: nc IPv6" xfer_nc "$srv" "$cli" "$a6" 5201 "$F"
	check "$tag: socat IPv4 (reverse direction)" xfer_socat "$cli" "$srv" "$c4" 5202 "$F"
	check "$tag: socat IPv6" xfer_socat "$srv" "$cli" "$a6" 5202 "$F"
	check "$tag: curl/lighttpd IPv4" xfer_curl "$cli" "$a4" 5203 "$F"
	check "$tag: curl/lighttpd IPv6" xfer_curl "$cli" "$a6" 5204 "$F"
	check "$tag: iperf3 IPv4 20 MB" xfer_iperf "$srv" "$cli" "$a4" 5205 20
	check "$tag: iperf3 IPv6 20 MB" xfer_iperf "$srv" "$cli" "$a6" 5206 20
}

# steered NAME: the daemon carried traffic both ways (the test is not vacuous).
steered() {
	local s
	s=$(tcd_stats "$1")
	[ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx)" -gt 0 ] &&
		[ "$(ctr_line "$s" "stats(SIGUSR1) q0" host_rx)" -gt 0 ] &&
		[ "$(ctr_line "$s" "stats(SIGUSR1) q0" dropped)" = 0 ]
}

set_mtu() {
	local ns
	for ns in "$@"; do
		ip -n "$ns" link set eth0 mtu "$MTU"
	done
}

two_hosts
http_start "$H2" 192.0.2.2 5203 "$F"
http_start "$H2" 2001:db8::2 5204 "$F"
# socat in the reverse direction listens on H1
for mode in native skb; do
	for MTU in 1500 $MAX_MTU; do
		tag="$mode mtu $MTU"
		set_mtu "$H1" "$H2"
		if ! tcd_start h1 "$H1" --mode "$mode" "${POL[@]}" ||
		   ! tcd_start h2 "$H2" --mode "$mode" "${POL[@]}"; then
			fail "$tag: daemons start"
			tcd_stop h1; tcd_stop h2
			continue
		fi
		ok "$tag: daemons start"
		if [ "$MTU" = 1500 ]; then
			suite "$tag" "$H2" "$H1" 192.0.2.2 2001:db8::2 192.0.2.1
		else
			check "$tag: nc IPv4" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
			check "$tag: nc IPv6" xfer_nc "$H2" "$H1" 2001:db8::2 5201 "$F"
			check "$tag: iperf3 IPv4 20 MB" xfer_iperf "$H2" "$H1" 192.0.2.2 5205 20
		fi
		check "$tag: h1 daemon carried the traffic" steered h1
		check "$tag: h2 daemon carried the traffic" steered h2
		check "$tag: h1 exits 0 on SIGTERM" tcd_stop h1
		check "$tag: h2 exits 0 on SIGTERM" tcd_stop h2
	done
done

# Two queues: one socket pair and one poller per queue, connections spread.
MTU=1500
set_mtu "$H1" "$H2"
for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx 2 tx 2; done
if tcd_start h1 "$H1" "${POL[@]}" && tcd_start h2 "$H2" "${POL[@]}"; then
	check "2 queues: daemon uses both" grep -q "2 queues: AF_XDP" "$TMPD/h1.log"
	for p in 5201 5207 5208; do
		check "2 queues: nc IPv4 port $p" xfer_nc "$H2" "$H1" 192.0.2.2 $p "$F"
	done
	check "2 queues: nc IPv6" xfer_nc "$H2" "$H1" 2001:db8::2 5209 "$F"
	s=$(tcd_stats h2)
	check "2 queues: h2 has a poller per queue" \
		[ "$(grep -c 'stats(SIGUSR1) q[01]:' <<<"$s")" = 2 ]
	check "2 queues: h1 exits 0" tcd_stop h1
	check "2 queues: h2 exits 0" tcd_stop h2
else
	fail "2 queues: daemons start"
fi
ip netns exec "$H1" "$TCD" -i eth0 --passthrough --queues 3 >"$TMPD/q3.log" 2>&1
check "--queues 3 on a 2-queue interface: usage error" [ $? = 2 ]

# Beyond the largest MTU: a clear error, exit 1, nothing left behind.
MTU=$((MAX_MTU + 1))
set_mtu "$H1"
ip netns exec "$H1" "$TCD" -i eth0 --passthrough --mode skb >"$TMPD/big.log" 2>&1
rc=$?
check "mtu $MTU: refused with exit status 1" [ "$rc" = 1 ]
check "mtu $MTU: the error names the MTU limit" grep -qi "mtu" "$TMPD/big.log"
check "mtu $MTU: nothing left attached" \
	sh -c "! ip -n $H1 link | grep -q 'tcx-\|xdp'"
MTU=1500
set_mtu "$H1"

# Through a router ($R forwards, no daemon): the frames the daemons put on
# the wire carry correct TCP checksums (tcpdump -vv verifies them on R).
cleanup_hosts() {
	local ns
	for ns in "${NETNS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	NETNS_LIST=()
}
for p in "${!TCD_PID[@]}"; do tcd_stop "$p" 2>/dev/null; done
cleanup_hosts
routed_hosts
http_start "$H2" 198.51.100.2 5203 "$F"
http_start "$H2" 2001:db8:2::2 5204 "$F"
if tcd_start h1 "$H1" --mode native "${POL[@]}" &&
   tcd_start h2 "$H2" --mode native "${POL[@]}"; then
	ip netns exec "$R" timeout 20 tcpdump -i eth1 -nn -vv -c 400 'tcp port 5201' \
		>"$TMPD/r.dump" 2>/dev/null &
	dump=$!
	sleep 1
	suite "routed" "$H2" "$H1" 198.51.100.2 2001:db8:2::2 192.0.2.1
	wait $dump
	good=$(grep -c "cksum 0x[0-9a-f]* (correct)" "$TMPD/r.dump")
	bad=$(grep -c "incorrect" "$TMPD/r.dump")
	log "router saw $good frames with correct and $bad with incorrect TCP checksums"
	check "routed: every checksum on the wire is correct" [ "$good" -gt 100 -a "$bad" = 0 ]
	check "routed: h1 daemon carried the traffic" steered h1
	check "routed: h1 exits 0" tcd_stop h1
	check "routed: h2 exits 0" tcd_stop h2
else
	fail "routed: daemons start"
fi
done_testing
