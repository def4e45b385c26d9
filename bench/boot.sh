#!/usr/bin/env bash
# Boot-to-poweroff wall time of the reference guest: rvisor's translator (--engine jit) against
# qemu-system-riscv64 -M virt and against rvisor's interpreter, interleaved runs, medians, ratios.
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

rvisor_times=() interp_times=() qemu_times=()
for ((i = 1; i <= runs; i++)); do
  rvisor_times+=("$(seconds "$rvisor" run --engine jit --cpus "$cpus" --kernel "$guest/Image" \
    --initrd "$guest/initramfs.cpio.gz" --append "$append")")
  interp_times+=("$(seconds "$rvisor" run --engine interp --cpus "$cpus" --kernel "$guest/Image" \
    --initrd "$guest/initramfs.cpio.gz" --append "$append")")
  qemu_times+=("$(seconds qemu-system-riscv64 -M virt -smp "$cpus" -m 512M -nographic \
    -bios default -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" -append "$append")")
  echo "run $i: rvisor-jit ${rvisor_times[-1]} s, rvisor-interp ${interp_times[-1]} s, qemu ${qemu_times[-1]} s"
done
r=$(printf '%s\n' "${rvisor_times[@]}" | median)
n=$(printf '%s\n' "${interp_times[@]}" | median)
q=$(printf '%s\n' "${qemu_times[@]}" | median)
printf 'boot to poweroff, %d hart(s), median of %d: rvisor-jit %.3f s, rvisor-interp %.3f s, qemu %.3f s\n' \
  "$cpus" "$runs" "$r" "$n" "$q"
printf 'jit/qemu time %.2f, jit/interp time %.2f\n' "$(echo "$r / $q" | bc -l)" "$(echo "$r / $n" | bc -l)"
