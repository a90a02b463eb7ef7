#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What tcpcryptd never sees, and what it leaves behind:
#  - a TCP port excluded by policy, ICMP (ping, ping -6) and UDP pass without
#    reaching the daemon: the BPF counters show no steering and the daemon's
#    own RX counters stay 0; a steered transfer afterwards moves them;
#  - no host sysctl is changed (host-bound segments enter the stack on eth0
#    itself, so rp_filter needs nothing);
#  - after SIGTERM no program, qdisc, veth, map or pin of ours remains.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc socat python3 bpftool tc
[ -x "$TCD" ] || { skip test_steering "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 5
two_hosts

# The command line: -h lists every option; refusals are clear.
"$TCD" -h >"$TMPD/help" 2>&1
check "-h exits 0" [ $? = 0 ]
for o in interface queues mode zero-copy busy-poll spin-us rx-ring tx-ring fill-ring \
	 passthrough include exclude policy fail-closed heartbeat-timeout cleanup pcap \
	 pcap-filter verbose quiet; do
	check "-h lists --$o" grep -q -- "--$o" "$TMPD/help"
done
"$TCD" --no-such-option >/dev/null 2>&1
check "unknown option: exit 2" [ $? = 2 ]
ip netns exec "$H1" "$TCD" -i eth0 --passthrough --zero-copy on >"$TMPD/zc.log" 2>&1
check "--zero-copy on is refused on a veth (exit 1)" [ $? = 1 ]
check "... saying why" grep -q "zero-copy impossible" "$TMPD/zc.log"
check "... and leaving nothing behind" sh -c "! ip -n $H1 link | grep -q 'tcx-\|xdp'"

# H1 filters reverse paths strictly: the daemon leaves that alone (its
# host-bound segments arrive on eth0, where the reverse route points).
ip netns exec "$H1" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=0
sysctls() { ip netns exec "$H1" sysctl -a 2>/dev/null | grep -v 'tcx-' | grep -E '^net\.' | sort; }
sysctls >"$TMPD/sysctl.before"
tcd_start h1 "$H1" --exclude "port 6000" || fail "h1 daemon starts"
sysctls >"$TMPD/sysctl.during"
check "h1: no sysctl of the host changed while it runs" \
	diff -q "$TMPD/sysctl.before" "$TMPD/sysctl.during"
check "h1: it says it changed none" sh -c "! grep -q 'set /proc/sys' $TMPD/h1.log"
tcd_start h2 "$H2" --exclude "port 6000" || fail "h2 daemon starts"

# what the daemons attached, to look for it after they exit
prog_ids=$(ip netns exec "$H1" bpftool net show -j | python3 -c '
import json,sys
ids=set()
def walk(o):
    if isinstance(o,dict):
        for k,v in o.items():
            if k=="id" and isinstance(v,int): ids.add(v)
            else: walk(v)
    elif isinstance(o,list):
        for v in o: walk(v)
walk(json.load(sys.stdin)); print(" ".join(map(str,sorted(ids))))')
log "h1 programs: $prog_ids"
map_ids=""
for id in $prog_ids; do
	map_ids+=" $(bpftool prog show id "$id" -j | python3 -c '
import json,sys; print(" ".join(map(str,json.load(sys.stdin).get("map_ids",[]))))')"
done
log "h1 maps:$map_ids"
check "h1: programs attached (xdp on eth0 and the internal veth, tc egress)" \
	[ "$(wc -w <<<"$prog_ids")" -ge 3 ]
check "h1: internal veth pair present" sh -c "ip -n $H1 link | grep -q tcx-"

# Idle: the pollers sleep in poll(); the daemon uses (almost) no CPU.
cpu_ticks() {
	local t s=0
	for t in /proc/"$1"/task/*/stat; do
		s=$((s + $(awk '{print $14 + $15}' "$t")))
	done
	echo $s
}
t0=$(cpu_ticks "${TCD_PID[h1]}")
sleep 3
t1=$(cpu_ticks "${TCD_PID[h1]}")
log "h1 idle: $((t1 - t0)) clock ticks of CPU in 3 s"
check "h1: idle daemon uses under 3% of a CPU" [ $((t1 - t0)) -lt 10 ]

# Traffic that must not reach the daemons.
check "excluded port 6000: nc IPv4 transfer" xfer_nc "$H2" "$H1" 192.0.2.2 6000 "$F"
check "excluded port 6000: nc IPv6 transfer" xfer_nc "$H2" "$H1" 2001:db8::2 6000 "$F"
check "ping IPv4" sh -c "ip netns exec $H1 ping -q -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null"
check "ping IPv6" sh -c "ip netns exec $H1 ping -q -6 -c 3 -i 0.2 -W 2 2001:db8::2 >/dev/null"
udp_out=$TMPD/udp.out
ip netns exec "$H2" timeout 10 socat -u UDP4-RECV:7000 "OPEN:$udp_out,creat,trunc" &
upid=$!
sleep 0.3
head -c 1000 /dev/urandom >"$TMPD/udp.in"
ip netns exec "$H1" socat -u "OPEN:$TMPD/udp.in" UDP4-SENDTO:192.0.2.2:7000
sleep 0.5
kill $upid 2>/dev/null
wait $upid 2>/dev/null
check "UDP datagram delivered" same_sha "$TMPD/udp.in" "$udp_out"

for h in h1 h2; do
	s=$(tcd_stats $h)
	q=$(grep "stats(SIGUSR1) q0" <<<"$s")
	log "$h: $q"
	check "$h: daemon received nothing from the wire" [ "$(ctr "$q" wire_rx)" = 0 ]
	check "$h: daemon received nothing from the host" [ "$(ctr "$q" host_rx)" = 0 ]
	w=$(grep "bpf(SIGUSR1) wire_rx" <<<"$s")
	e=$(grep "bpf(SIGUSR1) egress" <<<"$s")
	hr=$(grep "bpf(SIGUSR1) host_rx" <<<"$s")
	check "$h: BPF steered nothing at ingress" \
		[ "$(ctr "$w" steered_syn)" = 0 -a "$(ctr "$w" steered_flow)" = 0 ]
	check "$h: BPF steered nothing at egress" \
		[ "$(ctr "$e" steered_syn)" = 0 -a "$(ctr "$e" steered_flow)" = 0 ]
	check "$h: BPF xdp_host saw nothing" [ "$(ctr "$hr" steered_host)" = 0 ]
	check "$h: BPF saw the non-TCP frames and passed them" [ "$(ctr "$w" non_tcp)" -gt 0 ]
done
s=$(tcd_stats h1)
check "h1: the excluded SYN was seen by policy and skipped" \
	[ "$(ctr "$(grep 'bpf(SIGUSR1) egress' <<<"$s")" policy_skip)" -gt 0 ]

# The counters can move: a steered port.
check "steered port 5201: nc transfer" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
s=$(tcd_stats h2)
q=$(grep "stats(SIGUSR1) q0" <<<"$s")
check "h2: daemon RX counters move for a steered port" [ "$(ctr "$q" wire_rx)" -gt 0 ]

# Clean detach.
check "h1: exit status 0 after SIGTERM" tcd_stop h1
check "h2: exit status 0 after SIGINT" tcd_stop h2 INT
check "h1: log says detached" grep -q "detached" "$TMPD/h1.log"
sysctls >"$TMPD/sysctl.after"
check "h1: no sysctl of the host changed after it" \
	diff -q "$TMPD/sysctl.before" "$TMPD/sysctl.after"
for h in "$H1" "$H2"; do
	n=${h##*-}
	check "$n: no internal veth left" sh -c "! ip -n $h link | grep -q tcx-"
	check "$n: no XDP program on eth0" sh -c "! ip -n $h link show eth0 | grep -q xdp"
	check "$n: no clsact qdisc on eth0" sh -c "! tc -n $h qdisc show dev eth0 | grep -q clsact"
	check "$n: bpftool net show lists nothing" \
		sh -c "! ip netns exec $h bpftool net show | grep -q '[a-z].*id [0-9]'"
done
left=0
for id in $prog_ids; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check "h1: none of its programs is still loaded" [ "$left" = 0 ]
left=0
for id in $map_ids; do bpftool map show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
check "h1: none of its maps is still loaded" [ "$left" = 0 ]
# On an attachment made by tcpcrypt-loader: used as it is, left in place.
LOADER=$BIN/tcpcrypt-loader
check "tcpcrypt-loader attach" sh -c "ip netns exec $H2 $LOADER attach eth0 >/dev/null"
check "loader policy: exclude port 5201" \
	sh -c "ip netns exec $H2 $LOADER policy eth0 set exclude port 5201 >/dev/null"
tcd_start h2l "$H2" || fail "h2: daemon starts on the loader's attachment"
tcd_start h1l "$H1" --include "port 5201-5202" || fail "h1: daemon starts"
check "h2: it says it uses the loader's attachment" \
	grep -q "using the attachment made by tcpcrypt-loader" "$TMPD/h2l.log"
check "transfer on the loader-excluded port" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
s=$(tcd_stats h2l)
check "h2: the loader's policy was kept (port 5201 not steered)" \
	[ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx)" = 0 ]
check "steered transfer over the loader's attachment" xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
s=$(tcd_stats h2l)
check "h2: port 5202 was steered" [ "$(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx)" -gt 0 ]
check "h2: exits 0" tcd_stop h2l
check "h2: the loader's programs stay attached" dp_attached "$H2"
check "h2: the daemon's veth pair is gone" sh -c "! ip -n $H2 link | grep -q tcx-"
check "tcpcrypt-loader detach" sh -c "ip netns exec $H2 $LOADER detach eth0 >/dev/null"
check "h2: nothing left after the loader's detach" \
	sh -c "! ip -n $H2 link | grep -q 'tcx-\|xdp'"
tcd_stop h1l

ino=$(stat -L -c %i "/run/netns/$H1")
check "h1: no pin under /run/tcpcrypt for its namespace" \
	sh -c "! ls -R /run/tcpcrypt 2>/dev/null | grep -q -- '$ino'"
done_testing
