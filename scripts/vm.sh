#!/usr/bin/env bash
# make vm CMD='...' [KERNEL=ours|mainline|debug] [VM_TIMEOUT=seconds] [VM_KVM=1] [VM_ICOUNT=N]
# Boots build/kbuild-$KERNEL's bzImage in QEMU with the host root shared
# read-only over 9p and the repo shared read-write, runs CMD (bash, cwd = repo)
# in the guest and exits with CMD's status. Output of CMD is streamed live
# (guest ttyS1 -> $VM_DIR/output.log); the kernel console goes to
# $VM_DIR/console.log.
# Exit status: CMD's status; 124 if the guest never reported back (hang,
# panic, timeout); 125 if the kernel log holds a report (BUG, WARNING, KASAN...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL="${KERNEL:-ours}"
CMD="${CMD:-}"
VM_TIMEOUT="${VM_TIMEOUT:-1800}"
VM_DIR="${VM_DIR:-build/vm}"            # relative to the repo (the guest sees it)
VM_MEM="${VM_MEM:-2048}"
VM_SMP="${VM_SMP:-2}"
[ -n "$CMD" ] || die "usage: make vm CMD='command' [KERNEL=ours|mainline|debug] [VM_TIMEOUT=s]"
case "$REPO" in *[[:space:]]*) die "repo path must not contain spaces: $REPO" ;; esac

kernel="$BUILD/kbuild-$KERNEL/arch/x86/boot/bzImage"
[ -f "$kernel" ] || die "$kernel missing (run: make kernel KERNEL=$KERNEL)"
vmdir="$REPO/$VM_DIR"
mkdir -p "$vmdir"
console="$vmdir/console.log"; output="$vmdir/output.log"; raw="$vmdir/output.raw"
rm -f "$console" "$output" "$raw"
printf '%s\n' "$CMD" > "$vmdir/cmd"

# One CPU per socket: the guest kernel has no ACPI, and SeaBIOS's MP table
# lists only the first core of each socket.
accel=(-accel tcg -cpu max)
if [ "${VM_KVM:-0}" = 1 ]; then accel=(-accel kvm -cpu host); fi
# VM_ICOUNT=N: the guest clock advances 2^N ns per instruction executed
# (one thread for all vCPUs), so guest time measures work, not the host.
if [ -n "${VM_ICOUNT:-}" ]; then accel+=(-icount "shift=$VM_ICOUNT,sleep=off"); fi

# Kernel reports that fail the run even if CMD succeeded. A WARNING counts
# when it opens a line (WARN splats, lockdep), not inside a driver message
# such as pktgen's "pktgen: WARNING: trying to remove a running interface".
REPORTS='BUG:|Oops|Kernel panic|(^|\] )WARNING:|KASAN:|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|refcount_t:|kmemleak:.*new suspected memory leaks|general protection fault|list_add corruption|list_del corruption|ODEBUG:|sleeping function called from invalid context|unregister_netdevice: waiting for|hung_task|blocked for more than'

cmdline="console=ttyS0 root=/dev/root rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=512000 ro"
cmdline+=" panic=-1 mitigations=off init=$REPO/qemu/init.sh fp_vmdir=$VM_DIR"
cmdline+=" fp_kbuild=$(realpath -m --relative-to="$REPO" "$(dirname "$kernel")/../../..")"

note "booting $KERNEL kernel (timeout ${VM_TIMEOUT}s): $CMD"
start=$SECONDS
: > "$raw"
timeout --kill-after=10 "$VM_TIMEOUT" \
	qemu-system-x86_64 -nodefaults -no-user-config -machine pc "${accel[@]}" \
	-m "$VM_MEM" -smp "$VM_SMP,sockets=$VM_SMP,cores=1,threads=1" -no-reboot -display none -monitor none \
	-kernel "$kernel" -append "$cmdline" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=repo,path="$REPO",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo \
	-serial file:"$console" -serial file:"$raw" \
	< /dev/null > "$vmdir/qemu.log" 2>&1 &
qpid=$!
# Stream ttyS1 live (tail stops once QEMU is gone), without the \r of the tty.
tail -n +1 -s 0.2 -f --pid=$qpid "$raw" | tr -d '\r' | tee "$output" &
tpid=$!
qstatus=0; wait $qpid || qstatus=$?
wait $tpid || true
elapsed=$((SECONDS - start))

fail() {
	local code="$1"; shift
	local keep; keep="$vmdir/console-$(date +%Y%m%d-%H%M%S).log"
	cp "$console" "$keep" 2>/dev/null || true
	echo "error: $*" >&2
	if [ -s "$vmdir/qemu.log" ]; then echo "--- qemu:" >&2; tail -n 20 "$vmdir/qemu.log" >&2; fi
	echo "--- tail of console log (kept as $keep):" >&2
	tail -n 40 "$console" >&2 || true
	exit "$code"
}

reports="$(grep -aE "$REPORTS" "$console" | head -n 10 || true)"
marker="$(grep -a '^@@VM-EXIT@@ ' "$output" | tail -n 1 || true)"
if [ -n "$reports" ]; then
	fail 125 "kernel report in $console:"$'\n'"$reports"
fi
if [ -z "$marker" ]; then
	if [ "$qstatus" = 124 ] || [ "$qstatus" = 137 ]; then
		fail 124 "guest timed out after ${VM_TIMEOUT}s (no @@VM-EXIT@@ marker)"
	fi
	fail 124 "guest ended without reporting back (qemu status $qstatus, no @@VM-EXIT@@ marker)"
fi
status="${marker#@@VM-EXIT@@ }"
note "guest finished in ${elapsed}s, command status $status"
exit "$status"
