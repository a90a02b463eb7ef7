#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 4: one tcpcryptd per interface and namespace, and each
# tears down only what it created.
#  - a second tcpcryptd on the same interface leaves at once, touching
#    nothing: the first keeps its veth, its heartbeat and its transfers;
#  - two starts 50 ms apart: exactly one runs, and it works;
#  - kill -9 and an immediate restart (inside the heartbeat timeout): the
#    new daemon takes over, and when it stops nothing of either is left;
#  - on tcpcrypt-loader's attachment, the same restart leaves the loader's
#    programs in place (the dead daemon's state file said they were not its).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
require nc python3
[ -x "$TCD" ] || { skip test_one_daemon "no $TCD (run make)"; exit 0; }

F=$TMPD/data
mkfile "$F" 4
POL=(--include "port 5201-5209")
two_hosts
tcd_start peer "$H1" "${POL[@]}" || fail "peer daemon starts"

alive() { ip netns exec "$1" "$LOADER" -j status eth0 2>/dev/null | grep -q '"alive":true'; }
nothing_left() {
	local ino
	! ip -n "$1" link | grep -q 'tcx-\|xdp' || return 1
	! tc -n "$1" qdisc show dev eth0 | grep -q clsact || return 1
	ino=$(stat -L -c %i "/run/netns/$1")
	! ls /run/tcpcrypt 2>/dev/null | grep -q "tcpcryptd\.$ino\."
}

# 1. a second daemon on a served interface
tcd_start first "$H2" "${POL[@]}" || fail "first daemon starts"
veth=$(ip -n "$H2" -o link | grep -o 'tcx-[0-9]*h' | head -1)
ip netns exec "$H2" timeout 10 "$TCD" -i eth0 --passthrough "${POL[@]}" >"$TMPD/second.log" 2>&1
check "a second tcpcryptd on the same interface exits 1" [ $? = 1 ]
check "... saying which daemon serves it" \
	grep -q "another tcpcryptd (pid ${TCD_PID[first]}) serves this interface" "$TMPD/second.log"
check "the first keeps its veth pair" sh -c "ip -n $H2 link show $veth >/dev/null"
check "the first is still alive for BPF" alive "$H2"
check "the first still carries transfers" xfer_nc "$H2" "$H1" 192.0.2.2 5201 "$F"
s=$(tcd_stats first)
check "... through itself" [ "$(ctr_line "$s" "stats(SIGUSR1) q0: wire_rx=" wire_rx)" -gt 0 ]
check "the first exits 0" tcd_stop first
check "and leaves nothing" nothing_left "$H2"

# 2. two starts 50 ms apart
: >"$TMPD/a.log"
: >"$TMPD/b.log"
ip netns exec "$H2" "$TCD" -i eth0 --passthrough "${POL[@]}" >>"$TMPD/a.log" 2>&1 &
pa=$!
BG_PIDS+=($pa)
sleep 0.05
ip netns exec "$H2" "$TCD" -i eth0 --passthrough "${POL[@]}" >>"$TMPD/b.log" 2>&1 &
pb=$!
BG_PIDS+=($pb)
wait_for 15 sh -c "grep -q 'running (pass-through)' $TMPD/a.log $TMPD/b.log"
sleep 1
nrun=$(cat "$TMPD/a.log" "$TMPD/b.log" | grep -c "running (pass-through)")
nbusy=$(cat "$TMPD/a.log" "$TMPD/b.log" | grep -c "another tcpcryptd")
check "two starts 50 ms apart: exactly one runs, the other leaves" [ "$nrun" = 1 -a "$nbusy" = 1 ]
check "the one running carries a transfer" xfer_nc "$H2" "$H1" 192.0.2.2 5202 "$F"
check "it is alive for BPF" alive "$H2"
for p in $pa $pb; do kill "$p" 2>/dev/null; done
for p in $pa $pb; do wait "$p" 2>/dev/null; done
check "and leaves nothing when stopped" wait_for 5 nothing_left "$H2"

# 3. kill -9, restart at once (the old heartbeat is still fresh)
tcd_start k1 "$H2" "${POL[@]}" || fail "daemon starts"
tcd_stop k1 KILL
check "after kill -9 its state file says what it created" sh -c \
	"grep -q 'owns_attachment 1' /run/tcpcrypt/tcpcryptd.$(stat -L -c %i /run/netns/$H2).*.state"
tcd_start k2 "$H2" "${POL[@]}" || fail "restart right after kill -9"
check "the restart took over the dead daemon's leftovers" \
	grep -q "leftovers of a dead tcpcryptd (pid ${TCD_PID[k1]})" "$TMPD/k2.log"
check "the restarted daemon is alive and carries transfers" \
	sh -c "ip netns exec $H2 true" && alive "$H2" && xfer_nc "$H2" "$H1" 192.0.2.2 5203 "$F"
check "it exits 0" tcd_stop k2
check "and leaves nothing of either" nothing_left "$H2"

# 4. the same on tcpcrypt-loader's attachment: the loader's programs stay
ip netns exec "$H2" "$LOADER" attach eth0 >/dev/null 2>&1
tcd_start l1 "$H2" "${POL[@]}" || fail "daemon on the loader's attachment starts"
tcd_stop l1 KILL
tcd_start l2 "$H2" "${POL[@]}" || fail "restart on the loader's attachment"
check "restart on the loader's attachment: keeps it the loader's" \
	grep -q "the attachment is tcpcrypt-loader's and stays" "$TMPD/l2.log"
check "it carries transfers" xfer_nc "$H2" "$H1" 192.0.2.2 5204 "$F"
check "it exits 0" tcd_stop l2
check "the loader's programs stay attached" dp_attached "$H2"
check "the daemon's veth pair is gone" sh -c "! ip -n $H2 link | grep -q tcx-"
ip netns exec "$H2" "$LOADER" detach eth0 >/dev/null 2>&1
tcd_stop peer
done_testing
