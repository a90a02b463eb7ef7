#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Toolchain smoke test: the two mechanisms the datapath is built on.
#  1. XDP from bpf/ loaded through libxdp redirects frames into an AF_XDP
#     socket that receives them, in native and in skb mode.
#  2. A tc clsact egress program redirecting into the ingress of an internal
#     veth end running generic (skb-mode) XDP->XSK captures locally
#     generated egress packets.
source "$(dirname "$0")/lib.sh"

SMOKE=$BUILD/tests/xsk_smoke
[ -x "$SMOKE" ] || { fail "xsk_smoke built ($SMOKE)"; exit 1; }

# start_smoke NS ARGS...: run xsk_smoke in NS, wait until its socket is bound.
start_smoke() {
	local ns=$1 out
	shift
	out=$(mktemp)
	on_exit "rm -f $out"
	ip netns exec "$ns" "$SMOKE" "$@" >"$out" 2>&1 &
	SMOKE_PID=$! SMOKE_OUT=$out
	BG_PIDS+=($SMOKE_PID)
	wait_for 10 grep -q ready "$out"
}

for mode in native skb; do
	two_hosts || { fail "$mode: topology"; continue; }
	# ingress: frames sent by H1 are received by H2's AF_XDP socket
	if ! start_smoke "$H2" -i eth0 -m $mode -e 0x0800 -n 20 -t 15; then
		fail "$mode: xsk socket bound on eth0"
		cat "$SMOKE_OUT"
	else
		ip netns exec "$H1" ping -q -c 20 -i 0.05 -W 1 192.0.2.2 >/dev/null 2>&1
		wait "$SMOKE_PID"
		rc=$?
		check "$mode: XDP -> AF_XDP receives ingress frames ($(tail -1 "$SMOKE_OUT"))" \
			[ $rc -eq 0 ]
	fi

	# egress: H1's own packets leave eth0's clsact egress into tcs1's
	# ingress and land in the AF_XDP socket bound there. tcs1 runs generic
	# XDP: an INGRESS redirect reaches it (an egress redirect into tcs0
	# would not: generic XDP skips skbs marked redirected).
	ip -n "$H1" link add tcs0 type veth peer name tcs1 &&
		ip -n "$H1" link set tcs0 up && ip -n "$H1" link set tcs1 up
	if ! start_smoke "$H1" -i tcs1 -m skb -e 0x0800 -n 10 -t 15 \
		--tc-egress eth0 --redirect tcs1; then
		fail "$mode: xsk socket bound on the internal veth"
		cat "$SMOKE_OUT"
	else
		# the egress is captured, so the echo requests never reach H2
		ip netns exec "$H1" ping -q -c 10 -i 0.05 -W 1 192.0.2.2 >/dev/null 2>&1
		wait "$SMOKE_PID"
		rc=$?
		check "$mode: tc egress -> veth ingress (generic XDP) -> AF_XDP captures local egress ($(tail -1 "$SMOKE_OUT"))" \
			[ $rc -eq 0 ]
	fi
	# nothing left attached once the tool exits
	check "$mode: XDP detached on exit" \
		bash -c "! ip -n $H2 link show eth0 | grep -q xdp"
	check "$mode: clsact hook removed on exit" \
		bash -c "! tc -n $H1 qdisc show dev eth0 | grep -q clsact"
	cleanup
	NETNS_LIST=() BG_PIDS=() CLEANUP_HOOKS=()
done
done_testing
