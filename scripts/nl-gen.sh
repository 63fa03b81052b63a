#!/usr/bin/env bash
# scripts/nl-gen.sh [--check]
# Generates the nf-fastpath netlink code from its YNL spec with the base
# tree's generator (tools/net/ynl/ynl-gen-c.py, with the series' patch to it
# applied to a scratch copy):
#   Documentation/netlink/specs/nf_fastpath.yaml
#     -> include/uapi/linux/nf_fastpath.h
#     -> net/netfilter/fastpath/netlink-gen.{c,h}
# --check: fail if the files in the repo differ from what the spec gives.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$LINUX/tools/net/ynl/ynl-gen-c.py" ] || die "no kernel tree at $LINUX (run: make tree)"
tmp="$(mktemp -d "$BUILD/nlgen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
git -C "$LINUX" archive base tools/net/ynl Documentation/netlink MAINTAINERS |
	tar -x -C "$tmp"
for d in "$REPO"/series/*/tools/net/ynl/ynl-gen-c.py.diff \
	 "$REPO"/series/*/Documentation/netlink/genetlink.yaml.diff; do
	[ -f "$d" ] && patch -s -d "$tmp" -p1 < "$d"
done
mkdir -p "$tmp/Documentation/netlink/specs" "$tmp/out"
cp "$REPO/Documentation/netlink/specs/nf_fastpath.yaml" "$tmp/Documentation/netlink/specs/"
gen() {
	(cd "$tmp" && python3 tools/net/ynl/ynl-gen-c.py --mode "$1" "--$2" \
		--spec Documentation/netlink/specs/nf_fastpath.yaml -o "out/$3")
}
gen uapi header nf_fastpath.h
gen kernel header netlink-gen.h
gen kernel source netlink-gen.c

status=0
for pair in nf_fastpath.h:include/uapi/linux/nf_fastpath.h \
	    netlink-gen.h:net/netfilter/fastpath/netlink-gen.h \
	    netlink-gen.c:net/netfilter/fastpath/netlink-gen.c; do
	src="$tmp/out/${pair%%:*}"; dst="$REPO/${pair#*:}"
	if [ "${1:-}" = --check ]; then
		cmp -s "$src" "$dst" || { echo "$dst: not what the spec generates" >&2; status=1; }
	else
		mkdir -p "$(dirname "$dst")"
		cp "$src" "$dst"
	fi
done
exit $status
