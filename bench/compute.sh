#!/usr/bin/env bash
# Guest instructions per second on a compute loop (bench/compute_loop.S, bare-metal), rvisor
# against qemu-system-riscv64 -M spike running the same ELF; interleaved runs, medians.
# Usage: bench/compute.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rvisor=${RVISOR:-build/rvisor}
iterations=50000000
instructions=$((iterations * 16 + 8))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=$(command -v riscv64-unknown-elf-gcc || command -v riscv64-linux-gnu-gcc)
"$cc" -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -T tests/isa/link.ld \
  -o "$work/compute.elf" bench/compute_loop.S

seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" </dev/null >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rvisor_times=() qemu_times=()
for ((i = 1; i <= runs; i++)); do
  rvisor_times+=("$(seconds "$rvisor" run --kernel "$work/compute.elf")")
  if command -v qemu-system-riscv64 >/dev/null; then
    qemu_times+=("$(seconds qemu-system-riscv64 -M spike -nographic -bios none -kernel "$work/compute.elf")")
  fi
done
r=$(printf '%s\n' "${rvisor_times[@]}" | median)
printf 'compute loop, %d guest instructions, median of %d: rvisor %.3f s = %.1f MIPS\n' \
  "$instructions" "$runs" "$r" "$(echo "$instructions / $r / 1000000" | bc -l)"
if ((${#qemu_times[@]})); then
  q=$(printf '%s\n' "${qemu_times[@]}" | median)
  printf 'qemu (TCG) %.3f s = %.1f MIPS; rvisor/qemu time %.2f\n' "$q" \
    "$(echo "$instructions / $q / 1000000" | bc -l)" "$(echo "$r / $q" | bc -l)"
fi
