#!/usr/bin/env python3
"""Integration tests of the rate limiters (--disk iops=,bw=; --net bw=; PATCH /vm), with the
reference guest timing its own I/O.

usage: ratelimit_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import hashlib
import os
import re
import tempfile
import time

from guest_test import (Failure, expect, run_network_script, run_script, serve_file,
                        test_main)
from snapshot_test import api, expect_status, pause, resume, snapshot, wait_for_socket

MIB = 1 << 20


def blank_disk(workdir, size_mib=160):
    image = os.path.join(workdir, "disk.img")
    with open(image, "wb") as f:
        f.truncate(size_mib * MIB)
    return image


def lines_then_exit(guest, *markers):
    """The lines holding each marker in turn, and rvisor's exit status once the guest is done."""
    try:
        lines = [guest.wait_for(marker)[1] for marker in markers]
        status, _ = guest.finish()
    finally:
        guest.kill()
    return lines, status


def test_disk_bandwidth(rvisor, guest_dir):
    """Under bw=10M, 100 MiB of direct writes take 10 s by the guest's clock, once the one-time
    burst is spent. The lower bound is the limiter's promise and is kept strict; the upper
    one allows for this host's noise (2 cores shared by several builds)."""
    script = """
dd if=/dev/zero of=/dev/vda bs=1M count=11 oflag=direct 2>/dev/null
start=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/zero of=/dev/vda bs=1M count=100 oflag=direct 2>/dev/null
end=$(cut -d' ' -f1 /proc/uptime)
echo "ELAPSED $start $end"
"""
    with tempfile.TemporaryDirectory() as workdir:
        image = blank_disk(workdir)
        guest = run_script(rvisor, guest_dir, workdir, script, ["--disk", f"{image},bw=10M"])
        (line, exit_line), status = lines_then_exit(guest, "ELAPSED ", "GUEST-RUN-EXIT=")
    start, end = (float(value) for value in line.split()[1:])
    elapsed = end - start
    print(f"100 MiB under bw=10M: {elapsed:.2f} s ({100 / elapsed:.2f} MiB/s)")
    expect(exit_line.endswith("=0") and status == 0, f"{exit_line}, exit status {status}")
    expect(elapsed >= 9.0, f"100 MiB took {elapsed:.2f} s: faster than the 10 MiB/s limit")
    expect(elapsed <= 12.0, f"100 MiB took {elapsed:.2f} s under a 10 MiB/s limit")
    return 0


CHUNK = re.compile(r"CHUNK (\d+) ([0-9.]+)")


def chunks(guest):
    """[(number, guest uptime)] of the 1 MiB chunks written so far."""
    with guest.condition:
        lines = [text for _, text in guest.lines]
    return [(int(m.group(1)), float(m.group(2))) for m in map(CHUNK.fullmatch, lines) if m]


def wait_chunks(guest, count, timeout=60):
    deadline = time.monotonic() + timeout
    while len(chunks(guest)) < count:
        if guest.process.poll() is not None or time.monotonic() > deadline:
            raise Failure(f"no chunk {count} ({len(chunks(guest))} written)")
        time.sleep(0.05)
    return chunks(guest)


def rate_mib(seen, first, last):
    """MiB/s between the ends of chunk `first` and chunk `last`, by the guest's clock."""
    return (last - first) / (seen[last][1] - seen[first][1])


def test_disk_patch(rvisor, guest_dir):
    """A disk's limit changed through PATCH /vm on a running VM holds from then on; a pause
    while writes wait for the budget completes and holds them; a snapshot records the limit
    the VM has now."""
    script = """
i=0
while true; do
  dd if=/dev/zero of=/dev/vda bs=1M count=1 seek=$((i % 128)) oflag=direct 2>/dev/null
  echo "CHUNK $i $(cut -d' ' -f1 /proc/uptime)"
  i=$((i + 1))
done
"""
    with tempfile.TemporaryDirectory() as workdir:
        image = blank_disk(workdir)
        sock = os.path.join(workdir, "api.sock")
        guest = run_script(rvisor, guest_dir, workdir, script,
                            ["--disk", f"{image},bw=2M", "--api-sock", sock])
        try:
            wait_for_socket(sock, guest)
            # The one-time burst is two chunks; then one chunk each half second.
            seen = wait_chunks(guest, 8)
            slow = rate_mib(seen, 3, 7)
            # Paused while a write waits for its budget: nothing is written until the resume.
            before = time.monotonic()
            pause(sock)
            pause_took = time.monotonic() - before
            # Lines the guest printed before the pause may still be on their way to the reader.
            time.sleep(0.5)
            during = len(chunks(guest))
            snapshot(sock, os.path.join(workdir, "slow.state"), os.path.join(workdir, "slow.mem"))
            time.sleep(1)
            expect(len(chunks(guest)) == during, "the guest wrote while paused")
            expect_status(api(sock, "PATCH", "/vm", {"state": "Resumed",
                                                      "disks": [{"index": 0, "bw": 8 * MIB}]}),
                          204, "resume at bw=8M")
            fast_from = len(chunks(guest))
            # Long enough that a late time stamp (the guest prints it after each write) moves
            # the rate by little on a loaded host.
            seen = wait_chunks(guest, fast_from + 32)
            fast = rate_mib(seen, fast_from + 2, fast_from + 30)
            expect_status(api(sock, "PATCH", "/vm", {"disks": [{"index": 1, "bw": 1}]}), 400,
                          "a disk the VM does not have")
            expect_status(api(sock, "PATCH", "/vm", {"disks": [{"index": 0, "bw": "1M"}]}), 400,
                          "a bandwidth that is not a number")
            pause(sock)
            snapshot(sock, os.path.join(workdir, "fast.state"), os.path.join(workdir, "fast.mem"))
            expect_status(api(sock, "PUT", "/actions", {"action_type": "Shutdown"}), 204,
                          "shutdown")
            guest.finish()
        finally:
            guest.kill()
        with open(os.path.join(workdir, "slow.state"), "rb") as f:
            expect(b",bw=2M" in f.read(), "the first snapshot's spec lacks bw=2M")
        with open(os.path.join(workdir, "fast.state"), "rb") as f:
            expect(b",bw=8M" in f.read(), "the second snapshot's spec lacks the new bw=8M")
    print(f"bw=2M: {slow:.2f} MiB/s; after PATCH to bw=8M: {fast:.2f} MiB/s; "
          f"pause took {pause_took * 1000:.0f} ms")
    expect(pause_took < 2, f"a pause while writes waited took {pause_took:.2f} s")
    expect(1.6 <= slow <= 2.05, f"{slow:.2f} MiB/s under bw=2M")
    expect(5.0 <= fast <= 8.4, f"{fast:.2f} MiB/s after PATCH to bw=8M")
    return 0


def test_net_bandwidth(rvisor, guest_dir):
    """A 3 MiB download under --net user,bw=1M arrives whole (no frame dropped while the
    guest waits for its budget) in about 2 s: 1 MiB of one-time burst, then 1 MiB/s."""
    payload = os.urandom(3 * MIB)
    with tempfile.TemporaryDirectory() as workdir:
        server, port = serve_file(workdir, "payload.bin", payload)
        script = f"""
ifconfig eth0 up
udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh
start=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/payload.bin http://10.0.2.2:{port}/payload.bin
end=$(cut -d' ' -f1 /proc/uptime)
echo "WGET-MD5=$(md5sum /tmp/payload.bin | cut -d' ' -f1) $start $end"
"""
        guest = run_network_script(rvisor, guest_dir, workdir, script, "user,bw=1M")
        try:
            (line,), status = lines_then_exit(guest, "WGET-MD5=")
        finally:
            server.shutdown()
    md5, start, end = line.split("=", 1)[1].split()
    elapsed = float(end) - float(start)
    print(f"3 MiB under bw=1M: {elapsed:.2f} s")
    expect(md5 == hashlib.md5(payload).hexdigest(), f"{line}: the file arrived damaged")
    expect(status == 0, f"exit status {status}")
    expect(1.8 <= elapsed <= 4.0, f"3 MiB took {elapsed:.2f} s under a 1 MiB/s limit")
    return 0


TESTS = {
    "disk-bandwidth": test_disk_bandwidth,
    "disk-patch": test_disk_patch,
    "net-bandwidth": test_net_bandwidth,
}


if __name__ == "__main__":
    import sys
    sys.exit(test_main(TESTS))
