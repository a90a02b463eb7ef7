#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, crypto section: protocol core micro-benchmarks.
#   bench_crypto     frame seal/open per AEAD beside a bare EVP loop
#   bench_handshake  handshakes/s (built by another part of the tree; run
#                    when present)
# Figures only: nothing here asserts on time.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
rc=0

echo "== crypto: frame seal/open vs bare EVP ($(date -u '+%F %T UTC'), $(nproc) CPUs, $(uname -r))"
if [ -x "$BUILD/tests/bench_crypto" ]; then
	"$BUILD/tests/bench_crypto" ${BENCH_CRYPTO_ARGS:-} || rc=1
else
	echo "bench_crypto not built ($BUILD/tests/bench_crypto)"; rc=1
fi

if [ -x "$BUILD/tests/bench_handshake" ]; then
	echo
	echo "== crypto: handshakes/s"
	"$BUILD/tests/bench_handshake" ${BENCH_HANDSHAKE_ARGS:-} || rc=1
fi
exit $rc
