#!/usr/bin/env bash
# Builds rvisor and runs every test (unit, ISA, guest integration) under ctest.
# Usage: scripts/test.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
guest/find-guest.sh >/dev/null # builds the guest into the cache if none is found
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build --output-on-failure -j2 "$@"
