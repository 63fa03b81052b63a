#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the selftests of this directory (all *.sh but run.sh, or those named
# as arguments), each under the timeout of ./settings times FP_TIMEOUT_SCALE
# (default 1). Every test prints its own KTAP; when a test dies (non-zero
# exit, timeout) without a "not ok" line, one "not ok" line is added for it
# so the failure is counted.
# Exit status: 0 if nothing failed.
set -uo pipefail
cd "$(dirname "$0")"

timeout=$(sed -n 's/^timeout=//p' settings 2>/dev/null | tail -n 1)
timeout=${timeout:-300}
# Debug kernels run several times slower: FP_TIMEOUT_SCALE multiplies.
timeout=$((timeout * ${FP_TIMEOUT_SCALE:-1}))

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in *.sh; do
		[ "$t" = run.sh ] || [ "$t" = lib.sh ] || tests+=("$t")
	done
fi

failed=0
for t in "${tests[@]}"; do
	t=$(basename "$t")
	echo "# selftests: $t (timeout ${timeout}s)"
	if [ ! -f "$t" ]; then
		echo "not ok 1 $t # no such test"
		failed=1
		continue
	fi
	log=$(mktemp)
	start=$SECONDS
	timeout --kill-after=10 "$timeout" bash "./$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok 1 $t # timed out after ${timeout}s"
		failed=1
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
		if ! grep -q '^not ok ' "$log"; then
			echo "not ok 1 $t # exited with status $rc"
		fi
		failed=1
	elif [ "$rc" -eq 4 ] && ! grep -qE '^(not )?ok ' "$log"; then
		echo "ok 1 $t # SKIP exited with status 4 (skip)"
	elif ! grep -qE '^(not )?ok ' "$log"; then
		echo "not ok 1 $t # printed no results"
		failed=1
	fi
	grep -q '^not ok ' "$log" && failed=1
	echo "# selftests: $t exit status $rc ($((SECONDS - start)) s)"
	rm -f "$log"
done
exit $failed
