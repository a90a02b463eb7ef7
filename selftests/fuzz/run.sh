#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz: run every fuzzer for FUZZ_SECONDS, growing a scratch corpus
# under build/fuzz/corpus (the committed seeds stay as they are).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
rc=0
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	corpus=$BUILD/fuzz/corpus/$n
	mkdir -p "$corpus"
	echo "== $n for ${FUZZ_SECONDS}s"
	"$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz/$n-" "$corpus" \
		"selftests/fuzz/corpus/${n#fuzz_}" 2>&1 |
		grep -E '^(stat::number_of_executed_units|stat::peak_rss|==.*ERROR|SUMMARY)' || true
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "$n: FINDING"; rc=1; }
done
exit $rc
