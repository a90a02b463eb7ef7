#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 7: tcpcryptd follows its interface and the host.
#  - the MTU changed at runtime (1500 -> 9000 -> 1500): it cuts segments to
#    the new MTU and transfers keep working;
#  - IFACE's MAC changed: tcv0 follows, host-bound frames still accepted;
#  - link down and up: logged;
#  - SIGHUP reloads the policy (a bad file keeps the old one);
#  - what a killed daemon leaves is recorded under /run and --cleanup
#    removes all of it;
#  - IFACE deleted: the daemon stops and removes its veth pair.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc python3
[ -x "$TCD" ] || { skip test_link_events "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 6
two_hosts
set_mtu() { local ns; for ns in "$H1" "$H2"; do ip -n "$ns" link set eth0 mtu "$1"; done; }
steered_by() { local s; s=$(tcd_stats "$1"); ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_rx; }

echo "include port 5201" >"$TMPD/policy"
tcd_start h1 "$H1" --include "port 5200-5299" || fail "h1 starts"
tcd_start h2 "$H2" --policy "$TMPD/policy" || fail "h2 starts"

set_mtu 9000
check "MTU 1500 -> 9000 at runtime: logged" wait_for 5 grep -q "MTU 1500 -> 9000" "$TMPD/h2.log"
check "MTU 9000: transfer" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
s=$(tcd_stats h1)
check "MTU 9000: h1 cut the stack's super-packets into jumbo segments (chains)" \
	[ "$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx_chains" wire_tx_descs)" -gt \
	  "$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_tx)" ]
set_mtu 1500
check "MTU 9000 -> 1500: logged" wait_for 5 grep -q "MTU 9000 -> 1500" "$TMPD/h2.log"
check "MTU 1500 again: transfer" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"

ip -n "$H2" link set eth0 address 02:00:00:00:aa:02
check "MAC changed: tcv0 follows" wait_for 5 grep -q "MAC address changed: tcx-.* follows" "$TMPD/h2.log"
ip -n "$H1" neigh flush dev eth0
check "MAC changed: transfer" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"

ip -n "$H2" link set eth0 down
check "link down: logged" wait_for 5 grep -q "eth0: link down" "$TMPD/h2.log"
ip -n "$H2" link set eth0 up
check "link up: logged" wait_for 5 grep -q "eth0: link up" "$TMPD/h2.log"
ip -n "$H2" addr add 192.0.2.2/24 dev eth0 2>/dev/null
ip -n "$H2" addr add 2001:db8::2/64 dev eth0 nodad 2>/dev/null

# SIGHUP: the policy file changed from port 5201 to 5202
a=$(steered_by h2)
check "before SIGHUP: port 5202 is not steered" xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
check "... (h2 carried nothing)" [ "$(steered_by h2)" = "$a" ]
echo "include port 5202" >"$TMPD/policy"
kill -HUP "${TCD_PID[h2]}"
check "SIGHUP: policy reloaded" wait_for 5 grep -q "SIGHUP: policy reloaded" "$TMPD/h2.log"
check "SIGHUP: the daemon keeps running" kill -0 "${TCD_PID[h2]}"
a=$(steered_by h2)
check "after SIGHUP: port 5202 is steered" xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
check "... (h2 carried it)" [ "$(steered_by h2)" -gt "$a" ]
echo "include port 99999" >"$TMPD/policy"
kill -HUP "${TCD_PID[h2]}"
check "SIGHUP with a bad file: the previous policy stays" \
	wait_for 5 grep -q "policy not reloaded" "$TMPD/h2.log"
a=$(steered_by h2)
check "... port 5202 still steered" xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
check "... (h2 carried it)" [ "$(steered_by h2)" -gt "$a" ]

# kill -9: what it created is recorded under /run; --cleanup removes it all
tcd_stop h2 KILL
ino=$(stat -L -c %i "/run/netns/$H2")
check "killed: its state file persists under /run/tcpcrypt" \
	sh -c "ls /run/tcpcrypt/tcpcryptd.$ino.*.state >/dev/null"
check "tcpcryptd --cleanup exits 0" sh -c "ip netns exec $H2 $TCD -i eth0 --cleanup >/dev/null 2>&1"
check "--cleanup left nothing: no veth, no XDP, no files" sh -c \
	"! ip -n $H2 link | grep -q 'tcx-\|xdp' && ! ls /run/tcpcrypt 2>/dev/null | grep -q tcpcryptd.$ino."

# IFACE deleted under a running daemon (h1): it stops and cleans up
ip -n "$H1" link del eth0
check "interface deleted: the daemon stops" wait_for 10 sh -c "! kill -0 ${TCD_PID[h1]} 2>/dev/null"
check "... saying why" grep -q "eth0 was deleted: stopping" "$TMPD/h1.log"
check "... and removes its veth pair" sh -c "! ip -n $H1 link | grep -q tcx-"
ino=$(stat -L -c %i "/run/netns/$H1")
check "... and its files" sh -c "! ls /run/tcpcrypt 2>/dev/null | grep -q tcpcryptd.$ino."
done_testing
