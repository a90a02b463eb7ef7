#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcpcryptd on one host only; the peer is a plain Linux host on the other end
# of the veth (TSO/GSO on, CHECKSUM_PARTIAL segments):
#  - native mode: steered connections work; the peer's segments arrive with
#    only the pseudo-header checksum and the daemon completes them;
#  - skb mode: the peer's GSO super-packets reach the daemon whole, as
#    multi-buffer descriptor chains, and go to the stack the same way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc python3
[ -x "$TCD" ] || { skip test_plain_peer "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 10
two_hosts

# skb mode first: XDP in native mode on H2's eth0 turns GSO off on its peer
# (H1's eth0) and detaching does not turn it back on.
tcd_start h2s "$H2" --mode skb --include "port 5203" || fail "h2 skb daemon starts"
check "skb: plain peer with TSO -> daemon host, nc IPv4" xfer_nc "$H2" "$H1" 192.0.2.2 5203 "$F"
s=$(tcd_stats h2s)
drops=$(grep "xdp_statistics(SIGUSR1) q0 wire" <<<"$s" | grep -o " rx_dropped=[0-9]*" | cut -d= -f2)
chains=$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx_chains" wire_rx_chains)
log "skb mode, plain peer with TSO: wire_rx_chains=$chains rx_dropped=$drops"
check "skb: GSO super-packets reached the daemon whole (wire_rx_chains > 0)" \
	[ "${chains:-0}" -gt 0 ]
check "skb: none dropped by the kernel at the socket" [ "${drops:-1}" = 0 ]
check "skb: none passed around the daemon" \
	[ "$(ctr_line "$s" "bpf(SIGUSR1) wire_rx" oversize_pass)" = 0 ]
check "skb: h2 exits 0" tcd_stop h2s

tcd_start h2 "$H2" --mode native --include "port 5201-5202" || fail "h2 daemon starts"
check "native: plain peer -> daemon host, nc IPv4" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
check "native: daemon host -> plain peer, nc IPv6" xfer_nc "$H1" "$H2" 2001:db8::1 5202 "$F"
s=$(tcd_stats h2)
log "$(grep 'flows(SIGUSR1)' <<<"$s")"
check "native: the daemon carried them" [ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx)" -gt 0 ]
check "native: it completed the peer's partial checksums" \
	[ "$(ctr_line "$s" "flows(SIGUSR1)" csum_fixed)" -gt 0 ]
check "native: h2 exits 0" tcd_stop h2

done_testing
