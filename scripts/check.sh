#!/usr/bin/env bash
# make check [TESTS='smoke.sh ...']: the project's test command.
# deps -> tree -> ours kernel -> check-patches -> one guest boot running
# selftests/run.sh; then (without TESTS, unless CHECK_DISTRO=0) the distro
# kernel - ours next to mainline's flowtable core and tc act_ct - booted
# once for the tests named in DISTRO_TESTS (default: smoke, coexistence,
# module unload/reload - the distro kernel builds the fast path as a
# module - and mainline's nft_flowtable.sh).
# make check-debug (CHECK_KERNEL=debug): the same selftests on the debug
# kernel (KASAN, lockdep, kmemleak, ...) in build/vm-debug, without the
# patch checks; CHECK_KERNEL=distro: all of them on the distro kernel.
# Any kernel report in the console log is a failure. Counts every KTAP
# result line (patch checks and guest tests); a kernel that does not
# build, a crashed or hung guest, or a guest run that fails without a
# "not ok" line each count as one failure.
# Last line: "N passed, N failed, N skipped"; exit status 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

KERNEL="${CHECK_KERNEL:-ours}"
case "$KERNEL" in
ours)	VM_DIR="${VM_DIR:-build/vm}"; log="$BUILD/check-results.log"
	# the whole suite takes about 25 minutes alone on 2 cores
	export VM_TIMEOUT="${VM_TIMEOUT:-3600}" ;;
debug)	VM_DIR="${VM_DIR:-build/vm-debug}"; log="$BUILD/check-debug-results.log"
	# KASAN and lockdep slow everything down several times over.
	export VM_TIMEOUT="${VM_TIMEOUT:-4800}" FP_TIMEOUT_SCALE="${FP_TIMEOUT_SCALE:-3}" ;;
distro)	VM_DIR="${VM_DIR:-build/vm-distro}"; log="$BUILD/check-distro-results.log"
	export VM_TIMEOUT="${VM_TIMEOUT:-3600}" ;;
*)	die "CHECK_KERNEL must be ours, debug or distro" ;;
esac
export KERNEL VM_DIR
mkdir -p "$BUILD"
: > "$log"

# Append KTAP result lines from stdin to the results log under a prefix.
collect() { grep -aE '^(not )?ok [0-9]+' | sed "s|^|$1: |" >> "$log" || true; }
fail_line() { echo "$1: not ok 1 $2" >> "$log"; echo "not ok - $1: $2"; }

scripts/deps.sh
scripts/tree.sh
# The control tool, on the guest's PATH (qemu/init.sh).
if ! make -s userspace; then
	fail_line userspace "build of build/userspace/nf-fastpath failed"
fi

# guest_lane <prefix> <kernel> <vm dir> [tests...]: build the kernel, boot
# it once running selftests/run.sh on the tests (all without any), and
# collect the results under <prefix>.
guest_lane() {
	local prefix=$1 kernel=$2 vmdir=$3 vmstatus=0 out
	shift 3

	if ! KERNEL=$kernel scripts/kernel.sh; then
		fail_line "$prefix" "build of the $kernel kernel failed"
		return
	fi
	# The guest runs a copy of selftests/ in its tmpfs: edits on the host
	# during a long run must not change files under a reading guest.
	CMD="cp -r selftests /tmp/selftests && KSRC=\$PWD/build/linux FP_TIMEOUT_SCALE=${FP_TIMEOUT_SCALE:-1} FP_MODULE_CYCLES=${FP_MODULE_CYCLES:-} /tmp/selftests/run.sh $*" \
		KERNEL=$kernel VM_DIR=$vmdir scripts/vm.sh || vmstatus=$?
	out="$REPO/$vmdir/output.log"
	[ -f "$out" ] && collect "$prefix" < "$out"
	case "$vmstatus" in
	0) ;;
	124) fail_line "$prefix" "guest hung or died (no exit marker), see $vmdir/console.log" ;;
	125) fail_line "$prefix" "kernel report (BUG/WARNING/KASAN/...) in $vmdir/console.log" ;;
	*)  if ! grep -q "^$prefix: not ok" "$log"; then
		    fail_line "$prefix" "selftests/run.sh exited with $vmstatus"
	    fi ;;
	esac
}

if [ "$KERNEL" = ours ]; then
	note "check-patches"
	scripts/check-patches.sh > "$BUILD/check-patches.out" 2>&1 || true
	cat "$BUILD/check-patches.out"
	collect check-patches < "$BUILD/check-patches.out"
fi

# shellcheck disable=SC2086
guest_lane guest "$KERNEL" "$VM_DIR" ${TESTS:-}

# The distribution kernel: ours next to mainline's flowtable core, tc
# act_ct and Open vSwitch (qemu/distro.config). make check boots it for
# the tests that tell whether both live together; make check-all runs the
# whole suite on it.
if [ "$KERNEL" = ours ] && [ "${CHECK_DISTRO:-1}" != 0 ] && [ -z "${TESTS:-}" ]; then
	guest_lane distro distro build/vm-distro ${DISTRO_TESTS:-smoke.sh \
		nf_fastpath_coexist.sh nf_fastpath_module.sh \
		nft_flowtable_conformance.sh}
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
