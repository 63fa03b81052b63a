#!/usr/bin/env bash
# Read and write the diffs of series/ (README.md, "Series format").
#
#   scripts/series-diff.sh -s PATCH PATH               PATH as it is after PATCH
#                                                      (PATCH 0: the base tree)
#   scripts/series-diff.sh PATCH PATH                  the diff PATCH makes to
#                                                      PATH, as generated now
#   scripts/series-diff.sh [-w] PATCH PATH --after F   diff from PATH as it is
#                                                      before PATCH to file F
#   scripts/series-diff.sh [-w] PATCH PATH --before F  diff from file F to PATH
#                                                      as it is after PATCH
#   -w: write the diff to series/NNNN-slug/PATH.diff (removed when empty)
#
# PATCH: a number (4, 0004) or a directory name (0004-fastpath). PATH: a
# kernel path (tools/testing/..., not selftests/...).
#
# Where a file stands after each patch: an upstream file is the base plus the
# diffs up to that patch, so change upstream files with --after, in series
# order. One of our own files is its final version (the repo's) minus the
# diffs of the later patches, so split our own files with --before, from the
# last patch backwards (PATCH's own diff of PATH plays no part there).
# Every call regenerates the series' commits (scripts/patches.sh with
# SERIES_COMMITS_ONLY=1, a few seconds; build/linux's checkout is untouched).
# SERIES_DIR as for make patches.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
show=0 write=0 how="" file=""
case "${1:-}" in
-s) show=1; shift ;;
-w) write=1; shift ;;
-*) usage ;;
esac
[ $# -ge 2 ] || usage
patch="$1" path="${2#./}"
shift 2
if [ $# -gt 0 ]; then
	[ $# = 2 ] && [ "$show" = 0 ] || usage
	case "$1" in --before) how=before ;; --after) how=after ;; *) usage ;; esac
	[ -f "$2" ] || die "$2: no such file"
	file="$(realpath "$2")"
fi
[ "$show" = 0 ] || [ -z "$how" ] || usage
[ "$write" = 0 ] || [ -n "$how" ] || usage

SERIES_DIR="$(cd "${SERIES_DIR:-$REPO/series}" && pwd)"
export SERIES_DIR
last="$(SERIES_COMMITS_ONLY=1 SERIES_ALLOW_EMPTY=1 "$REPO/scripts/patches.sh" < /dev/null)" || exit 1
mapfile -t commits < <(git -C "$LINUX" rev-list --reverse "base..$last")

# PATCH -> its index k (0 = base).
case "$patch" in
*[!0-9]*) k=$((10#$(basename "$patch" | cut -c1-4))) ;;
*) k=$((10#$patch)) ;;
esac
[ "$k" -le "${#commits[@]}" ] || die "the series has ${#commits[@]} patches, not $k"
commit_of() { if [ "$1" -eq 0 ]; then git -C "$LINUX" rev-parse base; else echo "${commits[$1 - 1]}"; fi; }
exists() { git -C "$LINUX" cat-file -e "$1:$path" 2>/dev/null; }
after="$(commit_of "$k")"

if [ "$show" = 1 ]; then
	exists "$after" || die "$path does not exist after patch $k"
	exec git -C "$LINUX" show "$after:$path"
fi
[ "$k" -ge 1 ] || die "patch 0 is the base tree: it has no diff"
before="$(commit_of $((k - 1)))"
if [ -z "$how" ]; then
	fpgit -C "$LINUX" diff --no-color "$before" "$after" -- "$path"
	exit 0
fi

tmp="$(mktemp -d "$BUILD/series-diff.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE="$tmp/index"
# with_file COMMIT: the tree of COMMIT with $file at $path (same file mode).
with_file() {
	local mode blob
	mode="$(git -C "$LINUX" ls-tree "$1" -- "$path" | cut -d' ' -f1)"
	blob="$(git -C "$LINUX" hash-object -w -- "$file")"
	fpgit -C "$LINUX" read-tree "$1"
	fpgit -C "$LINUX" update-index --cacheinfo "$mode,$blob,$path"
	fpgit -C "$LINUX" write-tree
}
if [ "$how" = before ]; then
	exists "$after" || die "$path does not exist after patch $k (a file a patch adds is in its new-files, not diffed)"
	a="$(with_file "$after")"; b="$after"
else
	exists "$before" || die "$path does not exist before patch $k (a file a patch adds is in its new-files, not diffed)"
	a="$before"; b="$(with_file "$before")"
fi
fpgit -C "$LINUX" diff --no-color "$a" "$b" -- "$path" > "$tmp/diff"

if [ "$write" = 0 ]; then
	[ -s "$tmp/diff" ] || note "empty diff"
	cat "$tmp/diff"
	exit 0
fi
dir=("$SERIES_DIR/$(printf %04d "$k")"-*/)
dir="${dir[0]%/}"
rel="${dir#"$(dirname "$SERIES_DIR")/"}/$path.diff"
if [ -s "$tmp/diff" ]; then
	mkdir -p "$(dirname "$dir/$path")"
	cp "$tmp/diff" "$dir/$path.diff"
	note "wrote $rel ($(fpgit -C "$LINUX" diff --shortstat "$a" "$b" -- "$path" | sed 's/^ 1 file changed, //'))"
else
	rm -f "$dir/$path.diff"
	note "empty diff: $rel removed"
fi
