#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The authentication examples against an active attacker in the middle.
#
#   C (client) --eth0/eth1-- M --eth2/eth0-- S (server)
#   192.0.2.1          192.0.2.254 | 198.51.100.254     198.51.100.2
#
# tcpcryptd runs on every interface. The client always connects to
# 192.0.2.254. Without the attacker the server answers there itself (M is
# the honest server); with the attacker, M relays to the real server on S
# with socat: two separate encrypted legs, each with its own session id,
# every byte relayed. Each example must succeed without the attacker and
# detect him: tcpcrypt-psk (password), tcpcrypt-sign (Ed25519 keys),
# tcpcrypt-sas (the strings differ; tcnetstat shows the client's).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
source "$(dirname "$0")/sess_lib.sh"
require python3 nc socat
PSK=$BIN/tcpcrypt-psk SIGN=$BIN/tcpcrypt-sign SAS=$BIN/tcpcrypt-sas
[ -x "$PSK" ] && [ -x "$SIGN" ] && [ -x "$SAS" ] ||
	{ skip test_auth_examples "examples not built (run make)"; exit 0; }
if ! tcd_encrypts; then
	skip test_auth_examples "this tcpcryptd does not encrypt (tcpcryptd -h: --passthrough is its mode)"
	exit 0
fi

ns_new C && ns_new M && ns_new S || { fail "topology"; exit 1; }
veth "$C" eth0 "$M" eth1 && veth "$M" eth2 "$S" eth0 || { fail "topology"; exit 1; }
addr "$C" eth0 192.0.2.1/24
addr "$M" eth1 192.0.2.254/24
addr "$M" eth2 198.51.100.254/24
addr "$S" eth0 198.51.100.2/24
P="port 7000-7100"
tcd_enc c "$C" eth0 --include "$P" && tcd_enc m1 "$M" eth1 --include "$P" &&
	tcd_enc m2 "$M" eth2 --include "$P" && tcd_enc s "$S" eth0 --include "$P" ||
	{ fail "tcpcryptd on every interface"; exit 1; }
sessions_or_skip test_auth_examples "$C" "$M" 192.0.2.254 7000

# run NAME SERVER_NS PORT RELAY CLIENT_ARGS -- SERVER_ARGS: both ends of one
# example; RELAY=1 puts the attacker's relay on M. Sets $crc $src and the
# outputs in $TMPD/NAME.{cli,srv}.
run() {
	local name=$1 srv_ns=$2 port=$3 relay=$4 bin=$5 cargs=() sargs=() spid
	shift 5
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	shift
	sargs=("$@")
	ip netns exec "$srv_ns" timeout 30 "$bin" server "$port" "${sargs[@]}" \
		>"$TMPD/$name.srv" 2>&1 &
	spid=$!
	wait_port "$srv_ns" "$port"
	if [ "$relay" = 1 ]; then
		bg "$M" timeout 30 socat TCP-LISTEN:"$port",reuseaddr TCP:198.51.100.2:"$port"
		wait_port "$M" "$port"
	fi
	ip netns exec "$C" timeout 30 "$bin" client 192.0.2.254 "$port" "${cargs[@]}" \
		>"$TMPD/$name.cli" 2>&1
	crc=$?
	wait $spid
	src=$?
	sed "s/^/# $name client: /" "$TMPD/$name.cli"
	sed "s/^/# $name server: /" "$TMPD/$name.srv"
}

# ---- a shared password ----
echo "correct horse battery staple" >"$TMPD/pw"
run psk "$M" 7001 0 "$PSK" --password-file "$TMPD/pw" -- --password-file "$TMPD/pw"
check "password, no attacker: client authenticated (exit $crc)" [ $crc -eq 0 ]
check "password, no attacker: server authenticated (exit $src)" [ $src -eq 0 ]
run psk_mitm "$S" 7002 1 "$PSK" --password-file "$TMPD/pw" -- --password-file "$TMPD/pw"
check "password, attacker relaying: the client detects him (exit $crc)" [ $crc -eq 3 ]
check "password, attacker relaying: the server detects him (exit $src)" [ $src -eq 3 ]
check "... and says so" grep -q "AUTHENTICATION FAILED" "$TMPD/psk_mitm.cli"
echo "a wrong password" >"$TMPD/pw2"
run psk_wrong "$M" 7003 0 "$PSK" --password-file "$TMPD/pw2" -- --password-file "$TMPD/pw"
check "password, no attacker but a wrong password: refused (exit $crc/$src)" \
	[ $crc -eq 3 ] && [ $src -eq 3 ]

# ---- Ed25519 keys ----
"$SIGN" keygen "$TMPD/c.key" "$TMPD/c.pub" && "$SIGN" keygen "$TMPD/s.key" "$TMPD/s.pub" &&
	"$SIGN" keygen "$TMPD/x.key" "$TMPD/x.pub" || fail "keygen"
run sign "$M" 7011 0 "$SIGN" --key "$TMPD/c.key" --peer "$TMPD/s.pub" -- \
	--key "$TMPD/s.key" --peer "$TMPD/c.pub"
check "signatures, no attacker: both ends authenticated (exit $crc/$src)" \
	[ $crc -eq 0 ] && [ $src -eq 0 ]
run sign_mitm "$S" 7012 1 "$SIGN" --key "$TMPD/c.key" --peer "$TMPD/s.pub" -- \
	--key "$TMPD/s.key" --peer "$TMPD/c.pub"
check "signatures, attacker relaying: both ends detect him (exit $crc/$src)" \
	[ $crc -eq 3 ] && [ $src -eq 3 ]
run sign_other "$M" 7013 0 "$SIGN" --key "$TMPD/c.key" --peer "$TMPD/s.pub" -- \
	--key "$TMPD/x.key" --peer "$TMPD/c.pub"
check "signatures, no attacker but a server with another key: the client refuses (exit $crc)" \
	[ $crc -eq 3 ]

# ---- a short authentication string, compared by people ----
# the client also looks at tcnetstat while its connection is up
sas_run() {
	local name=$1 srv_ns=$2 port=$3 relay=$4 pid
	run "$name" "$srv_ns" "$port" "$relay" "$SAS" --batch -- --batch &
	pid=$!
	wait_for 10 grep -q "^sas" "$TMPD/$name.cli"
	# listed while its socket lives (closing or not)
	tcn_rows "$C" -a --port "$port" | awk '$8 != "-" {print $8; exit}' >"$TMPD/$name.tcn"
	wait $pid
}
sas_run sas "$M" 7021 0
a=$(sed -n 's/^sas //p' "$TMPD/sas.cli") b=$(sed -n 's/^sas //p' "$TMPD/sas.srv")
check "SAS, no attacker: both ends read the same string ($a / $b)" \
	sh -c "[ -n '$a' ] && [ '$a' = '$b' ]"
check "... the string tcnetstat shows for the connection ($(cat "$TMPD/sas.tcn"))" \
	[ "$(cat "$TMPD/sas.tcn")" = "$a" ]
sas_run sas_mitm "$S" 7022 1
a=$(sed -n 's/^sas //p' "$TMPD/sas_mitm.cli") b=$(sed -n 's/^sas //p' "$TMPD/sas_mitm.srv")
check "SAS, attacker relaying: the two ends read different strings ($a / $b)" \
	sh -c "[ -n '$a' ] && [ -n '$b' ] && [ '$a' != '$b' ]"
check "... and tcnetstat on the client shows the client's ($(cat "$TMPD/sas_mitm.tcn"))" \
	[ "$(cat "$TMPD/sas_mitm.tcn")" = "$a" ]

# ---- no tcpcrypt at all: every example refuses, nothing to authenticate ----
tcd_stop m1
run psk_plain "$M" 7031 0 "$PSK" --password-file "$TMPD/pw" -- --password-file "$TMPD/pw"
check "a plain TCP connection: the example refuses it (exit $crc, 2: not encrypted)" [ $crc -eq 2 ]
done_testing
