#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 8, finding 8: once set up, tcpcryptd keeps only what it needs.
#  - capabilities: CAP_NET_ADMIN (and CAP_IPC_LOCK while RLIMIT_MEMLOCK is
#    finite), nothing inheritable, ambient or in the bounding set beyond,
#    no_new_privs set; no core dumps; its memory locked (no key in swap);
#  - and it still does its job without the rest: encrypted transfer, policy
#    reload (SIGHUP), link changes it follows (MAC), a clean exit that
#    detaches every program it attached.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tcd_lib.sh"
source "$(dirname "$0")/sess_lib.sh"
require nc python3
[ -x "$TCD" ] || { skip test_privileges "no $TCD (run make)"; exit 0; }

P="port 5301-5310"
F=$TMPD/data
mkfile "$F" 4
two_hosts || exit 1

# status FIELD: the value of FIELD in /proc/PID/status of h1's daemon
status() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/${TCD_PID[h1]}/status"; }
caps_only() {	# MASK FIELD...: each capability set field is a subset of MASK
	local m=$1 f v
	shift
	for f; do
		v=$((16#$(status "$f")))
		[ $((v & ~m)) = 0 ] || { log "$f = $(status "$f") beyond $(printf %x "$m")"; return 1; }
	done
}
NET_ADMIN=$((1 << 12))
IPC_LOCK=$((1 << 14))

if tcd_enc h1 "$H1" eth0 -v --include "$P" && tcd_enc h2 "$H2" eth0 --include "$P"; then
	log "h1: CapEff $(status CapEff) CapPrm $(status CapPrm) CapBnd $(status CapBnd)" \
		"NoNewPrivs $(status NoNewPrivs) VmLck $(status VmLck) kB"
	check "effective and permitted: CAP_NET_ADMIN (+ CAP_IPC_LOCK) only" \
		caps_only $((NET_ADMIN | IPC_LOCK)) CapEff CapPrm
	check "it kept CAP_NET_ADMIN" [ $((16#$(status CapEff) & NET_ADMIN)) != 0 ]
	check "nothing inheritable or ambient" caps_only 0 CapInh CapAmb
	check "bounding set shrunk as far (CAP_SETPCAP was there)" \
		caps_only $((NET_ADMIN | IPC_LOCK)) CapBnd
	check "no_new_privs" [ "$(status NoNewPrivs)" = 1 ]
	check "no core dumps (RLIMIT_CORE 0)" \
		grep -Eq "^Max core file size +0 +0 " "/proc/${TCD_PID[h1]}/limits"
	check "memory locked (VmLck > 0)" [ "$(status VmLck)" -gt 0 ]
	check "encrypted transfer intact" xfer_nc "$H2" "$H1" 192.0.2.2 5301 "$F"
	check "... and it was encrypted" \
		[ "$(tcn_rows "$H1" | grep -c TCPCRYPT_)" -ge 1 ]

	# SIGHUP: a policy reload is map writes through descriptors held
	kill -HUP "${TCD_PID[h1]}"
	check "SIGHUP reloads the policy without privileges" \
		wait_for 5 grep -q "SIGHUP: policy reloaded" "$TMPD/h1.log"
	check "... and transfers still work" xfer_nc "$H2" "$H1" 192.0.2.2 5302 "$F"

	# a MAC change: the internal veth follows (CAP_NET_ADMIN)
	ip -n "$H1" link set eth0 address 02:00:00:00:11:22
	check "a MAC change is followed" \
		wait_for 5 grep -q "MAC address changed: .* follows" "$TMPD/h1.log"
	if grep -qi "permission denied\|not permitted" "$TMPD/h1.log"; then
		grep -i "permission denied\|not permitted" "$TMPD/h1.log" | sed 's/^/#   /'
		fail "no permission error logged"
	else
		ok "no permission error logged"
	fi

	check "h1 exits 0" tcd_stop h1
	check "... detaching every program (ids held, no lookup by id)" \
		sh -c "! ip -n $H1 link show eth0 | grep -q xdp"
	check "... and the tc filters" sh -c "! ip netns exec $H1 tc filter show dev eth0 egress | grep -q bpf"
	check "... and the internal veth pair" sh -c "! ip -n $H1 link | grep -q tcx-"
	check "h2 exits 0" tcd_stop h2
else
	fail "daemons start"
fi
done_testing
