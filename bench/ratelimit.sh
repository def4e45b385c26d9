#!/usr/bin/env bash
# The rate limiters (README, "Rate limits"): how closely a limited disk keeps to its limit, and
# what a limit on a noisy neighbour is worth to the VM beside it. Prints figures, asserts nothing.
#  1. Accuracy: a guest writes to its disk with O_DIRECT as fast as it can, after spending the
#     one-time burst, under bw=10M and bw=20M (1 MiB writes) and iops=500 (4 KiB writes):
#     achieved against configured, by the guest's own clock.
#  2. Neighbours: two VMs on this host. One idles, or writes 1 MiB O_DIRECT requests to its
#     disk without a pause, first without a limit and then with bw=10M. The other times READS
#     random 4 KiB direct reads of its own disk (bench/random_read.c, a static riscv64 program)
#     and reports their p50 and p99 latency.
# Usage: bench/ratelimit.sh [READS]   (READS: 3000 by default; needs riscv64-linux-gnu-gcc)
set -euo pipefail
cd "$(dirname "$0")/.."
reads=${1:-3000}
rvisor=${RVISOR:-build/rvisor}
guest=$(guest/find-guest.sh)
[[ -x $rvisor ]] || { echo "bench: $rvisor is missing: build first" >&2; exit 1; }
command -v riscv64-linux-gnu-gcc >/dev/null || { echo "bench: riscv64-linux-gnu-gcc is missing" >&2; exit 1; }
work=$(mktemp -d)
noisy=
trap '[[ -n $noisy ]] && kill $noisy 2>/dev/null; rm -rf "$work"' EXIT

mkdir "$work/root"
riscv64-linux-gnu-gcc -O2 -static -o "$work/root/random_read" bench/random_read.c
# What the guest does comes from its command line: bench.mode=… bench.count=… bench.bs=…
cat >"$work/root/bench.sh" <<'SCRIPT'
arg() { sed -n "s/.*bench\.$1=\([0-9A-Za-z]*\).*/\1/p" /proc/cmdline; }
mode=$(arg mode) count=$(arg count) bs=$(arg bs) burst=$(arg burst)
case $mode in
accuracy)
  dd if=/dev/zero of=/dev/vda bs=$bs count=$burst oflag=direct 2>/dev/null
  start=$(cut -d' ' -f1 /proc/uptime)
  dd if=/dev/zero of=/dev/vda bs=$bs count=$count oflag=direct 2>/dev/null
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "ACCURACY $start $end" ;;
noisy)
  echo NOISY
  while true; do dd if=/dev/zero of=/dev/vda bs=1M count=128 oflag=direct 2>/dev/null; done ;;
idle)
  echo IDLE
  sleep 100000 ;;
probe)
  dd if=/dev/vda of=/dev/null bs=1M iflag=direct 2>/dev/null  # the host's cache holds the disk
  /random_read /dev/vda $count ;;
esac
SCRIPT
chmod +x "$work/root/bench.sh"
# The extra initramfs, written by the guest tests' own cpio writer.
python3 - "$work" <<'PYTHON'
import os, sys
sys.path.insert(0, "tests/guest")
from guest_test import newc_archive
root = os.path.join(sys.argv[1], "root")
files = {name: (0o100755, open(os.path.join(root, name), "rb").read()) for name in os.listdir(root)}
with open(os.path.join(sys.argv[1], "extra.cpio.gz"), "wb") as f:
    f.write(newc_archive(files))
PYTHON
truncate -s 160M "$work/a.img"
head -c 64M /dev/urandom >"$work/b.img"

# Sets `args` to run a guest in bench.mode $1 with disk $2 (and its options) and the rest as
# kernel arguments.
guest_args() {
  local mode=$1 disk=$2
  shift 2
  args=(run --kernel "$guest/Image" --initrd "$guest/initramfs.cpio.gz"
    --initrd "$work/extra.cpio.gz" --mem 256M --disk "$disk"
    --append "console=ttyS0 guest.run=/bench.sh bench.mode=$mode $*")
}
run_guest() {
  guest_args "$@"
  "$rvisor" "${args[@]}" </dev/null 2>&1
}

echo "1. accuracy: O_DIRECT writes as fast as the guest can, after the one-time burst"
accuracy() {
  local option=$1 bs=$2 count=$3 burst=$4 unit=$5 configured=$6
  local line
  line=$(run_guest accuracy "$work/a.img,$option" bench.bs=$bs bench.count=$count \
    bench.burst=$burst | grep -a ACCURACY)
  awk -v line="$line" -v count="$count" -v bs="$bs" -v unit="$unit" -v want="$configured" \
    -v option="$option" 'BEGIN {
      split(line, f, " "); seconds = f[3] - f[2]
      if (unit == "MiB/s") got = count * (bs == "1M" ? 1 : 1 / 256) / seconds; else got = count / seconds
      printf "  %-9s %5d writes of %s in %6.2f s: %8.2f %s, configured %g (%.1f%%)\n",
        option, count, bs == "1M" ? "1 MiB" : "4 KiB", seconds, got, unit, want, 100 * got / want }'
}
accuracy bw=10M 1M 80 11 MiB/s 10
accuracy bw=20M 1M 120 21 MiB/s 20
accuracy iops=500 4k 3000 510 IOPS 500

echo "2. the neighbour's 4 KiB random direct reads ($reads), while the other VM..."
neighbour() {
  local what=$1 mode=$2 disk=$3
  guest_args "$mode" "$disk"
  "$rvisor" "${args[@]}" </dev/null >"$work/noisy.log" 2>&1 &
  noisy=$!
  # The probe starts once the other VM is at work.
  until grep -aq -e NOISY -e IDLE "$work/noisy.log"; do
    kill -0 $noisy 2>/dev/null || { cat "$work/noisy.log" >&2; exit 1; }
    sleep 0.2
  done
  local line
  line=$(run_guest probe "$work/b.img" bench.count="$reads" | grep -a RANDOM-READ)
  kill $noisy
  wait $noisy 2>/dev/null || true
  noisy=
  awk -v line="$line" -v what="$what" 'BEGIN {
    split(line, f, "[ =]"); printf "  %-36s p50 %6d us, p99 %6d us, max %6d us\n", what, f[5], f[7], f[9] }'
}
neighbour "idles" idle "$work/a.img"
neighbour "writes without a limit" noisy "$work/a.img"
neighbour "writes under bw=10M" noisy "$work/a.img,bw=10M"
