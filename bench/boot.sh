#!/usr/bin/env bash
# Boot-to-poweroff wall time of the reference guest: rvisor against qemu-system-riscv64 -M virt,
# interleaved runs, medians and the ratio rvisor/QEMU.
# Usage: bench/boot.sh [RUNS] [CPUS]   (needs qemu-system-misc; scripts/install-dependencies.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cpus=${2:-1}
rvisor=${RVISOR:-build/rvisor}
guest=$(guest/find-guest.sh)
command -v qemu-system-riscv64 >/dev/null || { echo "bench: qemu-system-riscv64 is missing (apt-get install qemu-system-misc)" >&2; exit 1; }
[[ -x $rvisor ]] || { echo "bench: $rvisor is missing: build first" >&2; exit 1; }
append="console=ttyS0 guest.cmd=poweroff"

seconds() { # command... ; prints the wall time, fails unless the guest booted
  local start end out
  start=$(date +%s.%N)
  out=$("$@" </dev/null 2>&1)
  end=$(date +%s.%N)
  grep -q GUEST-BOOT-OK <<<"$out" || { echo "bench: the guest did not boot: $*" >&2; exit 1; }
  echo "$end - $start" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rvisor_times=() qemu_times=()
for ((i = 1; i <= runs; i++)); do
  rvisor_times+=("$(seconds "$rvisor" run --cpus "$cpus" --kernel "$guest/Image" \
    --initrd "$guest/initramfs.cpio.gz" --append "$append")")
  qemu_times+=("$(seconds qemu-system-riscv64 -M virt -smp "$cpus" -m 512M -nographic \
    -bios default -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" -append "$append")")
  echo "run $i: rvisor ${rvisor_times[-1]} s, qemu ${qemu_times[-1]} s"
done
r=$(printf '%s\n' "${rvisor_times[@]}" | median)
q=$(printf '%s\n' "${qemu_times[@]}" | median)
printf 'boot to poweroff, %d hart(s), median of %d: rvisor %.3f s, qemu %.3f s, rvisor/qemu %.2f\n' \
  "$cpus" "$runs" "$r" "$q" "$(echo "$r / $q" | bc -l)"
