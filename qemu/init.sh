#!/bin/sh
# Guest init (PID 1) for the test VM, started as init=<repo>/qemu/init.sh.
# The host's root file system is the (read-only) 9p root; the repo is shared
# read-write and mounted at its own absolute path. Runs the command the host
# wrote to $fp_vmdir/cmd (bash), with its output on ttyS1, then prints
# "@@VM-EXIT@@ <status>" there and reboots (QEMU runs with -no-reboot).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 FP_GUEST=1
umask 022

# Work out the repo from our own path before /tmp is hidden by tmpfs.
repo=$(cd "$(dirname "$0")/.." && pwd)
vmdir="$repo/${fp_vmdir:-build/vm}"
# The control tool (make userspace) goes first: the build under test.
export PATH="$repo/build/userspace:$PATH"

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/shm /run/netns /run/lock
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p "$repo"
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 repo "$repo"
echo fp-vm > /proc/sys/kernel/hostname
# Kernels built with modules (scripts/kernel.sh installs them under the
# build's modinst/): the read-only root has no /lib/modules for them, so
# the kernel's module loader (and nft's autoload through it) runs modprobe
# on that tree.
modroot="$repo/${fp_kbuild:-none}/modinst"
if [ -d "$modroot/lib/modules/$(uname -r)" ]; then
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$modroot" > /tmp/modprobe
	chmod 755 /tmp/modprobe
	echo /tmp/modprobe > /proc/sys/kernel/modprobe
	export FP_MODPROBE=/tmp/modprobe
fi
ip link set lo up

out=/dev/ttyS1
echo "@@VM-START@@ $(uname -r) $(nproc) cpus" > $out
cd "$repo" && bash -c "$(cat "$vmdir/cmd")" < /dev/null > $out 2>&1
status=$?

# Debug kernels: ask kmemleak for a scan so leaks reach the console log
# (its "new suspected memory leaks" line fails the run), with the backtraces
# of what it found. Objects freed by RCU or deferred work after the tests
# need a moment: wait, then scan twice as kmemleak's documentation advises.
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	sleep 2
	echo scan > /sys/kernel/debug/kmemleak
	head -n 200 /sys/kernel/debug/kmemleak | while IFS= read -r l; do
		echo "kmemleak report: $l" > /dev/kmsg
	done
fi
cd /
sync
echo "@@VM-EXIT@@ $status" > $out
echo b > /proc/sysrq-trigger
