#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 10: super-packets both ways and coalescing, under loss and ECN.
# H1 - R - H2, tcpcryptd --passthrough on H1 and H2, native, skb and tc mode,
# MTU 1500 and 9000, wire GSO on (the default: the stack's super-packets
# leave whole through the packet socket) and off (tcpcryptd cuts them).
# Then encrypting ("enc" rounds): the segment engine answers the stack's
# super-packets with super-segments of ciphertext (tc_out.wire_gso_max),
# sent whole while wire GSO is on and never when it is off, sealing them
# from their UMEM buffers (tc_seg.pv) without copying them whole first. A
# BPF program of the test's own on R (selftests/progs/
# fault.bpf.c) drops one data segment in 53 (retransmissions and
# out-of-order arrivals at the receiver's daemon) and marks ECN CE on one
# in 29 (the hosts negotiate ECN). Transfers both ways are sha256-checked;
# the counters show that each daemon sent its stack's super-packets whole
# (GSO) or cut them into wire segments (no GSO), that what it handed to its
# stack was larger than a wire segment (received whole, or coalesced), and
# that the faults happened.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc tc bpftool python3 nstat ethtool
[ -x "$TCD" ] || { skip test_superpackets "no $TCD (run make)"; exit 0; }
FAULT=$BUILD/bpf/fault.bpf.o

F=$TMPD/data
mkfile "$F" 16
POL=(--include "port 5201-5209")
routed_hosts
for ns in "$H1" "$H2"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=1; done
for d in eth1 eth2; do
	tc -n "$R" qdisc add dev $d clsact
	tc -n "$R" filter add dev $d egress bpf direct-action obj "$FAULT" sec tc ||
		{ fail "fault injector on R $d"; exit 1; }
done
fault_ctr() {	# INDEX: summed over R's two programs (one map each)
	local id s=0
	for id in $(bpftool map show -j | python3 -c 'import json,sys
print(" ".join(str(m["id"]) for m in json.load(sys.stdin) if m.get("name") == "fault_ctr"))'); do
		s=$((s + $(bpftool map lookup id "$id" key "$1" 0 0 0 -j 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(int.from_bytes(bytes(int(b, 16) for b in v), "little") if isinstance(v, list) else v)')))
	done
	echo $s
}
tcd_enc_eth0() {	# NAME NS ARGS...: encrypting on eth0
	local name=$1 ns=$2
	shift 2
	tcd_run "$name" "$ns" "running (encrypting)" -i eth0 "$@"
}
retrans() { ip netns exec "$1" nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}'; }
q0() { ctr_line "$1" "stats(SIGUSR1) q0: wire_rx_chains" "$2"; }

# mode MTU --wire-gso [tso: the hosts' eth0 segments TCP itself; auto follows it]
for round in "native 1500 on" "native 9000 on" "skb 1500 auto on" "skb 9000 on" \
	     "skb 1500 off" "native 9000 off" "skb 1500 auto off" \
	     "skb 1500 auto on enc" "skb 9000 on - enc" "native 1500 off - enc" \
	     "tc 9000 on" "tc 9000 on - enc"; do
	read -r mode MTU gso tso enc <<<"$round"
	[ "$tso" = - ] && tso=
	tag="$mode mtu $MTU gso $gso${tso:+ tso $tso}${enc:+ encrypting}"
	for pair in "$H1 eth0" "$R eth1" "$R eth2" "$H2 eth0"; do
		ip -n ${pair% *} link set ${pair#* } mtu $MTU
	done
	for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -K eth0 tso ${tso:-on} >/dev/null; done
	# what the daemons should do: auto sends GSO packets while eth0 has TSO
	want=$gso
	[ $gso = auto ] && want=${tso:-on}
	start=tcd_start
	[ -n "$enc" ] && start=tcd_enc_eth0
	if ! $start h1 "$H1" --mode $mode --wire-gso $gso "${POL[@]}" ||
	   ! $start h2 "$H2" --mode $mode --wire-gso $gso "${POL[@]}"; then
		fail "$tag: daemons start"
		tcd_stop h1; tcd_stop h2
		continue
	fi
	d0=$(fault_ctr 1) c0=$(fault_ctr 2) r1=$(retrans "$H1") r2=$(retrans "$H2")
	check "$tag: H1 -> H2, loss and CE marks" xfer_nc "$H2" "$H1" 198.51.100.2 5201 "$F"
	check "$tag: H2 -> H1 (IPv6), loss and CE marks" \
		xfer_nc "$H1" "$H2" 2001:db8:1::1 5202 "$F"
	drops=$(( $(fault_ctr 1) - d0 )) ces=$(( $(fault_ctr 2) - c0 ))
	log "$tag: R dropped $drops data segments and marked $ces CE;" \
		"retransmissions h1 $(( $(retrans "$H1") - r1 )) h2 $(( $(retrans "$H2") - r2 ))"
	check "$tag: the faults happened (drops, CE marks, retransmissions)" \
		[ "$drops" -gt 0 -a "$ces" -gt 0 -a $(( $(retrans "$H1") - r1 )) -gt 0 ]
	for h in h1 h2; do
		s=$(tcd_stats $h)
		log "$h: $(grep 'stats(SIGUSR1) q0: wire_rx_chains' <<<"$s" | cut -d: -f3-)"
		if [ -n "$enc" ]; then
			check "$tag: $h encrypted and decrypted (frames_sealed, frames_opened > 0, no tag failure)" \
				[ "$(ctr_line "$s" "engine(SIGUSR1)" frames_sealed)" -gt 0 -a \
				  "$(ctr_line "$s" "engine(SIGUSR1)" frames_opened)" -gt 0 -a \
				  "$(ctr_line "$s" "engine(SIGUSR1)" tag_failures)" = 0 ]
			check "$tag: $h sealed its stack's super-packets from their UMEM pieces (pieces > 0)" \
				[ "$(q0 "$s" pieces)" -gt 0 ]
			if [ $want = on ]; then
				check "$tag: $h sent the engine's super-segments whole (engine_gso > 0)" \
					[ "$(q0 "$s" engine_gso)" -gt 0 -a "$(q0 "$s" gso_errors)" = 0 \
					  -a "$(q0 "$s" engine_dropped)" = 0 ]
			else
				check "$tag: $h: no super-segment without wire GSO (engine_gso = 0)" \
					[ "$(q0 "$s" engine_gso)" = 0 -a "$(q0 "$s" engine_dropped)" = 0 ]
			fi
		elif [ $want = on ]; then
			check "$tag: $h sent its stack's super-packets whole (super_gso > 0)" \
				[ "$(q0 "$s" super_gso)" -gt 0 -a "$(q0 "$s" gso_errors)" = 0 ]
			# received whole (skb mode), or cut on the way (the native
			# peer veth has no TSO) and coalesced
			check "$tag: $h gave its stack segments larger than the wire's" \
				[ $(( $(q0 "$s" runs) + $(q0 "$s" wire_rx_chains) )) -gt 0 ]
		else
			check "$tag: $h cut its stack's super-packets (super_cut > 0)" \
				[ "$(q0 "$s" super_cut)" -gt 0 -a "$(q0 "$s" super_gso)" = 0 ]
			check "$tag: $h coalesced host-bound segments (runs > 0)" \
				[ "$(q0 "$s" runs)" -gt 0 ]
		fi
		[ $MTU = 9000 ] && check "$tag: $h received jumbo frames as chains" \
			[ "$(q0 "$s" wire_rx_chains)" -gt 0 ]
		check "$tag: $h dropped nothing" \
			sh -c "grep 'stats(SIGUSR1) q0: wire_rx=' <<'EOS' | grep -q ' dropped=0/0 '
$s
EOS"
	done
	check "$tag: h1 exits 0" tcd_stop h1
	check "$tag: h2 exits 0" tcd_stop h2
done
done_testing
