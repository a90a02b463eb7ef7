#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's commands on a machine without the build dependencies, as a
# new user meets them. Packages are not really removed: pkg-config is
# replaced on PATH by one that knows no module until a fake `deps` has
# "installed" them (DEPS=..., as scripts/deps.sh would with apt-get).
#  - `make` stops at once with one line naming the packages and `sudo make deps`;
#  - `make build`/`make check` install first and then build in the same
#    invocation: the flags are read after the packages exist.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/tc-fresh.XXXXXX)
trap 'rm -rf "$W"' EXIT
FAILS=0
ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

REAL_PC=$(command -v pkg-config)
mkdir -p "$W/path"
cat >"$W/path/pkg-config" <<PC
#!/bin/sh
[ -e "$W/installed" ] && exec "$REAL_PC" "\$@"
echo "Package \$* was not found (fake pkg-config, asked before deps)" >&2
exit 1
PC
cat >"$W/deps" <<DEPS
#!/bin/sh
[ "\${1:-}" = --missing ] && exec "$TOP/scripts/deps.sh" --missing
echo "fake deps: installing"
touch "$W/installed"
DEPS
chmod +x "$W/path/pkg-config" "$W/deps"
export PATH="$W/path:$PATH"
# run as a user would, not as a child of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# 1. nothing installed, plain make: one clear line, no compiler run
make -C "$TOP" --no-print-directory BUILD="$W/b1" DEPS="$W/deps" >"$W/out1" 2>&1
rc=$?
check "make without dependencies fails" [ "$rc" -ne 0 ]
check "... with exactly one line of output" [ "$(wc -l <"$W/out1")" -eq 1 ]
check "... naming the missing packages" grep -q "libbpf-dev libxdp-dev" "$W/out1"
check "... and the command that installs them" grep -q "sudo make deps" "$W/out1"
check "... before compiling anything" [ ! -e "$W/b1" ]
sed 's/^/# /' "$W/out1"

# 2. make build: deps run first, then the build links in the same invocation
make -C "$TOP" --no-print-directory -j2 BUILD="$W/b2" DEPS="$W/deps" build >"$W/out2" 2>&1
rc=$?
check "make build installs, then builds in one go (exit $rc)" [ "$rc" -eq 0 ]
check "... the daemon links" [ -x "$W/b2/bin/tcpcryptd" ]
check "... and the unit tests link (cmocka)" [ -x "$W/b2/obj/tests/test_eno" ]
grep -q "undefined reference" "$W/out2" && fail "no linker errors" || ok "no linker errors"
grep -q "was not found" "$W/out2" && fail "pkg-config never asked before deps" ||
	ok "pkg-config never asked before deps (no warning)"
[ "$rc" -eq 0 ] || tail -n 20 "$W/out2" | sed 's/^/# /'

# 3. make check on a fresh machine: same, through the test runner
rm -f "$W/installed"
make -C "$TOP" --no-print-directory -j2 BUILD="$W/b3" DEPS="$W/deps" check \
	T=no_test_has_this_name >"$W/out3" 2>&1
rc=$?
check "make check installs, builds and runs the runner in one go (exit $rc)" [ "$rc" -eq 0 ]
check "... the runner ran (its summary line)" grep -q "^0 passed, 0 failed, 0 skipped" "$W/out3"
[ "$rc" -eq 0 ] || tail -n 20 "$W/out3" | sed 's/^/# /'

[ "$FAILS" -eq 0 ]
