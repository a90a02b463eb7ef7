#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: run every benchmark section in turn. Each section is its own
# script in selftests/bench/ that measures its figures against a baseline
# taken in the same run and prints a table; none asserts on time.
# Add a section by adding its script to SECTIONS.
#
#   selftests/bench/run.sh [section...]     (default: all sections)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

SECTIONS=(crypto datapath engine)

[ $# -gt 0 ] && SECTIONS=("$@")
rc=0
for s in "${SECTIONS[@]}"; do
	script=selftests/bench/$s.sh
	if [ ! -f "$script" ]; then
		echo "bench: no section $s ($script)" >&2
		rc=1
		continue
	fi
	echo "######## bench section: $s"
	bash "$script" || { echo "bench: section $s failed" >&2; rc=1; }
	echo
done
exit $rc
