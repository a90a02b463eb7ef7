#!/bin/bash
# Install the Debian 12 packages the build, the tests and the benchmarks need.
# Does nothing when everything is present, so every entry point may call it.
#
#   scripts/deps.sh              install what is missing (root)
#   scripts/deps.sh --missing    print the packages the *build* lacks (one
#                                line, nothing when complete); used by the
#                                Makefile before it reads pkg-config flags
set -euo pipefail

BUILD_PKGS=(
	make gcc clang llvm pkg-config
	libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev libssl-dev libpcap-dev
	libcmocka-dev libclang-rt-14-dev
)
TEST_PKGS=(
	xdp-tools iproute2 ethtool iperf3 tcpdump tshark netcat-openbsd socat curl
	lighttpd nftables iputils-ping python3 procps kmod stunnel4 gnuplot-nox
)

# What the build itself probes, as the build sees it (pkg-config, PATH), so
# a package installed some other way counts too. pkg-config module:package.
BUILD_MODULES=(libbpf:libbpf-dev libxdp:libxdp-dev libcrypto:libssl-dev libpcap:libpcap-dev
	       cmocka:libcmocka-dev libelf:libelf-dev zlib:zlib1g-dev)
BUILD_CMDS=(clang:clang bpftool:bpftool llvm-strip:llvm)

missing_build() {
	local m out=()
	command -v pkg-config >/dev/null 2>&1 || { echo pkg-config; return; }
	for m in "${BUILD_MODULES[@]}"; do
		pkg-config --exists "${m%%:*}" 2>/dev/null || out+=("${m#*:}")
	done
	for m in "${BUILD_CMDS[@]}"; do
		command -v "${m%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${m%%:*}" ] ||
			out+=("${m#*:}")
	done
	echo "${out[*]}"
}

if [ "${1:-}" = --missing ]; then
	missing_build
	exit 0
fi

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; install them as root: sudo make deps" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# apt's own chatter (debconf notices) only if something fails
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	"${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	echo "deps: apt-get failed" >&2
	exit 1
fi
rm -f "$log"
# the build's own view must now be complete
left=$(missing_build)
if [ -n "$left" ]; then
	echo "deps: still missing after apt-get install: $left" >&2
	exit 1
fi
