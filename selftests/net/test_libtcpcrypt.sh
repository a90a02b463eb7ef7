#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libtcpcrypt against the real tcpcryptd, from unprivileged processes
# (setpriv to nobody): the session id an application reads is the one
# tcnetstat shows, at both ends, with roles and names; its settings change
# what is negotiated (TEPs on a connecting and on a listening socket, ENO
# off, encryption required against a peer without tcpcryptd); EISCONN when
# late; a socket from another network namespace is refused; a squatter on
# the control socket's name is not believed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
source "$(dirname "$0")/sess_lib.sh"
require python3 nc setpriv socat
[ -x "$SOCKOPT" ] || { skip test_libtcpcrypt "no $SOCKOPT (run make)"; exit 0; }

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
# as_nobody NS CMD...: CMD in NS without privileges
as_nobody() { local ns=$1; shift; ip netns exec "$ns" "${NOBODY[@]}" "$@"; }

two_hosts || { fail "topology"; exit 1; }

# ---- no daemon yet: the library says so; a squatter is not believed ----
out=$(as_nobody "$H1" "$SOCKOPT" get:ENO_SESSID daemons)
check "no tcpcryptd: ENOPROTOOPT" grep -q "^get ENO_SESSID err ENOPROTOOPT" <<<"$out"
# nobody binds the daemon's name first, and would answer anything
bg "$H1" "${NOBODY[@]}" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind("\0tcpcryptd/eth0"); s.listen(4)
time.sleep(60)'
SQUAT=$LAST_PID
wait_for 5 ip netns exec "$H1" sh -c "grep -q '@tcpcryptd/eth0' /proc/net/unix"
out=$(as_nobody "$H1" "$SOCKOPT" daemons get:ENO_SESSID)
check "a squatter on @tcpcryptd/eth0 (not root) is not asked" \
	grep -q "^daemons 0" <<<"$out"
check "... and the library still says no tcpcryptd" grep -q "err ENOPROTOOPT" <<<"$out"
if tcd_encrypts; then
	tcd_enc h1 "$H1" eth0 --include "port 6001-6020" || { fail "tcpcryptd on H1"; exit 1; }
else
	tcd_start h1 "$H1" --include "port 6001-6020" || { fail "tcpcryptd on H1"; exit 1; }
fi
check "tcpcryptd warns that its control socket name is taken" \
	grep -q "control socket @tcpcryptd/eth0 is taken" "$TMPD/h1.log"
kill -- -"$SQUAT"
wait "$SQUAT" 2>/dev/null
tcd_stop h1

if ! tcd_encrypts; then
	skip "libtcpcrypt sessions" "this tcpcryptd does not encrypt (tcpcryptd -h: --passthrough is its mode)"
	done_testing
	exit
fi
tcd_enc h1 "$H1" eth0 --include "port 6001-6020" && tcd_enc h2 "$H2" eth0 --include "port 6001-6020" ||
	{ fail "tcpcryptd (encrypting) started on both hosts"; exit 1; }
check "the daemon answers on @tcpcryptd/eth0" \
	sh -c "ip netns exec $H1 ${NOBODY[*]} $SOCKOPT daemons | grep -q '^daemons 1'"
sessions_or_skip "libtcpcrypt sessions" "$H1" "$H2" 192.0.2.2 6001

# ---- an unprivileged client and server read their session ----
as_nobody "$H2" "$SOCKOPT" bind:6002 listen accept wait:10000 get:ENO_SESSID get:ENO_ROLE \
	get:ENO_SELF_NAME get:ENO_PEER_NAME get:CRYPT_CONF read >"$TMPD/srv" 2>&1 &
wait_port "$H2" 6002
as_nobody "$H1" "$SOCKOPT" connect:192.0.2.2:6002 wait:10000 get:ENO_SESSID get:ENO_ROLE \
	get:ENO_SELF_NAME get:ENO_PEER_NAME get:ENO_NEGTEP get:ENO_TRANSCRIPT sleep:1500 \
	>"$TMPD/cli" 2>&1 &
cli=$!
wait_for 10 grep -q "get ENO_SESSID" "$TMPD/cli"
sid_tcn=$(tcn_field "$H1" 6002 session_id)
wait $cli
wait_for 10 grep -q "^read" "$TMPD/srv"
sed 's/^/# client: /' "$TMPD/cli"
sed 's/^/# server: /' "$TMPD/srv"
val() { sed -n "s/^get $2 ok //p" "$1"; }
sid_c=$(val "$TMPD/cli" ENO_SESSID) sid_s=$(val "$TMPD/srv" ENO_SESSID)
check "unprivileged client: the session id (33 bytes)" sh -c "echo '$sid_c' | grep -qE '^[0-9a-f]{66}$'"
check "... the one tcnetstat shows for its connection" [ "$sid_c" = "$sid_tcn" ]
check "unprivileged server: the same session id" [ "$sid_s" = "$sid_c" ]
check "roles: client A (0), server B (1)" \
	sh -c "[ '$(val "$TMPD/cli" ENO_ROLE)' = 'int 0' ] && [ '$(val "$TMPD/srv" ENO_ROLE)' = 'int 1' ]"
check "SELF_NAME = role || id, PEER_NAME = other role || id" sh -c "
	[ '$(val "$TMPD/cli" ENO_SELF_NAME)' = '00$sid_c' ] && [ '$(val "$TMPD/cli" ENO_PEER_NAME)' = '01$sid_c' ] &&
	[ '$(val "$TMPD/srv" ENO_SELF_NAME)' = '01$sid_c' ] && [ '$(val "$TMPD/srv" ENO_PEER_NAME)' = '00$sid_c' ]"
check "NEGTEP is the session id's first byte" [ "$(val "$TMPD/cli" ENO_NEGTEP)" = "${sid_c:0:2}" ]
check "the transcript starts with A's SYN option (kind 69)" \
	grep -q '^45' <<<"$(val "$TMPD/cli" ENO_TRANSCRIPT)"

# ---- settings ----
# a server taking any number of connections
bg "$H2" socat -u TCP-LISTEN:6010,fork,reuseaddr OPEN:/dev/null
wait_port "$H2" 6010
# a connecting socket offers P-256 only, and keeps its session out of the
# resumption cache (else the next connection to 6010 resumes this P-256 chain)
out=$(as_nobody "$H1" "$SOCKOPT" set:ENO_TEPS=hex:21 set:CRYPT_CACHE_FLUSH=2 get:ENO_TEPS \
	connect:192.0.2.2:6010 wait:10000 get:ENO_NEGTEP set:ENO_TEPS=hex:23 2>&1)
echo "$out" | sed 's/^/# /'
check "TEPS before connect: ok, read back" grep -q "^get ENO_TEPS ok 21$" <<<"$out"
check "... the connection negotiated P-256 (0x21)" grep -q "^get ENO_NEGTEP ok 21$" <<<"$out"
check "a setting after connect: EISCONN" grep -q "^set ENO_TEPS err EISCONN" <<<"$out"

# a listening socket: its settings for every connection it accepts
as_nobody "$H2" "$SOCKOPT" bind:6003 listen set:ENO_TEPS=hex:21 accept wait:10000 \
	get:ENO_NEGTEP >"$TMPD/l1" 2>&1 &
wait_port "$H2" 6003
as_nobody "$H1" "$SOCKOPT" connect:192.0.2.2:6003 wait:10000 get:ENO_NEGTEP >"$TMPD/c1" 2>&1
check "a listener's TEPS: its connection negotiated P-256" grep -q "^get ENO_NEGTEP ok 21$" "$TMPD/c1"
out=$(as_nobody "$H1" "$SOCKOPT" connect:192.0.2.2:6010 wait:10000 get:ENO_NEGTEP)
check "... another port keeps the default (X25519)" grep -q "^get ENO_NEGTEP ok 23$" <<<"$out"

# ENO off for one connection: plain TCP, no session
out=$(as_nobody "$H1" "$SOCKOPT" set:ENO_ENABLED=0 connect:192.0.2.2:6010 wait:5000 get:ENO_SESSID)
echo "$out" | sed 's/^/# /'
check "ENO_ENABLED=0: no session (EINVAL)" grep -q "^get ENO_SESSID err EINVAL" <<<"$out"

# a socket made in another namespace is not this daemon's to answer about
out=$(ip netns exec "$H2" "$SOCKOPT" setns:"$H1" set:ENO_ENABLED=0 2>&1)
check "a socket of another network namespace: EXDEV" grep -q "^set ENO_ENABLED err EXDEV" <<<"$out"

# encryption required, against a peer without tcpcryptd: reset, never plain
tcd_stop h2
bg "$H2" sh -c "timeout 10 nc -l 6004 >/dev/null"
wait_port "$H2" 6004
out=$(as_nobody "$H1" "$SOCKOPT" set:ENO_TEP_MANDATORY=1 connect:192.0.2.2:6004 write:x read 2>&1)
echo "$out" | sed 's/^/# /'
check "TEP_MANDATORY=1 and a peer without tcpcrypt: the connection fails" \
	grep -qE "^(connect err|read err)" <<<"$out"
bg "$H2" sh -c "timeout 10 nc -l 6005 >/dev/null"
wait_port "$H2" 6005
out=$(as_nobody "$H1" "$SOCKOPT" connect:192.0.2.2:6005 wait:3000 get:ENO_SESSID 2>&1)
check "... without it: plain TCP (no session, EINVAL)" grep -q "^get ENO_SESSID err EINVAL" <<<"$out"
done_testing
