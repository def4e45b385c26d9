#!/usr/bin/env bash
# Density of the control program: N idle guests (CPU, host RSS per VM beyond guest RAM), the
# balloon giving freed memory back, API latency p50/p99, VMs booted and clones started per second.
# Usage: bench/density.sh [VMS]   (VMS: 64 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
rvisor=${RVISOR:-build/rvisor}
[[ -x $rvisor ]] || { echo "bench: $rvisor is missing: build first" >&2; exit 1; }
exec python3 bench/density.py "$rvisor" "$(guest/find-guest.sh)" "${1:-64}"
