#!/usr/bin/env bash
# Guest code speed on five small C kernels (bench/kernels/*.c): crc (integer: CRC-32 and 64-bit
# mixing, with divisions), sort (branchy: quicksort), chase (memory: pointer chasing over 4 MiB),
# nbody (double), matmul (float). Each is built static for riscv64 and run as a Linux user
# program in the reference guest, same binary and same guest, under rvisor's translator
# (--engine jit), rvisor's interpreter (--engine interp) and qemu-system-riscv64 -M virt (TCG),
# and built with the host's gcc and run natively. Every program times its own loop with
# CLOCK_MONOTONIC (the guest's clock under emulation; boot is not counted) and prints
#   KERNEL <name> <seconds> <checksum>
# Runs are interleaved (one boot per engine per run), the table gives medians and the ratios
# qemu/jit (> 1: rvisor faster than QEMU) and native/jit (the fraction of native speed), and
# the peak RSS of each VM process (GNU time). Every checksum must equal the native one: a
# mismatch, a crash or a missing line fails the script (exit 1) with the console lines.
#
# Usage: bench/kernels.sh [--runs N] [--no-interp] [--no-qemu] [--scale F] [--kernels a,b,...]
#                         [--timeout SECONDS] [--keep]
#   --runs N        runs per engine, median taken (default 5)
#   --no-interp     skip rvisor --engine interp (about 10x slower than the translator)
#   --no-qemu       skip QEMU (skipped anyway when qemu-system-riscv64 is missing)
#   --scale F       multiply every kernel's iteration count (default 1: ~0.4 s each natively)
#   --kernels LIST  comma-separated subset of crc,sort,chase,nbody,matmul
#   --timeout S     give up on one boot after S seconds (default 3600)
#   --keep          keep the work directory (binaries, archives, console logs) and print it
# Needs gcc, riscv64-linux-gnu-gcc with libc6-dev-riscv64-cross, cpio, gzip; QEMU optional
# (scripts/install-dependencies.sh --bench). RVISOR=path overrides build/rvisor.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

# kernel -> iterations for ~0.4 s natively (the programs' own defaults are the same).
declare -A iterations=([crc]=2000 [sort]=85 [chase]=16 [nbody]=100000 [matmul]=2100)
all_kernels=(crc sort chase nbody matmul)

runs=5 interp=1 qemu=1 scale=1 timeout=3600 keep=0 kernels=("${all_kernels[@]}")
while (($#)); do
  case $1 in
  --runs) runs=${2:?}; shift ;;
  --no-interp) interp=0 ;;
  --no-qemu) qemu=0 ;;
  --scale) scale=${2:?}; shift ;;
  --kernels) IFS=, read -r -a kernels <<<"${2:?}"; shift ;;
  --timeout) timeout=${2:?}; shift ;;
  --keep) keep=1 ;;
  -h | --help) usage ;;
  *) echo "bench: unknown argument: $1" >&2; usage ;;
  esac
  shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, not '$runs'"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a positive integer, not '$timeout'"
awk -v s="$scale" 'BEGIN { exit !(s + 0 > 0) }' || die "--scale wants a positive number, not '$scale'"
for k in "${kernels[@]}"; do
  [[ -f bench/kernels/$k.c && -n ${iterations[$k]:-} ]] || die "no kernel '$k' (have: ${all_kernels[*]})"
done

rvisor=${RVISOR:-build/rvisor}
[[ -x $rvisor ]] || die "$rvisor is missing: build first (cmake --build build)"
for tool in gcc riscv64-linux-gnu-gcc cpio gzip awk timeout; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-dependencies.sh --bench)"
done
if ((qemu)) && ! command -v qemu-system-riscv64 >/dev/null; then
  echo "bench: qemu-system-riscv64 is missing (apt-get install qemu-system-misc): no QEMU column" >&2
  qemu=0
fi
# Peak RSS of each VM process through GNU time (-f %M, KiB); without it, no RSS section.
gnu_time=
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
  gnu_time=/usr/bin/time
else
  echo "bench: GNU time (/usr/bin/time, package time) is missing: no peak RSS" >&2
fi
guest=$(guest/find-guest.sh)

work=$(mktemp -d)
if ((keep)); then trap 'echo "bench: work directory kept: $work" >&2' EXIT; else trap 'rm -rf "$work"' EXIT; fi

# Build: static riscv64 for the guest, the host's gcc for native. -ffp-contract=off keeps
# GCC from fusing a*b+c into fmadd on RISC-V (x86-64 without -mfma never does), so both
# builds round the same way and the checksums can be compared exactly.
cflags=(-O2 -ffp-contract=off -Wall -Wextra)
mkdir -p "$work/root/bench" "$work/native"
declare -A count
guest_script="$work/root/bench/run.sh"
: >"$guest_script"
for k in "${kernels[@]}"; do
  count[$k]=$(awk -v n="${iterations[$k]}" -v s="$scale" 'BEGIN { v = int(n * s + 0.5); print v < 1 ? 1 : v }')
  riscv64-linux-gnu-gcc "${cflags[@]}" -static -march=rv64gc -mabi=lp64d \
    -o "$work/root/bench/$k" "bench/kernels/$k.c" -lm ||
    die "cannot build bench/kernels/$k.c for riscv64 (gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross installed?)"
  gcc "${cflags[@]}" -o "$work/native/$k" "bench/kernels/$k.c" -lm || die "cannot build bench/kernels/$k.c natively"
  echo "/bench/$k ${count[$k]} || echo \"KERNEL-FAIL $k \$?\"" >>"$guest_script"
done
# The extra archive is gzip'd: the kernel finds an uncompressed cpio that follows another
# archive only at a 4-byte aligned offset, and the guest's initramfs.cpio.gz has any length.
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$work/extra.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$work/extra.cpio.gz" >"$work/combined.cpio.gz" # QEMU: one -initrd
append="console=ttyS0 guest.run=/bench/run.sh"

engines=(native jit)
if ((interp)); then engines+=(interp); fi
if ((qemu)); then engines+=(qemu); fi
declare -A title=([native]=native [jit]=rvisor-jit [interp]=rvisor-interp [qemu]=qemu)

# One run of an engine: every kernel, the console in $work/log/ENGINE.RUN, the peak RSS in
# $work/log/ENGINE.RUN.rss; results appended to $work/results as "ENGINE RUN KERNEL SECONDS SUM".
mkdir "$work/log"
failures=()
run_engine() { # engine run
  local engine=$1 run=$2 log="$work/log/$1.$2" status=0 k
  local vm=()
  case $engine in
  native)
    for k in "${kernels[@]}"; do
      "$work/native/$k" "${count[$k]}" || echo "KERNEL-FAIL $k $?"
    done >"$log" 2>&1
    ;;
  jit | interp)
    vm=("$rvisor" run --engine "$engine" --kernel "$guest/Image" --initrd "$guest/initramfs.cpio.gz"
      --initrd "$work/extra.cpio.gz" --append "$append") ;;
  qemu)
    vm=(qemu-system-riscv64 -M virt -smp 1 -m 512M -nographic -bios default -kernel "$guest/Image"
      -initrd "$work/combined.cpio.gz" -append "$append") ;;
  esac
  if ((${#vm[@]})); then
    if [[ -n $gnu_time ]]; then vm=("$gnu_time" -f %M -o "$log.rss" "${vm[@]}"); fi
    timeout "$timeout" "${vm[@]}" </dev/null >"$log" 2>&1 || status=$?
    tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
    if ((status == 124)); then
      failures+=("${title[$engine]} run $run: no poweroff after $timeout s ($log)")
    elif ((status != 0)); then
      failures+=("${title[$engine]} run $run: exit status $status ($log)")
    elif ! grep -aq '^GUEST-RUN-EXIT=0' "$log"; then
      failures+=("${title[$engine]} run $run: no GUEST-RUN-EXIT=0 on the console ($log)")
    fi
  fi
  for k in "${kernels[@]}"; do
    local line
    line=$(grep -a "^KERNEL $k " "$log" | tail -n 1 || true)
    if [[ $line =~ ^KERNEL\ $k\ ([0-9.]+)\ ([0-9a-f]{16})$ ]]; then
      echo "$engine $run $k ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >>"$work/results"
    else
      failures+=("${title[$engine]} run $run: $k printed no KERNEL line$(grep -a "^KERNEL-FAIL $k " "$log" |
        sed 's/^KERNEL-FAIL [^ ]* / (exit status /; s/$/)/' || true) ($log)")
    fi
  done
}

: >"$work/results"
echo "bench: kernels ${kernels[*]}, engines ${engines[*]}, $runs run(s); guest $guest" >&2
for ((i = 1; i <= runs; i++)); do
  for engine in "${engines[@]}"; do
    start=$(date +%s)
    run_engine "$engine" "$i"
    summary=$(awk -v e="$engine" -v r="$i" '$1 == e && $2 == r { printf " %s %.3f", $3, $4 }' "$work/results")
    echo "run $i ${title[$engine]} ($(($(date +%s) - start)) s wall):$summary" >&2
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
times_of() { awk -v e="$1" -v k="$2" '$1 == e && $3 == k { print $4 }' "$work/results" | median; }

# Checksums: every engine, every run, against the native one.
for k in "${kernels[@]}"; do
  native_sum=$(awk -v k="$k" '$1 == "native" && $3 == k { print $5; exit }' "$work/results")
  [[ -n $native_sum ]] || continue # already reported as a failure
  while read -r engine run sum; do
    [[ $sum == "$native_sum" ]] ||
      failures+=("${title[$engine]} run $run: $k checksum $sum, native $native_sum: WRONG RESULT ($work/log/$engine.$run)")
  done < <(awk -v k="$k" '$3 == k { print $1, $2, $5 }' "$work/results")
done

# The table: medians in seconds, qemu/jit (> 1: rvisor faster), native/jit (fraction of native).
printf '\nmedian of %d run(s), seconds per kernel (iterations x %s); guest %s\n' "$runs" "$scale" "$guest"
header=$(printf '%-8s %10s' kernel native)
for engine in "${engines[@]:1}"; do header+=$(printf ' %14s' "${title[$engine]}"); done
if ((qemu)); then header+=$(printf ' %9s' qemu/jit); fi
header+=$(printf ' %11s' native/jit)
echo "$header"
declare -A logsum=() lognum=()
ratio() { # numerator denominator key: sets r to a/b (or -) and adds log(a/b) to the key's mean
  r=-
  if [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > 0 && b > 0) }'; then
    r=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }')
    logsum[$3]=$(awk -v s="${logsum[$3]:-0}" -v a="$1" -v b="$2" 'BEGIN { printf "%.12f", s + log(a / b) }')
    lognum[$3]=$((${lognum[$3]:-0} + 1))
  fi
}
for k in "${kernels[@]}"; do
  declare -A med=()
  for engine in "${engines[@]}"; do med[$engine]=$(times_of "$engine" "$k"); done
  for engine in "${engines[@]}"; do [[ -z ${med[$engine]} ]] || med[$engine]=$(printf '%.3f' "${med[$engine]}"); done
  row=$(printf '%-8s %10s' "$k" "${med[native]:--}")
  for engine in "${engines[@]:1}"; do row+=$(printf ' %14s' "${med[$engine]:--}"); done
  if ((qemu)); then ratio "${med[qemu]}" "${med[jit]}" qemu; row+=$(printf ' %9s' "$r"); fi
  ratio "${med[native]}" "${med[jit]}" native
  row+=$(printf ' %11s' "$r")
  echo "$row"
  unset med
done
geo() { # key: the geometric mean of its ratios
  if [[ -n ${lognum[$1]:-} ]]; then
    awk -v s="${logsum[$1]}" -v n="${lognum[$1]}" 'BEGIN { printf "%.3f", exp(s / n) }'
  else
    echo -
  fi
}
row=$(printf '%-8s %10s' geomean '')
for engine in "${engines[@]:1}"; do row+=$(printf ' %14s' ''); done
if ((qemu)); then row+=$(printf ' %9s' "$(geo qemu)"); fi
row+=$(printf ' %11s' "$(geo native)")
echo "$row"

if [[ -n $gnu_time ]]; then
  rss=()
  for engine in "${engines[@]:1}"; do
    kib=$(cat "$work"/log/"$engine".*.rss 2>/dev/null | grep -E '^[0-9]+$' | median)
    [[ -z $kib ]] || rss+=("$(awk -v t="${title[$engine]}" -v k="$kib" 'BEGIN { printf "%s %.1f MiB", t, k / 1024 }')")
  done
  if ((${#rss[@]})); then
    joined=$(printf '%s, ' "${rss[@]}")
    printf 'peak RSS of the VM process (median of %d boot(s), 512 MiB guest RAM, 1 hart): %s\n' \
      "$runs" "${joined%, }"
  fi
fi

if ((${#failures[@]})); then
  echo >&2
  echo "bench: FAILED: ${#failures[@]} problem(s):" >&2
  printf '  %s\n' "${failures[@]}" >&2
  # The console around each failing run, once per log.
  printf '%s\n' "${failures[@]}" | sed -n 's/.*(\(\/[^)]*\)).*/\1/p' | sort -u | while read -r log; do
    [[ -f $log ]] || continue
    echo "--- last lines of $(basename "$log"):" >&2
    tail -n 25 "$log" >&2
  done
  exit 1
fi
