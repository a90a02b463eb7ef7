#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcnetstat lists the tcpcrypt connections of its own namespace, found
# through the attached programs (no pins), plain and JSON:
#  - no tcpcryptd: a message and exit 1; usage errors exit 2;
#  - pass-through flows only with -a, IPv6 as [addr]:port, filters, -4/-6;
#  - -s: the daemon's counters per queue and total, plain and JSON; --watch;
#  - encrypted connections (once the engine encrypts on the datapath): the
#    same session id, SAS, TEP and AEAD at both ends, roles A and B; gone
#    with the socket; a fallback to plain TCP listed only with -a;
#  - a killed daemon's flows are still listed, with a warning.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
source "$(dirname "$0")/sess_lib.sh"
require python3 nc

two_hosts || { fail "topology"; exit 1; }

# ---- no daemon, usage ----
out=$(ip netns exec "$H1" "$TCN" 2>&1)
rc=$?
check "no tcpcryptd: exit status 1" [ $rc -eq 1 ]
check "... saying no tcpcryptd is attached here" grep -q "no tcpcryptd is attached" <<<"$out"
ip netns exec "$H1" "$TCN" -i nosuch >/dev/null 2>&1
check "unknown interface: exit status 1" [ $? -eq 1 ]
ip netns exec "$H1" "$TCN" --bogus >/dev/null 2>&1
check "bad option: exit status 2" [ $? -eq 2 ]
ip netns exec "$H1" "$TCN" --port 70000 >/dev/null 2>&1
check "bad port: exit status 2" [ $? -eq 2 ]

# ---- pass-through flows ----
tcd_start h1 "$H1" --include "port 5001-5002" && tcd_start h2 "$H2" --include "port 5001-5002" ||
	{ fail "tcpcryptd (pass-through) started on both hosts"; exit 1; }
bg "$H2" sh -c "timeout 30 nc -4 -l 5001 >/dev/null"
bg "$H2" sh -c "timeout 30 nc -6 -l 5002 >/dev/null"
wait_port "$H2" 5001 && wait_port "$H2" 5002
bg "$H1" sh -c "sleep 20 | timeout 30 nc 192.0.2.2 5001"
bg "$H1" sh -c "sleep 20 | timeout 30 nc 2001:db8::2 5002"

listed() { ip netns exec "$1" "$TCN" "${@:3}" 2>/dev/null | grep -q -- "$2"; }
check "-a lists the IPv4 flow as passthrough" \
	wait_for 10 listed "$H1" "192.0.2.1:[0-9]* *192.0.2.2:5001 *passthrough" -a
check "-a lists it from the other side too" \
	wait_for 10 listed "$H2" "192.0.2.2:5001 *192.0.2.1:[0-9]* *passthrough" -a
check "-a lists the IPv6 flow as [addr]:port" \
	wait_for 10 listed "$H1" "\[2001:db8::1\]:[0-9]* *\[2001:db8::2\]:5002" -a
out=$(ip netns exec "$H1" "$TCN")
check "without -a: pass-through flows are not tcpcrypt connections" \
	grep -q "^no tcpcrypt connections" <<<"$out"

json=$(ip netns exec "$H1" "$TCN" -a -j)
check "JSON: both flows, addr:port strings, no session fields" python3 -c '
import json, sys
rows = [r for r in json.loads(sys.argv[1]) if r["rport"] in (5001, 5002)]
assert sorted(r["family"] for r in rows) == ["inet", "inet6"], rows
for r in rows:
    assert r["ifname"] == "eth0" and r["state"] == "passthrough", r
    assert r["local"].endswith(":%d" % r["lport"]) and r["remote"].endswith(":%d" % r["rport"]), r
    assert r["queue"] == 0, r
    for k in ("role", "tep", "aead", "session_id", "sas"):
        assert r[k] is None, (k, r)
v6 = [r for r in rows if r["family"] == "inet6"][0]
assert v6["remote"] == "[2001:db8::2]:5002", v6
' "$json"
n=$(tcn_rows "$H1" -a -6 | wc -l)
check "-6: only the IPv6 flow ($n)" [ "$n" -eq 1 ]
check "--rport 5001: only the IPv4 flow" sh -c "[ \$(ip netns exec $H1 $TCN -a -j --rport 5001 |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -eq 1 ]"
check "--raddr 2001:db8::/64: only the IPv6 flow" sh -c "ip netns exec $H1 $TCN -a --raddr 2001:db8::/64 |
	grep -q 2001:db8::2 && ! ip netns exec $H1 $TCN -a --raddr 2001:db8::/64 | grep -q 192.0.2"

# counters: written every second by the daemon into tc_dstats
stats_ok() {
	ip netns exec "$H1" "$TCN" -s -j | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
assert s["ifname"] == "eth0" and s["alive"] and s["mode"] == "pass-through", s
t = s["total"]
assert t["steered_wire"] + t["steered_host"] > 0, t
assert s["queues"] and s["queues"][0]["queue"] == 0, s["queues"]
assert set(t["drops"]) >= {"malformed", "bad_checksum", "fragment"}, t["drops"]
for k in ("encrypted", "decrypted", "tag_failures", "fallbacks", "resets", "resumptions", "rekeys"):
    assert k in t, k
'
}
check "-s -j: the daemon's counters, total and per queue" wait_for 5 stats_ok
out=$(ip netns exec "$H1" "$TCN" -s)
plain_stats() {
	grep -q 'eth0: tcpcryptd pid [0-9]*, pass-through' <<<"$out" &&
		grep -q '^  queue 0' <<<"$out" && grep -q 'steered_wire' <<<"$out"
}
check "-s: plain, the same counters" plain_stats
out=$(ip netns exec "$H1" "$TCN" -a -w -n 0.2 -c 2)
check "--watch -c 2: refreshed twice" [ "$(grep -c '^.*Every 0.2s: tcnetstat -a' <<<"$out")" -eq 2 ]

# a killed daemon: its flows stay in the map, tcnetstat says it is not running
kill -9 "${TCD_PID[h1]}"
wait "${TCD_PID[h1]}" 2>/dev/null
dead() { ip netns exec "$H1" "$TCN" -a 2>&1 >/dev/null | grep -q "tcpcryptd is not running"; }
check "killed daemon: tcnetstat warns that tcpcryptd is not running" wait_for 5 dead
check "... and still lists what it left" listed "$H1" "192.0.2.2:5001" -a
ip netns exec "$H1" "$TCD" -i eth0 --cleanup --force >/dev/null 2>&1
tcd_stop h2
ip netns exec "$H1" pkill -x nc
ip netns exec "$H2" pkill -x nc

# ---- encrypted connections ----
if ! tcd_encrypts; then
	skip "tcnetstat: encrypted sessions" "this tcpcryptd does not encrypt (tcpcryptd -h: --passthrough is its mode)"
	done_testing
	exit
fi
tcd_enc h1e "$H1" eth0 --include "port 5011-5020" &&
	tcd_enc h2e "$H2" eth0 --include "port 5011-5020" ||
	{ fail "tcpcryptd (encrypting) started on both hosts"; exit 1; }
sessions_or_skip "tcnetstat: encrypted sessions" "$H1" "$H2" 192.0.2.2 5011

read -r st1 l1 r1 role1 tep1 aead1 sid1 sas1 <<<"$(tcn_rows "$H1" --port 5011 | head -1)"
read -r st2 l2 r2 role2 tep2 aead2 sid2 sas2 <<<"$(tcn_rows "$H2" --port 5011 | head -1)"
log "H1: $st1 $l1 $r1 $role1 $tep1 $aead1 $sas1 $sid1"
log "H2: $st2 $l2 $r2 $role2 $tep2 $aead2 $sas2 $sid2"
check "both ends: encrypted" [ "$st1/$st2" = encrypted/encrypted ]
check "the same connection, seen from each end" [ "$l1 $r1" = "$r2 $l2" ]
check "the connecting host is A, the listening one B" [ "$role1/$role2" = A/B ]
check "session id: 33 bytes of lowercase hex, the same at both ends" \
	sh -c "echo '$sid1' | grep -qE '^[0-9a-f]{66}$' && [ '$sid1' = '$sid2' ]"
check "SAS: the same at both ends" sh -c "echo '$sas1' | grep -qE '^[0-9]{4}-[0-9]{4}-[0-9]{4}$' && [ '$sas1' = '$sas2' ]"
check "TEP and AEAD by name, the same at both ends ($tep1, $aead1)" \
	sh -c "[ '$tep1' = '$tep2' ] && [ '$aead1' = '$aead2' ] && echo '$tep1' | grep -q '^TCPCRYPT_ECDHE_' &&
	       echo '$aead1' | grep -q '^AEAD_'"
out=$(ip netns exec "$H1" "$TCN" --port 5011)
check "plain output: the session id and SAS under the connection" \
	grep -q "^ *session $sid1  sas $sas1" <<<"$out"

# IPv6, and data both ways for the counters
bg "$H2" sh -c "head -c 200000 /dev/urandom | timeout 15 nc -6 -l 5012 >/dev/null"
wait_port "$H2" 5012
bg "$H1" sh -c "(head -c 200000 /dev/urandom; sleep 8) | timeout 15 nc 2001:db8::2 5012 >/dev/null"
check "IPv6: an encrypted session listed as [addr]:port" \
	wait_for 10 listed "$H1" "\[2001:db8::1\]:[0-9]* *\[2001:db8::2\]:5012 *encrypted"
enc_stats() {
	ip netns exec "$H1" "$TCN" -s -j | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
t = s["total"]
assert s["mode"] == "encrypting", s
assert t["sessions"] >= 2 and t["encrypted"] > 0 and t["decrypted"] > 0, t
assert t["tag_failures"] == 0 and t["resumptions"] == 0, t
'
}
check "-s: sessions and frames encrypted and decrypted counted" wait_for 10 enc_stats

# the session goes with its socket. The server closes first, so that the
# socket that waits out TIME_WAIT (60 s) is H2's, not the listed one on H1.
gone() { ! tcn_rows "$H1" -a --port 5011 | grep -q .; }
close_wait() { ip netns exec "$H1" ss -Htn state close-wait dport = :5011 | grep -q .; }
ip netns exec "$H2" pkill -f "nc -l 5011"
wait_for 10 close_wait || log "H1's socket did not reach CLOSE_WAIT"
ip netns exec "$H1" pkill -f "nc 192.0.2.2 5011"
check "closed and its socket gone: no longer listed" wait_for 20 gone

# a peer without tcpcryptd: plain TCP, listed only with -a
tcd_stop h2e
bg "$H2" sh -c "timeout 15 nc -l 5013 >/dev/null"
wait_port "$H2" 5013
bg "$H1" sh -c "sleep 10 | timeout 15 nc 192.0.2.2 5013"
fallback() { tcn_rows "$H1" -a --port 5013 | grep -q "^plain "; }
check "a fallback to plain TCP is listed with -a as plain" wait_for 10 fallback
check "... and not without -a" sh -c "! ip netns exec $H1 $TCN --port 5013 | grep -q 5013"
# its entry outlives its flow while the socket lives; then the sweep takes it
gone_plain() { ! tcn_rows "$H1" -a --port 5013 | grep -q .; }
# the server closes first: no TIME_WAIT on host 1 to wait out
ip netns exec "$H2" pkill -f "nc -l 5013"
sleep 0.5
ip netns exec "$H1" pkill -f "nc 192.0.2.2 5013"
check "the fallback's entry goes once its socket is gone" wait_for 90 gone_plain
done_testing
