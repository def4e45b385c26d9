#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a while (tests/fuzz/README.md):
#
#   scripts/fuzz.sh [MINUTES]        each target for MINUTES (default 1)
#   scripts/fuzz.sh --seconds N      each target for N seconds (CI)
#
# Targets are found by convention, so a new one needs no change here: every executable
# build-fuzz/tests/fuzz/X_fuzz, its seed corpus tests/fuzz/X_corpus/ (copied to a working
# corpus under build-fuzz/fuzz/X/, which keeps what earlier runs found), its dictionary
# tests/fuzz/X.dict and its extra libFuzzer flags tests/fuzz/X.options (one or more a line,
# # starts a comment), each when present. Crashes, leaks and timeouts are left in
# build-fuzz/fuzz/X/ as crash-*, leak-*, timeout-* files. Prints a table of what each target
# did and exits 1 if any target failed.
#
# FUZZ_BUILD_JOBS sets the build's parallelism (default: ninja's).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
case "${1:-}" in
"") ;;
--seconds)
  [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "usage: $0 [MINUTES] | --seconds N" >&2; exit 2; }
  seconds=$2
  ;;
*)
  [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 [MINUTES] | --seconds N" >&2; exit 2; }
  seconds=$(($1 * 60))
  ;;
esac

build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DRVISOR_FUZZ=ON -DRVISOR_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Every executable the build makes under tests/fuzz/ whose name ends in _fuzz.
mapfile -t targets < <(ninja -C "$build" -t targets all |
  sed -n 's|^tests/fuzz/\([A-Za-z0-9_]*_fuzz\): .*|\1|p' | sort -u)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz.sh: no *_fuzz targets in $build" >&2
  exit 1
fi
ninja -C "$build" ${FUZZ_BUILD_JOBS:+-j "$FUZZ_BUILD_JOBS"} "${targets[@]}"

# The last status line libFuzzer printed ("#N DONE cov: C ft: F ... exec/s: E ..."), one field.
field() {
  grep -E '^#[0-9]+' "$1" | tail -n 1 | sed -n "s|.* $2: \([0-9]*\).*|\1|p"
}

failed=0
rows=()
for target in "${targets[@]}"; do
  name=${target%_fuzz}
  work=$PWD/$build/fuzz/$name
  mkdir -p "$work/corpus"
  [[ -d tests/fuzz/${name}_corpus ]] && cp -r "tests/fuzz/${name}_corpus/." "$work/corpus/"
  flags=(-max_total_time="$seconds" -seed=1 -timeout=10 -print_final_stats=1
    -artifact_prefix="$work/")
  [[ -f tests/fuzz/$name.dict ]] && flags+=(-dict="$PWD/tests/fuzz/$name.dict")
  if [[ -f tests/fuzz/$name.options ]]; then
    read -r -a options <<<"$(sed 's/#.*//' "tests/fuzz/$name.options" | tr '\n' ' ')"
    flags+=("${options[@]}")
  fi
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
  echo "fuzz.sh: $target for ${seconds} s"
  status=0
  "$build/tests/fuzz/$target" "${flags[@]}" "$work/corpus" >"$work/log" 2>&1 || status=$?
  crashes=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  if [[ $status -ne 0 || $crashes -ne 0 ]]; then
    failed=1
    echo "fuzz.sh: $target failed (exit $status); the end of $work/log:" >&2
    tail -n 30 "$work/log" >&2
  fi
  rows+=("$(printf '%-22s %10s %8s %8s %8s' "$target" "$(field "$work/log" exec/s)" \
    "$(field "$work/log" cov)" "$(field "$work/log" ft)" "$crashes")")
done

printf '%-22s %10s %8s %8s %8s\n' target exec/s cov ft crashes
printf '%s\n' "${rows[@]}"
exit $failed
