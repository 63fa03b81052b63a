#!/usr/bin/env bash
# make check [TESTS='smoke.sh ...']: the project's test command.
# deps -> tree -> ours kernel -> check-patches -> one guest boot running
# selftests/run.sh. Counts every KTAP result line (patch checks and guest
# tests); a kernel that does not build, a crashed or hung guest, or a guest
# run that fails without a "not ok" line each count as one failure.
# Last line: "N passed, N failed, N skipped"; exit status 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

export KERNEL=ours
VM_DIR="${VM_DIR:-build/vm}"
export VM_DIR
log="$BUILD/check-results.log"      # every KTAP line we count, with its origin
mkdir -p "$BUILD"
: > "$log"

# Append KTAP result lines from stdin to the results log under a prefix.
collect() { grep -aE '^(not )?ok [0-9]+' | sed "s|^|$1: |" >> "$log" || true; }
fail_line() { echo "$1: not ok 1 $2" >> "$log"; echo "not ok - $1: $2"; }

scripts/deps.sh
scripts/tree.sh

kernel_ok=1
if ! scripts/kernel.sh; then
	kernel_ok=0
	fail_line kernel "build of the ours kernel failed"
fi

note "check-patches"
scripts/check-patches.sh > "$BUILD/check-patches.out" 2>&1 || true
cat "$BUILD/check-patches.out"
collect check-patches < "$BUILD/check-patches.out"

if [ "$kernel_ok" = 1 ]; then
	# shellcheck disable=SC2086
	vmstatus=0
	CMD="selftests/run.sh ${TESTS:-}" scripts/vm.sh || vmstatus=$?
	out="$REPO/$VM_DIR/output.log"
	[ -f "$out" ] && collect guest < "$out"
	case "$vmstatus" in
	0) ;;
	124) fail_line guest "guest hung or died (no exit marker), see $VM_DIR/console.log" ;;
	125) fail_line guest "kernel report (BUG/WARNING/KASAN/...) in $VM_DIR/console.log" ;;
	*)  if ! grep -q '^guest: not ok' "$log"; then
		    fail_line guest "selftests/run.sh exited with $vmstatus"
	    fi ;;
	esac
else
	fail_line guest "selftests not run: no kernel"
fi

skipped=$(grep -acE ': ok [0-9]+.*# *SKIP' "$log" || true)
passed=$(( $(grep -acE ': ok [0-9]+' "$log" || true) - skipped ))
failed=$(grep -acE ': not ok [0-9]+' "$log" || true)
echo
if [ "$failed" -gt 0 ]; then
	echo "failures:"
	grep -aE ': not ok [0-9]+' "$log" | sed 's/^/  /'
fi
if [ "$skipped" -gt 0 ]; then
	echo "skips:"
	grep -aE ': ok [0-9]+.*# *SKIP' "$log" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
