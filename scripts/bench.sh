#!/usr/bin/env bash
# make bench [QUICK=1]: forwarding performance of the classic path, our fast
# path and mainline's flowtable, side by side. Boots the ours and mainline
# kernels alternately (ours/mainline, then mainline/ours, ...: one pair per
# BENCH_PAIRS), each running scripts/bench-guest.sh on the same topology, then
# scripts/bench-report.py prints the table (medians, min-max, pair-by-pair
# ratios) and writes build/bench/results.json and build/bench/pps-vs-flows.png.
# Each pair also boots our kernel on netdevsim ports (label ours-nsim: floor,
# software fast path and the hw variant, flows forwarded by netdevsim's flow
# table model).
#
# Knobs (environment): QUICK=1 (3 pairs, 1 round, 2 s runs, 1 and 100k flows,
# no netdevsim boot), BENCH_PAIRS, BENCH_ROUNDS, BENCH_SECS, BENCH_FLOWS,
# BENCH_MEM_FLOWS, BENCH_BUILD=0 (use the kernels already in
# build/kbuild-{ours,mainline} as they are: no deps, tree or kernel step),
# BENCH_KERNELS (default "ours mainline"; any build/kbuild-NAME, or
# ours-nsim alone), BENCH_NSIM=0|1 (the netdevsim boot; default 1, QUICK 0),
# BENCH_OUTDIR (default build/bench, relative to the repo), BENCH_VARIANTS,
# BENCH_PROFILE and BENCH_REVAL_FLOWS (passed to scripts/bench-guest.sh),
# VM_KVM=1, VM_ICOUNT=N (scripts/vm.sh: the guest clock advances 2^N ns per
# instruction, so pps measure instructions per packet whatever the host
# does; wall time grows). scripts/bench-compare.py OUTDIR BEFORE AFTER gives
# the ratios of two kernels, e.g. before and after a change.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

if [ "${QUICK:-0}" = 1 ]; then
	PAIRS=${BENCH_PAIRS:-3}; ROUNDS=${BENCH_ROUNDS:-1}; SECS=${BENCH_SECS:-2}
	FLOWS=${BENCH_FLOWS:-"1 100000"}; MEM_FLOWS=${BENCH_MEM_FLOWS:-20000}; CT_CHECK=0
	NSIM=${BENCH_NSIM:-0}
else
	PAIRS=${BENCH_PAIRS:-5}; ROUNDS=${BENCH_ROUNDS:-2}; SECS=${BENCH_SECS:-3}
	FLOWS=${BENCH_FLOWS:-"1 1000 100000"}; MEM_FLOWS=${BENCH_MEM_FLOWS:-100000}; CT_CHECK=1
	NSIM=${BENCH_NSIM:-1}
fi
OUTDIR=${BENCH_OUTDIR:-build/bench}    # relative: the guest writes there too
VM_DIR=${BENCH_VM_DIR:-build/vm-bench}
read -ra KERNELS <<< "${BENCH_KERNELS:-ours mainline}"
# the netdevsim scenario: after ours in each pair, our kernel once more on
# netdevsim ports (floor, fast and hw), recorded as ours-nsim
if [ "$NSIM" = 1 ] && [[ " ${KERNELS[*]} " == *" ours "* ]] &&
   [[ " ${KERNELS[*]} " != *" ours-nsim "* ]]; then
	BOOTS=("${KERNELS[@]}" ours-nsim)
else
	BOOTS=("${KERNELS[@]}")
fi

if [ "${BENCH_BUILD:-1}" != 0 ]; then
	scripts/deps.sh
	scripts/tree.sh
	for k in "${KERNELS[@]}"; do KERNEL=${k%-nsim} scripts/kernel.sh; done
	make -s userspace
fi
for k in "${KERNELS[@]}"; do
	k=${k%-nsim}
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
[ -n "${VM_ICOUNT:-}" ] && accel="TCG -icount shift=$VM_ICOUNT (guest time counts instructions)"
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

note "bench: $PAIRS pairs x ${BOOTS[*]}, $ROUNDS round(s) per boot, ${SECS}s per run, flows: $FLOWS ($accel)"
start=$SECONDS
failed=0
# bench_boot KERNEL LABEL [VAR=value...]: one boot of build/kbuild-KERNEL
# running scripts/bench-guest.sh; its runs are recorded as LABEL's.
bench_boot() {
	local k=$1 label=$2 before status=0
	shift 2
	before=$(kimg "$k")
	KERNEL=$k VM_DIR=$VM_DIR VM_TIMEOUT=${BENCH_VM_TIMEOUT:-1200} \
	CMD="BENCH_OUT=$raw BENCH_KERNEL=$label BENCH_BOOT=$pair BENCH_ROUNDS=$ROUNDS BENCH_SECS=$SECS BENCH_FLOWS='$FLOWS' BENCH_MEM_FLOWS=$MEM_FLOWS BENCH_CT_CHECK=$CT_CHECK BENCH_PROFILE=${BENCH_PROFILE:-0} BENCH_REVAL_FLOWS=${BENCH_REVAL_FLOWS:-10000} $* scripts/bench-guest.sh" \
		scripts/vm.sh || status=$?
	cp "$VM_DIR/output.log" "$OUTDIR/boot-$pair-$label.log" 2> /dev/null || true
	if [ "$status" != 0 ]; then
		note "bench: pair $pair, $label: guest exited with $status (see $VM_DIR/console.log)"
		failed=1
	fi
	[ "$(kimg "$k")" = "$before" ] || note "bench: WARNING: build/kbuild-$k changed during the run"
}
for pair in $(seq 1 "$PAIRS"); do
	order=("${BOOTS[@]}")
	[ $((pair % 2)) = 0 ] && [ ${#KERNELS[@]} = 2 ] && order=("${KERNELS[1]}" "${KERNELS[0]}" "${BOOTS[@]:2}")
	for k in "${order[@]}"; do
		case $k in
		ours-nsim)
			bench_boot ours ours-nsim BENCH_NSIM=1 BENCH_VARIANTS="'floor fast:1 hw:1'" \
				BENCH_MEM_FLOWS=0 BENCH_REVAL_FLOWS=0 ;;
		*)
			bench_boot "$k" "$k" BENCH_NSIM=0 BENCH_VARIANTS="'${BENCH_VARIANTS:-}'" ;;
		esac
	done
	note "bench: pair $pair done after $((SECONDS - start))s"
done

python3 scripts/bench-report.py "$OUTDIR"
note "bench: wall time $((SECONDS - start))s; results in $OUTDIR/results.json"
[ "$failed" = 0 ] || die "some boots failed (see above)"
