#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The binaries carry the usual hardening (issue 8, finding 8): position
# independent, full RELRO (read-only relocations, bound at load), stack
# protector and _FORTIFY_SOURCE checks.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
FAILS=0
ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

for b in tcpcryptd tcpcrypt-loader tcnetstat; do
	f=$BUILD/bin/$b
	if [ ! -x "$f" ]; then
		fail "$b built"
		continue
	fi
	check "$b: position independent (PIE)" \
		sh -c "readelf -h '$f' | grep -q 'DYN (Position-Independent'"
	check "$b: relocations read-only after load (RELRO)" \
		sh -c "readelf -l '$f' | grep -q GNU_RELRO"
	check "$b: bound at load (BIND_NOW)" \
		sh -c "readelf -d '$f' | grep -q 'BIND_NOW\|Flags: NOW'"
	check "$b: stack protector" sh -c "nm -D '$f' | grep -q __stack_chk_fail"
	check "$b: _FORTIFY_SOURCE checks" sh -c "nm -D '$f' | grep -q '_chk@'"
done
[ "$FAILS" -eq 0 ]
