#!/usr/bin/env bash
# make check-patches: KTAP result per sub-check:
#   1 patches-up-to-date  patches/ equals what series/ generates
#   2 checkpatch          scripts/checkpatch.pl --strict (base tree) is clean
#                         on every patch but the cover letter (its
#                         FILE_PATH_CHANGES question is not asked of a patch
#                         whose added files MAINTAINERS already covers)
#   3 git-am              the series applies with git am on tag base
# Exit status non-zero if any sub-check fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PATCHES="${PATCHES:-$REPO/patches}"
WORK="$BUILD/check-work"
git -C "$LINUX" rev-parse -q --verify base >/dev/null || die "no base tree (run: make tree)"
tmp="$(mktemp -d "$BUILD/check-patches.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

failed=0
result() {      # result <ok|not ok> <n> <name> [directive] ; diagnostics on stdin
	sed 's/^/# /'
	echo "$1 $2 $3${4:+ # $4}"
	[ "$1" = ok ] || failed=1
}

# covered <commit> <patch>: every file <patch> adds lies under a directory
# named by an F: line of MAINTAINERS at <commit>.
covered() {
	local dirs added f d ok
	dirs="$(git -C "$LINUX" show "$1:MAINTAINERS" | sed -n 's|^F:[[:space:]]*\(.*/\)$|\1|p')"
	added="$(awk '/^diff --git /{f=$4; sub(/^b\//, "", f)} /^new file mode/{print f}' "$2")"
	[ -n "$added" ] || return 1
	for f in $added; do
		ok=0
		for d in $dirs; do
			case "$f" in "$d"*) ok=1; break ;; esac
		done
		[ "$ok" = 1 ] || return 1
	done
}

echo "TAP version 13"
echo "1..3"
mapfile -t plist < <(list_patches "$PATCHES" nocover)

# 1: regenerate into a temp dir and compare.
if PATCHES_OUT="$tmp/regen" "$REPO/scripts/patches.sh" > "$tmp/regen.log" 2>&1; then
	mkdir -p "$tmp/cur"
	cp "$PATCHES"/*.patch "$tmp/cur/" 2>/dev/null || true
	if diff -ru "$tmp/cur" "$tmp/regen" > "$tmp/diff"; then
		result ok 1 patches-up-to-date < /dev/null
	else
		{ echo "patches/ is stale, run: make patches"; head -n 40 "$tmp/diff"; } |
			result "not ok" 1 patches-up-to-date
	fi
else
	{ echo "make patches failed:"; tail -n 20 "$tmp/regen.log"; } | result "not ok" 1 patches-up-to-date
fi

# 2: checkpatch --strict, any ERROR/WARNING/CHECK fails.
if [ "${#plist[@]}" -eq 0 ]; then
	result ok 2 checkpatch "SKIP no patches" < /dev/null
else
	: > "$tmp/cp"
	: > "$tmp/waived"
	mapfile -t commits < <(git -C "$LINUX" rev-list --reverse base..series)
	i=0
	for p in "${plist[@]}"; do
		i=$((i + 1))
		# This checkpatch asks "does MAINTAINERS need updating?" for
		# every added file of a patch that leaves MAINTAINERS alone. The
		# answer is no when an F: line of the tree the patch applies to
		# already covers each file it adds: then, and only then, the
		# question is not asked (and the waiver is listed).
		ignore=()
		if [ "${#commits[@]}" -eq "${#plist[@]}" ] &&
		   ! grep -q '^diff --git a/MAINTAINERS ' "$p" &&
		   covered "${commits[$((i - 1))]}^" "$p"; then
			ignore=(--ignore FILE_PATH_CHANGES)
			echo "$(basename "$p"): adds files only under F: lines of MAINTAINERS" >> "$tmp/waived"
		fi
		(cd "$LINUX" && PATH="/usr/bin:$PATH" ./scripts/checkpatch.pl --strict --no-summary --show-types "${ignore[@]}" "$p") \
			> "$tmp/one" 2>&1 || true
		if grep -qE '^(ERROR|WARNING|CHECK):' "$tmp/one"; then
			{ echo "$(basename "$p"):"; cat "$tmp/one"; } >> "$tmp/cp"
		fi
	done
	if [ -s "$tmp/cp" ]; then
		result "not ok" 2 checkpatch < "$tmp/cp"
	else
		{ echo "${#plist[@]} patches clean"
		  sed 's/^/FILE_PATH_CHANGES not asked: /' "$tmp/waived"; } | result ok 2 checkpatch
	fi
fi

# 3: git am on base in a scratch worktree.
if [ "${#plist[@]}" -eq 0 ]; then
	result ok 3 git-am "SKIP no patches" < /dev/null
else
	if [ ! -e "$WORK/.git" ]; then
		rm -rf "$WORK"
		fpgit -C "$LINUX" worktree prune
		fpgit -C "$LINUX" worktree add -q --detach "$WORK" base > /dev/null
	fi
	fpgit -C "$WORK" am --abort > /dev/null 2>&1 || true
	fpgit -C "$WORK" checkout -q -f --detach base
	fpgit -C "$WORK" clean -q -fdx
	if fpgit -C "$WORK" am -q "${plist[@]}" > "$tmp/am" 2>&1; then
		echo "${#plist[@]} patches apply on base" | result ok 3 git-am
	else
		fpgit -C "$WORK" am --abort > /dev/null 2>&1 || true
		tail -n 20 "$tmp/am" | result "not ok" 3 git-am
	fi
fi
exit "$failed"
