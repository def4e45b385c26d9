#!/usr/bin/env bash
# SMP scaling: a parallel workload (two copies of the crc and sort kernels from bench/kernels/
# at once) in the reference guest with 1 hart and with 2, under rvisor and under
# qemu-system-riscv64 -M virt (MTTCG); wall time from the guest's uptime around the workload,
# interleaved runs, medians, and each VMM's speed-up from 1 hart to 2 (goal for rvisor: >= 1.8).
# Usage: bench/smp.sh [RUNS]   (needs qemu-system-misc, cpio and riscv64-linux-gnu-gcc:
#                               scripts/install-dependencies.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
rvisor=${RVISOR:-build/rvisor}
guest=$(guest/find-guest.sh)
for tool in qemu-system-riscv64 cpio riscv64-linux-gnu-gcc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-dependencies.sh --bench)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/root"
for kernel in crc sort; do
  riscv64-linux-gnu-gcc -O2 -static -Ibench/kernels -o "$work/root/$kernel" "bench/kernels/$kernel.c" -lm
done
cat >"$work/root/smp.sh" <<'SCRIPT'
start=$(cut -d' ' -f1 /proc/uptime)
for copy in 1 2; do (/crc >/dev/null; /sort >/dev/null) & done
wait
end=$(cut -d' ' -f1 /proc/uptime)
echo "SMP-WALL $start $end"
SCRIPT
chmod +x "$work/root/smp.sh"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$work/smp.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$work/smp.cpio.gz" >"$work/initrd.cpio.gz"
append="console=ttyS0 guest.run=/smp.sh"

wall() { grep -a SMP-WALL | awk '{ print $3 - $2 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A times
for ((i = 1; i <= runs; i++)); do
  for cpus in 1 2; do
    out=$("$rvisor" run --kernel "$guest/Image" --initrd "$work/initrd.cpio.gz" --cpus "$cpus" \
      --mem 256M --append "$append" </dev/null 2>&1)
    times[rvisor_$cpus]+="$(wall <<<"$out") "
    out=$(qemu-system-riscv64 -M virt -smp "$cpus" -m 256M -nographic -bios default \
      -kernel "$guest/Image" -initrd "$work/initrd.cpio.gz" -append "$append" </dev/null 2>&1)
    times[qemu_$cpus]+="$(wall <<<"$out") "
  done
done
for vmm in rvisor qemu; do
  one=$(tr ' ' '\n' <<<"${times[${vmm}_1]}" | grep . | median)
  two=$(tr ' ' '\n' <<<"${times[${vmm}_2]}" | grep . | median)
  printf '%-6s 1 hart %6.2f s, 2 harts %6.2f s (medians of %d): speed-up %.2f\n' \
    "$vmm" "$one" "$two" "$runs" "$(echo "$one / $two" | bc -l)"
done
r1=$(tr ' ' '\n' <<<"${times[rvisor_2]}" | grep . | median)
q1=$(tr ' ' '\n' <<<"${times[qemu_2]}" | grep . | median)
printf '2 harts, qemu/rvisor time: %.2f (> 1: rvisor faster)\n' "$(echo "$q1 / $r1" | bc -l)"
