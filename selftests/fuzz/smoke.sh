#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A short run of one fuzzer from its committed seed corpus, for make check.
# Usage: smoke.sh FUZZER SECONDS
set -u
fuzzer=$1 secs=$2
name=$(basename "$fuzzer")
seeds=selftests/fuzz/corpus/${name#fuzz_}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] || { echo "not ok - $name: no seed corpus in $seeds"; exit 1; }
if "$fuzzer" -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$work/" "$work" "$seeds" >"$work/log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	echo "ok - $name ran $runs inputs in ${secs}s without a finding"
else
	tail -n 40 "$work/log"
	echo "not ok - $name found a crash"
	exit 1
fi
