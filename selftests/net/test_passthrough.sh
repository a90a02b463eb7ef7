#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcpcryptd --passthrough on two hosts (and across a router): nc, socat,
# curl/lighttpd and iperf3 transfers of steered connections arrive intact
# (sha256), IPv4 and IPv6, native and skb mode, MTU 1500 and 9000 (jumbo
# frames: multi-buffer XDP and AF_XDP); with two queues a flow's ingress and
# egress meet in one poller.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc socat curl lighttpd iperf3 tcpdump python3
[ -x "$TCD" ] || { skip test_passthrough "no $TCD (run make)"; exit 0; }

POL=(--include "port 5201-5209")
F=$TMPD/data
mkfile "$F" 20
S=$TMPD/small
head -c 65536 /dev/urandom >"$S"

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

# jumbo NAME: at MTU 9000 the wire frames came as descriptor chains.
jumbo() {
	local s
	s=$(tcd_stats "$1")
	[ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx_chains)" -gt 0 ]
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
	for MTU in 1500 9000; do
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
			check "$tag: wire frames were multi-buffer chains" jumbo h2
		fi
		check "$tag: h1 daemon carried the traffic" steered h1
		check "$tag: h2 daemon carried the traffic" steered h2
		check "$tag: h1 exits 0 on SIGTERM" tcd_stop h1
		check "$tag: h2 exits 0 on SIGTERM" tcd_stop h2
	done
done

# Two queues: one socket pair and one poller per queue, connections spread;
# a flow's egress segments are redirected to the tcv1 queue of the wire
# queue its ingress arrives on (tc_egress sets the recorded RX queue), so
# both directions meet in one poller: BPF counts any segment that does not.
# Native mode: a veth delivers a frame sent on TX queue q to the peer's RX
# queue q only through its NAPI path; without it (skb mode) generic XDP sees
# the TX queue number as a recorded RX queue, q - 1, and two queues collapse
# into queue 0.
MTU=1500
set_mtu "$H1" "$H2"
for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx 2 tx 2; done
# tc mode: tc_ingress picks the queue (the flow's owner, else its hash)
for mode in native tc; do
	if tcd_start h1 "$H1" --mode $mode "${POL[@]}" && tcd_start h2 "$H2" --mode $mode "${POL[@]}"
	then
		check "2 queues $mode: daemon uses both" grep -q "2 queues: AF_XDP" "$TMPD/h1.log"
		for p in 5201 5202 5205 5206 5207 5208; do  # 5203, 5204: lighttpd
			check "2 queues $mode: nc IPv4 port $p" xfer_nc "$H2" "$H1" 192.0.2.2 $p "$F"
		done
		check "2 queues $mode: nc IPv6" xfer_nc "$H2" "$H1" 2001:db8::2 5209 "$F"
		check "2 queues $mode: nc IPv4 the other way" xfer_nc "$H1" "$H2" 192.0.2.1 5205 "$F"
		# a new connection's queue is its socket's random tx hash: with 24
		# more, all of a host's connections on one queue is below 2^-30 likely
		ok=0
		for i in $(seq 12); do
			xfer_nc "$H2" "$H1" 192.0.2.2 5206 "$S" && xfer_nc "$H1" "$H2" 192.0.2.1 5207 "$S" &&
				ok=$((ok + 1))
		done
		check "2 queues $mode: 24 short transfers intact" [ $ok = 12 ]
		for h in h1 h2; do
			s=$(tcd_stats $h)
			check "2 queues $mode: $h has a poller per queue" \
				[ "$(grep -o 'stats(SIGUSR1) q[01]: wire_rx=' <<<"$s" | sort -u | wc -l)" = 2 ]
			q0=$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" host_rx)
			q1=$(ctr_line "$s" "stats(SIGUSR1) q1: wire_rx=" host_rx)
			log "$h: host_rx q0=$q0 q1=$q1"
			check "2 queues $mode: $h: both pollers carried egress" [ "$q0" -gt 0 -a "$q1" -gt 0 ]
			if [ $mode = tc ]; then
				# the wire's frames came through tcv1's queues 2 and 3
				w0=$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_rx)
				w1=$(ctr_line "$s" "stats(SIGUSR1) q1: wire_rx=" wire_rx)
				check "2 queues $mode: $h: both pollers received the wire's" \
					[ "$w0" -gt 0 -a "$w1" -gt 0 ]
			fi
			for d in wire_rx egress host_rx; do
				check "2 queues $mode: $h: no $d segment on a queue not its flow's" \
					[ "$(ctr_line "$s" "bpf(SIGUSR1) $d:" queue_mismatch)" = 0 ]
			done
		done
		check "2 queues $mode: h1 exits 0" tcd_stop h1
		check "2 queues $mode: h2 exits 0" tcd_stop h2
	else
		fail "2 queues $mode: daemons start"
	fi
done
ip netns exec "$H1" "$TCD" -i eth0 --passthrough --queues 3 >"$TMPD/q3.log" 2>&1
check "--queues 3 on a 2-queue interface: usage error" [ $? = 2 ]
for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx 1 tx 1; done

# Through a router ($R forwards, no daemon): the frames the daemons put on
# the wire carry correct TCP checksums (tcpdump -vv verifies them on R). The
# daemons send GSO packets whose checksum the device completes: R's
# interfaces have segmentation and checksum offload off, so R cuts and sums
# them in software before its capture point, as a NIC would on the wire.
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
	dumps=()
	for d in eth1 eth2; do
		ip netns exec "$R" ethtool -K $d tso off gso off tx off >/dev/null
		ip netns exec "$R" timeout 20 tcpdump -i $d -Q out -nn -vv -c 200 \
			'tcp port 5201' >"$TMPD/r-$d.dump" 2>/dev/null &
		dumps+=($!)
	done
	sleep 1
	suite "routed" "$H2" "$H1" 198.51.100.2 2001:db8:2::2 192.0.2.1
	wait "${dumps[@]}"
	good=$(cat "$TMPD"/r-eth*.dump | grep -c "cksum 0x[0-9a-f]* (correct)")
	bad=$(cat "$TMPD"/r-eth*.dump | grep -c "incorrect")
	log "router saw $good frames with correct and $bad with incorrect TCP checksums"
	check "routed: every checksum on the wire is correct" [ "$good" -gt 100 -a "$bad" = 0 ]
	check "routed: h1 daemon carried the traffic" steered h1
	check "routed: h1 exits 0" tcd_stop h1
	check "routed: h2 exits 0" tcd_stop h2
else
	fail "routed: daemons start"
fi
done_testing
