#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command must keep working: run the demo, check that
# its transfer arrived intact, that it shows what this version can show
# (ciphertext on the wire, the same session id at both ends, an
# application authenticating it) or says why not, and leaves nothing behind.
source "$(dirname "$0")/lib.sh"

# the demo's namespaces get names of our choosing (others may run tests beside us)
DTID=demo$$
start=$(date +%s)
out=$(BUILD=$BUILD TID=$DTID "$TOP/scripts/demo.sh" 2>&1)
rc=$?
secs=$(( $(date +%s) - start ))
echo "$out" | sed 's/^/# /'
check "demo exits 0" [ $rc -eq 0 ]
check "demo transfer arrived intact" grep -q '^   identical$' <<<"$out"
check "demo reports session ids or says why there are none" \
	grep -qE '^== session ids$' <<<"$out"
if grep -q "tcpcryptd on both hosts (encrypting)" <<<"$out"; then
	check "encrypting: no marker in the capture of the wire" \
		grep -q -- '-> ciphertext: not one marker' <<<"$out"
	check "... while a connection it does not steer shows the marker" \
		grep -qE 'the marker appears [1-9][0-9]* times: plain TCP is visible' <<<"$out"
	check "encrypting: the same session id at both ends" \
		grep -q -- '-> the same session id at both ends' <<<"$out"
	check "encrypting: the password example authenticates at both ends" \
		[ "$(grep -c '^   H[12]: authenticated' <<<"$out")" -eq 2 ]
else
	check "pass-through only: the demo says it does not encrypt" \
		grep -q "does not encrypt yet" <<<"$out"
fi
# informational, not a timing assertion: the README promises a short demo
log "the demo took ${secs}s"
check "no namespace left behind" sh -c "! ip netns list | grep -q '^tc$DTID-'"
check "... it made some (the check looks at the right names)" grep -q "tc$DTID-H1" <<<"$out"
done_testing
