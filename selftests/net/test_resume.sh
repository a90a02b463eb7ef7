#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Session resumption (RFC 8548 section 3.5) between two tcpcryptd hosts:
#  - the first connection with a host is a fresh key exchange (TEP 0x23),
#    the next one resumes (0xa3): at both ends, either direction, with a
#    session id of its own; IPv6 addresses and other service ports have
#    chains of their own (docs/design.md: a chain per peer address and
#    passive opener's port);
#  - the wire: A's SYN proposes with 45 14 a3 + 17 bytes, B's SYN-ACK
#    accepts with 45 15 01 a3 + 17 bytes, no Init1/Init2, no plaintext;
#  - the counters (resume line of SIGUSR1, tcnetstat -s resumptions);
#  - a peer that forgot (restarted) or never caches (--resume 0): a fresh
#    key exchange, still encrypted; resumption again after a restart;
#  - TCP_CRYPT_CACHE_FLUSH (libtcpcrypt): 1 before connect forces a fresh
#    session, 3 also caches nothing of it, nonzero on a connection wipes
#    its chain.
# The hosts are joined through a bridge in a third namespace, where the
# wire is captured: tcpdump on a host's own eth0 sees what its stack sees
# (plaintext re-injected by the daemon), not what the daemon sends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
source "$(dirname "$0")/sess_lib.sh"
require python3 nc tcpdump
[ -x "$TCD" ] || { skip test_resume "no $TCD (run make)"; exit 0; }
if ! tcd_encrypts; then
	skip test_resume "this tcpcryptd does not encrypt (tcpcryptd -h: --passthrough is its mode)"
	exit 0
fi

MARK=TCPCRYPT-RESUME-PLAINTEXT-MARKER
RULE="port 7001-7199"
A4=192.0.2.2 A6=2001:db8::2 C4=192.0.2.1
# The connections go to one service port SP (the engine keeps a chain per
# peer address and service port, the SYN's destination port at both ends),
# each from a client port of its own (71xx), by which tcnetstat and the
# capture tell them apart.
SP=7001

# bridged_hosts: $H1 and $H2 as in two_hosts (eth0, 192.0.2.1/2 and
# 2001:db8::1/2), joined through br0 in $SW (ports p1: H1, p2: H2).
bridged_hosts() {
	ns_new H1 && ns_new H2 && ns_new SW || return 1
	ip netns exec "$SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	veth "$H1" eth0 "$SW" p1 && veth "$SW" p2 "$H2" eth0 || return 1
	ip -n "$SW" link add br0 type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || return 1
	ip -n "$SW" link set p1 master br0 && ip -n "$SW" link set p2 master br0 &&
		ip -n "$SW" link set br0 up || return 1
	addr "$H1" eth0 192.0.2.1/24 2001:db8::1/64
	addr "$H2" eth0 192.0.2.2/24 2001:db8::2/64
}

# row NS PORT: the encrypted tcnetstat -j row with PORT at either end, as
# "resumed tep_id session_id role"; 1 when there is none. (bash, not
# python: it is polled, and starting python costs ~0.5 s on some hosts)
row() {
	local j o k
	local -A v
	j=$(ip netns exec "$1" "$TCN" -j --port "$2" 2>/dev/null) || return 1
	while [[ $j =~ \{[^{}]*\} ]]; do
		o=${BASH_REMATCH[0]}
		j=${j#*"$o"}
		v=()
		for k in state role tep_id resumed session_id; do
			[[ $o =~ \"$k\":\"?([^\",]*) ]] && v[$k]=${BASH_REMATCH[1]}
		done
		if [ "${v[state]:-}" = encrypted ] && [ -n "${v[session_id]:-}" ]; then
			echo "${v[resumed]:-} ${v[tep_id]:-} ${v[session_id]} ${v[role]:-}"
			return 0
		fi
	done
	return 1
}

# conn SRV CLI ADDR CPORT [SPORT]: $F from CLI (client port CPORT) to
# SRV's ADDR:SPORT (default SP) with nc, the connection held open until
# tcnetstat was read at both ends. Sets A (the client's row) and B (the server's) as arrays:
# resumed tep_id session_id role (empty when not seen); the plain
# tcnetstat of the client in $TMPD/plain.CPORT. Returns the sha256 check.
conn() {
	local srv=$1 cli=$2 addr=$3 cp=$4 sp=${5:-$SP} out=$TMPD/out.$4 go=$TMPD/go.$4 fam=-4
	local spid cpid rc=0 ra= rb=
	case $addr in *:*) fam=-6 ;; esac
	A=() B=()
	rm -f "$out" "$go"
	ip netns exec "$srv" timeout 30 nc $fam -l "$sp" >"$out" </dev/null &
	spid=$!
	if ! wait_port "$srv" "$sp"; then
		kill "$spid" 2>/dev/null
		wait "$spid"
		return 1
	fi
	( cat "$F"; for _ in $(seq 150); do [ -e "$go" ] && break; sleep 0.1; done ) |
		ip netns exec "$cli" timeout 30 nc -N -p "$cp" "$addr" "$sp" >/dev/null &
	cpid=$!
	wait_for 10 row "$cli" "$cp" && ra=$(row "$cli" "$cp")
	wait_for 5 row "$srv" "$cp" && rb=$(row "$srv" "$cp")
	ip netns exec "$cli" "$TCN" --port "$cp" >"$TMPD/plain.$cp" 2>&1
	touch "$go"
	wait "$cpid" || rc=1
	wait "$spid" || rc=1
	read -r -a A <<<"$ra"
	read -r -a B <<<"$rb"
	log "client port $cp: client (${A[3]:--}) resumed=${A[0]:--} tep_id=${A[1]:--} ${A[2]:--}"
	log "client port $cp: server (${B[3]:--}) resumed=${B[0]:--} tep_id=${B[1]:--} ${B[2]:--}"
	[ $rc = 0 ] && same_sha "$F" "$out"
}

# fresh_both / resumed_both: what tcnetstat showed at both ends (after conn)
fresh_both() {
	[ "${A[0]:-}/${A[1]:-}/${A[2]:0:2}" = false/35/23 ] &&
		[ "${B[0]:-}/${B[1]:-}/${B[2]:0:2}" = false/35/23 ]
}
resumed_both() {
	[ "${A[0]:-}/${A[1]:-}/${A[2]:0:2}" = true/163/a3 ] &&
		[ "${B[0]:-}/${B[1]:-}/${B[2]:0:2}" = true/163/a3 ]
}
# re STRING REGEX: bash's =~, for check
re() { [[ $1 =~ $2 ]]; }
# same_sid: a 33-byte session id, equal at both ends
same_sid() { [[ ${A[2]:-} =~ ^[0-9a-f]{66}$ ]] && [ "${A[2]}" = "${B[2]:-}" ]; }

# rctr NAME KEY: KEY of the daemon's resume line (offered, accepted,
# resumed, cached); eng NAME KEY: of its engine line.
rctr() { ctr_line "$(tcd_stats "$1")" "resume(SIGUSR1)" "$2"; }
eng() { ctr_line "$(tcd_stats "$1")" "engine(SIGUSR1)" "$2"; }

# resumptions NS N: tcnetstat -s -j in NS totals N resumptions (written
# every second by the daemon)
resumptions() {
	local j
	j=$(ip netns exec "$1" "$TCN" -s -j 2>/dev/null) || return 1
	[[ $j =~ \"total\":\{[^}]*\"resumptions\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "$2" ]
}

bridged_hosts || { fail "topology"; exit 1; }
F=$TMPD/marked
mkmarked "$F" 2
check "the test data carries the marker" grep -q "$MARK" "$F"

tcd_enc h1 "$H1" eth0 --include "$RULE" && tcd_enc h2 "$H2" eth0 --include "$RULE" ||
	{ fail "tcpcryptd (encrypting, resumption by default) started on both hosts"; exit 1; }

# ---- the first connection is fresh, the next one resumes ----
# --immediate-mode: nothing waits in the kernel's ring when tcpdump stops;
# -B 32768: room for 64 KB super-packets when tcpdump is slow to run (the
# default 2 MB ring dropped 31 of them once, on a busy machine)
ip netns exec "$SW" tcpdump -i p1 -s 0 -B 32768 -U --immediate-mode -w "$TMPD/wire.pcap" "tcp port $SP" \
	>/dev/null 2>"$TMPD/tcpdump.err" &
CAP=$!
BG_PIDS+=($CAP)
wait_for 10 grep -q "listening on" "$TMPD/tcpdump.err"

check "conn 1 (H1 -> H2, IPv4): 2 MiB intact" conn "$H2" "$H1" "$A4" 7101
check "conn 1: fresh at both ends (resumed false, tep_id 35, session id 23...)" fresh_both
check "conn 1: roles A (H1) and B (H2)" [ "${A[3]:-}/${B[3]:-}" = A/B ]
sid1=${A[2]:-}
if [ -z "$sid1" ]; then
	skip "session resumption" "tcnetstat shows no encrypted session (the engine does not encrypt on the datapath here)"
	exit 0
fi

check "conn 2 (H1 -> H2, IPv4): 2 MiB intact" conn "$H2" "$H1" "$A4" 7102
check "conn 2: resumed at both ends (resumed true, tep_id 163, session id a3...)" resumed_both
check "conn 2: the same 33-byte session id at both ends" same_sid
check "conn 2: a session id of its own (not conn 1's)" [ -n "${A[2]:-}" -a "${A[2]:-}" != "$sid1" ]
sid2=${A[2]:-}
check "plain tcnetstat: conn 2's line says (resumed) after the TEP name" \
	grep -q ":7102 .*encrypted .*TCPCRYPT_ECDHE_Curve25519 (resumed)" "$TMPD/plain.7102"
check "... conn 1's does not" sh -c "grep -q ':7101 .*encrypted .*TCPCRYPT_ECDHE_Curve25519' '$TMPD/plain.7101' &&
	! grep -q '(resumed)' '$TMPD/plain.7101'"

# the other direction: H2 opens, the chain's next session with roles swapped
check "conn 3 (H2 -> H1, IPv4): 2 MiB intact" conn "$H1" "$H2" "$C4" 7103
check "conn 3: resumed at both ends" resumed_both
check "conn 3: roles A (H2) and B (H1)" [ "${A[3]:-}/${B[3]:-}" = A/B ]
check "conn 3: the same session id at both ends, not conn 1's or 2's" \
	sh -c "[ '${A[2]:-x}' = '${B[2]:-y}' ] && [ '${A[2]:-}' != '$sid1' ] && [ '${A[2]:-}' != '$sid2' ]"
sleep 1
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
log "$(grep -h 'captured\|dropped by kernel' "$TMPD/tcpdump.err" | tr '\n' ' ')"

# IPv6: its addresses have chains of their own
check "conn 4 (H1 -> H2, IPv6): 2 MiB intact" conn "$H2" "$H1" "$A6" 7104
check "conn 4: the first IPv6 connection is fresh at both ends" fresh_both
check "conn 5 (H1 -> H2, IPv6): 2 MiB intact" conn "$H2" "$H1" "$A6" 7105
check "conn 5: the second one resumes at both ends" resumed_both
check "conn 5: the same session id at both ends" same_sid
# chains are per peer address and service port (docs/design.md, Keying)
check "conn 6 (H1 -> H2, IPv4, service port 7002): 2 MiB intact" conn "$H2" "$H1" "$A4" 7106 7002
check "conn 6: another service port has no chain yet: fresh at both ends" fresh_both

# ---- the wire, as the bridge saw it (connections 1 to 3) ----
# wire_summary PCAP: per connection (by its client port), lines "CPORT KEY
# VALUE": syn / synack (the ENO option, hex), lead_c / lead_s (the first 4
# bytes each side sends), init1 / init2 (segments starting with the magic),
# bytes (payload, both ways). One pass in python (tshark per field is slow).
wire_summary() {
	python3 - "$1" "$SP" <<'PY'
import struct, sys
path, sp = sys.argv[1], int(sys.argv[2])
INIT1, INIT2 = bytes.fromhex("15101a0e"), bytes.fromhex("097105e0")
d = open(path, "rb").read()
end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
link = struct.unpack(end + "I", d[20:24])[0]
conns = {}
def c_of(cp):
    return conns.setdefault(cp, {"syn": "-", "synack": "-", "lead_c": "-", "lead_s": "-",
                                 "init1": 0, "init2": 0, "bytes": 0, "isn_c": None, "isn_s": None})
def eno(opts):
    i = 0
    while i < len(opts):
        k = opts[i]
        if k in (0, 1):
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if k == 69:
            return opts[i:i + opts[i + 1]].hex()
        i += opts[i + 1]
    return "none"
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
    pkt = d[off + 16:off + 16 + incl]
    off += 16 + incl
    if link == 1:
        et, l3 = struct.unpack(">H", pkt[12:14])[0], 14
    elif link == 113:
        et, l3 = struct.unpack(">H", pkt[14:16])[0], 16
    else:
        sys.exit("link type %d" % link)
    if et == 0x0800:
        if pkt[l3 + 9] != 6:
            continue
        l4, endp = l3 + (pkt[l3] & 15) * 4, l3 + struct.unpack(">H", pkt[l3 + 2:l3 + 4])[0]
    elif et == 0x86dd:
        if pkt[l3 + 6] != 6:
            continue
        l4, endp = l3 + 40, l3 + 40 + struct.unpack(">H", pkt[l3 + 4:l3 + 6])[0]
    else:
        continue
    sport, dport, seq = struct.unpack(">HHI", pkt[l4:l4 + 8])
    doff, flags = pkt[l4 + 12] >> 4, pkt[l4 + 13]
    opts, pay = pkt[l4 + 20:l4 + doff * 4], pkt[l4 + doff * 4:endp]
    if sp not in (sport, dport):
        continue
    from_c = dport == sp
    c = c_of(sport if from_c else dport)
    if flags & 2:
        if from_c and not flags & 16:
            c["syn"], c["isn_c"] = eno(opts), seq
        elif not from_c and flags & 16:
            c["synack"], c["isn_s"] = eno(opts), seq
        continue
    if not pay:
        continue
    c["bytes"] += len(pay)
    c["init1"] += pay[:4] == INIT1
    c["init2"] += pay[:4] == INIT2
    isn = c["isn_c"] if from_c else c["isn_s"]
    lead = "lead_c" if from_c else "lead_s"
    if isn is not None and (seq - isn - 1) & 0xffffffff == 0 and c[lead] == "-":
        c[lead] = pay[:4].hex()
for cp, c in sorted(conns.items()):
    for k in ("syn", "synack", "lead_c", "lead_s", "init1", "init2", "bytes"):
        print(cp, k, c[k])
PY
}
declare -A W
while read -r cp k v; do W[$cp.$k]=$v; done < <(wire_summary "$TMPD/wire.pcap")
for cp in 7101 7102 7103; do
	log "wire, conn from $cp: SYN ENO ${W[$cp.syn]:--}, SYN-ACK ENO ${W[$cp.synack]:--}," \
		"leading bytes ${W[$cp.lead_c]:--} / ${W[$cp.lead_s]:--}, ${W[$cp.bytes]:-0} payload bytes"
done
check "wire: the bridge saw 2 MiB or more of conn 2" [ "${W[7102.bytes]:-0}" -ge $((2 * 1024 * 1024)) ]
# conn 1: TEP bytes without data (v = 0, no 0x80 bit), 0x23 among them
check "wire: conn 1's SYN offers X25519 (23) fresh: 45 LEN, TEP bytes, no v bit" \
	re "${W[7101.syn]:-}" '^45[0-9a-f]{2}([0-7][0-9a-f])*23([0-7][0-9a-f])*$'
check "wire: conn 2's SYN proposes resuming: 45 14 a3 + 17 bytes, only that" \
	re "${W[7102.syn]:-}" '^4514a3[0-9a-f]{34}$'
check "wire: conn 2's SYN-ACK accepts: 45 15 01 a3 + 17 bytes" \
	re "${W[7102.synack]:-}" '^451501a3[0-9a-f]{34}$'
check "wire: conn 3 (H2 opening): the same, 45 14 a3 and 45 15 01 a3" \
	re "${W[7103.syn]:-} ${W[7103.synack]:-}" '^4514a3[0-9a-f]{34} 451501a3[0-9a-f]{34}$'
check "wire: each proposal is new (id half and nonce differ from conn 2 to 3)" \
	[ "${W[7102.syn]:-x}" != "${W[7103.syn]:-y}" ]
check "wire: conn 1 (fresh): Init1 (15101a0e) leads the client's stream" [ "${W[7101.lead_c]:-}" = 15101a0e ]
check "wire: conn 1 (fresh): Init2 (097105e0) leads the server's stream" [ "${W[7101.lead_s]:-}" = 097105e0 ]
# in a resumed session each stream starts with a frame at offset 0 (B, which
# sends no data, may send nothing but the frame carrying its FIN)
no_init_lead() {
	re "${W[7102.lead_c]:-}" '^[0-9a-f]{8}$' && [ "${W[7102.lead_c]}" != 15101a0e ] &&
		[ "${W[7102.lead_s]:-}" != 097105e0 ]
}
check "wire: conn 2 (resumed): streams start with frames, not Init1 or Init2" no_init_lead
check "wire: conn 2: no segment starts with the Init1 or Init2 magic" \
	[ "${W[7102.init1]:-x}/${W[7102.init2]:-x}" = 0/0 ]
check "wire: conn 1: a control, its Init1 and Init2 are found (1 segment each)" \
	[ "${W[7101.init1]:-x}/${W[7101.init2]:-x}" = 1/1 ]
check "wire: the marker never appears" [ "$(grep -c "$MARK" "$TMPD/wire.pcap")" = 0 ]

# ---- counters ----
# H1 proposed 2 and 5 (not 6) and accepted 3; H2 the other way round
s=$(tcd_stats h1)
log "h1: $(grep 'resume(SIGUSR1)' <<<"$s")"
check "h1 counts its proposals (offered = 2)" [ "$(ctr_line "$s" "resume(SIGUSR1)" offered)" = 2 ]
check "h1 counts the proposal it accepted (accepted = 1)" \
	[ "$(ctr_line "$s" "resume(SIGUSR1)" accepted)" = 1 ]
check "h1: resumed = 3 (connections 2, 3, 5)" [ "$(ctr_line "$s" "resume(SIGUSR1)" resumed)" = 3 ]
check "h1: cached = 3 (one chain each: IPv4 port 7001, IPv6, port 7002)" \
	[ "$(ctr_line "$s" "resume(SIGUSR1)" cached)" = 3 ]
check "h1: resumed sessions are encrypted connections (encrypted_conns = 6)" \
	[ "$(ctr_line "$s" "engine(SIGUSR1)" encrypted_conns)" = 6 ]
s=$(tcd_stats h2)
log "h2: $(grep 'resume(SIGUSR1)' <<<"$s")"
check "h2: offered = 1 (conn 3), accepted = 2 (2 and 5)" \
	[ "$(ctr_line "$s" "resume(SIGUSR1)" offered)/$(ctr_line "$s" "resume(SIGUSR1)" accepted)" = 1/2 ]
check "h2: resumed = 3, cached = 3" \
	[ "$(ctr_line "$s" "resume(SIGUSR1)" resumed)/$(ctr_line "$s" "resume(SIGUSR1)" cached)" = 3/3 ]
# B's keys made in its poller's idle time between its SYN-ACK and A's ACK
# (a round trip through both daemons): only as B, and here it had the time
check "h2: early keys as B for 1 or both of its 2 accepted (early = $(ctr_line "$s" "resume(SIGUSR1)" early))" \
	[ "$(ctr_line "$s" "resume(SIGUSR1)" early)" -ge 1 -a "$(ctr_line "$s" "resume(SIGUSR1)" early)" -le 2 ]
check "h1: early keys only as B (conn 3): early <= accepted (1)" \
	[ "$(ctr_line "$(tcd_stats h1)" "resume(SIGUSR1)" early)" -le 1 ]
check "tcnetstat -s on H1: resumptions = 3" wait_for 5 resumptions "$H1" 3
check "tcnetstat -s on H2: resumptions = 3" wait_for 5 resumptions "$H2" 3
out=$(ip netns exec "$H1" "$TCN" -s 2>&1)
check "tcnetstat -s (plain): resumptions 3 in H1's total" \
	[ "$(grep -m1 -o 'resumptions [0-9]*' <<<"$out")" = "resumptions 3" ]

# ---- the peer forgot: a restarted H2 ----
# (restarted with 3-byte nonces: sn[i] then joins nonces of 8 and 3 bytes,
# in the original roles' order, and both ends must still agree)
check "h2 stops (exit 0)" tcd_stop h2
tcd_enc h2b "$H2" eth0 --include "$RULE" --resume-nonce 3 || { fail "h2 restarted"; exit 1; }
o0=$(rctr h1 offered) r0=$(rctr h1 resumed)
check "restarted peer: conn 7 (H1 -> H2) intact" conn "$H2" "$H1" "$A4" 7107
check "restarted peer: conn 7 is fresh at both ends, encrypted" fresh_both
check "... h1 proposed (offered +1), it was declined (resumed unchanged)" \
	[ "$(rctr h1 offered)" = $((o0 + 1)) -a "$(rctr h1 resumed)" = "$r0" ]
check "restarted peer: conn 8 intact" conn "$H2" "$H1" "$A4" 7108
check "restarted peer: conn 8 resumes again at both ends" resumed_both
check "restarted peer: conn 8 (nonces of 8 and 3 bytes): one session id at both ends" same_sid

# ---- TCP_CRYPT_CACHE_FLUSH through libtcpcrypt (tc_sockopt) ----
# sockconn CPORT STEPS...: tc_sockopt on H1 from client port CPORT to
# H2's SP, STEPS before the connect and $SOCK_MORE after it; it writes the
# marker and reads until the server, held open until H2's tcnetstat row
# was read (into B), closes. Its output in $TMPD/sock.CPORT; status: the
# server got the marker.
SOCK_MORE=()
sockconn() {
	local cp=$1 out=$TMPD/sout.$1 go=$TMPD/go.$1 spid cpid rb=
	shift
	B=()
	rm -f "$out" "$go"
	( for _ in $(seq 150); do [ -e "$go" ] && break; sleep 0.1; done ) |
		ip netns exec "$H2" timeout 20 nc -N -4 -l "$SP" >"$out" &
	spid=$!
	wait_port "$H2" "$SP" || { touch "$go"; wait "$spid"; return 1; }
	ip netns exec "$H1" timeout 20 "$SOCKOPT" bind:"$cp" "$@" connect:$A4:$SP wait:10000 \
		get:ENO_SESSID "${SOCK_MORE[@]}" write:"$MARK" read close >"$TMPD/sock.$cp" 2>&1 &
	cpid=$!
	wait_for 10 row "$H2" "$cp" && rb=$(row "$H2" "$cp")
	[ -z "$rb" ] && ip netns exec "$H2" "$TCN" -a -j --port "$cp" 2>&1 | sed 's/^/# H2 tcnetstat: /'
	touch "$go"
	wait "$cpid"
	wait "$spid"
	read -r -a B <<<"$rb"
	sed 's/^/# tc_sockopt: /' "$TMPD/sock.$cp"
	log "client port $cp: server resumed=${B[0]:--} tep_id=${B[1]:--} ${B[2]:--}"
	[ "$(cat "$out")" = "$MARK" ] && grep -q "^read 0 bytes" "$TMPD/sock.$cp"
}
sid_of() { sed -n 's/^get ENO_SESSID ok //p' "$TMPD/sock.$1"; }
if [ -x "$SOCKOPT" ]; then
	c0=$(rctr h1 cached) o0=$(rctr h1 offered)
	log "h1 before CACHE_FLUSH=1: $c0 cached secret(s)"
	check "CACHE_FLUSH=1 before connect: intact" sockconn 7109 set:CRYPT_CACHE_FLUSH=1
	check "... the setting was taken" grep -q "^set CRYPT_CACHE_FLUSH ok" "$TMPD/sock.7109"
	check "... a fresh session although h1 had a cached secret ($c0)" \
		sh -c "[ '$c0' -ge 1 ] && grep -qE '^get ENO_SESSID ok 23[0-9a-f]{64}$' '$TMPD/sock.7109'"
	check "... fresh at H2 too, the same session id" \
		[ "${B[0]:-}/${B[1]:-}/${B[2]:-x}" = "false/35/$(sid_of 7109)" ]
	check "... h1 proposed nothing (offered unchanged), cached its new chain (+1)" \
		[ "$(rctr h1 offered)" = "$o0" -a "$(rctr h1 cached)" = $((c0 + 1)) ]

	c0=$(rctr h1 cached)
	check "CACHE_FLUSH=3 (fresh, cache nothing) before connect: intact" \
		sockconn 7110 set:CRYPT_CACHE_FLUSH=3
	check "... a fresh session" grep -qE '^get ENO_SESSID ok 23' "$TMPD/sock.7110"
	check "... h1 cached nothing of it (cached still $c0)" [ "$(rctr h1 cached)" = "$c0" ]

	check "no setting: intact" sockconn 7111
	check "... the session resumes (a3...) at both ends" \
		sh -c "grep -qE '^get ENO_SESSID ok a3' '$TMPD/sock.7111' &&
		       [ '${B[0]:-}/${B[1]:-}' = true/163 ]"

	# on the connection: its chain is wiped from h1's cache
	c0=$(rctr h1 cached)
	SOCK_MORE=(set:CRYPT_CACHE_FLUSH=1)
	check "CACHE_FLUSH=1 on a resumed connection: intact" sockconn 7112
	SOCK_MORE=()
	check "... resumed, the setting taken" \
		sh -c "grep -qE '^get ENO_SESSID ok a3' '$TMPD/sock.7112' &&
		       grep -q '^set CRYPT_CACHE_FLUSH ok' '$TMPD/sock.7112'"
	check "... its chain left h1's cache (cached $c0 -> $((c0 - 1)))" \
		[ "$(rctr h1 cached)" = $((c0 - 1)) ]
else
	skip "TCP_CRYPT_CACHE_FLUSH" "no $SOCKOPT (run make)"
fi

# ---- a peer that never caches: --resume 0 ----
check "h2 (restarted) stops (exit 0)" tcd_stop h2b
tcd_enc h2c "$H2" eth0 --include "$RULE" --resume 0 || { fail "h2 --resume 0 started"; exit 1; }
o0=$(rctr h1 offered) r0=$(rctr h1 resumed)
for p in 7113 7114; do
	check "--resume 0 peer: conn from port $p intact" conn "$H2" "$H1" "$A4" $p
	check "--resume 0 peer: conn from port $p fresh at both ends, encrypted" fresh_both
done
check "--resume 0 peer: conn H2 -> H1 intact" conn "$H1" "$H2" "$C4" 7115
check "--resume 0 peer: H2 opening: fresh at both ends" fresh_both
s=$(tcd_stats h2c)
log "h2c: $(grep 'resume(SIGUSR1)' <<<"$s")"
check "--resume 0: h2 offered, accepted, resumed and cached nothing" \
	grep -q 'resume(SIGUSR1): offered=0 accepted=0 resumed=0 early=0 cached=0' <<<"$s"
check "--resume 0: h1 still proposed (offered +2), never resumed" \
	[ "$(rctr h1 offered)" = $((o0 + 2)) -a "$(rctr h1 resumed)" = "$r0" ]
check "--resume 0: h2 counted 3 encrypted connections" [ "$(eng h2c encrypted_conns)" = 3 ]
# B sends Init2 before its ECDH, which then runs while the poller has
# nothing else to do (or when a frame needs the keys first)
k=$(eng h2c keyx_idle)
log "h2c: keyx_idle=$k of its 2 fresh exchanges as B"
check "--resume 0: h2 (B twice) derived after its Init2, in idle time (keyx_idle $k in 1-2)" \
	[ "${k:-0}" -ge 1 -a "${k:-0}" -le 2 ]

check "h1 exits 0" tcd_stop h1
check "h2 exits 0" tcd_stop h2c
done_testing
