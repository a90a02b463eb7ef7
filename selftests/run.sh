#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test runner: unit tests (cmocka), netns selftests, short fuzzer runs.
# Every test speaks TAP ("ok - x", "not ok - x", "ok - x # SKIP why"); the
# runner adds them up and ends with one line: "N passed, N failed, N skipped".
#
#   selftests/run.sh            everything
#   selftests/run.sh NAME       tests whose name matches NAME (a glob)
#   selftests/run.sh --unit | --net | --fuzz | --build
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OBJ=${OBJ:-$BUILD/obj}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-15}
export BUILD OBJ

kinds="build unit net fuzz"
pattern="*"
case "${1:-}" in
--unit) kinds=unit ;;
--net) kinds=net ;;
--fuzz) kinds=fuzz ;;
--build) kinds=build ;;
"") ;;
*) pattern="$1" ;;
esac

passed=0 failed=0 skipped=0
failed_names=()

# run_one NAME CMD...: run a test, echo its TAP indented, add up its results.
run_one() {
	local name=$1 out rc p=0 f=0 s=0
	shift
	echo "# ---- $name"
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	sed 's/^/  /' "$out"
	p=$(grep -cE '^ok\b' "$out" | tr -d ' ')
	s=$(grep -cE '^ok\b.*# *SKIP' "$out" | tr -d ' ')
	f=$(grep -cE '^not ok\b' "$out" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# died or exited non-zero without saying which check failed
		echo "  not ok - $name exited with status $rc"
		f=1
	fi
	if [ "$rc" -eq 0 ] && [ $((p + f + s)) -eq 0 ]; then
		echo "  not ok - $name ran no check"
		f=1
	fi
	rm -f "$out"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -gt 0 ] && failed_names+=("$name")
	return 0
}

match() { [[ $1 == $pattern || $1 == test_$pattern || $1 == fuzz_$pattern ]]; }

for kind in $kinds; do
	case $kind in
	build)
		# the build itself, from the user's side (fresh machine paths)
		for t in selftests/build/test_*.sh; do
			[ -f "$t" ] || continue
			n=$(basename "$t" .sh)
			match "$n" || continue
			run_one "$n" timeout --kill-after=10 600 bash "$t"
		done ;;
	unit)
		for t in "$OBJ"/tests/test_*; do
			[ -x "$t" ] || continue
			n=$(basename "$t")
			match "$n" || continue
			CMOCKA_MESSAGE_OUTPUT=TAP run_one "$n" "$t"
		done ;;
	net)
		for t in selftests/net/test_*.sh; do
			[ -f "$t" ] || continue
			n=$(basename "$t" .sh)
			match "$n" || continue
			if [ "$(id -u)" -ne 0 ]; then
				run_one "$n" echo "ok - $n # SKIP needs root (network namespaces)"
				continue
			fi
			run_one "$n" timeout --kill-after=10 600 bash "$t"
		done ;;
	fuzz)
		for t in "$BUILD"/fuzz/fuzz_*; do
			[ -x "$t" ] || continue
			n=$(basename "$t")
			match "$n" || continue
			run_one "$n" selftests/fuzz/smoke.sh "$t" "$FUZZ_SMOKE_SECONDS"
		done ;;
	esac
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "# failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
