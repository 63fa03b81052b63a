# nf-fastpath: flow offload for netfilter - patch series, kernel builds,
# QEMU test guest and checks. See README.md. Every target is idempotent.

KERNEL ?= ours
export KERNEL CMD VM_TIMEOUT VM_KVM VM_DIR TESTS SERIES_DIR

.PHONY: help deps tree patches check-patches bisect-check kernel vm check demo clean

help:
	@echo "targets: deps tree patches check-patches bisect-check kernel vm check demo clean"
	@echo "  make vm CMD='...' [KERNEL=ours|mainline|debug] [VM_TIMEOUT=s]"
	@echo "  make check [TESTS='smoke.sh ...']"

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

vm: kernel
	scripts/vm.sh

check:
	scripts/check.sh

demo: deps
	$(MAKE) vm CMD=scripts/demo.sh

clean:
	rm -rf build/kbuild-* build/vm
