#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: two hosts made of network namespaces, tcpcryptd on each, and
# what that gives: a real transfer (checked with sha256 at both ends) whose
# bytes on the wire are ciphertext, the same session id at both ends, and
# an application authenticating that session id with a shared password.
# Everything runs in namespaces of its own and is removed at the end.
set -u
source "$(dirname "$0")/../selftests/net/lib.sh"

say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   /'; }
MARK=TCPCRYPT-DEMO-PLAINTEXT-MARKER

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces): sudo make demo"; exit 1; }
for t in tcpdump nc; do
	command -v $t >/dev/null || { echo "demo: needs $t (sudo make deps)"; exit 1; }
done
W=$(mktemp -d /tmp/tcpcrypt-demo.XXXXXX)
on_exit "rm -rf $W"

say "two hosts and a router between them, each a network namespace:"
echo "   H1 192.0.2.1 <--> R (forwards, captures) <--> 198.51.100.2 H2"
routed_hosts || exit 1
echo "   namespaces $H1, $R, $H2 (removed at the end)"

# Until the segment engine was hooked in, tcpcryptd only passed through.
if "$BIN/tcpcryptd" -h 2>&1 | head -1 | grep -q -- --passthrough; then
	mode=passthrough
else
	mode=encrypt
fi
for h in "$H1" "$H2"; do
	args=(-i eth0 --include "port 5001-5009")
	[ $mode = passthrough ] && args+=(--passthrough)
	bg "$h" "$BIN/tcpcryptd" "${args[@]}" 2>"$W/${h##*-}.log"
done
for h in H1 H2; do
	wait_for 15 grep -q "running" "$W/$h.log" ||
		{ echo "   tcpcryptd did not start on $h:"; indent <"$W/$h.log"; exit 1; }
done
say "tcpcryptd on both hosts ($([ $mode = encrypt ] && echo encrypting || echo pass-through only)), for ports 5001-5009"
ip netns exec "$H1" "$BIN/tcpcrypt-loader" status eth0 2>&1 | head -4 | indent
if [ $mode = passthrough ]; then
	echo "   This version of tcpcryptd does not encrypt yet (the segment engine is not"
	echo "   hooked into it): connections go through it unchanged. The transfer below is"
	echo "   plain TCP; there are no session ids, and the capture shows plaintext."
fi

say "transfer: 16 MiB of random bytes, a marker planted every 4 KiB, H1 -> H2 port 5001"
python3 - "$W/data" "$MARK" <<'PY'
import os, sys
mark = sys.argv[2].encode()
with open(sys.argv[1], "wb") as f:
    for _ in range(4096):
        f.write(os.urandom(4096 - len(mark)) + mark)
PY
# the wire, on the router: tcpdump on the hosts would not see what XDP steers
bg "$R" tcpdump -i eth2 -n -s 0 -B 131072 -U --immediate-mode -w "$W/wire.pcap" "tcp port 5001" 2>/dev/null
cap=$LAST_PID
wait_for 5 test -s "$W/wire.pcap"
bg "$H2" sh -c "timeout 30 nc -l -N -p 5001 >$W/recv"
wait_port "$H2" 5001
ip netns exec "$H1" timeout 30 nc -N 198.51.100.2 5001 <"$W/data"
wait "$LAST_PID" 2>/dev/null
sleep 0.5
kill -INT -- -"$cap" 2>/dev/null
wait "$cap" 2>/dev/null
a=$(sha256sum <"$W/data" | cut -c1-64) b=$(sha256sum <"$W/recv" | cut -c1-64)
echo "   sent     sha256 $a"
echo "   received sha256 $b"
[ "$a" = "$b" ] && echo "   identical" || { echo "   DIFFERENT"; exit 1; }

say "on the wire"
n=$(grep -ac -- "$MARK" "$W/wire.pcap")
echo "   captured $(stat -c %s "$W/wire.pcap") bytes on the router during the transfer;"
echo "   the marker the application sent 4096 times appears in them $n times"
echo "   the first bytes of a few data segments, as captured:"
tcpdump -r "$W/wire.pcap" -n -x 'tcp[tcpflags] & tcp-push != 0 and greater 600' 2>/dev/null |
	awk '/^[0-9]/ {n++; if (n > 3) exit; print "   " $2 " " $3 " " $4 " " $5; next}
	     n && /0x00[45]0/ {print "     " $0}'
if [ $mode = encrypt ]; then
	[ "$n" -eq 0 ] && echo "   -> ciphertext: not one marker" ||
		{ echo "   -> PLAINTEXT ON THE WIRE"; exit 1; }
else
	echo "   -> plaintext (pass-through)"
fi
# the same check on a connection tcpcryptd does not steer (port 5010): it does see plaintext
bg "$R" tcpdump -i eth2 -n -s 0 -B 131072 -U --immediate-mode -w "$W/plain.pcap" "tcp port 5010" 2>/dev/null
cap=$LAST_PID
wait_for 5 test -s "$W/plain.pcap"
bg "$H2" sh -c "timeout 10 nc -l -N -p 5010 >/dev/null"
wait_port "$H2" 5010
head -c 65536 "$W/data" | ip netns exec "$H1" timeout 10 nc -N 198.51.100.2 5010
wait "$LAST_PID" 2>/dev/null
sleep 0.5
kill -INT -- -"$cap" 2>/dev/null
wait "$cap" 2>/dev/null
echo "   (the same check on 64 KiB sent to port 5010, which tcpcryptd does not steer:"
echo "   the marker appears $(grep -ac -- "$MARK" "$W/plain.pcap") times: plain TCP is visible)"

say "session ids"
bg "$H2" timeout 20 nc -l -p 5002
wait_port "$H2" 5002
bg "$H1" sh -c "sleep 8 | timeout 20 nc -N 198.51.100.2 5002"
for h in "$H1" "$H2"; do
	wait_for 5 sh -c "ip netns exec $h $BIN/tcnetstat --port 5002 2>/dev/null | grep -q session"
done
for h in "$H1" "$H2"; do
	echo "   tcnetstat on ${h##*-} (a connection held open on port 5002):"
	ip netns exec "$h" "$BIN/tcnetstat" -a --port 5002 2>&1 | sed 's/^/     /'
done
if [ $mode = encrypt ]; then
	s1=$(ip netns exec "$H1" "$BIN/tcnetstat" --port 5002 | sed -n 's/^ *session \([0-9a-f]*\).*/\1/p')
	s2=$(ip netns exec "$H2" "$BIN/tcnetstat" --port 5002 | sed -n 's/^ *session \([0-9a-f]*\).*/\1/p')
	[ -n "$s1" ] && [ "$s1" = "$s2" ] &&
		echo "   -> the same session id at both ends; a man in the middle would hold two" ||
		{ echo "   -> SESSION IDS DIFFER OR MISSING"; exit 1; }
else
	echo "   none: this version does not encrypt, so no connection has a session id."
fi

say "an application authenticating the session id with a shared password (tcpcrypt-psk)"
if [ $mode = encrypt ]; then
	echo "correct horse battery staple" >"$W/pw"
	ip netns exec "$H2" timeout 20 "$BIN/tcpcrypt-psk" server 5003 --password-file "$W/pw" \
		>"$W/psk.srv" 2>/dev/null &
	pid=$!
	wait_port "$H2" 5003
	ip netns exec "$H1" timeout 20 "$BIN/tcpcrypt-psk" client 198.51.100.2 5003 \
		--password-file "$W/pw" 2>&1 | sed 's/^/   H1: /'
	wait $pid
	sed 's/^/   H2: /' "$W/psk.srv"
	echo "   (with someone relaying in the middle both ends would say AUTHENTICATION FAILED:"
	echo "   sudo make check T=auth_examples shows it)"
else
	echo "   skipped: there is no session id to authenticate in this version."
fi
say "done: namespaces, daemons and files are removed on exit"
