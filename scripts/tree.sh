#!/usr/bin/env bash
# make tree: build/linux = pristine base commit (tag "base") + patches/ applied
# with git am (branch "series"). Cheap when nothing changed: a stamp holds the
# sha256 of the patches last applied. Changing the series only rewrites the
# files that differ, so incremental kernel builds stay incremental.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PATCHES="${PATCHES:-$REPO/patches}"
STAMP="$BUILD/tree.stamp"
AMWORK="$BUILD/am-work"          # scratch worktree where git am runs

make_base() {
	[ -f "$TARBALL" ] || die "$TARBALL missing (run: make deps)"
	local tmp="$BUILD/linux.unpack"
	rm -rf "$tmp"; mkdir -p "$tmp"
	note "unpacking $TARBALL"
	tar -C "$tmp" -xJf "$TARBALL"
	[ -d "$tmp/$TAR_TOPDIR" ] || die "tarball has no $TAR_TOPDIR/"
	mv "$tmp/$TAR_TOPDIR" "$LINUX.new"; rmdir "$tmp"
	note "creating base commit (takes a minute)"
	fpgit -C "$LINUX.new" init -q
	# -f: the kernel's own .gitignore must not drop files from the tarball.
	fpgit -C "$LINUX.new" add -f -A .
	fpgit -C "$LINUX.new" commit -q -m "Linux $KPKG $KPKG_VERSION (Debian source package)"
	fpgit -C "$LINUX.new" tag base
	mv "$LINUX.new" "$LINUX"
	rm -f "$STAMP"
}

mkdir -p "$BUILD"
if ! git -C "$LINUX" rev-parse -q --verify base >/dev/null 2>&1; then
	rm -rf "$LINUX" "$LINUX.new" "$AMWORK"
	make_base
fi
note "base commit: $(git -C "$LINUX" rev-parse base)"

want="$(patches_sum "$PATCHES")"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
   [ "$(git -C "$LINUX" rev-parse -q --verify HEAD)" = "$(git -C "$LINUX" rev-parse -q --verify series 2>/dev/null)" ]; then
	note "tree up to date ($(git -C "$LINUX" rev-list --count base..series) patches applied)"
	exit 0
fi

# Apply the series in the scratch worktree (mtimes there do not matter).
if [ ! -e "$AMWORK/.git" ]; then
	rm -rf "$AMWORK"
	fpgit -C "$LINUX" worktree prune
	fpgit -C "$LINUX" worktree add -q --detach "$AMWORK" base
fi
fpgit -C "$AMWORK" am --abort >/dev/null 2>&1 || true
fpgit -C "$AMWORK" checkout -q -f --detach base
fpgit -C "$AMWORK" clean -q -fdx
mapfile -t plist < <(list_patches "$PATCHES" nocover)
if [ "${#plist[@]}" -gt 0 ]; then
	note "applying ${#plist[@]} patches from $PATCHES"
	# Committer = author (identity and date) so the series commits are reproducible.
	fpgit -C "$AMWORK" am -q --committer-date-is-author-date "${plist[@]}" ||
		{ fpgit -C "$AMWORK" am --abort || true; die "git am of $PATCHES failed"; }
else
	note "no patches in $PATCHES: series = base"
fi
new="$(git -C "$AMWORK" rev-parse HEAD)"

# Move build/linux to the new commit: checkout rewrites only differing files.
fpgit -C "$LINUX" checkout -q -B series "$new" ||
	die "cannot check out series in $LINUX (local changes?)"
echo "$want" > "$STAMP"
note "tree at series = $(git -C "$LINUX" rev-parse --short=12 series) ($(git -C "$LINUX" rev-list --count base..series) patches)"
