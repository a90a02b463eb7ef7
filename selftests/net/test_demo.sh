#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command must keep working: run the demo, check that
# its transfer arrived intact and that it says what it shows.
source "$(dirname "$0")/lib.sh"

out=$(BUILD=$BUILD "$TOP/scripts/demo.sh" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "demo exits 0" [ $rc -eq 0 ]
check "demo transfer arrived intact" grep -q '^   identical$' <<<"$out"
check "demo reports session ids or says why there are none" \
	grep -qE '^== session ids$' <<<"$out"
done_testing
