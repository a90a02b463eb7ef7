#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcpcryptd encrypting, between two hosts with a router in the middle that
# captures and breaks the wire (selftests/tools/faults: no netem here):
#  - integrity: large transfers each way, many short connections, HTTP,
#    IPv4 and IPv6, native and skb mode, ECN on;
#  - the wire: ENO (option 69) in SYN and SYN-ACK, Init1/Init2 lead the
#    streams, a marker the application sends never appears in a capture;
#  - session ids: 33 bytes, equal at both ends, new for every connection;
#  - fallback: a peer without tcpcryptd gets plain TCP, each side opening,
#    and no segment after the handshake reaches userspace;
#  - faults: loss, reordering, duplication, every frame cloned (which
#    generic XDP never sees): intact; a flipped ciphertext bit: reset, and
#    no corrupted byte reaches the application;
#  - kill -9 mid-transfer: nothing of that connection on the wire after;
#    a clean stop aborts it (the application sees an error), no plaintext.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc socat curl lighttpd tcpdump tshark python3
[ -x "$TCD" ] || { skip test_encrypt "no $TCD (run make)"; exit 0; }
FAULTS=$BUILD/tests/faults
TCN=$BIN/tcnetstat
BIG_MB=${TC_BIG_MB:-1024}
MARK=TCPCRYPT-PLAINTEXT-MARKER
P="port 5001-5020"

# tcd_enc NAME NS ARGS...: tcpcryptd encrypting (its default) on eth0.
tcd_enc() {
	local name=$1 ns=$2
	shift 2
	tcd_run "$name" "$ns" "running" -i eth0 -v --include "$P" "$@"
}

# dstat NAME KEY: the daemon's counter KEY (engine or flow line), summed.
dstat() {
	local s
	s=$(tcd_stats "$1")
	grep -o "\b$2=[0-9]*" <<<"$s" | cut -d= -f2 | awk '{n += $1} END {print n + 0}'
}

# short_conns SRV CLI ADDR PORT N: N connections, each echoes 100 bytes.
short_conns() {
	local srv=$1 cli=$2 addr=$3 port=$4 n=$5 pid got
	ip netns exec "$srv" python3 - "$port" "$n" <<'PY' &
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if False else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(128); s.settimeout(60)
for _ in range(n):
    c, _ = s.accept(); c.settimeout(10)
    d = b""
    while len(d) < 100:
        b = c.recv(100 - len(d))
        if not b: break
        d += b
    c.sendall(d); c.close()
PY
	pid=$!
	wait_port "$srv" "$port" || return 1
	got=$(ip netns exec "$cli" python3 - "$addr" "$port" "$n" <<'PY'
import os, socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = 0
for i in range(n):
    msg = os.urandom(100)
    try:
        c = socket.create_connection((addr, port), timeout=10)
        c.sendall(msg); c.shutdown(socket.SHUT_WR)
        d = b""
        while True:
            b = c.recv(200)
            if not b: break
            d += b
        c.close()
        ok += d == msg
    except OSError:
        pass
print(ok)
PY
)
	wait "$pid"
	log "$got of $n short connections echoed intact"
	[ "$got" = "$n" ]
}

# capture NAME: start tcpdump on R's eth1 (H1's side) for port 5001.
capture() {
	ip netns exec "$R" tcpdump -i eth1 -s 0 -U -w "$TMPD/$1.pcap" 'tcp port 5001' \
		>/dev/null 2>&1 &
	CAP_PID=$!
	BG_PIDS+=($CAP_PID)
	sleep 1
}
capture_stop() { sleep 0.5; kill "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }

# session_ids LOG1 LOG2: "connections-on-1 equal-on-both distinct" from the
# daemons' debug lines "encrypted LOCAL REMOTE role R tep T aead A session ID".
session_ids() {
	python3 - "$1" "$2" <<'PY'
import re, sys
def load(p):
    d = {}
    for m in re.finditer(r"encrypted (\S+) (\S+) role \w tep \S+ aead \S+ session ([0-9a-f]+)",
                         open(p, errors="replace").read()):
        d[(m.group(1), m.group(2))] = m.group(3)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
same = [k for k in a if b.get((k[1], k[0])) == a[k] and len(a[k]) == 66]
print(len(a), len(same), len(set(a.values())))
PY
}

routed_hosts
for d in eth1 eth2; do
	# class 1:20 holds back the segments faults delays: reordering
	ip netns exec "$R" tc qdisc add dev $d root handle 1: htb default 10
	ip netns exec "$R" tc class add dev $d parent 1: classid 1:10 htb rate 10gbit \
		quantum 200000
	ip netns exec "$R" tc class add dev $d parent 1: classid 1:20 htb rate 200mbit \
		quantum 60000
done
A4=198.51.100.2 A6=2001:db8:2::2 C4=192.0.2.1
F=$TMPD/marked
mkmarked "$F" 8
check "the test data carries the marker" grep -q "$MARK" "$F"

for mode in skb native; do
	tag=$mode
	if ! tcd_enc h1 "$H1" --mode $mode || ! tcd_enc h2 "$H2" --mode $mode; then
		fail "$tag: daemons start encrypting"
		tcd_stop h1; tcd_stop h2
		continue
	fi
	ok "$tag: daemons start encrypting"

	# the wire, as the router sees it
	capture "$mode"
	check "$tag: nc IPv4 8 MiB" xfer_nc "$H2" "$H1" "$A4" 5001 "$F"
	capture_stop
	kinds=$(tshark -n -r "$TMPD/$mode.pcap" -Y "tcp.flags.syn == 1" -T fields \
		-e tcp.flags.ack -e tcp.option_kind 2>/dev/null)
	check "$tag: the SYN carries option 69 (TCP-ENO)" \
		grep -qE "^(0|False)[[:space:]].*\b69\b" <<<"$kinds"
	check "$tag: the SYN-ACK carries option 69" \
		grep -qE "^(1|True)[[:space:]].*\b69\b" <<<"$kinds"
	# the first payload bytes each way (relative sequence number 1): the
	# client's line first (tshark's "follow" took minutes on some captures)
	lead=$(tshark -n -r "$TMPD/$mode.pcap" -o tcp.desegment_tcp_streams:FALSE \
		-Y 'tcp.stream == 0 && tcp.seq == 1 && tcp.len > 0' \
		-T fields -e tcp.dstport -e tcp.payload 2>/dev/null | python3 -c '
import sys
lead = {}
for line in sys.stdin:
    port, _, data = line.strip().partition("\t")
    lead.setdefault(port == "5001", data.replace(":", ""))
print(lead.get(True, "-"))
print(lead.get(False, "-"))')
	check "$tag: Init1 (15101a0e) leads the client's stream" \
		grep -q "^15101a0e" <<<"$(head -1 <<<"$lead")"
	check "$tag: Init2 (097105e0) leads the server's stream" \
		grep -q "^097105e0" <<<"$(tail -1 <<<"$lead")"
	check "$tag: the marker never appears on the wire" \
		[ "$(grep -c "$MARK" "$TMPD/$mode.pcap")" = 0 ]
	check "$tag: one option 69 per SYN, never two" \
		[ "$(grep -oE "\b69\b" <<<"$kinds" | wc -l)" = 2 ]
	psh=$(tshark -n -r "$TMPD/$mode.pcap" -Y \
		'tcp.payload[0:4] == 15:10:1a:0e or tcp.payload[0:4] == 09:71:05:e0' \
		-T fields -e tcp.flags.push 2>/dev/null | sort -u | tr '\n' ' ')
	check "$tag: PSH on the segments ending Init1 and Init2 ($psh)" \
		grep -qE "^(1|True) $" <<<"$psh"

	# integrity
	if [ $mode = skb ]; then
		mkfile "$TMPD/big" "$BIG_MB"
		check "$tag: $BIG_MB MiB client to server, sha256" \
			xfer_nc "$H2" "$H1" "$A4" 5002 "$TMPD/big"
		check "$tag: $BIG_MB MiB server to client, sha256" \
			xfer_socat "$H1" "$H2" "$C4" 5003 "$TMPD/big"
		rm -f "$TMPD/big"
		check "$tag: 1000 short connections" short_conns "$H2" "$H1" "$A4" 5004 1000
	fi
	check "$tag: nc IPv6" xfer_nc "$H2" "$H1" "$A6" 5005 "$F"
	if [ $mode = skb ]; then
		http_start "$H2" "$A4" 5006 "$F"
		http_start "$H2" "$A6" 5007 "$F"
	fi
	check "$tag: HTTP (lighttpd/curl) IPv4" xfer_curl "$H1" "$A4" 5006 "$F"
	check "$tag: HTTP (lighttpd/curl) IPv6" xfer_curl "$H1" "$A6" 5007 "$F"

	# session ids (the daemons log them at debug level; tcnetstat shows them too)
	read -r n same distinct <<<"$(session_ids "$TMPD/h1.log" "$TMPD/h2.log")"
	log "sessions on h1: $n, equal on both ends: $same, distinct ids: $distinct"
	check "$tag: session ids are 33 bytes and equal at both ends" \
		[ "${n:-0}" -gt 0 -a "${same:-0}" = "${n:-0}" ]
	check "$tag: every connection has its own session id" \
		[ "${n:-0}" -gt 0 -a "${distinct:-0}" = "${n:-0}" ]

	check "$tag: the engine sealed and opened frames" \
		[ "$(dstat h1 frames_sealed)" -gt 0 -a "$(dstat h2 frames_opened)" -gt 0 ]
	check "$tag: no tag failure on a clean link" [ "$(dstat h2 tag_failures)" = 0 ]
	# wire GSO (the default): the frames of a bulk transfer leave as the
	# engine's super-segments, sent whole as GSO packets
	check "$tag: the engine's super-segments left as GSO packets, none refused" \
		[ $(( $(dstat h1 engine_gso) + $(dstat h2 engine_gso) )) -gt 0 -a \
		  "$(dstat h1 gso_errors)$(dstat h2 gso_errors)" = 00 -a \
		  "$(dstat h1 engine_dropped)$(dstat h2 engine_dropped)" = 00 ]
	# frames span whole segments (TC_FRAME_DATA_TARGET): a frame carries
	# more than two wire segments' worth of data on average
	check "$tag: h1's frames span several wire segments" \
		[ $(( $(dstat h1 frames_sealed) * 2 * 1448 )) -lt "$(dstat h1 bytes_sealed)" ]
	# --key-pool (default 32): key exchanges take pairs made in idle time
	check "$tag: key exchanges used key pairs made ahead" \
		[ $(( $(dstat h1 keys_pooled) + $(dstat h2 keys_pooled) )) -gt 0 ]
	check "$tag: h1 exits 0" tcd_stop h1
	check "$tag: h2 exits 0" tcd_stop h2
done

# ECN negotiated by both kernels; new key generations every MiB from here on
for ns in "$H1" "$H2"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=1; done
if tcd_enc h1 "$H1" --rekey 1M && tcd_enc h2 "$H2" --rekey 1M; then
	check "tcp_ecn=1: nc IPv4 intact" xfer_nc "$H2" "$H1" "$A4" 5008 "$F"
	check "tcp_ecn=1: socat IPv6 intact" xfer_socat "$H2" "$H1" "$A6" 5009 "$F"

	# every handshake answered with a SYN cookie: the server reads its
	# window scale back from the TSecr of the first ACK, so the daemons
	# must echo the kernel's own TSval there (a stall at ~15 KB otherwise)
	for ns in "$H1" "$H2"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=2; done
	check "tcp_syncookies=2: nc IPv4 intact" xfer_nc "$H2" "$H1" "$A4" 5015 "$F"
	check "tcp_syncookies=2: socat IPv6 intact" xfer_socat "$H2" "$H1" "$A6" 5016 "$F"
	for ns in "$H1" "$H2"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1; done

	# faults on the router, both directions
	run_faults() {	# ARGS...: faults on R's eth1 and eth2 while a transfer runs
		local p1 p2 ok=0
		ip netns exec "$R" "$FAULTS" eth2 --port 5010 --seed 7 "$@" >"$TMPD/f2" &
		p1=$!
		ip netns exec "$R" "$FAULTS" eth1 --port 5010 --seed 9 "$@" >"$TMPD/f1" &
		p2=$!
		wait_for 5 grep -q ready "$TMPD/f1" && wait_for 5 grep -q ready "$TMPD/f2"
		xfer_socat "$H2" "$H1" "$A4" 5010 "$F" && ok=1
		kill $p1 $p2
		wait $p1 $p2
		log "faults $*: seen/dropped/duplicated/delayed: $(tail -1 "$TMPD/f2") | $(tail -1 "$TMPD/f1")"
		[ $ok = 1 ]
	}
	check "1% loss: intact" run_faults --loss 10000
	check "5% loss: intact" run_faults --loss 50000
	check "reordering (5% held back): intact" run_faults --delay 50000 --delay-prio 1:20
	check "duplication (3%): intact" run_faults --dup 30000
	check "all at once: intact" run_faults --loss 10000 --dup 10000 --delay 20000 --delay-prio 1:20
	# every frame sent twice as a clone (bpf_clone_redirect): generic XDP skips
	# cloned skbs, and before tc_ingress they reached the stack as they were;
	# in tc mode (auto on a veth) tc_ingress steers them itself
	r0=$(bpf_ctr "$H2" wire_guard resteered)
	s0=$(bpf_ctr "$H2" wire_rx steered_flow)
	check "every frame cloned: intact" run_faults --dup 1000000
	if [ "$(dp_mode "$H2")" = tc ]; then
		check "every frame cloned: tc mode steered the clones, nothing sent around" \
			[ "$(bpf_ctr "$H2" wire_rx steered_flow)" -gt "$s0" -a \
			  "$(bpf_ctr "$H2" wire_guard resteered)" = "$r0" ]
	else
		check "every frame cloned: tc_ingress sent the clones through the daemon" \
			[ "$(bpf_ctr "$H2" wire_guard resteered)" -gt "$r0" ]
	fi
	check "--rekey 1M: both daemons started key generations and saw the peer's" \
		[ "$(dstat h1 rekeys_started)" -gt 5 -a "$(dstat h2 rekeys)" -gt 5 ]

	# a flipped ciphertext bit: reset, the application sees a prefix only
	before=$(dstat h2 tag_failures)
	ip netns exec "$R" "$FAULTS" eth2 --port 5011 --flip 40 >"$TMPD/flip" &
	fp=$!
	wait_for 5 grep -q ready "$TMPD/flip"
	mkmarked "$TMPD/flipdata" 16
	rm -f "$TMPD/flip.out"
	ip netns exec "$H2" timeout 30 nc -l 5011 >"$TMPD/flip.out" &
	srv=$!
	wait_port "$H2" 5011
	ip netns exec "$H1" timeout 30 nc -N "$A4" 5011 <"$TMPD/flipdata" 2>/dev/null
	wait $srv
	kill $fp
	wait $fp
	log "flip: $(tail -1 "$TMPD/flip"); received $(stat -c %s "$TMPD/flip.out" 2>/dev/null) bytes"
	check "flipped bit: a tag failure was counted" [ "$(dstat h2 tag_failures)" -gt "$before" ]
	check "flipped bit: the transfer did not complete" \
		[ "$(stat -c %s "$TMPD/flip.out")" -lt "$(stat -c %s "$TMPD/flipdata")" ]
	check "flipped bit: every byte delivered is the byte sent" \
		cmp -s "$TMPD/flip.out" <(head -c "$(stat -c %s "$TMPD/flip.out")" "$TMPD/flipdata")

	# slow_xfer PORT: a 200 MB marked stream from H1 at 2 MB/s, still running
	# when the daemon stops; sets srv and cli (nc's status: 0 if complete)
	mkmarked "$TMPD/long" 200
	slow_xfer() {
		ip netns exec "$H2" timeout 40 nc -l "$1" >/dev/null &
		srv=$!
		wait_port "$H2" "$1"
		( python3 -c 'import sys, time
f = open(sys.argv[1], "rb")
while True:
    b = f.read(65536)
    if not b: break
    sys.stdout.buffer.write(b); sys.stdout.flush(); time.sleep(0.03)' "$TMPD/long" 2>/dev/null |
			ip netns exec "$H1" timeout 30 nc -N "$A4" "$1" ) &
		cli=$!
		sleep 2
	}
	# capture_from_h1 PORT FILE SECONDS: what of PORT's connection H1 sends
	capture_from_h1() {
		ip netns exec "$R" tcpdump -i eth1 -s 0 -U -w "$2" \
			"tcp port $1 and src host 192.0.2.1" >/dev/null 2>&1 &
		cap=$!
		sleep "$3"
		kill $cap
		wait $cap
	}

	# kill -9 mid-transfer: after it, nothing of that connection on the wire
	slow_xfer 5012
	kill -9 "${TCD_PID[h1]}"
	sleep 0.5
	capture_from_h1 5012 "$TMPD/after-kill.pcap" 4
	kill $cli $srv 2>/dev/null
	wait $cli $srv 2>/dev/null
	n=$(tshark -n -r "$TMPD/after-kill.pcap" 2>/dev/null | wc -l)
	log "frames of the connection from h1 on the wire after kill -9: $n"
	check "kill -9: none of the connection's frames leave afterwards" [ "$n" = 0 ]
	check "kill -9: the marker never appears on the wire" \
		[ "$(grep -c "$MARK" "$TMPD/after-kill.pcap")" = 0 ]
	ip netns exec "$H1" "$TCD" -i eth0 --cleanup --force >/dev/null 2>&1

	# a clean stop mid-transfer: the connection whose keys die with the
	# daemon is aborted (SOCK_DESTROY), never continued in plaintext
	if tcd_enc h1 "$H1"; then
		slow_xfer 5017
		check "stop: exits 0" tcd_stop h1
		capture_from_h1 5017 "$TMPD/after-stop.pcap" 4
		wait $cli
		rc=$?
		ip netns exec "$H2" ss -Htn 'sport = :5017' | sed 's/^/# h2: /'
		kill $srv 2>/dev/null
		wait $srv 2>/dev/null
		# a reset (from the aborted socket, or for a peer's late segment) carries nothing
		n=$(tshark -n -r "$TMPD/after-stop.pcap" -Y 'tcp.flags.reset == 0' 2>/dev/null | wc -l)
		log "frames of the connection from h1 on the wire after the stop: $n; nc exit $rc"
		check "stop: the connection was aborted" \
			grep -q "stopping: aborted 1 connection" "$TMPD/h1.log"
		check "stop: h1's socket is gone" \
			sh -c "! ip netns exec $H1 ss -Htn 'dport = :5017' | grep -q ."
		check "stop: h2's end was reset" \
			wait_for 5 sh -c "! ip netns exec $H2 ss -Htn state established 'sport = :5017' | grep -q ."
		check "stop: nothing but resets of the connection leaves afterwards" [ "$n" = 0 ]
		check "stop: the marker never appears on the wire" \
			[ "$(grep -c "$MARK" "$TMPD/after-stop.pcap")" = 0 ]
		check "stop: the programs are detached" sh -c "! ip netns exec $H1 $LOADER status eth0 >/dev/null 2>&1"
	else
		fail "stop: h1 restarts"
	fi
	tcd_stop h2
else
	fail "tcp_ecn=1: daemons start"
fi

# two queues, encrypting, auto mode (tc on a veth): tc_ingress puts a flow's
# wire segments on its owner's queue (else its hash), tc_egress its egress
# segments, and a connection opened here moves to the queue its answer
# arrived on: both directions of every connection meet in one poller
for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx 2 tx 2; done
Q2=(--include "port 5021-5026")
if tcd_enc h1 "$H1" "${Q2[@]}" && tcd_enc h2 "$H2" "${Q2[@]}"; then
	check "2 queues: auto chose tc mode on the veth" [ "$(dp_mode "$H1")" = tc ]
	check "2 queues: the daemon serves both" grep -q "2 queues: AF_XDP" "$TMPD/h1.log"
	for p in 5021 5022 5023 5024; do
		check "2 queues: nc IPv4 port $p intact" xfer_nc "$H2" "$H1" "$A4" $p "$F"
	done
	check "2 queues: socat IPv6 intact" xfer_socat "$H2" "$H1" "$A6" 5025 "$F"
	check "2 queues: the other way intact" xfer_nc "$H1" "$H2" "$C4" 5026 "$F"
	# a connection's queue follows a hash of its ports: with 24 more, all of
	# a host's connections on one queue is below 2^-28 likely
	head -c 65536 /dev/urandom >"$TMPD/small"
	ok=0
	for i in $(seq 12); do
		xfer_nc "$H2" "$H1" "$A4" 5021 "$TMPD/small" &&
			xfer_nc "$H1" "$H2" "$C4" 5022 "$TMPD/small" && ok=$((ok + 1))
	done
	check "2 queues: 24 short transfers intact" [ $ok = 12 ]
	for h in h1 h2; do
		s=$(tcd_stats $h)
		log "$h: $(grep -o 'stats(SIGUSR1) q[01]: wire_rx=[0-9]* host_rx=[0-9]*' <<<"$s" | tr '\n' ' ')"
		check "2 queues: $h: both pollers carried wire and host frames" [ \
			"$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_rx)" -gt 0 -a \
			"$(ctr_line "$s" "stats(SIGUSR1) q1: wire_rx=" wire_rx)" -gt 0 -a \
			"$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" host_rx)" -gt 0 -a \
			"$(ctr_line "$s" "stats(SIGUSR1) q1: wire_rx=" host_rx)" -gt 0 ]
		check "2 queues: $h: no egress or host segment on a queue not its flow's" [ \
			"$(ctr_line "$s" "bpf(SIGUSR1) egress:" queue_mismatch)$(ctr_line "$s" \
			"bpf(SIGUSR1) host_rx:" queue_mismatch)" = 00 ]
	done
	check "2 queues: encrypted (frames sealed and opened, no tag failure)" \
		[ "$(dstat h1 frames_sealed)" -gt 0 -a "$(dstat h2 frames_opened)" -gt 0 -a \
		  "$(dstat h2 tag_failures)" = 0 ]
	check "2 queues: h1 exits 0" tcd_stop h1
	check "2 queues: h2 exits 0" tcd_stop h2
else
	fail "2 queues: daemons start"
	tcd_stop h1; tcd_stop h2
fi
for ns in "$H1" "$H2"; do ip netns exec "$ns" ethtool -L eth0 rx 1 tx 1; done

# fallback: the peer has no tcpcryptd, each side opening
if tcd_enc h1 "$H1"; then
	before=$(tcd_stats h1)
	check "fallback: h1 opens to a plain host, intact" xfer_nc "$H2" "$H1" "$A4" 5013 "$F"
	check "fallback: the plain host opens to h1, intact" xfer_nc "$H1" "$H2" "$C4" 5014 "$F"
	s=$(tcd_stats h1)
	rx=$(( $(ctr_line "$s" "stats(SIGUSR1) q0" wire_rx) - $(ctr_line "$before" "stats(SIGUSR1) q0" wire_rx) ))
	tx=$(( $(ctr_line "$s" "stats(SIGUSR1) q0" host_rx) - $(ctr_line "$before" "stats(SIGUSR1) q0" host_rx) ))
	log "frames through h1's daemon for two 8 MiB plain transfers: $rx from the wire, $tx from the host"
	check "fallback: only the handshakes reached userspace" [ $((rx + tx)) -lt 20 ]
	check "fallback: counted as fallbacks" [ "$(dstat h1 fallbacks)" -ge 2 ]
	check "fallback: h1 exits 0" tcd_stop h1
else
	fail "fallback: daemon starts"
fi
done_testing
