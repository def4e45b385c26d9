#!/usr/bin/env bash
# Builds rvisor and boots the reference Linux guest to an interactive shell on this terminal
# (Ctrl-A x quits; `poweroff -f` in the guest ends it). Extra arguments go to `rvisor run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
guest=$(guest/find-guest.sh)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
exec build/rvisor run --kernel "$guest/Image" --initrd "$guest/initramfs.cpio.gz" \
  --append "console=ttyS0" "$@"
