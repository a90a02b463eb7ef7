#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kill -9 semantics of tcpcryptd (heartbeat in tc_live, see tcpcryptd(8)):
#  - a connection whose flow state requires encryption (ENCRYPTED in tc_flows;
#    set here by hand, as the encryption engine would) is never passed in
#    plaintext after the daemon is killed, nor after a new daemon takes over;
#  - new connections pass as plain TCP while no daemon runs;
#  - with --fail-closed they are dropped instead;
#  - a new tcpcryptd takes over a killed one's leftovers, and
#    tcpcryptd --cleanup removes them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc socat python3 bpftool
[ -x "$TCD" ] || { skip test_killed "no $TCD (run make)"; exit 0; }
LOADER=$BIN/tcpcrypt-loader

F=$TMPD/data
mkfile "$F" 5
HB=(--heartbeat-timeout 500 --include "port 5201-5209")

two_hosts
tcd_start h1 "$H1" "${HB[@]}" || fail "h1 daemon starts"
tcd_start h2 "$H2" "${HB[@]}" || fail "h2 daemon starts"
check "steered transfer with both daemons" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"

# A long-lived steered connection H1 -> H2:5207, fed through a fifo.
out=$TMPD/long.out
mkfifo "$TMPD/fifo"
ip netns exec "$H2" timeout 60 socat -u TCP4-LISTEN:5207,reuseaddr "OPEN:$out,creat,trunc" &
wait_port "$H2" 5207
ip netns exec "$H1" timeout 60 socat -u "PIPE:$TMPD/fifo" TCP4:192.0.2.2:5207 &
exec 3>"$TMPD/fifo"
echo "hello-before-kill" >&3
check "long connection delivers while the daemons run" \
	wait_for 5 grep -q hello-before-kill "$out"
check "its flow is marked ENCRYPTED in h2's tc_flows" flow_set_state "$H2" 5207 3

tcd_stop h2 KILL
sleep 1	# > heartbeat timeout
check "h2: BPF sees the daemon dead" sh -c \
	"ip netns exec $H2 $LOADER -j status eth0 | grep -q '\"alive\":false'"
echo "secret-after-kill" >&3
sleep 1.5
check "ENCRYPTED flow: nothing passed in plaintext after kill -9" \
	sh -c "! grep -q secret-after-kill $out"
check "h2: its segments were dropped (dropped_dead_daemon > 0)" \
	[ "$(bpf_ctr "$H2" wire_rx dropped_dead_daemon)" -gt 0 ]
check "new connection passes as plain TCP while h2's daemon is dead" \
	xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
check "h2: that SYN passed as plain TCP (dead_pass_syn > 0)" \
	[ "$(bpf_ctr "$H2" wire_rx dead_pass_syn)" -gt 0 ]

# --cleanup refuses to detach while a flow that needs encryption is known.
ip netns exec "$H2" "$TCD" -i eth0 --cleanup >"$TMPD/cl.log" 2>&1
check "--cleanup refuses with an ENCRYPTED flow in the map (exit 1)" [ $? = 1 ]
check "--cleanup says why" grep -q "plaintext" "$TMPD/cl.log"
check "--cleanup left the programs attached" dp_attached "$H2"

# A new daemon takes over the leftovers.
tcd_start h2b "$H2" "${HB[@]}" || fail "h2: new daemon starts over the leftovers"
check "h2: new daemon says it took over a dead one's leftovers" \
	grep -q "leftovers of a dead tcpcryptd" "$TMPD/h2b.log"
check "h2: it adopted the flow whose keys were lost" grep -q "with lost keys" "$TMPD/h2b.log"
echo "secret-after-restart" >&3
sleep 1.5
check "ENCRYPTED flow: still nothing in plaintext under the new daemon" \
	sh -c "! grep -q secret $out"
s=$(tcd_stats h2b)
check "h2: new daemon carries new steered connections" xfer_nc "$H2" "$H1" 192.0.2.2 5203 "$F"
s=$(tcd_stats h2b)
check "h2: new daemon steered them (wire_rx > 0)" \
	[ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx)" -gt 0 ]
exec 3>&-
check "h2: new daemon exits 0" tcd_stop h2b
check "h2: and leaves nothing behind" sh -c "! ip -n $H2 link | grep -q 'tcx-\|xdp'"

# --fail-closed: new connections are dropped while the daemon is dead.
tcd_start h2c "$H2" "${HB[@]}" --fail-closed || fail "h2: --fail-closed daemon starts"
tcd_stop h2c KILL
sleep 1
ip netns exec "$H2" timeout 10 nc -l 5204 >/dev/null &
wait_port "$H2" 5204
check "fail-closed: a new connection does not get through" \
	sh -c "! ip netns exec $H1 timeout 3 nc -N 192.0.2.2 5204 </dev/null"
check "h2: its SYNs were dropped (dropped_fail_closed > 0)" \
	[ "$(bpf_ctr "$H2" wire_rx dropped_fail_closed)" -gt 0 ]

# --cleanup removes a killed daemon's leftovers.
check "tcpcryptd --cleanup exits 0" ip netns exec "$H2" "$TCD" -i eth0 --cleanup
check "after --cleanup: no internal veth" sh -c "! ip -n $H2 link | grep -q tcx-"
check "after --cleanup: nothing attached to eth0" sh -c "! ip -n $H2 link show eth0 | grep -q xdp && ! tc -n $H2 filter show dev eth0 egress | grep -q bpf"
check "after --cleanup: no clsact on eth0" sh -c "! tc -n $H2 qdisc show dev eth0 | grep -q clsact"
tcd_stop h1
check "after --cleanup: plain TCP works" xfer_nc "$H2" "$H1" 192.0.2.2 5205 "$F"
done_testing
