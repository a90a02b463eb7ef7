#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcpcrypt-loader in network namespaces over veth: attach (native, skb, auto
# fallback), status plain and JSON, detach leaves nothing behind, two
# namespaces at once, errors users hit, the policy command, and the steering
# programs' dead-daemon behaviour on real traffic (no tcpcryptd running).
source "$(dirname "$0")/lib.sh"
require python3 tc bpftool nc

L=$BIN/tcpcrypt-loader
[ -x "$L" ] || { skip test_loader "build/bin/tcpcrypt-loader not built"; exit 0; }
ERR=$(mktemp)
on_exit rm -f "$ERR"

two_hosts || { fail "two_hosts"; exit 1; }

ld() { local ns=$1; shift; ip netns exec "$ns" "$L" "$@" 2>"$ERR"; }

# jq-less JSON access: json NS PYEXPR (d = parsed status -j of NS)
json() {
	ip netns exec "$1" "$L" status -j 2>/dev/null |
		python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

prog_gone() { ! bpftool prog show id "$1" >/dev/null 2>&1; }
map_gone() { ! bpftool map show id "$1" >/dev/null 2>&1; }
map_ids() {
	bpftool prog show id "$1" -j | python3 -c \
		'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["map_ids"])))'
}
# maps_gone ID...: every map freed (asynchronously, after the last program)
maps_gone() { local m; for m in "$@"; do map_gone "$m" || return 1; done; }

# no_leftovers NS XDP_ID TC_ID: no XDP program, no clsact, programs freed
no_leftovers() {
	local ns=$1 xid=$2 tid=$3
	! ip -n "$ns" link show eth0 | grep -q 'prog/xdp' || return 1
	! tc -n "$ns" qdisc show dev eth0 | grep -q clsact || return 1
	wait_for 5 prog_gone "$xid" && wait_for 5 prog_gone "$tid"
}

# tcp_ok NS ADDR PORT: a TCP exchange from NS to ADDR:PORT (listener in H2)
tcp_ok() {
	local port=$3 out
	ip netns exec "$H2" timeout 5 nc -l -p "$port" >/dev/null 2>&1 &
	BG_PIDS+=($!)
	wait_port "$H2" "$port" || return 1
	echo hello | ip netns exec "$1" timeout 3 nc -N -w 2 "$2" "$port" >/dev/null 2>&1
}
tcp_fails() { ! tcp_ok "$@"; }

for mode in native skb; do
	check "$mode: attach" ld "$H1" attach eth0 --mode "$mode"
	want=$mode
	check "$mode: status shows xdp $mode" sh -c \
		"ip netns exec $H1 $L status eth0 | grep -q 'xdp $want id [1-9]'"
	check "$mode: status -j mode" [ "$(json "$H1" "d[0]['xdp']['mode']")" = "$mode" ]
	xid=$(json "$H1" "d[0]['xdp']['prog_id']")
	tid=$(json "$H1" "d[0]['tc']['prog_id']")
	check "$mode: status -j program ids" [ "${xid:-0}" -gt 0 -a "${tid:-0}" -gt 0 ]
	check "$mode: status -j queues and no sockets" \
		[ "$(json "$H1" "d[0]['queues'], d[0]['sockets']['wire'], d[0]['host']")" = "1 0 None" ]
	if [ "$mode" = native ]; then kind=' xdp '; else kind=' xdpgeneric '; fi
	check "$mode: ip link shows our program" sh -c \
		"ip -n $H1 link show eth0 | grep -q 'prog/xdp id $xid name xdp_wire' &&
		 ip -n $H1 link show eth0 | head -1 | grep -q '$kind'"
	check "$mode: clsact egress filter" sh -c \
		"tc -n $H1 filter show dev eth0 egress | grep -q 'tc_egress.*id $tid'"
	check "$mode: attach again refused" sh -c \
		"! ip netns exec $H1 $L attach eth0 2>$ERR && grep -q 'already attached' $ERR"
	# no daemon: SYNs pass as plain TCP, counted as such in both directions
	check "$mode: plain TCP works with no daemon" tcp_ok "$H1" 192.0.2.2 5001
	check "$mode: egress counted dead_pass_syn" \
		[ "$(json "$H1" "d[0]['counters']['egress']['dead_pass_syn'] > 0")" = True ]
	mids=$(map_ids "$xid")
	check "$mode: maps of ours found" [ "$(echo $mids | wc -w)" -ge 6 ]
	check "$mode: detach" ld "$H1" detach eth0
	check "$mode: nothing left behind" no_leftovers "$H1" "$xid" "$tid"
	check "$mode: maps freed" wait_for 5 maps_gone $mids
done

# the SYN-ACK coming back in over XDP: attach on the listener's side
check "ingress: attach H2" ld "$H2" attach eth0
check "ingress: plain TCP into an attached host" tcp_ok "$H1" 192.0.2.2 5002
check "ingress: wire_rx counted dead_pass_syn" \
	[ "$(json "$H2" "d[0]['counters']['wire_rx']['dead_pass_syn'] > 0")" = True ]
# fail-closed with a dead daemon: new connections are dropped
check "policy: fail-closed on" ld "$H2" policy eth0 set fail-closed on
check "fail-closed: SYN dropped with no daemon" tcp_fails "$H1" 192.0.2.2 5003
check "fail-closed: counted" \
	[ "$(json "$H2" "d[0]['counters']['wire_rx']['dropped_fail_closed'] > 0")" = True ]
check "policy: set include/exclude rules" ld "$H2" policy eth0 set \
	include port 5004 exclude net 192.0.2.0/24 include net 2001:db8::/32
check "policy: show -j" [ "$(ip netns exec "$H2" "$L" policy eth0 show -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
ports = sorted((p["side"], p["port"], p["action"]) for p in d["ports"])
nets = sorted((n["net"], n["action"]) for n in d["nets"])
print(ports == [("lport", 5004, "include"), ("rport", 5004, "include")] and
      nets == [("192.0.2.0/24", "exclude"), ("2001:db8::/32", "include")] and
      d["fail_closed"] is False)')" = True ]
check "policy: add fail-closed on" ld "$H2" policy eth0 add fail-closed on
check "policy: excluded prefix passes even with fail-closed" tcp_ok "$H1" 192.0.2.2 5004
check "policy: bad rule is a usage error" sh -c \
	"ip netns exec $H2 $L policy eth0 set include port 99999 2>/dev/null; [ \$? -eq 2 ]"
check "policy: flush" ld "$H2" policy eth0 flush
check "ingress: detach H2" ld "$H2" detach eth0

# jumbo frames: the programs are frags-aware, so native XDP on a veth takes
# MTU 9000; auto picks tc on a veth anyway (any XDP there costs the traffic
# not steered: native its peer's TSO/GSO, skb mode a copy) and says why
ip -n "$H1" link set eth0 mtu 9000
ip -n "$H2" link set eth0 mtu 9000
check "mtu 9000: native attaches" ld "$H1" attach eth0 --mode native
check "mtu 9000: status says native" [ "$(json "$H1" "d[0]['xdp']['mode']")" = native ]
check "mtu 9000: detach native" ld "$H1" detach eth0
check "mtu 9000: auto attaches" ld "$H1" attach eth0 --mode auto
check "mtu 9000: auto says tc for veth, and why" \
	grep -q 'mode auto: tc mode for driver veth (any XDP on a veth costs' "$ERR"
check "mtu 9000: status says tc" [ "$(json "$H1" "d[0]['xdp']['mode']")" = tc ]
check "mtu 9000: tc mode: no XDP on the interface" sh -c \
	"! ip -n $H1 link show eth0 | grep -q prog/xdp"
check "mtu 9000: tc mode: tc ingress attached" \
	[ "$(json "$H1" "d[0]['tc']['ingress_prog_id'] > 0")" = True ]
check "mtu 9000: status -j says auto, driver veth" \
	[ "$(json "$H1" "d[0]['xdp']['auto'], d[0]['xdp']['driver']")" = "True veth" ]
check "mtu 9000: plain status says auto" sh -c \
	"ip netns exec $H1 $L status eth0 | grep -q 'xdp none, tc mode: tc ingress steers (auto, driver veth)'"
xid=$(json "$H1" "d[0]['xdp']['prog_id']")
tid=$(json "$H1" "d[0]['tc']['prog_id']")
check "mtu 9000: detach" ld "$H1" detach eth0
check "mtu 9000: nothing left behind" no_leftovers "$H1" "$xid" "$tid"
ip -n "$H1" link set eth0 mtu 1500
ip -n "$H2" link set eth0 mtu 1500

# two namespaces at once, each sees only its own
check "two: attach H1" ld "$H1" attach eth0 --mode native
check "two: attach H2" ld "$H2" attach eth0 --mode skb
s1=$(json "$H1" "len(d), d[0]['ifname'], d[0]['xdp']['mode'], d[0]['xdp']['prog_id']")
s2=$(json "$H2" "len(d), d[0]['ifname'], d[0]['xdp']['mode'], d[0]['xdp']['prog_id']")
check "two: H1 sees one native attachment" [ "${s1% *}" = "1 eth0 native" ]
check "two: H2 sees one skb attachment" [ "${s2% *}" = "1 eth0 skb" ]
check "two: different programs" [ "${s1##* }" != "${s2##* }" ]
check "two: detach H1 leaves H2" sh -c "ip netns exec $H1 $L detach eth0 && \
	ip netns exec $H2 $L status eth0 >/dev/null 2>&1"
check "two: detach H2" ld "$H2" detach eth0
check "two: status with nothing attached" sh -c \
	"ip netns exec $H2 $L status | grep -q 'not attached to any interface'"
check "two: status -j with nothing attached is []" [ "$(json "$H2" "d")" = "[]" ]

# a stand-in daemon (selftests/tools/dp_host_check): xdp_host on an internal
# veth, AF_XDP sockets on IFACE and tcv1, heartbeat; SYNs of both directions
# reach the sockets, status shows it; then kill -9 semantics.
HC=$BUILD/tests/dp_host_check
OUT=$(mktemp)
on_exit rm -f "$OUT"
# two queues: in tc mode (auto on a veth) the wire's frames use tcv1's queue 1
ip -n "$H1" link add tcv0 numtxqueues 2 numrxqueues 2 type veth peer name tcv1 \
	numtxqueues 2 numrxqueues 2
ip -n "$H1" link set tcv0 up
ip -n "$H1" link set tcv1 up
check "daemon: attach" ld "$H1" attach eth0
ip netns exec "$H1" timeout 20 "$HC" eth0 tcv1 tcv0 10 >"$OUT" 2>&1 &
hc=$!
wait_for 5 grep -q ready "$OUT"
ip netns exec "$H2" timeout 3 nc -w1 192.0.2.1 7000 </dev/null >/dev/null 2>&1
ip netns exec "$H1" timeout 3 nc -w1 192.0.2.2 7001 </dev/null >/dev/null 2>&1
wait $hc
check "daemon: SYNs of both directions reached the AF_XDP sockets" [ $? -eq 0 ]
log "$(tr "\n" " " <"$OUT")"
ip netns exec "$H1" timeout 20 "$HC" eth0 tcv1 tcv0 10 >"$OUT" 2>&1 &
hc=$!
wait_for 5 grep -q ready "$OUT"
ip netns exec "$H2" timeout 3 nc -6 -w1 2001:db8::1 7000 </dev/null >/dev/null 2>&1
ip netns exec "$H1" timeout 3 nc -6 -w1 2001:db8::2 7001 </dev/null >/dev/null 2>&1
wait $hc
check "daemon: IPv6 SYNs of both directions reached the AF_XDP sockets" [ $? -eq 0 ]
log "$(tr "\n" " " <"$OUT")"
check "daemon: steered_syn counted on wire and egress, steered_host on tcv1" [ "$(json "$H1" \
	"d[0]['counters']['wire_rx']['steered_syn'] >= 2, d[0]['counters']['egress']['steered_syn'] >= 2, \
	 d[0]['counters']['host_rx']['steered_host'] >= 2")" = "True True True" ]
check "daemon: clean exit marked the daemon dead at once" \
	[ "$(json "$H1" "d[0]['daemon']['alive'], d[0]['host']")" = "False None" ]

bg "$H1" "$HC" eth0 tcv1 tcv0 0 --hold >"$OUT" 2>&1
hc=$LAST_PID
wait_for 5 grep -q ready "$OUT"
check "daemon: status -j shows it alive, sockets bound, host side" [ "$(json "$H1" \
	"d[0]['daemon']['alive'], d[0]['sockets']['wire_queues'], d[0]['sockets']['host_queues'], \
	 d[0]['host']['ifname'], d[0]['host']['prog_id'] > 0")" = "True [0] [0] tcv1 True" ]
check "daemon: plain status shows the sockets" sh -c \
	"ip netns exec $H1 $L status eth0 | grep -q 'sockets bound: wire 1 \[ 0 \], host 1 \[ 0 \]'"
check "daemon alive: detach refused" sh -c \
	"ip netns exec $H1 $L detach eth0 2>$ERR; [ \$? -eq 1 ] && grep -q 'tcpcryptd (pid [0-9]*) is running' $ERR"
kill -9 "$hc"
wait "$hc" 2>/dev/null
dead() { [ "$(json "$H1" "d[0]['daemon']['alive'], d[0]['sockets']['wire']")" = "False 0" ]; }
check "kill -9: sockets gone and heartbeat stale within 5 s" wait_for 5 dead
check "kill -9: xdp_host stays attached until detach" sh -c \
	"ip -n $H1 link show tcv1 | grep -q 'name xdp_host'"
check "kill -9: new connections pass as plain TCP" tcp_ok "$H1" 192.0.2.2 5005
check "daemon: detach also removes xdp_host" sh -c \
	"ip netns exec $H1 $L detach eth0 && ! ip -n $H1 link show tcv1 | grep -q prog/xdp"

# detach with encrypted connections still open: refused (their segments would
# leave in plaintext), unless --force; flows without a socket do not count
flow_hex() {	# LOCAL REMOTE LPORT RPORT -> bpftool key bytes of tc_flow_key
	python3 -c 'import socket,struct,sys
l, r, lp, rp = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
k = bytes([2, 0, 0, 0]) + socket.inet_aton(l).ljust(16, b"\0") + \
    socket.inet_aton(r).ljust(16, b"\0") + struct.pack("!HH", lp, rp)
print(" ".join("%02x" % b for b in k))' "$@"
}
check "encrypted: attach" ld "$H1" attach eth0 --mode skb
xid=$(json "$H1" "d[0]['xdp']['prog_id']")
fmap=$(bpftool map show -j | python3 -c "import json,sys
ids = set(map(int, '$(map_ids "$xid")'.split()))
print([m['id'] for m in json.load(sys.stdin) if m['id'] in ids and m.get('name') == 'tc_flows'][0])")
ip netns exec "$H2" timeout 30 nc -l -p 5006 >/dev/null 2>&1 &
BG_PIDS+=($!)
wait_port "$H2" 5006
bg "$H1" sh -c "sleep 30 | nc 192.0.2.2 5006"
wait_for 5 sh -c "ip netns exec $H1 ss -Htn state established '( dport = :5006 )' | grep -q ."
lport=$(ip netns exec "$H1" ss -Htn state established '( dport = :5006 )' | awk '{print $3}' | sed 's/.*://')
# state ENCRYPTED (3): one flow with a socket, one stale
bpftool map update id "$fmap" key hex $(flow_hex 192.0.2.1 192.0.2.2 "$lport" 5006) \
	value hex 03 00 00 00 00 00 00 00
bpftool map update id "$fmap" key hex $(flow_hex 192.0.2.1 192.0.2.2 1234 5999) \
	value hex 03 00 00 00 00 00 00 00
check "encrypted: flows inserted" [ "$(json "$H1" "d[0]['flows']")" = 2 ]
check "encrypted: detach refused, one open connection counted" sh -c \
	"ip netns exec $H1 $L detach eth0 2>$ERR; [ \$? -eq 1 ] && grep -q '1 encrypted connection is still open' $ERR"
check "encrypted: still attached" sh -c "ip netns exec $H1 $L status eth0 >/dev/null"
check "encrypted: detach --force" ld "$H1" detach eth0 --force
check "encrypted: detached" sh -c "! ip -n $H1 link show eth0 | grep -q prog/xdp"

# somebody else's XDP program: refused, and told how to remove it
if command -v xdp-loader >/dev/null; then
	ip netns exec "$H1" xdp-loader load -m skb eth0 "$BUILD/bpf/xsk_smoke.bpf.o" >/dev/null 2>&1
	check "foreign XDP: attach refused, exit 1" sh -c \
		"ip netns exec $H1 $L attach eth0 2>$ERR; [ \$? -eq 1 ]"
	check "foreign XDP: says how to remove it" grep -q 'ip link set dev eth0 xdpgeneric off' "$ERR"
	check "foreign XDP: no clsact left by the failed attach" sh -c \
		"! tc -n $H1 qdisc show dev eth0 | grep -q clsact"
	ip -n "$H1" link set dev eth0 xdpgeneric off
else
	skip "foreign XDP program" "needs xdp-loader"
fi

# a clsact qdisc that was there before stays after detach
tc -n "$H1" qdisc add dev eth0 clsact
check "own clsact: attach" ld "$H1" attach eth0
check "own clsact: not ours" [ "$(json "$H1" "d[0]['tc']['own_clsact']")" = False ]
check "own clsact: detach" ld "$H1" detach eth0
check "own clsact: the pre-existing qdisc stays" sh -c "tc -n $H1 qdisc show dev eth0 | grep -q clsact"
tc -n "$H1" qdisc del dev eth0 clsact

# attach --policy FILE; pretty JSON is JSON
printf '# test policy\ninclude port 443\nexclude net 198.51.100.0/24 fail-closed on\n' >"$OUT"
check "attach --policy FILE" ld "$H1" attach eth0 --mode skb --policy "$OUT"
check "attach --policy FILE: applied" [ "$(ip netns exec "$H1" "$L" policy eth0 show -j |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["ports"]), len(d["nets"]), d["fail_closed"])')" = "2 1 True" ]
check "status -p is valid JSON" sh -c "ip netns exec $H1 $L status -p | python3 -m json.tool >/dev/null"
check "policy: bad file line is a usage error naming the line" sh -c \
	"printf 'include port 1\nfrobnicate\n' >$OUT; ip netns exec $H1 $L policy eth0 load $OUT 2>$ERR; \
	 [ \$? -eq 2 ] && grep -q ':2: ' $ERR"
check "attach --policy: detach" ld "$H1" detach eth0

# a multi-queue interface: status counts its RX queues
ns_new Q
ip -n "$Q" link add eth0 numrxqueues 4 numtxqueues 4 type veth peer name eth1 \
	numrxqueues 4 numtxqueues 4
ip -n "$Q" link set eth0 up
ip -n "$Q" link set eth1 up
check "4 queues: attach" ld "$Q" attach eth0
check "4 queues: status says 4" [ "$(json "$Q" "d[0]['queues']")" = 4 ]
check "4 queues: detach" ld "$Q" detach eth0

# a device without native XDP (lo): a clear error, and auto falls back
check "lo native: refused, exit 1" sh -c "ip netns exec $Q $L attach lo --mode native 2>$ERR; [ \$? -eq 1 ]"
check "lo native: says no native XDP support" grep -q 'lo: the driver has no native XDP support: use --mode skb' "$ERR"
check "lo native: no clsact left behind" sh -c "! tc -n $Q qdisc show dev lo | grep -q clsact"
check "lo auto: skb" sh -c "ip netns exec $Q $L attach lo 2>/dev/null && \
	ip netns exec $Q $L status lo | grep -q 'xdp skb' && ip netns exec $Q $L detach lo"

# errors users hit: one line, exit status 1 (runtime) or 2 (usage)
check "no such interface: exit 1" sh -c "ip netns exec $H1 $L attach nope0 2>$ERR; [ \$? -eq 1 ]"
check "no such interface: one clear line" sh -c \
	"[ \$(wc -l <$ERR) -eq 1 ] && grep -q 'nope0: no such interface' $ERR"
check "detach when not attached: exit 1" sh -c \
	"ip netns exec $H1 $L detach eth0 2>$ERR; [ \$? -eq 1 ] && grep -q 'not attached' $ERR"
check "status of a bare interface: exit 1" sh -c "ip netns exec $H1 $L status eth0 2>/dev/null; [ \$? -eq 1 ]"
check "usage: no command is exit 2" sh -c "$L 2>/dev/null; [ \$? -eq 2 ]"
check "usage: bad mode is exit 2" sh -c "$L attach eth0 --mode turbo 2>/dev/null; [ \$? -eq 2 ]"
check "usage: unknown command is exit 2" sh -c "$L frobnicate 2>/dev/null; [ \$? -eq 2 ]"
check "help is exit 0" sh -c "$L help >/dev/null"

done_testing
