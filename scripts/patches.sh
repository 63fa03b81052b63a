#!/usr/bin/env bash
# make patches: regenerate patches/ from series/ (one source of truth).
#
# series/cover.txt       line 1: cover letter subject; blank; blurb
# series/NNNN-slug.txt   line 1: subject; blank; body (ends with Signed-off-by:)
#                        then a line "---files---", then one entry per line:
#                          path.diff     unified diff (a/ b/), git apply'd
#                          path          file copied to the same kernel path
#                          SRC => DEST   repo file SRC copied to kernel path DEST
# Paths are relative to the parent of the series directory (the repo root).
#
# Each patch becomes a commit on top of tag "base" in build/linux, built in a
# private index (no checkout, the kernel tree is untouched), with a fixed
# author and fixed dates; git format-patch then gives byte-identical output.
#
# Environment: SERIES_DIR (default series/), PATCHES_OUT (default patches/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES_DIR="$(cd "${SERIES_DIR:-$REPO/series}" 2>/dev/null && pwd)" ||
	die "series directory ${SERIES_DIR:-$REPO/series} missing"
SRCROOT="$(dirname "$SERIES_DIR")"
PATCHES_OUT="${PATCHES_OUT:-$REPO/patches}"
git -C "$LINUX" rev-parse -q --verify base >/dev/null || die "no base tree (run: make tree)"

tmp="$(mktemp -d "$BUILD/patches.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE="$tmp/index"
g() { fpgit -C "$LINUX" "$@"; }

base_epoch=$(date -d "$BASE_DATE" +%s)
g read-tree base
parent="$(g rev-parse base)"
n=0

shopt -s nullglob
for pf in "$SERIES_DIR"/[0-9][0-9][0-9][0-9]-*.txt; do
	n=$((n + 1))
	name="$(basename "$pf")"
	grep -qx -- '---files---' "$pf" || die "$name: no ---files--- line"
	subject="$(sed -n 1p "$pf")"
	[ -n "$subject" ] || die "$name: empty subject line"
	[ -z "$(sed -n 2p "$pf")" ] || die "$name: line 2 must be blank"
	# Commit message: everything before ---files---, whitespace-normalised.
	sed '/^---files---$/,$d' "$pf" | git stripspace > "$tmp/msg"
	tail -n 1 "$tmp/msg" | grep -q '^Signed-off-by: ' ||
		die "$name: commit message must end with a Signed-off-by: line"

	while IFS= read -r entry; do
		entry="${entry%"${entry##*[![:space:]]}"}"      # trim trailing blanks
		[ -n "$entry" ] || continue
		if [[ "$entry" == *" => "* ]]; then
			src="${entry%% => *}"; dest="${entry#* => }"
		else
			src="$entry"; dest="$entry"
		fi
		[ -f "$SRCROOT/$src" ] || die "$name: $src does not exist"
		if [[ "$src" == *.diff && "$entry" != *" => "* ]]; then
			g apply --cached --whitespace=error-all "$SRCROOT/$src" ||
				die "$name: $src does not apply"
		else
			mode=100644; [ -x "$SRCROOT/$src" ] && mode=100755
			blob="$(g hash-object -w -- "$SRCROOT/$src")"
			g update-index --add --cacheinfo "$mode,$blob,$dest"
		fi
	done < <(sed '1,/^---files---$/d' "$pf")

	tree="$(g write-tree)"
	[ "$tree" != "$(g rev-parse "$parent^{tree}")" ] || die "$name: patch changes nothing"
	# Fixed dates: base date + one minute per patch.
	date="$((base_epoch + 60 * n)) +0000"
	parent="$(GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
		g commit-tree "$tree" -p "$parent" -F "$tmp/msg")"
done
g update-ref refs/fastpath/generated "$parent"

mkdir -p "$PATCHES_OUT"
rm -f "$PATCHES_OUT"/*.patch
if [ "$n" -eq 0 ]; then
	note "series is empty: $PATCHES_OUT has no patches"
	exit 0
fi
[ -f "$SERIES_DIR/cover.txt" ] || die "$SERIES_DIR/cover.txt missing"
GIT_COMMITTER_DATE="$((base_epoch + 60 * n)) +0000" \
g format-patch -q --cover-letter --base=base --zero-commit --no-signature \
	--no-thread --numbered --subject-prefix="PATCH net-next" \
	-o "$PATCHES_OUT" "base..$parent"

# Fill in the cover letter from series/cover.txt.
cover="$PATCHES_OUT/0000-cover-letter.patch"
csubj="$(sed -n 1p "$SERIES_DIR/cover.txt")"
sed '1,2d' "$SERIES_DIR/cover.txt" | git stripspace > "$tmp/blurb"
awk -v subj="$csubj" -v blurbfile="$tmp/blurb" '
	(i = index($0, "*** SUBJECT HERE ***")) { $0 = substr($0, 1, i - 1) subj substr($0, i + 20) }
	$0 == "*** BLURB HERE ***" { while ((getline l < blurbfile) > 0) print l; next }
	{ print }' "$cover" > "$tmp/cover" && cat "$tmp/cover" > "$cover"
grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover" && die "cover letter placeholders left"
note "wrote $n patches + cover letter to $PATCHES_OUT"
