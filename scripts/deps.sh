#!/usr/bin/env bash
# make deps: install the Debian packages the harness needs (only what is
# missing; apt-get update only then). Needs root (or sudo) for installing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(qemu-system-x86 nftables conntrack socat iproute2 iputils-ping bc bison
      flex libelf-dev libssl-dev ccache libmnl-dev libnftnl-dev pkg-config cpio
      kmod gcc make git xz-utils coreutils python3 python3-ply python3-git)

missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
have_kver="$(dpkg-query -W -f='${Status} ${Version}' "$KPKG" 2>/dev/null || true)"
if [ "$have_kver" != "install ok installed $KPKG_VERSION" ] || [ ! -f "$TARBALL" ]; then
	missing+=("$KPKG=$KPKG_VERSION")
fi

if [ "${#missing[@]}" -eq 0 ]; then
	note "deps: all installed"
	exit 0
fi
note "deps: installing ${missing[*]}"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends --allow-downgrades "${missing[@]}"
[ -f "$TARBALL" ] || die "$TARBALL still missing after installing $KPKG"
