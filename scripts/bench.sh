#!/usr/bin/env bash
# make bench [QUICK=1]: forwarding performance of the classic path, our fast
# path and mainline's flowtable, side by side. Boots the ours and mainline
# kernels alternately (ours/mainline, then mainline/ours, ...: one pair per
# BENCH_PAIRS), each running scripts/bench-guest.sh on the same topology, then
# scripts/bench-report.py prints the table (medians, min-max, pair-by-pair
# ratios) and writes build/bench/results.json and build/bench/pps-vs-flows.png.
#
# Knobs (environment): QUICK=1 (3 pairs, 1 round, 2 s runs, 1 and 100k flows),
# BENCH_PAIRS, BENCH_ROUNDS, BENCH_SECS, BENCH_FLOWS, BENCH_MEM_FLOWS,
# BENCH_BUILD=0 (use the kernels already in build/kbuild-{ours,mainline}
# as they are: no deps, tree or kernel step), BENCH_KERNELS (default
# "ours mainline"), BENCH_OUTDIR (default build/bench, relative to the
# repo), BENCH_VARIANTS, BENCH_NSIM and BENCH_REVAL_FLOWS (passed to
# scripts/bench-guest.sh), VM_KVM=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

if [ "${QUICK:-0}" = 1 ]; then
	PAIRS=${BENCH_PAIRS:-3}; ROUNDS=${BENCH_ROUNDS:-1}; SECS=${BENCH_SECS:-2}
	FLOWS=${BENCH_FLOWS:-"1 100000"}; MEM_FLOWS=${BENCH_MEM_FLOWS:-20000}; CT_CHECK=0
else
	PAIRS=${BENCH_PAIRS:-5}; ROUNDS=${BENCH_ROUNDS:-2}; SECS=${BENCH_SECS:-3}
	FLOWS=${BENCH_FLOWS:-"1 1000 100000"}; MEM_FLOWS=${BENCH_MEM_FLOWS:-100000}; CT_CHECK=1
fi
OUTDIR=${BENCH_OUTDIR:-build/bench}    # relative: the guest writes there too
VM_DIR=${BENCH_VM_DIR:-build/vm-bench}
read -ra KERNELS <<< "${BENCH_KERNELS:-ours mainline}"

if [ "${BENCH_BUILD:-1}" != 0 ]; then
	scripts/deps.sh
	scripts/tree.sh
	for k in "${KERNELS[@]}"; do KERNEL=$k scripts/kernel.sh; done
fi
for k in "${KERNELS[@]}"; do
	[ -f "$BUILD/kbuild-$k/arch/x86/boot/bzImage" ] || die "kernel $k missing (make kernel KERNEL=$k)"
done
command -v python3 > /dev/null || die "python3 missing (make deps)"
if ! command -v gnuplot > /dev/null; then
	note "bench: installing gnuplot-nox for the plot"
	sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends gnuplot-nox ||
		note "bench: no gnuplot, the plot will be skipped"
fi

mkdir -p "$OUTDIR"
raw="$OUTDIR/raw.jsonl"
: > "$raw"
rm -f "$OUTDIR"/boot-*.log
accel=TCG; [ "${VM_KVM:-0}" = 1 ] && accel=KVM
kimg() { sha256sum "$BUILD/kbuild-$1/arch/x86/boot/bzImage" 2>/dev/null | cut -c1-16; }
python3 - "$OUTDIR/machine.json" <<-EOF
import json, os, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return ""
json.dump({
    "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
    "cpu_model": sh("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1"),
    "host_cores": os.cpu_count(),
    "accel": "$accel",
    "guest_vcpus": int(os.environ.get("VM_SMP", "2")),
    "guest_mem_mb": int(os.environ.get("VM_MEM", "2048")),
    "qemu": sh("qemu-system-x86_64 --version | head -n 1"),
    "host_kernel": sh("uname -r"),
    "repo_commit": sh("git rev-parse --short=12 HEAD"),
    "bzimage_sha256": {"ours": "$(kimg ours)", "mainline": "$(kimg mainline)"},
    "quick": "${QUICK:-0}" == "1",
    "pairs": $PAIRS, "rounds": $ROUNDS, "secs": $SECS,
    "flows": [int(x) for x in "$FLOWS".split()], "mem_flows": $MEM_FLOWS,
    "pkt_size": "64-byte frames (pktgen pkt_size 60 + FCS), UDP",
}, open(sys.argv[1], "w"), indent=1)
EOF

note "bench: $PAIRS pairs x ${KERNELS[*]}, $ROUNDS round(s) per boot, ${SECS}s per run, flows: $FLOWS ($accel)"
start=$SECONDS
failed=0
for pair in $(seq 1 "$PAIRS"); do
	order=("${KERNELS[@]}")
	[ $((pair % 2)) = 0 ] && [ ${#KERNELS[@]} = 2 ] && order=("${KERNELS[1]}" "${KERNELS[0]}")
	for k in "${order[@]}"; do
		before=$(kimg "$k")
		status=0
		KERNEL=$k VM_DIR=$VM_DIR VM_TIMEOUT=${BENCH_VM_TIMEOUT:-1200} \
		CMD="BENCH_OUT=$raw BENCH_KERNEL=$k BENCH_BOOT=$pair BENCH_ROUNDS=$ROUNDS BENCH_SECS=$SECS BENCH_FLOWS='$FLOWS' BENCH_MEM_FLOWS=$MEM_FLOWS BENCH_CT_CHECK=$CT_CHECK BENCH_VARIANTS='${BENCH_VARIANTS:-}' BENCH_NSIM=${BENCH_NSIM:-0} BENCH_REVAL_FLOWS=${BENCH_REVAL_FLOWS:-10000} scripts/bench-guest.sh" \
			scripts/vm.sh || status=$?
		cp "$VM_DIR/output.log" "$OUTDIR/boot-$pair-$k.log" 2> /dev/null || true
		if [ "$status" != 0 ]; then
			note "bench: pair $pair, $k kernel: guest exited with $status (see $VM_DIR/console.log)"
			failed=1
		fi
		[ "$(kimg "$k")" = "$before" ] || note "bench: WARNING: build/kbuild-$k changed during the run"
	done
	note "bench: pair $pair done after $((SECONDS - start))s"
done

python3 scripts/bench-report.py "$OUTDIR"
note "bench: wall time $((SECONDS - start))s; results in $OUTDIR/results.json"
[ "$failed" = 0 ] || die "some boots failed (see above)"
