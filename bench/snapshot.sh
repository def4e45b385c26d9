#!/usr/bin/env bash
# Snapshot benchmarks: restore to running (256 MiB and 2 GiB), pause latency (idle and busy),
# snapshot size and write time, PSS of 8 clones, boot against restore beside QEMU's boot.
# Usage: bench/snapshot.sh [RUNS]   (needs qemu-system-misc; scripts/install-dependencies.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
rvisor=${RVISOR:-build/rvisor}
[[ -x $rvisor ]] || { echo "bench: $rvisor is missing: build first" >&2; exit 1; }
exec python3 bench/snapshot.py "$rvisor" "$(guest/find-guest.sh)" "${1:-5}"
