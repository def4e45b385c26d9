#!/usr/bin/env bash
# I/O throughput inside the guest, rvisor against qemu-system-riscv64 -M virt with the same
# devices (virtio-blk and virtio-net on virtio-mmio, slirp user networking): sequential
# direct-I/O write and read of 64 MiB with dd, and a 32 MiB HTTP download from the host's
# loopback with wget; interleaved runs, medians, ratios rvisor/QEMU (higher is better).
# Usage: bench/io.sh [RUNS]   (needs qemu-system-misc and cpio: scripts/install-dependencies.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rvisor=${RVISOR:-build/rvisor}
guest=$(guest/find-guest.sh)
for tool in qemu-system-riscv64 cpio; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-dependencies.sh --bench)" >&2; exit 1; }
done
work=$(mktemp -d)

mkdir "$work/root"
cat >"$work/root/io.sh" <<'SCRIPT'
dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct 2>&1 | tail -n 1 | sed 's/^/IO-WRITE /'
dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct 2>&1 | tail -n 1 | sed 's/^/IO-READ /'
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
port=$(sed -n 's/.*bench.port=\([0-9]*\).*/\1/p' /proc/cmdline)
start=$(cat /proc/uptime | cut -d' ' -f1)
wget -q -O /dev/null "http://10.0.2.2:$port/blob"
end=$(cat /proc/uptime | cut -d' ' -f1)
echo "IO-NET $start $end"
SCRIPT
chmod +x "$work/root/io.sh"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$work/io.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$work/io.cpio.gz" >"$work/initrd.cpio.gz"
truncate -s 128M "$work/disk.img"
mkdir "$work/served"
head -c 32M /dev/urandom >"$work/served/blob"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/served" "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
append="console=ttyS0 guest.run=/io.sh bench.port=$port"

# MB/s of one dd line ("... copied, 0.27 seconds, 236.1MB/s"), from the guest's own clock.
rate() { grep -a "$1" | sed -E 's/.*, ([0-9.]+)([KMG])B\/s.*/\1 \2/' |
  awk '{ v = $1; if ($2 == "K") v /= 1024; if ($2 == "G") v *= 1024; print v }'; }
# MB/s of the download, from the guest's uptime before and after.
net_rate() { grep -a IO-NET | awk '{ print 32 * 1.048576 / ($3 - $2) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A results
for ((i = 1; i <= runs; i++)); do
  out=$("$rvisor" run --kernel "$guest/Image" --initrd "$work/initrd.cpio.gz" \
    --disk "$work/disk.img" --net user --append "$append" </dev/null 2>&1)
  results[rvisor_write]+="$(rate IO-WRITE <<<"$out") " results[rvisor_read]+="$(rate IO-READ <<<"$out") "
  results[rvisor_net]+="$(net_rate <<<"$out") "
  out=$(qemu-system-riscv64 -M virt -m 512M -nographic -bios default -kernel "$guest/Image" \
    -initrd "$work/initrd.cpio.gz" -append "$append" \
    -drive "file=$work/disk.img,if=none,id=d0,format=raw" -device virtio-blk-device,drive=d0 \
    -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
    </dev/null 2>&1)
  results[qemu_write]+="$(rate IO-WRITE <<<"$out") " results[qemu_read]+="$(rate IO-READ <<<"$out") "
  results[qemu_net]+="$(net_rate <<<"$out") "
done
for kind in write read net; do
  r=$(tr ' ' '\n' <<<"${results[rvisor_$kind]}" | grep . | median)
  q=$(tr ' ' '\n' <<<"${results[qemu_$kind]}" | grep . | median)
  case $kind in
  net) what="virtio-net HTTP download (32 MiB from host loopback)" ;;
  *) what="virtio-blk sequential $kind (64 MiB, O_DIRECT)" ;;
  esac
  printf '%s, median of %d: rvisor %.1f MB/s, qemu %.1f MB/s, rvisor/qemu %.2f\n' \
    "$what" "$runs" "$r" "$q" "$(echo "$r / $q" | bc -l)"
done
