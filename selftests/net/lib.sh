#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for netns selftests, sourced by every selftests/net/test_*.sh.
#
# Each test builds its own hosts out of network namespaces with names unique
# to this process, joins them with veth pairs created inside the namespaces
# (never in the caller's), and speaks TAP:
#   ok - what was checked
#   not ok - what was checked
#   ok - what was checked # SKIP why
# cleanup runs from an EXIT trap, so a failing or interrupted test leaves
# nothing behind.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN=$BUILD/bin
# Namespace names are global to the machine while pids are per PID namespace:
# sessions in containers reuse small pids, so $$ alone collided (and one test
# run deleted another's namespaces). A random part makes the name unique.
TID=${TID:-$$$(printf %04x $((RANDOM ^ (RANDOM << 15))))}
NETNS_LIST=()
BG_PIDS=()
CLEANUP_HOOKS=()
FAILS=0

# 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32 are documentation ranges:
# they exist only inside the test's namespaces.

ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
skip() { echo "ok - $1 # SKIP $2"; }
log()  { echo "# $*"; }

# check DESC CMD...: one TAP line from a command's exit status.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# ns_new VAR: create a namespace, store its name in VAR.
ns_new() {
	local name="tc${TID}-$1"
	ip netns add "$name" || return 1
	NETNS_LIST+=("$name")
	ip -n "$name" link set lo up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	printf -v "$1" '%s' "$name"
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# addr NS IF ADDR/PLEN...
addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		ip -n "$ns" addr add "$a" dev "$dev" nodad 2>/dev/null ||
			ip -n "$ns" addr add "$a" dev "$dev"
	done
}

# two_hosts: namespaces $H1 and $H2 joined by eth0<->eth0,
# 192.0.2.1/2 and 2001:db8::1/2.
two_hosts() {
	ns_new H1 && ns_new H2 || return 1
	veth "$H1" eth0 "$H2" eth0 || return 1
	addr "$H1" eth0 192.0.2.1/24 2001:db8::1/64
	addr "$H2" eth0 192.0.2.2/24 2001:db8::2/64
}

# routed_hosts: $H1 - $R - $H2; H1 in 192.0.2.0/24, H2 in 198.51.100.0/24.
routed_hosts() {
	ns_new H1 && ns_new R && ns_new H2 || return 1
	veth "$H1" eth0 "$R" eth1 && veth "$R" eth2 "$H2" eth0 || return 1
	addr "$H1" eth0 192.0.2.1/24 2001:db8:1::1/64
	addr "$R" eth1 192.0.2.254/24 2001:db8:1::fe/64
	addr "$R" eth2 198.51.100.254/24 2001:db8:2::fe/64
	addr "$H2" eth0 198.51.100.2/24 2001:db8:2::2/64
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$H1" route add default via 192.0.2.254
	ip -n "$H1" -6 route add default via 2001:db8:1::fe
	ip -n "$H2" route add default via 198.51.100.254
	ip -n "$H2" -6 route add default via 2001:db8:2::fe
}

# bg NS CMD...: run a command in a namespace in the background, in a process
# group of its own so that cleanup kills its children too.
bg() {
	local ns=$1
	shift
	setsid ip netns exec "$ns" "$@" &
	BG_PIDS+=($!)
	LAST_PID=$!
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local t=$(( $1 * 10 ))
	shift
	while [ $t -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# wait_port NS PORT: until something listens on TCP PORT in NS.
wait_port() {
	wait_for 10 ip netns exec "$1" sh -c "ss -Hltn 'sport = :$2' | grep -q ."
}

# require CMD...: skip the whole test when a tool is missing.
require() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			skip "$(basename "$0" .sh)" "needs $c"
			exit 0
		fi
	done
}

on_exit() { CLEANUP_HOOKS+=("$*"); }

# ns_pids: every process still running in one of our namespaces.
ns_pids() {
	local ns
	for ns in "${NETNS_LIST[@]}"; do ip netns pids "$ns" 2>/dev/null; done
}

cleanup() {
	local p ns h left t
	for h in "${CLEANUP_HOOKS[@]}"; do eval "$h" >/dev/null 2>&1; done
	for p in "${BG_PIDS[@]}"; do
		kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null
	done
	# Anything else left in our namespaces (a child that outlived its
	# parent holds our stdout and would hang the runner): TERM, then KILL.
	left=$(ns_pids)
	[ -n "$left" ] && kill $left 2>/dev/null
	for t in 1 2 3 4 5 6 7 8 9 10; do
		left=$(ns_pids)
		[ -z "$left" ] && break
		sleep 0.2
	done
	[ -n "$left" ] && kill -9 $left 2>/dev/null
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${NETNS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# done_testing: the exit status of the test.
done_testing() { [ "$FAILS" -eq 0 ]; }
