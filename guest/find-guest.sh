#!/bin/bash
# guest/find-guest.sh - print the absolute path of a directory holding the
# reference guest (Image and initramfs.cpio.gz), building it if need be.
#
# usage: guest/find-guest.sh [--no-build]
#
# Looks, in this order, in:
#   1. $RVISOR_GUEST_DIR, when set: it must hold the guest, else this fails
#      (no fallback, no build: that directory was asked for explicitly);
#   2. shared/guest beside the repository (../shared/guest from the repo's
#      top level; found from this script's location, not the current
#      directory);
#   3. the project's cache,
#      ${RVISOR_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor/guest}.
# If none has it: with --no-build, exit 1 with a message on stderr; otherwise
# build it into the cache with guest/build.sh (Debian 12, root, 10-15 min),
# its output going to stderr, and print the cache path.
#
# Only the path goes to stdout; every message goes to stderr.
set -euo pipefail

prog=find-guest.sh
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

build=1
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument: $arg" >&2; usage ;;
	esac
done

has_guest() { [ -s "$1/Image" ] && [ -s "$1/initramfs.cpio.gz" ]; }
found() {
	local path
	path=$(cd "$1" && pwd -P) || die "cannot enter $1"
	printf '%s\n' "$path"
	exit 0
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null) || repo=$(dirname "$here")

# 1. explicit directory
if [ -n "${RVISOR_GUEST_DIR:-}" ]; then
	has_guest "$RVISOR_GUEST_DIR" ||
		die "RVISOR_GUEST_DIR=$RVISOR_GUEST_DIR has no Image and initramfs.cpio.gz (unset it to search elsewhere)"
	found "$RVISOR_GUEST_DIR"
fi

# 2. shared/guest beside the repository
shared=$(dirname "$repo")/shared/guest
has_guest "$shared" && found "$shared"

# 3. the project's cache
cache=${RVISOR_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvisor/guest}
has_guest "$cache" && found "$cache"

[ "$build" = 1 ] ||
	die "no guest found (RVISOR_GUEST_DIR unset, none in $shared or $cache); run guest/find-guest.sh to build one"

# Build into the cache. A lock keeps concurrent callers from building twice:
# whoever waited finds the guest the first one built.
mkdir -p "$(dirname "$cache")" || die "cannot create $(dirname "$cache")"
if command -v flock >/dev/null; then
	exec 9> "$cache.lock" || die "cannot create $cache.lock"
	if ! flock -n 9; then
		echo "$prog: another guest build is running; waiting for $cache.lock" >&2
		flock 9
	fi
	has_guest "$cache" && found "$cache"
fi
echo "$prog: no guest found; building one into $cache with guest/build.sh (takes 10-15 minutes)" >&2
"$here/build.sh" "$cache" >&2 ||
	die "building the guest into $cache failed (guest/build.sh exit $?; see the messages above)"
has_guest "$cache" || die "guest/build.sh succeeded but $cache has no Image and initramfs.cpio.gz"
found "$cache"
