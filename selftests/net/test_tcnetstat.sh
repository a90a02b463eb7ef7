#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcnetstat lists the steered connections of its own namespace, plain and
# JSON, from any `ip netns exec`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require python3 nc

NETSTAT=$BIN/tcnetstat
two_hosts || { fail "topology"; exit 1; }

out=$(ip netns exec "$H1" "$NETSTAT" 2>&1)
check "no daemon: exit 0 and says nothing is attached" \
	grep -q "not attached to any interface" <<<"$out"
ip netns exec "$H1" "$NETSTAT" -i nosuch >/dev/null 2>&1
check "unknown interface: exit status 1" [ $? -eq 1 ]
ip netns exec "$H1" "$NETSTAT" --bogus >/dev/null 2>&1
check "bad option: exit status 2" [ $? -eq 2 ]

tcd_start h1 "$H1" --include "port 5001" && tcd_start h2 "$H2" --include "port 5001" ||
	{ fail "tcpcryptd started on both hosts"; exit 1; }

# one IPv4 and one IPv6 connection held open
bg "$H2" sh -c "nc -4 -l 5001 >/dev/null"
bg "$H2" sh -c "nc -6 -l 5001 >/dev/null"
wait_port "$H2" 5001
bg "$H1" sh -c "sleep 20 | nc 192.0.2.2 5001"
bg "$H1" sh -c "sleep 20 | nc 2001:db8::2 5001"

listed() { ip netns exec "$1" "$NETSTAT" | grep -q "$2"; }
check "H1 lists its IPv4 connection as passthrough" \
	wait_for 10 listed "$H1" "192.0.2.1:[0-9]*  192.0.2.2:5001  passthrough"
check "H2 lists the same connection from its side" \
	wait_for 10 listed "$H2" "192.0.2.2:5001  192.0.2.1:[0-9]*  passthrough"
check "H1 lists its IPv6 connection" \
	wait_for 10 listed "$H1" "\[2001:db8::1\]:[0-9]*  \[2001:db8::2\]:5001"

json=$(ip netns exec "$H1" "$NETSTAT" -j)
check "JSON: an array with both connections, fields typed" python3 -c '
import json, sys
flows = json.loads(sys.argv[1])
assert isinstance(flows, list), flows
mine = [f for f in flows if f["rport"] == 5001]
assert sorted(f["family"] for f in mine) == ["inet", "inet6"], mine
for f in mine:
    assert f["ifname"] == "eth0" and f["state"] == "passthrough", f
    assert isinstance(f["lport"], int) and f["lport"] > 1024, f
    assert f["queue"] == 0 and f["session_id"] is None, f
' "$json"
json=$(ip netns exec "$H1" "$NETSTAT" -j -4)
check "-4 lists only IPv4" python3 -c '
import json, sys
flows = json.loads(sys.argv[1])
assert flows and all(f["family"] == "inet" for f in flows), flows
' "$json"
check "-i eth0 lists the same connections" \
	sh -c "ip netns exec $H1 $NETSTAT -i eth0 | grep -q '192.0.2.2:5001  passthrough'"
done_testing
