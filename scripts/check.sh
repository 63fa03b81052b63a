#!/usr/bin/env bash
# make check [TESTS='smoke.sh ...']: the project's test command.
# deps -> tree -> ours kernel -> check-patches -> one guest boot running
# selftests/run.sh.
# make check-debug (CHECK_KERNEL=debug): the same selftests on the debug
# kernel (KASAN, lockdep, kmemleak, ...) in build/vm-debug, without the patch
# checks; any kernel report in the console log is a failure. Counts every KTAP result line (patch checks and guest
# tests); a kernel that does not build, a crashed or hung guest, or a guest
# run that fails without a "not ok" line each count as one failure.
# Last line: "N passed, N failed, N skipped"; exit status 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

KERNEL="${CHECK_KERNEL:-ours}"
case "$KERNEL" in
ours)	VM_DIR="${VM_DIR:-build/vm}"; log="$BUILD/check-results.log" ;;
debug)	VM_DIR="${VM_DIR:-build/vm-debug}"; log="$BUILD/check-debug-results.log"
	# KASAN and lockdep slow everything down several times over.
	export VM_TIMEOUT="${VM_TIMEOUT:-4800}" FP_TIMEOUT_SCALE="${FP_TIMEOUT_SCALE:-3}" ;;
*)	die "CHECK_KERNEL must be ours or debug" ;;
esac
export KERNEL VM_DIR
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
	fail_line kernel "build of the $KERNEL kernel failed"
fi

if [ "$KERNEL" = ours ]; then
	note "check-patches"
	scripts/check-patches.sh > "$BUILD/check-patches.out" 2>&1 || true
	cat "$BUILD/check-patches.out"
	collect check-patches < "$BUILD/check-patches.out"
fi

if [ "$kernel_ok" = 1 ]; then
	# shellcheck disable=SC2086
	vmstatus=0
	# The guest runs a copy of selftests/ in its tmpfs: edits on the host
	# during a long run must not change files under a reading guest.
	CMD="cp -r selftests /tmp/selftests && KSRC=\$PWD/build/linux FP_TIMEOUT_SCALE=${FP_TIMEOUT_SCALE:-1} /tmp/selftests/run.sh ${TESTS:-}" \
		scripts/vm.sh || vmstatus=$?
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
