# shellcheck shell=bash
# Common helpers for the harness scripts. Source it; do not run it.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$REPO/build"
LINUX="$BUILD/linux"                      # kernel tree: git repo, tag base, branch series
TARBALL="${TARBALL:-/usr/src/linux-source-6.12.tar.xz}"
TAR_TOPDIR="linux-source-6.12"
KPKG="linux-source-6.12"
KPKG_VERSION="6.12.117-1~deb12u1"

# Fixed identities and dates: the base commit, the series commits and the
# generated patches are reproducible byte for byte.
BASE_DATE="2025-11-14T12:56:00+0000"
FP_NAME="nf-fastpath developers"
FP_EMAIL="nf-fastpath@lists.example.org"

# Fixed build identity so ccache hits survive clean builds.
export KBUILD_BUILD_TIMESTAMP="Fri Nov 14 12:56:00 UTC 2025"
export KBUILD_BUILD_USER="nf-fastpath"
export KBUILD_BUILD_HOST="nf-fastpath"
export CCACHE_BASEDIR="$REPO"
export CCACHE_NOHASHDIR=1

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">>> $*" >&2; }

# git with a fixed identity and no influence from user/global config.
fpgit() {
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
	GIT_AUTHOR_NAME="$FP_NAME" GIT_AUTHOR_EMAIL="$FP_EMAIL" \
	GIT_COMMITTER_NAME="$FP_NAME" GIT_COMMITTER_EMAIL="$FP_EMAIL" \
	GIT_AUTHOR_DATE="${GIT_AUTHOR_DATE:-$BASE_DATE}" \
	GIT_COMMITTER_DATE="${GIT_COMMITTER_DATE:-$BASE_DATE}" \
		git -c core.abbrev=12 -c advice.detachedHead=false \
		    -c init.defaultBranch=series -c gc.auto=0 \
		    -c core.autocrlf=false -c core.safecrlf=false "$@"
}

# sha256 over the patches in a directory (names + contents); empty dir ok.
patches_sum() {
	local dir="$1"
	if [ -d "$dir" ]; then
		( cd "$dir" && find . -maxdepth 1 -name '*.patch' -type f | LC_ALL=C sort |
		  xargs -r sha256sum )
	fi | sha256sum | cut -d' ' -f1
}

# The patch files of a directory, in order (cover letter excluded if $2=nocover).
list_patches() {
	local dir="$1" f
	for f in "$dir"/*.patch; do
		[ -e "$f" ] || continue
		if [ "${2:-}" = nocover ] && [ "$(basename "$f")" = 0000-cover-letter.patch ]; then
			continue
		fi
		echo "$f"
	done
}
