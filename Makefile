# nf-fastpath: flow offload for netfilter - patch series, kernel builds,
# QEMU test guest and checks. See README.md. Every target is idempotent.

KERNEL ?= ours
VM_DIR ?= build/vm
.DEFAULT_GOAL := help
export KERNEL CMD VM_TIMEOUT VM_KVM VM_DIR TESTS SERIES_DIR QUICK BENCH_BUILD

.PHONY: help deps tree patches check-patches bisect-check kernel vm vm-run check check-run check-debug check-debug-run demo bench clean

# GNU make exits 2 whenever a recipe fails. So that `make vm` exits with the
# guest command's own status, a tiny load plugin provides $(fp-exit N).
-load build/fpexit.so
build/fpexit.so: scripts/fpexit.c
	@mkdir -p build
	gcc -shared -fPIC -O2 -Wall -o $@ $<

help:
	@echo "targets: deps tree patches check-patches bisect-check kernel vm check check-debug demo bench clean"
	@echo "  make vm CMD='...' [KERNEL=ours|mainline|debug] [VM_TIMEOUT=s]"
	@echo "  make check [TESTS='smoke.sh ...']     (ours kernel, plus patch checks)"
	@echo "  make check-debug [TESTS='...']        (debug kernel: KASAN, lockdep, kmemleak)"
	@echo "  make bench [QUICK=1] [BENCH_BUILD=0]"

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

# vm-run records the status; vm then exits with it (plugin, or the shell
# line as a fallback, which make reports as "Error N" and exit 2).
vm-run: kernel
	@rm -f $(VM_DIR)/status; mkdir -p $(VM_DIR)
	@scripts/vm.sh; echo $$? > $(VM_DIR)/status

vm: vm-run
	$(fp-exit $(file < $(VM_DIR)/status))
	@exit $$(cat $(VM_DIR)/status)

# Like vm: make check exits with check.sh's status (1 if anything failed)
# and its last line stays the summary.
check-run:
	@mkdir -p build; rm -f build/check.status
	@scripts/check.sh; echo $$? > build/check.status

check: check-run
	$(fp-exit $(file < build/check.status))
	@exit $$(cat build/check.status)

# The selftests again on the debug kernel (KASAN, lockdep, kmemleak...).
check-debug-run:
	@mkdir -p build; rm -f build/check-debug.status
	@CHECK_KERNEL=debug VM_DIR=build/vm-debug scripts/check.sh; echo $$? > build/check-debug.status

check-debug: check-debug-run
	$(fp-exit $(file < build/check-debug.status))
	@exit $$(cat build/check-debug.status)

demo: export CMD = scripts/demo.sh
demo: deps vm

# Performance: ours vs mainline's flowtable vs classic forwarding, alternated
# boots (scripts/bench.sh). Not part of make check. QUICK=1: well under 15 min.
bench:
	scripts/bench.sh

clean:
	rm -rf build/kbuild-* build/vm
