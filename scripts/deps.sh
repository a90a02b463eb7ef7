#!/bin/bash
# Install the Debian 12 packages the build, the tests and the benchmarks need.
# Does nothing when everything is present, so every entry point may call it.
set -euo pipefail

PKGS=(
	make gcc clang llvm pkg-config
	libbpf-dev libxdp-dev bpftool xdp-tools libelf-dev zlib1g-dev libssl-dev
	libcmocka-dev libclang-rt-14-dev
	iproute2 ethtool iperf3 tcpdump netcat-openbsd socat curl lighttpd
	iputils-ping python3 procps kmod
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
