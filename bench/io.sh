#!/usr/bin/env bash
# I/O inside the guest, rvisor against qemu-system-riscv64 -M virt with the same devices
# (virtio-blk and virtio-net on virtio-mmio, slirp user networking), the same guest (512 MiB of
# RAM), the same 512 MiB disk image (a sparse host file) and the same guest script, one VMM
# after the other in each run; medians over the runs and ratios rvisor/QEMU (higher is better):
#  1. virtio-blk sequential write of 256 MiB with dd bs=1M, O_DIRECT (oflag=direct), and
#     buffered with an fsync at the end (conv=fsync);
#  2. virtio-blk sequential read of 256 MiB with dd bs=1M, O_DIRECT (iflag=direct), and
#     buffered after dropping the guest's page cache (echo 3 > /proc/sys/vm/drop_caches);
#  3. random 4 KiB O_DIRECT reads, then writes, one at a time over the whole disk: IOPS of
#     bench/random_io.c (a static riscv64 program; seeded offsets, the same under both VMMs);
#  4. virtio-net TCP throughput over user networking: download (wget of a 64 MiB file from a
#     Python HTTP server on the host's 127.0.0.1 to /dev/null) and upload (busybox nc of a
#     64 MiB file in the guest's RAM to a Python listener on the host, which answers with the
#     byte count once it has them all).
# Times come from the guest's clock, CLOCK_MONOTONIC read before and after each step
# ("random_io now": /proc/uptime has only hundredths, and a 256 MiB read can take 0.2 s).
# MB/s are 10^6 bytes per second.
# Usage: bench/io.sh [RUNS]   (RUNS: 5 by default; RVISOR=path picks the rvisor binary; needs
#                              qemu-system-misc, cpio and riscv64-linux-gnu-gcc:
#                              scripts/install-dependencies.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rvisor=${RVISOR:-build/rvisor}
guest=$(guest/find-guest.sh)
[[ -x $rvisor ]] || { echo "bench: $rvisor is missing: build first" >&2; exit 1; }
for tool in qemu-system-riscv64 cpio riscv64-linux-gnu-gcc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-dependencies.sh --bench)" >&2; exit 1; }
done
disk_mib=256 net_mib=64 ops=20000
work=$(mktemp -d)
servers=()
trap '(( ${#servers[@]} )) && kill "${servers[@]}" 2>/dev/null; rm -rf "$work"' EXIT

mkdir "$work/root"
riscv64-linux-gnu-gcc -O2 -static -o "$work/root/random_io" bench/random_io.c
# Each step prints "IO <step> <start> <end>" (CLOCK_MONOTONIC seconds) only when it succeeded.
cat >"$work/root/io.sh" <<'SCRIPT'
arg() { sed -n "s/.*bench\.$1=\([0-9]*\).*/\1/p" /proc/cmdline; }
mib=$(arg mib) net_mib=$(arg netmib) ops=$(arg ops) port=$(arg port) upload_port=$(arg uport)
now() { /random_io now; }
step() {
  local name=$1 start end
  shift
  start=$(now)
  "$@" || { echo "IO-FAILED $name"; return; }
  end=$(now)
  echo "IO $name $start $end"
}
step write-direct dd if=/dev/zero of=/dev/vda bs=1M count=$mib oflag=direct
step write-fsync dd if=/dev/zero of=/dev/vda bs=1M count=$mib conv=fsync
step read-direct dd if=/dev/vda of=/dev/null bs=1M count=$mib iflag=direct
sync
echo 3 >/proc/sys/vm/drop_caches
step read-buffered dd if=/dev/vda of=/dev/null bs=1M count=$mib
/random_io read /dev/vda $ops
/random_io write /dev/vda $ops
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
step net-download wget -q -O /dev/null "http://10.0.2.2:$port/blob"
# The listener answers "UPLOAD-RECEIVED <bytes>" and closes once it has them all. The file
# comes from RAM: dd | nc would time the guest's dd and pipe as well.
dd if=/dev/zero of=/tmp/upload bs=1M count=$net_mib 2>/dev/null
upload() {
  nc 10.0.2.2 $upload_port </tmp/upload >/tmp/reply
  grep -q "^UPLOAD-RECEIVED $((net_mib * 1048576))\$" /tmp/reply
}
step net-upload upload
rm /tmp/upload
SCRIPT
chmod +x "$work/root/io.sh"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$work/io.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$work/io.cpio.gz" >"$work/initrd.cpio.gz"
truncate -s 512M "$work/disk.img"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir "$work/served"
head -c "${net_mib}M" /dev/urandom >"$work/served/blob"
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$work/served" "$port" >/dev/null 2>&1 &
servers+=($!)
upload_port=$(free_port)
python3 - "$upload_port" "$((net_mib * 1048576))" <<'PYTHON' &
import socket, sys
port, expected = int(sys.argv[1]), int(sys.argv[2])
listener = socket.create_server(("127.0.0.1", port))
while True:
    connection, _ = listener.accept()
    with connection:
        received = 0
        while received < expected:
            data = connection.recv(min(1 << 20, expected - received))
            if not data:
                break
            received += len(data)
        connection.sendall(b"UPLOAD-RECEIVED %d\n" % received)
PYTHON
servers+=($!)
append="console=ttyS0 guest.run=/io.sh bench.mib=$disk_mib bench.netmib=$net_mib bench.ops=$ops"
append+=" bench.port=$port bench.uport=$upload_port"

# The figure ("name value" lines) of each step in a console log: MB/s from the guest's clock
# before and after, IOPS as random_io printed them.
figures() {
  grep -a -E '^(IO|RANDOM-IO) ' | tr -d '\r' | awk -v disk="$disk_mib" -v net="$net_mib" '
    $1 == "IO" && $4 > $3 { print $2, ($2 ~ /^net-/ ? net : disk) * 1.048576 / ($4 - $3) }
    $1 == "RANDOM-IO" { sub("iops=", "", $3); print "random-" $2, $3 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
steps=(write-direct write-fsync read-direct read-buffered random-read random-write net-download net-upload)

declare -A results
# Runs one VMM ($1: rvisor or qemu) once and adds its figures to results; a missing figure ends
# the benchmark with the console's output.
measure() {
  local vmm=$1 out step value
  if [[ $vmm == rvisor ]]; then
    out=$(timeout 900 "$rvisor" run --kernel "$guest/Image" --initrd "$work/initrd.cpio.gz" \
      --mem 512M --disk "$work/disk.img" --net user --append "$append" </dev/null 2>&1) || true
  else
    out=$(timeout 900 qemu-system-riscv64 -M virt -m 512M -nographic -bios default \
      -kernel "$guest/Image" -initrd "$work/initrd.cpio.gz" -append "$append" \
      -drive "file=$work/disk.img,if=none,id=d0,format=raw" -device virtio-blk-device,drive=d0 \
      -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
      </dev/null 2>&1) || true
  fi
  local found
  found=$(figures <<<"$out") || true
  for step in "${steps[@]}"; do
    value=$(awk -v step="$step" '$1 == step { print $2 }' <<<"$found")
    if [[ -z $value ]]; then
      printf '%s\n' "$out" >&2
      echo "bench: no $step figure from $vmm (its console is above)" >&2
      exit 1
    fi
    results[${vmm}_$step]+="$value "
  done
}

for ((i = 1; i <= runs; i++)); do
  measure rvisor
  measure qemu
done
for step in "${steps[@]}"; do
  r=$(tr ' ' '\n' <<<"${results[rvisor_$step]}" | grep . | median)
  q=$(tr ' ' '\n' <<<"${results[qemu_$step]}" | grep . | median)
  unit="MB/s" format="%.1f"
  case $step in
  write-direct) what="virtio-blk sequential write ($disk_mib MiB, 1 MiB O_DIRECT)" ;;
  write-fsync) what="virtio-blk sequential write ($disk_mib MiB, 1 MiB buffered + fsync)" ;;
  read-direct) what="virtio-blk sequential read ($disk_mib MiB, 1 MiB O_DIRECT)" ;;
  read-buffered) what="virtio-blk sequential read ($disk_mib MiB, 1 MiB buffered, cold cache)" ;;
  random-read) what="virtio-blk random read ($ops x 4 KiB O_DIRECT)" unit=IOPS format="%.0f" ;;
  random-write) what="virtio-blk random write ($ops x 4 KiB O_DIRECT)" unit=IOPS format="%.0f" ;;
  net-download) what="virtio-net TCP download ($net_mib MiB HTTP from host loopback)" ;;
  net-upload) what="virtio-net TCP upload ($net_mib MiB nc to host loopback)" ;;
  esac
  printf "%s, median of %d: rvisor $format %s, qemu $format %s, rvisor/qemu %.2f\n" \
    "$what" "$runs" "$r" "$unit" "$q" "$unit" "$(echo "$r / $q" | bc -l)"
done
