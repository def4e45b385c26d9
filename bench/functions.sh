#!/usr/bin/env bash
# Functions (bench/functions.py): busybox httpd from the reference guest's tree deployed with
# `rvisor serve --http`, then the issue's figures: cold invocations from zero instances (snapshot
# in the page cache and evicted from it), what the gateway adds to a warm call, restores per
# second, memory per idle instance, a burst of 100 requests at zero, the snapshot at deploy; and
# QEMU restoring the same guest with -loadvm to its first HTTP reply, when qemu-system-riscv64 is
# there. Percentiles, each figure beside its goal, and ratios.
# Usage: bench/functions.sh [RUNS]   (RUNS cold invocations of each kind, default 30; needs cpio,
# python3, root for the page cache evictions' effect on shared files; qemu-system-riscv64 and
# qemu-img for the peer)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
for file in rvisor guest/Image guest/agent-initramfs.cpio; do
    [[ -e $build/$file ]] || { echo "bench: $build/$file is missing: build first" >&2; exit 1; }
done
command -v cpio >/dev/null || { echo "bench: cpio is missing" >&2; exit 1; }
exec python3 bench/functions.py "$build" "$(guest/find-guest.sh)" "${1:-30}"
