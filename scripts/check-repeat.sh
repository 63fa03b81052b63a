#!/usr/bin/env bash
# make check-repeat N=10 [TESTS='smoke.sh ...'] [KERNEL=ours|debug]
# The selftests again and again: N guest boots in a row, each running
# selftests/run.sh (TESTS, or all of them) once, as make check does. Then
# every case that failed at least once is listed with the runs it failed
# in and its message (the diagnostic lines the test printed before its
# "not ok"); a guest that hung, or a kernel report in the console, counts
# as a failure of that run.
#
# KERNEL=ours or debug is built first as make check does (deps, tree,
# scripts/kernel.sh); the debug kernel runs with FP_TIMEOUT_SCALE=3 as in
# make check-debug. Any other KERNEL=NAME boots build/kbuild-NAME's bzImage
# as it is (REPEAT_BUILD=0 does the same for ours and debug).
# VM_DIR: the guest's folder (default build/vm-repeat-$KERNEL); VM_TIMEOUT
# per boot: 3600 s, debug 9600 s.
# Results: build/repeat-$KERNEL/ (REPEAT_DIR): run-I.log (guest output of
# boot I), vm-I.log (the harness's), console-I.log of failed boots,
# summary.txt, selftests/ (the copy every boot ran). Exit status 0 if every run passed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

N="${N:-10}"
KERNEL="${KERNEL:-ours}"
TESTS="${TESTS:-}"
VM_DIR="${VM_DIR:-build/vm-repeat-$KERNEL}"
OUT="${REPEAT_DIR:-$BUILD/repeat-$KERNEL}"
# A boot runs the whole suite: on a loaded host (the point of repeating)
# that can take twice as long as on an idle one.
scale="${FP_TIMEOUT_SCALE:-1}"
timeout=3600
case "$KERNEL" in
debug)	scale="${FP_TIMEOUT_SCALE:-3}"
	timeout=9600 ;;
esac
export VM_TIMEOUT="${VM_TIMEOUT:-$timeout}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number (got '$N')"
export KERNEL VM_DIR

if [ "${REPEAT_BUILD:-1}" = 1 ]; then
	case "$KERNEL" in
	ours|debug)
		scripts/deps.sh
		scripts/tree.sh
		scripts/kernel.sh ;;
	esac
	make -s userspace
fi
[ -f "$BUILD/kbuild-$KERNEL/arch/x86/boot/bzImage" ] ||
	die "no kernel: build/kbuild-$KERNEL/arch/x86/boot/bzImage"

rm -rf "$OUT"
mkdir -p "$OUT"
fails="$OUT/failures"	# run <TAB> test <TAB> case <TAB> message
: > "$fails"
summary="$OUT/summary.txt"

# The failures of one run's guest output, one line each: test, case,
# message (the last diagnostic lines before the "not ok", joined by " | ").
failures_of()	# failures_of <run> <output.log>
{
	awk -v run="$1" '
	/^# selftests: .* \(timeout/ { test = $3; n = 0; next }
	/^(# |Bail out!)/ {
		buf[n % 6] = $0; n++; next
	}
	/^ok [0-9]+/ { n = 0; next }
	/^not ok [0-9]+/ {
		name = $0
		sub(/^not ok [0-9]+ */, "", name)
		msg = ""
		for (i = (n > 6 ? n - 6 : 0); i < n; i++)
			msg = msg (msg == "" ? "" : " | ") buf[i % 6]
		printf "%s\t%s\t%s\t%s\n", run, test, name, msg
		n = 0
	}' "$2"
}

# Every boot runs the same copy of selftests/, taken now: edits to the
# tree during a long run do not change the runs that follow.
cp -r selftests "$OUT/selftests"
CMD="cp -r $OUT/selftests /tmp/selftests && KSRC=\$PWD/build/linux"
CMD+=" FP_TIMEOUT_SCALE=$scale /tmp/selftests/run.sh $TESTS"
export CMD
note "check-repeat: $N runs on the $KERNEL kernel in $VM_DIR, tests: ${TESTS:-all}"
{
	echo "check-repeat: $N runs, kernel $KERNEL, FP_TIMEOUT_SCALE=$scale," \
		"tests: ${TESTS:-all}"
	echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores"
} > "$summary"

passed_runs=0
times=()
for i in $(seq 1 "$N"); do
	start=$SECONDS
	status=0
	scripts/vm.sh > "$OUT/vm-$i.log" 2>&1 || status=$?
	secs=$((SECONDS - start))
	times+=("$secs")
	out="$VM_DIR/output.log"
	cp "$out" "$OUT/run-$i.log" 2>/dev/null || : > "$OUT/run-$i.log"
	failures_of "$i" "$OUT/run-$i.log" >> "$fails"
	case "$status" in
	0|1) ;;
	124) printf '%s\tguest\thung or died\t%s\n' "$i" \
		"no exit marker; console kept as console-$i.log" >> "$fails" ;;
	125) printf '%s\tguest\tkernel report\t%s\n' "$i" \
		"$(grep -aE 'BUG:|WARNING:|KASAN:|lockdep|kmemleak|refcount|ODEBUG|unregister_netdevice|hung|blocked for' \
			"$OUT/vm-$i.log" | head -n 3 | tr '\n' '|')" >> "$fails" ;;
	*)  printf '%s\tguest\tstatus %s\t%s\n' "$i" "$status" \
		"$(tail -n 3 "$OUT/vm-$i.log" | tr '\n' '|')" >> "$fails" ;;
	esac
	nok=$(grep -ac '^not ok [0-9]' "$OUT/run-$i.log" || true)
	ok=$(grep -acE '^ok [0-9]+' "$OUT/run-$i.log" || true)
	skip=$(grep -acE '^ok [0-9]+.*# *SKIP' "$OUT/run-$i.log" || true)
	if [ "$status" = 0 ] && [ "$nok" = 0 ]; then
		passed_runs=$((passed_runs + 1))
		verdict=passed
	else
		verdict=FAILED
		cp "$VM_DIR/console.log" "$OUT/console-$i.log" 2>/dev/null || true
	fi
	line="run $i of $N: $verdict, $((ok - skip)) ok, $nok not ok, $skip skipped,"
	line+=" guest status $status, $((secs / 60)) min $((secs % 60)) s"
	echo "$line" | tee -a "$summary"
done

{
	echo
	if [ -s "$fails" ]; then
		echo "cases that failed at least once:"
		cut -f2,3 "$fails" | sort | uniq -c | sort -rn |
		while read -r count rest; do
			test=${rest%%$'\t'*}
			name=${rest#*$'\t'}
			echo "  $test: $name - failed in $count of $N runs"
			awk -F'\t' -v t="$test" -v c="$name" \
				'$2 == t && $3 == c { print "    run " $1 ": " $4 }' "$fails"
		done
	else
		echo "no case failed in $N runs"
	fi
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	echo "runs: $N, passed: $passed_runs, failed: $((N - passed_runs));" \
		"time per run: min $(echo "$sorted" | head -n 1) s," \
		"median $(echo "$sorted" | sed -n "$(((N + 1) / 2))p") s," \
		"max $(echo "$sorted" | tail -n 1) s"
} | tee -a "$summary"
[ "$passed_runs" -eq "$N" ]
