#!/usr/bin/env bash
# make patches: regenerate patches/ from series/ (one source of truth).
#
# series/cover-letter      line 1: cover letter subject; blank; blurb
# series/NNNN-slug/        one directory per patch, in order (NNNN = 0001...):
#   message                line 1: subject; blank; body, ending with a
#                          Signed-off-by: line
#   prefix                 optional, one line: the subject prefix of this
#                          patch (default "PATCH nf-next"; the netdevsim patch
#                          has "PATCH net-next"); the cover letter always has
#                          the default
#   new-files              optional: the files this patch adds, one a line,
#                          paths relative to the repo root:
#                            path          repo file added at the same kernel path
#                            SRC => DEST   repo file SRC added at kernel path DEST
#   PATH.diff              the change this patch makes to the existing file
#                          PATH (kernel path, e.g. net/netfilter/Kconfig.diff
#                          inside the directory changes net/netfilter/Kconfig):
#                          one file per diff, unified (a/ b/), against the
#                          tree after the previous patch, as git diff prints it
#
# A diff whose PATH is in the base tree changes an upstream file; any other
# PATH must be one of our own files, added by an earlier patch (new-files).
# The repo holds only the final version of our own files, so the tree of each
# patch is found backwards: T_n = base + every upstream diff in order + our
# files at their final versions; T_(k-1) = T_k with patch k's diffs reversed
# (git apply -R) and its new files removed; T_0 must be the base tree again.
# A diff that does not apply, either way, fails with its patch's name.
# Every file of the repo under the kernel directories (net/ include/ drivers/
# Documentation/ tools/) must be added by exactly one patch.
#
# The trees become commits on top of tag "base" in build/linux (private
# index: the checkout is untouched) with a fixed author and fixed dates, so
# git format-patch gives byte-identical output. refs/fastpath/generated
# points to the last one.
#
# Environment: SERIES_DIR (default series/; paths in it are relative to its
# parent directory), PATCHES_OUT (default patches/), SERIES_COMMITS_ONLY=1
# (stop after the commits and print the last one's id), SERIES_ALLOW_EMPTY=1
# (a patch that changes nothing is not an error); scripts/series-diff.sh sets
# both.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES_DIR="$(cd "${SERIES_DIR:-$REPO/series}" 2>/dev/null && pwd)" ||
	die "series directory ${SERIES_DIR:-$REPO/series} missing"
SRCROOT="$(dirname "$SERIES_DIR")"
PATCHES_OUT="${PATCHES_OUT:-$REPO/patches}"
DEFAULT_PREFIX="PATCH nf-next"
KERNEL_DIRS=(net include drivers Documentation tools)
git -C "$LINUX" rev-parse -q --verify base >/dev/null || die "no base tree (run: make tree)"

tmp="$(mktemp -d "$BUILD/patches.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE="$tmp/index"
g() { fpgit -C "$LINUX" "$@"; }
in_base() { g cat-file -e "base:$1" 2>/dev/null; }

# --- read and check series/ ---------------------------------------------
shopt -s nullglob
pdirs=("$SERIES_DIR"/[0-9][0-9][0-9][0-9]-*/)
n=${#pdirs[@]}
for f in "$SERIES_DIR"/*; do
	case "$(basename "$f")" in
	cover-letter) ;;
	[0-9][0-9][0-9][0-9]-*) [ -d "$f" ] || die "series/$(basename "$f"): a patch is a directory" ;;
	*) die "series/$(basename "$f"): unknown entry (patch directories NNNN-slug/ and cover-letter only)" ;;
	esac
done

declare -A added_by         # kernel path of an own file -> patch index that adds it
declare -A src_of           # kernel path of an own file -> repo file
declare -a names prefixes
declare -a diffs_of newf_of # per patch: newline-separated kernel paths
for ((k = 1; k <= n; k++)); do
	dir="${pdirs[k - 1]%/}"
	name="$(basename "$dir")"
	names[k]="$name"
	[ "${name:0:4}" = "$(printf %04d "$k")" ] ||
		die "series/$name: patch $k must be numbered $(printf %04d "$k") (directories NNNN-slug, consecutive)"

	m="$dir/message"
	[ -f "$m" ] || die "$name: no message file"
	[ -n "$(sed -n 1p "$m")" ] || die "$name/message: empty subject line"
	[ -z "$(sed -n 2p "$m")" ] || die "$name/message: line 2 must be blank"
	git stripspace < "$m" > "$tmp/msg.$k"
	tail -n 1 "$tmp/msg.$k" | grep -q '^Signed-off-by: ' ||
		die "$name/message: must end with a Signed-off-by: line"

	prefixes[k]="$DEFAULT_PREFIX"
	if [ -f "$dir/prefix" ]; then
		prefixes[k]="$(sed -n 1p "$dir/prefix")"
		[ -n "${prefixes[k]}" ] && [ "$(wc -l < "$dir/prefix")" -le 1 ] ||
			die "$name/prefix: one non-empty line expected"
	fi

	# Files the patch adds.
	newf=""
	if [ -f "$dir/new-files" ]; then
		while IFS= read -r entry; do
			entry="${entry%"${entry##*[![:space:]]}"}"      # trim trailing blanks
			[ -n "$entry" ] || continue
			if [[ "$entry" == *" => "* ]]; then
				src="${entry%% => *}"; dest="${entry#* => }"
			else
				src="$entry"; dest="$entry"
			fi
			[ -f "$SRCROOT/$src" ] || die "$name/new-files: $src does not exist"
			[ -z "${added_by[$dest]:-}" ] ||
				die "$name/new-files: $dest is already added by ${names[${added_by[$dest]}]}"
			in_base "$dest" && die "$name/new-files: $dest exists in the base tree (change it with a .diff)"
			[[ "$dest" != *.diff ]] || die "$name/new-files: $dest: a .diff is not a new file"
			added_by[$dest]=$k; src_of[$dest]="$src"
			newf+="$dest"$'\n'
		done < "$dir/new-files"
	fi
	newf_of[k]="$newf"

	# Diffs, and nothing else.
	dl=""
	while IFS= read -r f; do
		rel="${f#"$dir"/}"
		case "$rel" in
		message | prefix | new-files) continue ;;
		*.diff) ;;
		*) die "$name: unexpected file $rel (message, prefix, new-files and PATH.diff only)" ;;
		esac
		path="${rel%.diff}"
		# One file per diff, named by the diff's location.
		heads="$(grep -c '^diff --git ' "$f" || true)"
		[ "$heads" = 1 ] && grep -qxF "diff --git a/$path b/$path" "$f" ||
			die "$name/$rel: must hold exactly one diff, of $path (diff --git a/$path b/$path)"
		if in_base "$path"; then
			:
		elif [ -n "${added_by[$path]:-}" ]; then
			[ "${added_by[$path]}" -lt "$k" ] ||
				die "$name/$rel: $path is added by this patch: change the file itself, not a diff"
		else
			die "$name/$rel: $path is neither in the base tree nor added by an earlier patch (new-files)"
		fi
		dl+="$path"$'\n'
	done < <(cd "$dir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | sed "s|^|$dir/|")
	diffs_of[k]="$dl"
done

# Every repo file under the kernel directories belongs to one patch.
declare -A is_src
for dest in "${!src_of[@]}"; do is_src[${src_of[$dest]}]=1; done
if [ "$(git -C "$SRCROOT" rev-parse --show-toplevel 2>/dev/null)" = "$SRCROOT" ]; then
	list_src() { env -u GIT_INDEX_FILE git -C "$SRCROOT" ls-files -co --exclude-standard -- "$@"; }
else
	list_src() { (cd "$SRCROOT" && find "$@" -type f 2>/dev/null | sed 's|^\./||'); }
fi
while IFS= read -r f; do
	[ -f "$SRCROOT/$f" ] || continue
	[ -n "${is_src[$f]:-}" ] && continue
	case "$f" in
	*.diff) die "$f: a change to an upstream file lives in its patch's directory (series/NNNN-slug/$f)" ;;
	*) die "$f: no patch adds it (list it in series/NNNN-slug/new-files)" ;;
	esac
done < <(list_src "${KERNEL_DIRS[@]}")

# --- trees ----------------------------------------------------------------
# apply_patch K [-R]: apply patch K's diffs (upstream ones only without -R)
# to the index, all at once; on failure, name the diff that does not apply.
apply_patch() {
	local k="$1" rev="${2:-}" path
	local -a files=()
	while IFS= read -r path; do
		[ -n "$path" ] || continue
		[ -n "$rev" ] || in_base "$path" || continue
		files+=("$SERIES_DIR/${names[k]}/$path.diff")
	done <<< "${diffs_of[k]}"
	[ "${#files[@]}" -gt 0 ] || return 0
	if [ -z "$rev" ]; then
		g apply --cached --whitespace=error-all "${files[@]}" 2> "$tmp/apply.err" && return 0
	else
		g apply --cached -R --whitespace=nowarn "${files[@]}" 2> "$tmp/apply.err" && return 0
	fi
	cat "$tmp/apply.err" >&2
	for f in "${files[@]}"; do
		path="${f#"$SERIES_DIR/${names[k]}/"}"; path="${path%.diff}"
		if [ -z "$rev" ]; then
			g apply --cached --check --whitespace=error-all "$f" 2>/dev/null ||
				die "${names[k]}: $path.diff does not apply to $path as it is after patch $((k - 1))"
		else
			g apply --cached --check -R "$f" 2>/dev/null ||
				die "${names[k]}: $path.diff does not apply in reverse to $path as it is" \
				    "after patch $k (the final version minus the diffs of later patches)"
		fi
	done
	die "${names[k]}: its diffs do not apply together"
}

# T_n: base + the upstream diffs in order + our files at their final versions.
g read-tree base
for ((k = 1; k <= n; k++)); do apply_patch "$k"; done
if [ "${#src_of[@]}" -gt 0 ]; then
	dests=("${!src_of[@]}")
	mapfile -t blobs < <(for dest in "${dests[@]}"; do echo "$SRCROOT/${src_of[$dest]}"; done |
		g hash-object -w --stdin-paths)
	for i in "${!dests[@]}"; do
		mode=100644; [ -x "$SRCROOT/${src_of[${dests[i]}]}" ] && mode=100755
		printf '%s %s\t%s\n' "$mode" "${blobs[i]}" "${dests[i]}"
	done | g update-index --add --index-info
fi

# Backwards: T_(k-1) = T_k - patch k.
declare -a trees
for ((k = n; k >= 1; k--)); do
	trees[k]="$(g write-tree)"
	apply_patch "$k" -R
	if [ -n "${newf_of[k]}" ]; then
		mapfile -t gone <<< "${newf_of[k]%$'\n'}"
		g update-index --force-remove -- "${gone[@]}"
	fi
done
[ "$(g write-tree)" = "$(g rev-parse 'base^{tree}')" ] ||
	die "reversing every patch did not give the base tree back: $(g diff --cached --stat base | tail -n 1)"

# Forwards: one commit per tree, fixed dates (base date + one minute per patch).
base_epoch=$(date -d "$BASE_DATE" +%s)
parent="$(g rev-parse base)"
ptree="$(g rev-parse 'base^{tree}')"
for ((k = 1; k <= n; k++)); do
	if [ "${trees[k]}" = "$ptree" ]; then
		[ "${SERIES_ALLOW_EMPTY:-0}" = 1 ] || die "${names[k]}: patch changes nothing"
		note "${names[k]}: patch changes nothing (yet)"
	fi
	date="$((base_epoch + 60 * k)) +0000"
	parent="$(GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" \
		g commit-tree "${trees[k]}" -p "$parent" -F "$tmp/msg.$k")"
	ptree="${trees[k]}"
done
g update-ref refs/fastpath/generated "$parent"
if [ "${SERIES_COMMITS_ONLY:-0}" = 1 ]; then
	echo "$parent"
	exit 0
fi

# --- git format-patch -----------------------------------------------------
mkdir -p "$PATCHES_OUT"
rm -f "$PATCHES_OUT"/*.patch
if [ "$n" -eq 0 ]; then
	note "series is empty: $PATCHES_OUT has no patches"
	exit 0
fi
[ -f "$SERIES_DIR/cover-letter" ] || die "$SERIES_DIR/cover-letter missing"
# One run per subject prefix; each patch is taken from the run of its own.
declare -A fpdir
i=0
for p in "$DEFAULT_PREFIX" "${prefixes[@]}"; do
	[ -z "${fpdir[$p]:-}" ] || continue
	i=$((i + 1)); fpdir[$p]="$tmp/fp.$i"
	GIT_COMMITTER_DATE="$((base_epoch + 60 * n)) +0000" \
	g format-patch -q --cover-letter --base=base --zero-commit --no-signature \
		--no-thread --numbered --subject-prefix="$p" \
		-o "${fpdir[$p]}" "base..$parent"
done
cp "${fpdir[$DEFAULT_PREFIX]}"/0000-cover-letter.patch "$PATCHES_OUT"/
for ((k = 1; k <= n; k++)); do
	f=("${fpdir[${prefixes[k]}]}/$(printf %04d "$k")"-*.patch)
	[ "${#f[@]}" = 1 ] || die "format-patch gave no single file for patch $k"
	cp "${f[0]}" "$PATCHES_OUT"/
done

# Fill in the cover letter from series/cover-letter.
cover="$PATCHES_OUT/0000-cover-letter.patch"
csubj="$(sed -n 1p "$SERIES_DIR/cover-letter")"
[ -n "$csubj" ] && [ -z "$(sed -n 2p "$SERIES_DIR/cover-letter")" ] ||
	die "cover-letter: subject on line 1, then a blank line"
sed '1,2d' "$SERIES_DIR/cover-letter" | git stripspace > "$tmp/blurb"
awk -v subj="$csubj" -v blurbfile="$tmp/blurb" '
	(i = index($0, "*** SUBJECT HERE ***")) { $0 = substr($0, 1, i - 1) subj substr($0, i + 20) }
	$0 == "*** BLURB HERE ***" { while ((getline l < blurbfile) > 0) print l; next }
	{ print }' "$cover" > "$tmp/cover" && cat "$tmp/cover" > "$cover"
grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover" && die "cover letter placeholders left"
note "wrote $n patches + cover letter to $PATCHES_OUT"
