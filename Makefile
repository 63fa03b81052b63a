# nf-fastpath: flow offload for netfilter - patch series, kernel builds,
# QEMU test guest and checks. See README.md. Every target is idempotent.

KERNEL ?= ours
VM_DIR ?= build/vm
.DEFAULT_GOAL := help
export KERNEL CMD VM_TIMEOUT VM_KVM VM_DIR TESTS SERIES_DIR QUICK BENCH_BUILD

.PHONY: help deps tree patches check-patches bisect-check kernel vm check check-debug check-distro check-all check-repeat demo bench userspace clean

help:
	@echo "targets: deps tree patches check-patches bisect-check kernel vm check check-debug check-distro check-all check-repeat demo bench userspace clean"
	@echo "  make vm CMD='...' [KERNEL=ours|mainline|debug] [VM_TIMEOUT=s]"
	@echo "  make check [TESTS='smoke.sh ...']     (ours kernel, plus patch checks)"
	@echo "  make check-debug [TESTS='...']        (debug kernel: KASAN, lockdep, kmemleak)"
	@echo "  make check-distro [TESTS='...']       (distro kernel: ours + NF_FLOW_TABLE, act_ct, OVS)"
	@echo "  make check-all                        (check, then the whole suite on debug and distro, bisect-check)"
	@echo "  make check-repeat N=10 [TESTS='...'] [KERNEL=ours|debug]  (N boots, failed cases listed)"
	@echo "  make bench [QUICK=1] [BENCH_BUILD=0]"
	@echo "  make userspace                        (build/userspace/nf-fastpath, the control tool)"

deps:
	scripts/deps.sh

tree:
	scripts/tree.sh

patches:
	scripts/patches.sh

check-patches: tree
	scripts/check-patches.sh

bisect-check: tree
	scripts/bisect-check.sh

kernel: tree
	scripts/kernel.sh

# Plain targets: when the script fails, make reports it and exits 2. Called
# directly, with the same environment variables, scripts/vm.sh exits with the
# guest command's own status (124 hang, 125 kernel report) and scripts/check.sh
# with 1 when anything failed; check's last line is its summary.
vm: kernel
	@scripts/vm.sh

check:
	@scripts/check.sh

# The selftests again on the debug kernel (KASAN, lockdep, kmemleak...).
check-debug:
	@CHECK_KERNEL=debug VM_DIR=build/vm-debug scripts/check.sh

# All selftests on the distro kernel (make check runs a subset there).
check-distro:
	@CHECK_KERNEL=distro VM_DIR=build/vm-distro scripts/check.sh

# Everything, by hand: more than the CI budget (see README).
check-all: check check-debug check-distro bisect-check

# The selftests N times, one boot each; lists every case that failed at
# least once (scripts/check-repeat.sh). Its own VM folder unless VM_DIR
# is given.
check-repeat:
	@N=$(or $(N),10) VM_DIR=$(if $(filter file,$(origin VM_DIR)),build/vm-repeat-$(KERNEL),$(VM_DIR)) \
		scripts/check-repeat.sh

demo: export CMD = scripts/demo.sh
demo: deps userspace vm

# Performance: ours vs mainline's flowtable vs classic forwarding, alternated
# boots (scripts/bench.sh). Not part of make check. QUICK=1: well under 15 min.
bench:
	scripts/bench.sh

# The control tool of the netlink family (userspace/, man page
# userspace/nf-fastpath.8); the guest finds it on its PATH.
userspace:
	$(MAKE) -C userspace O=$(CURDIR)/build/userspace

clean:
	rm -rf build/kbuild-* build/vm build/userspace
