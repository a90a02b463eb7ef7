#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13: segments tcpcryptd hands to the local stack arrive on the
# interface itself, so the host's own configuration works as without it.
# With tcpcryptd --passthrough on both hosts, native and skb mode:
#  - H2 runs nftables with policy drop on input, accepting established
#    connections and new ones only by 'iifname "eth0" tcp dport ...'; rules
#    counting by input interface see every steered segment on eth0 and none
#    on the internal veth; conntrack saw each connection start on eth0;
#  - a server bound to eth0 with SO_BINDTODEVICE;
#  - a connection to an IPv6 link-local address (fe80::...%eth0);
#  - strict rp_filter (1) on every device of both hosts;
# each transfer sha256-checked and shown to have gone through the daemons
# (their counters move), native, skb and tc mode. Then what the tools see:
# tcpdump on eth0 shows the segments the stack receives (in tc mode the
# wire's arriving ones too), none it sends; tcpcryptd --pcap writes the
# frames on the wire (both directions, filtered, correct checksums), which
# tshark reads back into the very bytes transferred.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nft nc socat tcpdump tshark python3
[ -x "$TCD" ] || { skip test_host_view "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 8
POL=(--include "port 5001-5003")

two_hosts
for ns in "$H1" "$H2"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.default.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1
done
LL2=$(ip -n "$H2" -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
wait_for 5 sh -c "ip -n $H1 -6 -o addr show dev eth0 scope link | grep -q fe80"

# H2's firewall: an ordinary server firewall, by input interface
ip netns exec "$H2" nft -f - <<'NFT'
table inet tcd_test {
	counter eth0_5001 { }
	counter eth0_new { }
	counter other_iif { }
	chain pre {
		type filter hook prerouting priority -300;
		iifname "eth0" tcp dport 5001 counter name eth0_5001
		iifname != { "eth0", "lo" } tcp dport 5001-5003 counter name other_iif
	}
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		iifname "eth0" tcp dport 5001-5003 ct state new counter name eth0_new accept
	}
}
NFT
nft_ctr() { ip netns exec "$H2" nft -j list counter inet tcd_test "$1" |
	python3 -c 'import json,sys
print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'; }

# the daemon's wire and host RX counters, summed: they move when it carries a transfer
carried() { local s; s=$(tcd_stats "$1"); echo $(( $(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_rx) + \
	$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" host_rx) )); }

# xfer_bound SRV CLI ADDR PORT: a server bound to eth0 with SO_BINDTODEVICE
xfer_bound() {
	local out=$TMPD/bound.out pid
	rm -f "$out"
	ip netns exec "$1" timeout 30 socat -u \
		"TCP4-LISTEN:$4,reuseaddr,so-bindtodevice=eth0" "OPEN:$out,creat,trunc" &
	pid=$!
	wait_port "$1" "$4" || return 1
	ip netns exec "$2" timeout 30 socat -u "OPEN:$F" "TCP4:$3:$4" || return 1
	wait "$pid" && same_sha "$F" "$out"
}

# through NAME CMD...: CMD succeeds and both daemons' counters moved
through() {
	local a1 a2 b1 b2
	a1=$(carried h1) a2=$(carried h2)
	"$@" || return 1
	b1=$(carried h1) b2=$(carried h2)
	log "daemons carried $((b1 - a1)) and $((b2 - a2)) frames"
	[ "$b1" -gt "$a1" ] && [ "$b2" -gt "$a2" ]
}

for mode in native skb tc; do
	tag=$mode
	if ! tcd_start h1 "$H1" --mode "$mode" "${POL[@]}" ||
	   ! tcd_start h2 "$H2" --mode "$mode" "${POL[@]}" \
		--pcap "$TMPD/h2-$mode.pcapng" --pcap-filter "tcp port 5001"; then
		fail "$tag: daemons start"
		tcd_stop h1; tcd_stop h2
		continue
	fi
	other0=$(nft_ctr other_iif) new0=$(nft_ctr eth0_new) seg0=$(nft_ctr eth0_5001)
	ip netns exec "$H2" timeout 20 tcpdump -i eth0 -nn -Q in -w "$TMPD/in.pcap" \
		'tcp port 5001' 2>/dev/null &
	tin=$!
	ip netns exec "$H2" timeout 20 tcpdump -i eth0 -nn -Q out -w "$TMPD/out.pcap" \
		'tcp port 5001' 2>/dev/null &
	tout=$!
	sleep 1

	check "$tag: firewall by iifname eth0: IPv4 transfer through the daemons" \
		through xfer_nc "$H2" "$H1" 192.0.2.2 5001 "$F"
	check "$tag: firewall by iifname eth0: IPv6 transfer through the daemons" \
		through xfer_nc "$H2" "$H1" 2001:db8::2 5001 "$F"
	check "$tag: server bound to eth0 (SO_BINDTODEVICE)" \
		through xfer_bound "$H2" "$H1" 192.0.2.2 5002
	check "$tag: IPv6 link-local $LL2%eth0" \
		through xfer_nc "$H2" "$H1" "$LL2%eth0" 5003 "$F"

	new=$(( $(nft_ctr eth0_new) - new0 )) seg=$(( $(nft_ctr eth0_5001) - seg0 ))
	other=$(( $(nft_ctr other_iif) - other0 ))
	log "nft: $new new connections and $seg port-5001 segments on eth0, $other elsewhere"
	check "$tag: conntrack saw every connection start on eth0" [ "$new" -ge 4 ]
	check "$tag: netfilter saw the steered segments arrive on eth0" [ "$seg" -gt 100 ]
	check "$tag: and none on any other device" [ "$other" = 0 ]
	s=$(tcd_stats h2)
	# coalesced runs, or super-packets received whole (wire GSO, skb mode)
	check "$tag: h2 handed its stack segments larger than a wire segment" \
		[ $(( $(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx_chains" runs) + \
		      $(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx_chains" wire_rx_chains) )) -gt 0 ]
	check "$tag: strict rp_filter dropped nothing" \
		[ "$(ip netns exec "$H2" nstat -az TcpExtIPReversePathFilter | awk '/IPReverse/ {print $2}')" = 0 ]

	kill "$tin" "$tout" 2>/dev/null
	wait "$tin" "$tout" 2>/dev/null
	nin=$(tcpdump -r "$TMPD/in.pcap" -nn 2>/dev/null | wc -l)
	nout=$(tcpdump -r "$TMPD/out.pcap" -nn 2>/dev/null | wc -l)
	log "tcpdump -i eth0 on h2: $nin segments in, $nout out"
	check "$tag: tcpdump -i eth0 shows the steered segments the stack receives" [ "$nin" -gt 100 ]
	check "$tag: and none it sends (they leave through tcpcryptd)" [ "$nout" = 0 ]
	# tc mode: the packet taps run before tc ingress, so tcpdump also sees
	# the wire's segments on their way to the daemon (XDP takes them before)
	[ $mode = tc ] && check "$tag: tcpdump -i eth0 also shows the wire's segments" \
		[ "$nin" -gt "$seg" ]

	check "$tag: h1 exits 0" tcd_stop h1
	check "$tag: h2 exits 0" tcd_stop h2

	# the capture: port 5001 only (the filter), both directions, as on the wire
	P=$TMPD/h2-$mode.pcapng
	tsh() { tshark -n -r "$P" -o tcp.check_checksum:TRUE "$@" 2>/dev/null; }
	n=$(tsh -T fields -e frame.number | wc -l)
	log "pcap: $n frames"
	check "$tag: --pcap: tshark reads the capture" [ "$n" -gt 100 ]
	check "$tag: --pcap: only what the filter selects" [ "$(tsh -Y 'not tcp.port == 5001' | wc -l)" = 0 ]
	check "$tag: --pcap: frames of both directions" \
		[ "$(tsh -T fields -e frame.packet_flags_direction | sort -u | tr '\n' ' ')" = \
		  "0x00000001 0x00000002 " ]
	check "$tag: --pcap: every TCP checksum on the wire is correct" \
		[ "$(tsh -Y 'tcp.checksum.status != 1' | wc -l)" = 0 ]
	# the IPv4 connection's client-to-server bytes are the file: each
	# segment's payload put at its relative sequence number (tshark's own
	# "follow" reassembly took minutes on some captures of this test)
	tsh -o tcp.desegment_tcp_streams:FALSE -Y 'tcp.stream == 0 && tcp.dstport == 5001 && tcp.len > 0' \
		-T fields -e tcp.seq -e tcp.payload | python3 -c '
import sys
buf = bytearray()
for line in sys.stdin:
    seq, _, hexdata = line.strip().partition("\t")
    data, off = bytes.fromhex(hexdata.replace(":", "")), int(seq) - 1
    if len(buf) < off + len(data):
        buf.extend(bytes(off + len(data) - len(buf)))
    buf[off:off + len(data)] = data
sys.stdout.buffer.write(buf)' >"$TMPD/follow.out"
	check "$tag: --pcap: tshark reassembles exactly the bytes sent" same_sha "$F" "$TMPD/follow.out"
done

check "no sysctl left changed: rp_filter still 1 on h2" \
	[ "$(ip netns exec "$H2" sysctl -n net.ipv4.conf.all.rp_filter)" = 1 ]
done_testing
