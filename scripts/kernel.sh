#!/usr/bin/env bash
# make kernel KERNEL=ours|mainline|debug|distro
# Builds build/kbuild-$KERNEL/arch/x86/boot/bzImage from build/linux (O= build,
# ccache). Config = tinyconfig + qemu/kernel.config + the flavour's fragments,
# then every requested option is verified to have landed.
#
# Environment overrides (used by bisect-check):
#   KSRC=dir        kernel source tree (default build/linux)
#   KOUT=dir        build directory    (default build/kbuild-$KERNEL)
#   KVERIFY=0       report, but do not fail on, options that did not apply
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL="${KERNEL:-ours}"
case "$KERNEL" in
ours)     frags=(kernel.config ours.config) ;;
mainline) frags=(kernel.config mainline.config) ;;
debug)    frags=(kernel.config ours.config debug.config) ;;
distro)   frags=(kernel.config distro.config) ;;
*) die "KERNEL must be ours, mainline, debug or distro (got '$KERNEL')" ;;
esac
# Absolute: make runs in KSRC, the checks below in the caller's directory.
KSRC="$(realpath -m "${KSRC:-$LINUX}")"
KOUT="$(realpath -m "${KOUT:-$BUILD/kbuild-$KERNEL}")"
KVERIFY="${KVERIFY:-1}"
[ -f "$KSRC/Makefile" ] || die "no kernel tree at $KSRC (run: make tree)"
fragpaths=()
for f in "${frags[@]}"; do fragpaths+=("$REPO/qemu/$f"); done

mkdir -p "$KOUT"
kmake() { make -C "$KSRC" O="$KOUT" CC="ccache gcc" "$@"; }

# Print the options of the fragments that did not land in $KOUT/.config.
# A later fragment overrides an earlier one, as in merge_config.sh.
config_mismatches() {
	local frag line sym val have
	local -A want from
	local -a order=()
	for frag in "${fragpaths[@]}"; do
		while IFS= read -r line; do
			if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
				sym="${BASH_REMATCH[1]}"; val="${BASH_REMATCH[2]}"
			elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
				sym="${BASH_REMATCH[1]}"; val=n
			else
				continue
			fi
			[ -n "${want[$sym]+set}" ] || order+=("$sym")
			want[$sym]="$val"; from[$sym]="$(basename "$frag")"
		done < "$frag"
	done
	for sym in "${order[@]}"; do
		have="$(grep -E "^$sym=" "$KOUT/.config" | cut -d= -f2- || true)"
		[ -n "$have" ] || have=n
		if [ "${want[$sym]}" != "$have" ]; then
			echo "  $sym: wanted ${want[$sym]}, got $have  (${from[$sym]})"
		fi
	done
}

# (Re)configure only when the fragments or the source commit changed.
stamp="$KOUT/.config-inputs"
inputs="$(cat "${fragpaths[@]}" | sha256sum | cut -d' ' -f1) $(git -C "$KSRC" rev-parse HEAD 2>/dev/null || echo nogit)"
if [ ! -f "$KOUT/.config" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
	note "configuring $KERNEL kernel in $KOUT (${frags[*]})"
	rm -f "$stamp"
	kmake -s tinyconfig
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOUT" "$KOUT/.config" "${fragpaths[@]}" >/dev/null
	kmake -s olddefconfig
	bad="$(config_mismatches)"
	if [ -n "$bad" ]; then
		if [ "$KVERIFY" = 1 ]; then
			echo "error: $KERNEL kernel config: these options did not apply:" >&2
			echo "$bad" >&2
			exit 1
		fi
		echo "note: $KERNEL kernel config: options not (yet) applied at this commit:" >&2
		echo "$bad" >&2
	fi
	echo "$inputs" > "$stamp"
fi

note "building $KERNEL kernel ($KOUT)"
start=$SECONDS
kmake -j"$(nproc)" bzImage
# Flavours with modules: installed under $KOUT/modinst, where the guest's
# modprobe finds them (qemu/init.sh).
if grep -q '=m$' "$KOUT/.config"; then
	kmake -j"$(nproc)" modules
	rm -rf "$KOUT/modinst"
	kmake -s INSTALL_MOD_PATH="$KOUT/modinst" INSTALL_MOD_STRIP=1 modules_install
fi
note "$KERNEL kernel ready in $((SECONDS - start))s: $KOUT/arch/x86/boot/bzImage"
