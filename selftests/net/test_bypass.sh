#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 1: frames the steering programs cannot handle must not
# walk around tcpcryptd. An on-path attacker on the peer's side
# (selftests/tools/tcd_inject: sniffs a live connection, forges in-window
# data) sends bytes into connections whose flow is ENCRYPTED on H2 (set by
# hand, as the engine would), in the shapes that reached the application
# before: IPv4 and IPv6 fragments, IPv6 with five and with nine extension
# headers, and, after a restart with lost keys, an IPv6 atomic fragment.
# None may reach the application except through the daemon; a whole
# segment (the control) shows that the forged bytes are otherwise accepted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require socat python3 bpftool
INJ=$BUILD/tests/tcd_inject
[ -x "$TCD" ] && [ -x "$INJ" ] || { skip test_bypass "no $TCD or $INJ (run make)"; exit 0; }

HB=(--mode skb --heartbeat-timeout 500 --include "port 5200-5299")
two_hosts

# conn NAME ADDR PORT: a connection H1 -> H2:PORT fed by a fifo, H2 saves to
# NAME.out; its flow is then marked ENCRYPTED in H2's tc_flows. One per
# attack: an accepted forgery desynchronises the stream of its connection.
declare -A FIFO_FD PORT
conn() {
	local name=$1 addr=$2 port=$3 fam=TCP4 c fd
	c="$fam:$addr:$port"
	case $addr in *:*) fam=TCP6 c="TCP6:[$addr]:$port" ;; esac
	ip netns exec "$H2" timeout 120 socat -u "$fam-LISTEN:$port,reuseaddr" \
		"OPEN:$TMPD/$name.out,creat,trunc" &
	BG_PIDS+=($!)
	wait_port "$H2" "$port" || return 1
	mkfifo "$TMPD/$name.fifo"
	ip netns exec "$H1" timeout 120 socat -u "PIPE:$TMPD/$name.fifo" "$c" &
	BG_PIDS+=($!)
	exec {fd}>"$TMPD/$name.fifo"
	FIFO_FD[$name]=$fd
	PORT[$name]=$port
	echo "hello-$name" >&"$fd"
	wait_for 5 grep -q "hello-$name" "$TMPD/$name.out" && flow_set_state "$H2" "$port" 3
}

# inject NAME SHAPE TEXT [next|same]: the attacker forges TEXT after (or in
# place of) the next line the application sends
inject() {
	local name=$1 shape=$2 text=$3 at=${4:-next} out=$TMPD/inj.out pid
	ip netns exec "$H1" "$INJ" eth0 0 "${PORT[$name]}" "$shape" "$text" "$at" 10 \
		>"$out" 2>&1 &
	pid=$!
	wait_for 5 grep -q ready "$out" || return 1
	echo "app-line" >&"${FIFO_FD[$name]}"
	wait "$pid" || { sed 's/^/# /' "$out"; return 1; }
	sleep 0.5
}
# attack NAME SHAPE [next|same]: inject, and the forged bytes must not arrive
attack() {
	inject "$1" "$2" "FORGED-$1" "${3:-next}" && ! grep -q "FORGED-$1" "$TMPD/$1.out"
}

tcd_start h2 "$H2" "${HB[@]}" || fail "h2 daemon starts"
port=5200
for c in a_whole4 a_frag4 a_frag6 a_ext9 k_whole4 k_frag4 k_frag6 k_ext5 k_ext9 r_atomic6; do
	port=$((port + 1))
	case $c in *4) addr=192.0.2.2 ;; *) addr=2001:db8::2 ;; esac
	case $c in a_ext9) addr=2001:db8::2 ;; esac
	check "connection $c, its flow marked ENCRYPTED" conn $c $addr $port
done

# daemon alive
inject a_whole4 whole FORGED-a_whole4 || fail "inject a whole segment"
check "alive, control: a whole forged segment is accepted (through the daemon)" \
	grep -q FORGED-a_whole4 "$TMPD/a_whole4.out"
f0=$(bpf_ctr "$H2" wire_rx dropped_fragment)
check "alive: IPv4 fragments of the flow do not reach the application" attack a_frag4 frag
check "alive: IPv6 fragments do not reach the application" attack a_frag6 frag
check "alive: BPF dropped them as fragments of a steered train" \
	[ "$(bpf_ctr "$H2" wire_rx dropped_fragment)" -ge $((f0 + 4)) ]
d0=$(bpf_ctr "$H2" wire_rx dropped_too_deep)
check "alive: IPv6 with 9 extension headers does not reach the application" attack a_ext9 ext9
check "alive: BPF dropped it as too deep" [ "$(bpf_ctr "$H2" wire_rx dropped_too_deep)" -gt "$d0" ]
check "alive: the connections still carry the application's data" \
	sh -c "[ \$(grep -c app-line $TMPD/a_frag4.out) = 1 ] && grep -q app-line $TMPD/a_ext9.out"

# daemon killed: ENCRYPTED flows fail closed; the forged bytes take the place
# of a line the receiver never got (its segments are dropped too)
tcd_stop h2 KILL
sleep 1
check "killed, control: a whole forged segment is dropped (dead daemon)" \
	attack k_whole4 whole same
check "killed: IPv4 fragments do not reach the application" attack k_frag4 frag same
check "killed: IPv6 fragments do not reach the application" attack k_frag6 frag same
check "killed: IPv6 with 5 extension headers does not reach the application" \
	attack k_ext5 ext5 same
check "killed: IPv6 with 9 extension headers does not reach the application" \
	attack k_ext9 ext9 same

# a new daemon takes over: the keys are lost, the flows stay steered and dropped
tcd_start h2b "$H2" "${HB[@]}" || fail "h2: new daemon starts"
check "restarted: it adopted the flows with lost keys" grep -q "with lost keys" "$TMPD/h2b.log"
check "restarted: an IPv6 atomic fragment does not reach the application" \
	attack r_atomic6 atomic same
s=$(tcd_stats h2b)
check "restarted: the daemon parsed it and dropped it (lost keys)" \
	[ "$(ctr_line "$s" "flows(SIGUSR1)" lost_keys_dropped)" -gt 0 ]
for c in "${!FIFO_FD[@]}"; do eval "exec ${FIFO_FD[$c]}>&-"; done
check "h2b exits 0" tcd_stop h2b
done_testing
