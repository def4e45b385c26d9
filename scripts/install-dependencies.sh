#!/usr/bin/env bash
# Installs what building and testing rvisor needs, from Debian 12's packages.
# Usage: scripts/install-dependencies.sh [--bench]   (--bench adds QEMU for the benchmarks)
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config python3
  libfmt-dev libcli11-dev libfdt-dev libgtest-dev nlohmann-json3-dev
  libxbyak-dev                                      # x86-64 code emission (the translator)
  clang libclang-rt-14-dev                          # libFuzzer for the translator's fuzz target
  libslirp-dev libglib2.0-dev                      # user-mode networking (slirp.pc needs glib)
  libcpp-httplib-dev liblzma-dev                    # the API server; CRC-64 of snapshot files
  libhttp-parser-dev                                # the function gateway reads functions' replies
  libseccomp-dev                                    # the seccomp filter of each VM process
  libarchive-dev libssl-dev                         # functions from OCI layouts: layers, sha256
  e2fsprogs                                         # disk tests build ext4 images
  python3-yaml python3-jsonschema                   # the control API test reads openapi.yaml
  gcc-riscv64-unknown-elf gcc-riscv64-linux-gnu   # ISA tests and guest test programs
  g++-riscv64-linux-gnu                           # rvisor-agent, the guest's PID 1 (C++)
  libc6-dev-riscv64-cross                         # (static riscv64 Linux programs: only recommended)
  opensbi device-tree-compiler                      # --bios tests, --dump-dtb checks
  cpio podman runc                                  # rvisor-oci: busybox roots, Podman, runc
  containerd docker.io                              # rvisor-oci under ctr and dockerd (tests)
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(qemu-system-misc bc)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
