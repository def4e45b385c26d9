#!/usr/bin/env bash
# Container start times (bench/containers.py): podman run --rm IMAGE true with rvisor-oci (a VM
# per container, from a template and cold), with runc under qemu-user for the same riscv64 image (it registers
# qemu-riscv64 with binfmt_misc when it is not, as root), and with runc for a native image; then
# rvisor-oci's create + start, and start alone, to the first byte of output. Medians and ratios.
# Usage: bench/containers.sh [RUNS]   (needs podman, runc, qemu-user-static, cpio, gcc; as root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
[[ -x $build/rvisor-oci ]] || { echo "bench: $build/rvisor-oci is missing: build first" >&2; exit 1; }
exec python3 bench/containers.py "$build" "$(guest/find-guest.sh)" "${1:-5}"
