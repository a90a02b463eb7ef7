#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a staging directory (DESTDIR, PREFIX), as a packager
# does, then what a user of the installed tree does: build a small program
# against libtcpcrypt with pkg-config and run it; complete a command line;
# read the systemd unit. make uninstall leaves nothing behind.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
W=$(mktemp -d /tmp/tc-install.XXXXXX)
trap 'rm -rf "$W"' EXIT
FAILS=0
ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# as a user would, not as a child of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

D=$W/stage P=/opt/tcpcrypt R=$W/stage/opt/tcpcrypt
make -C "$TOP" --no-print-directory BUILD="$BUILD" DESTDIR="$D" PREFIX="$P" install \
	>"$W/out" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=$P (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/# /' "$W/out"
for f in sbin/tcpcryptd sbin/tcpcrypt-loader sbin/tcnetstat bin/tcpcrypt-psk \
	 bin/tcpcrypt-sign bin/tcpcrypt-sas include/tcpcrypt/tcpcrypt.h \
	 lib/pkgconfig/libtcpcrypt.pc share/man/man3/libtcpcrypt.3 \
	 share/man/man8/tcnetstat.8 share/man/man3/tcpcrypt_getsockopt.3 \
	 lib/systemd/system/tcpcryptd@.service share/bash-completion/completions/tcnetstat \
	 share/bash-completion/completions/tcpcryptd \
	 share/bash-completion/completions/tcpcrypt-loader; do
	[ -e "$R/$f" ] || fail "installed: $f"
done
ok "binaries, header, pkg-config file, man pages, unit, completions installed"
check "libtcpcrypt.so -> .so.0 -> the library, soname libtcpcrypt.so.0" sh -c "
	[ \"\$(readlink '$R/lib/libtcpcrypt.so')\" = libtcpcrypt.so.0 ] &&
	readelf -d '$R/lib/libtcpcrypt.so.0' | grep -q 'SONAME.*\[libtcpcrypt.so.0\]'"
check "the library exports tcpcrypt_* only" sh -c "
	! nm -D --defined-only '$R/lib/libtcpcrypt.so.0' | awk '\$2 == \"T\" {print \$3}' |
	grep -v '^tcpcrypt_'"

# a program of the user's, built with what pkg-config says about the staged tree
cat >"$W/prog.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <tcpcrypt/tcpcrypt.h>

int main(void)
{
	unsigned char sid[33] = { 0x23 };
	char sas[TCPCRYPT_SAS_LEN];
	unsigned char b[64];
	socklen_t l = sizeof(b);
	int i, fd = socket(AF_INET, SOCK_STREAM, 0);

	for (i = 1; i < 33; i++)
		sid[i] = i;
	if (tcpcrypt_sas(sid, sizeof(sid), sas, sizeof(sas)))
		return 1;
	printf("%s %s\n", sas, tcpcrypt_tep_name(TCPCRYPT_ECDHE_CURVE25519));
	/* no daemon is named: the library says so */
	if (!tcpcrypt_getsockopt(fd, TCP_ENO_SESSID, b, &l) || errno != ENOPROTOOPT)
		return 2;
	return 0;
}
C
export PKG_CONFIG_PATH=$R/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
flags=$(pkg-config --cflags --libs libtcpcrypt 2>"$W/pc.err")
check "pkg-config finds libtcpcrypt in the staged tree: $flags" \
	sh -c "[ -n '$flags' ] && echo '$flags' | grep -q -- '-I$R/include' &&
	       echo '$flags' | grep -q -- '-L$R/lib' && echo '$flags' | grep -q -- '-ltcpcrypt'"
check "pkg-config says version $(pkg-config --modversion libtcpcrypt)" \
	pkg-config --atleast-version=0.1 libtcpcrypt
cc -Wall -Werror -o "$W/prog" "$W/prog.c" $flags 2>"$W/cc.err"
rc=$?
check "a program compiles and links against the installed library" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/# /' "$W/cc.err"
check "... which needs libtcpcrypt.so.0" sh -c "readelf -d '$W/prog' | grep -q 'NEEDED.*libtcpcrypt.so.0'"
out=$(TCPCRYPT_CTL=tcpcryptd-none LD_LIBRARY_PATH=$R/lib "$W/prog" 2>&1)
check "... and runs: '$out'" [ "$out" = "5877-5461-2961 TCPCRYPT_ECDHE_Curve25519" ]

# the installed examples find the installed library themselves (rpath)
check "installed examples run from the staged tree" sh -c \
	"'$R/bin/tcpcrypt-psk' -h | grep -q 'password'"

# bash completion: options come from the tool's own -h
comp=$(bash -c "
	source '$R/share/bash-completion/completions/tcnetstat'
	COMP_WORDS=('$R/sbin/tcnetstat' --js); COMP_CWORD=1; _tcnetstat
	echo \${COMPREPLY[*]}")
check "completion: tcnetstat --js<TAB> gives --json ($comp)" [ "$comp" = "--json" ]
comp=$(bash -c "
	source '$R/share/bash-completion/completions/tcpcrypt-loader'
	COMP_WORDS=(tcpcrypt-loader de); COMP_CWORD=1; _tcpcrypt_loader
	echo \${COMPREPLY[*]}")
check "completion: tcpcrypt-loader de<TAB> gives detach ($comp)" [ "$comp" = "detach" ]
comp=$(bash -c "
	source '$R/share/bash-completion/completions/tcpcryptd'
	COMP_WORDS=('$R/sbin/tcpcryptd' --pass); COMP_CWORD=1; _tcpcryptd
	echo \${COMPREPLY[*]}")
check "completion: tcpcryptd --pass<TAB> gives --passthrough ($comp)" [ "$comp" = "--passthrough" ]

unit=$R/lib/systemd/system/tcpcryptd@.service
check "systemd unit runs the installed daemon on the instance's interface" \
	grep -q "^ExecStart=$P/sbin/tcpcryptd -i %I$" "$unit"
if command -v systemd-analyze >/dev/null; then
	# the paths are the final ones, not the staged ones: only syntax errors count
	errs=$(systemd-analyze verify "$unit" 2>&1 | grep -v -e 'is not executable' \
		-e "Command 'man " -e 'No such file')
	check "systemd-analyze: no other complaint${errs:+: $errs}" [ -z "$errs" ]
else
	skip_msg="no systemd-analyze"
	echo "ok - systemd-analyze verify # SKIP $skip_msg"
fi

make -C "$TOP" --no-print-directory BUILD="$BUILD" DESTDIR="$D" PREFIX="$P" uninstall \
	>"$W/out" 2>&1
left=$(find "$D" -type f -o -type l)
check "make uninstall removes every file${left:+ (left: $left)}" [ -z "$left" ]
[ "$FAILS" -eq 0 ]
