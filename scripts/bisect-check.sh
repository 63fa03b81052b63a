#!/usr/bin/env bash
# make bisect-check: build the "ours" kernel config at every patch of the
# series (base..series in build/linux), incrementally in build/kbuild-bisect
# from a scratch worktree build/bisect-src. Stops at the first patch that
# does not build. Options of the fragments that do not exist yet at a given
# patch (e.g. CONFIG_NF_FASTPATH before the patch adding it) are reported,
# not fatal; `make kernel` verifies the full series strictly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC="$BUILD/bisect-src"
OUT="$BUILD/kbuild-bisect"
mapfile -t commits < <(git -C "$LINUX" rev-list --reverse base..series)
echo "TAP version 13"
echo "1..${#commits[@]}"
[ "${#commits[@]}" -gt 0 ] || { echo "# no patches applied in $LINUX"; exit 0; }

if [ ! -e "$SRC/.git" ]; then
	rm -rf "$SRC"
	fpgit -C "$LINUX" worktree prune
	fpgit -C "$LINUX" worktree add -q --detach "$SRC" base > /dev/null
fi
fpgit -C "$SRC" clean -q -fdx

# BISECT_FROM=N: start at patch N (the earlier ones reported as skipped),
# for a series whose first N-1 patches were checked already; BISECT_TO=M:
# stop after patch M (the later ones reported as skipped).
from="${BISECT_FROM:-1}"
to="${BISECT_TO:-${#commits[@]}}"
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subject="$(git -C "$LINUX" log -1 --format=%s "$c")"
	if [ "$i" -lt "$from" ]; then
		echo "ok $i $subject # SKIP BISECT_FROM=$from"
		continue
	fi
	if [ "$i" -gt "$to" ]; then
		echo "ok $i $subject # SKIP BISECT_TO=$to"
		continue
	fi
	# checkout only rewrites files that differ: the build stays incremental.
	fpgit -C "$SRC" checkout -q -f --detach "$c"
	log="$BUILD/bisect-$i.log"
	start=$SECONDS
	if KERNEL=ours KSRC="$SRC" KOUT="$OUT" KVERIFY=0 "$REPO/scripts/kernel.sh" > "$log" 2>&1; then
		grep -A50 '^note: .*not (yet) applied' "$log" | grep '^  CONFIG_' | sed 's/^/# not yet: /' || true
		echo "ok $i $subject # $((SECONDS - start))s"
	else
		tail -n 40 "$log" | sed 's/^/# /'
		echo "not ok $i $subject"
		echo "# patch $i ($c) does not build; full log: $log"
		exit 1
	fi
done
