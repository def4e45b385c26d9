#!/usr/bin/env python3
"""Integration tests of the VM lifecycle: pause, resume, snapshots, restores and clones, driven
through the API socket and the rvisor binary as a user would (docs/snapshot.md, docs/api.md).

usage: snapshot_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from guest_test import (HANG_TIMEOUT, Failure, Guest, boot_args, debugfs_cat, e2fsck, expect,
                        expect_error, expect_memory_returned, make_ext4_image, newc_archive,
                        power_off_from_shell, test_main, serve_file, DHCP_SCRIPT, FILL_TMPFS)


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.socket_path)


def api(socket_path, method, path, body=None, raw=None):
    """(status, parsed JSON body or None) of one request on the API socket."""
    connection = UnixConnection(socket_path)
    try:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read()
        return response.status, (json.loads(text) if text else None)
    finally:
        connection.close()


def wait_for_socket(path, guest):
    deadline = time.monotonic() + HANG_TIMEOUT
    while not os.path.exists(path):
        if guest.process.poll() is not None:
            raise Failure(f"rvisor exited ({guest.process.returncode}) before making {path}")
        if time.monotonic() > deadline:
            raise Failure(f"no API socket at {path}")
        time.sleep(0.05)


def expect_status(result, status, what):
    expect(result[0] == status, f"{what}: status {result[0]} {result[1]}, expected {status}")
    return result[1]


def pause(sock):
    expect_status(api(sock, "PATCH", "/vm", {"state": "Paused"}), 204, "pause")


def resume(sock):
    expect_status(api(sock, "PATCH", "/vm", {"state": "Resumed"}), 204, "resume")


def snapshot(sock, state, memory):
    expect_status(api(sock, "PUT", "/snapshot/create",
                      {"snapshot_path": state, "mem_file_path": memory}), 204, "snapshot")


def snapshot_and_kill(guest, sock, state, memory):
    """Pauses the VM, snapshots it, and kills its process as a crash would."""
    pause(sock)
    snapshot(sock, state, memory)
    guest.process.send_signal(signal.SIGKILL)
    guest.finish()


def shutdown(sock, guest):
    expect_status(api(sock, "PUT", "/actions", {"action_type": "Shutdown"}), 204, "shutdown")
    status, _ = guest.finish()
    expect(status == 0, f"exit status {status} after Shutdown, expected 0")
    expect(not os.path.exists(sock), "the API socket was not removed at exit")


# Fills tmpfs with random data, then one loop per hart verifies its checksum forever, printing
# its count, the checksum and fresh bytes from the virtio-rng.
WORKLOAD = """
dd if=/dev/urandom of=/tmp/data bs=1024 count=4096 2>/dev/null
sum=$(md5sum /tmp/data | cut -d' ' -f1)
echo "DATA-SUM=$sum"
n=$(grep -c '^processor' /proc/cpuinfo)
for w in $(seq 1 $n); do
  (i=0; while true; do
     now=$(md5sum /tmp/data | cut -d' ' -f1)
     echo "PROGRESS w$w i$i $now rng=$(head -c 8 /dev/hwrng | od -An -tx1 | tr -d ' ')"
     i=$((i + 1))
   done) &
done
wait
"""


def workload_args(guest_dir, workdir, cpus, engine, sock):
    extra = os.path.join(workdir, "work.cpio.gz")
    with open(extra, "wb") as f:
        f.write(newc_archive({"work.sh": (0o100755, WORKLOAD.encode())}))
    return boot_args(guest_dir, "console=ttyS0 guest.run=/work.sh", cpus, extra_initrd=extra) + [
        "--engine", engine, "--mem", "256M", "--api-sock", sock]


PROGRESS = re.compile(r"PROGRESS w(\d+) i(\d+) ([0-9a-f]{32}) rng=([0-9a-f]*)")


def progress(guest):
    """[(worker, count, sum, rng)] of the progress lines so far."""
    with guest.condition:
        lines = [text for _, text in guest.lines]
    return [(int(m.group(1)), int(m.group(2)), m.group(3), m.group(4))
            for m in (PROGRESS.search(text) for text in lines) if m]


def start_and_snapshot(rvisor, guest_dir, workdir, cpus, engine):
    """Boots the workload, lets it run, pauses, snapshots and kills the VM with SIGKILL.
    Returns (state, memory, expected sum, the last count of each worker)."""
    sock = os.path.join(workdir, "api.sock")
    guest = Guest(rvisor, workload_args(guest_dir, workdir, cpus, engine, sock))
    try:
        wait_for_socket(sock, guest)
        _, line = guest.wait_for("DATA-SUM=")
        data_sum = line.split("=", 1)[1]
        guest.wait_for("PROGRESS", count=3 * cpus)
        pause(sock)
        info = expect_status(api(sock, "GET", "/"), 200, "GET /")
        expect(info["state"] == "Paused" and info["cpus"] == cpus and info["mem_mib"] == 256,
               f"GET / while paused: {info}")
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        snapshot(sock, state, memory)
        info = expect_status(api(sock, "GET", "/"), 200, "GET / after the snapshot")
        expect(info["state"] == "Paused", f"the VM did not stay paused: {info}")
        before = progress(guest)
        guest.process.send_signal(signal.SIGKILL)
        guest.finish()
    finally:
        guest.kill()
    expect(all(s == data_sum for _, _, s, _ in before), "the checksum changed before the snapshot")
    last = {}
    for worker, count, _, _ in before:
        last[worker] = max(last.get(worker, -1), count)
    return state, memory, data_sum, last


def check_continues(guest, data_sum, last, cpus, seen_before=0):
    """Every worker goes on from its count with the same checksum."""
    deadline = time.monotonic() + HANG_TIMEOUT
    while True:
        after = progress(guest)[seen_before:]
        workers = {w for w, _, _, _ in after}
        if len(workers) == cpus and len(after) >= 2 * cpus:
            break
        if guest.process.poll() is not None:
            raise Failure(f"the restored VM exited ({guest.process.returncode})")
        if time.monotonic() > deadline:
            raise Failure(f"the restored workload made no progress: {after}")
        time.sleep(0.1)
    for worker, count, data, _ in after:
        expect(data == data_sum, f"worker {worker} saw checksum {data}, not {data_sum}")
        # A line may have been printed but not yet read when the VM was paused.
        expect(count >= last.get(worker, 0), f"worker {worker} went back to {count}")
    return after


def test_snapshot_restore(rvisor, guest_dir, cpus, engine, restore_engine):
    with tempfile.TemporaryDirectory() as workdir:
        state, memory, data_sum, last = start_and_snapshot(rvisor, guest_dir, workdir, cpus,
                                                           engine)
        info = subprocess.run([rvisor, "snapshot-info", state], capture_output=True, text=True)
        print(info.stdout)
        expect(info.returncode == 0 and "hart0" in info.stdout and f"{cpus} hart{'s' if cpus > 1 else ''}," in info.stdout,
               f"snapshot-info: {info.stdout} {info.stderr}")
        sock = os.path.join(workdir, "restored.sock")
        guest = Guest(rvisor, ["restore", "--snapshot", state, "--mem-file", memory,
                               "--engine", restore_engine, "--api-sock", sock])
        try:
            wait_for_socket(sock, guest)
            check_continues(guest, data_sum, last, cpus)
            info = expect_status(api(sock, "GET", "/"), 200, "GET / after restore")
            expect(info["state"] == "Running" and info["engine"] == restore_engine, f"{info}")
            shutdown(sock, guest)
        finally:
            guest.kill()
    return 0


def test_clones(rvisor, guest_dir):
    """Four VMs restored from one snapshot at once: each continues, each with its own
    virtio-rng stream and MAC address."""
    with tempfile.TemporaryDirectory() as workdir:
        state, memory, data_sum, last = start_and_snapshot(rvisor, guest_dir, workdir, 1, "jit")
        clones = []
        try:
            for index in range(4):
                sock = os.path.join(workdir, f"clone{index}.sock")
                paused = ["--paused"] if index == 0 else []
                clones.append((Guest(rvisor, ["restore", "--snapshot", state, "--mem-file", memory,
                                              "--api-sock", sock] + paused), sock))
            # The clone restored --paused runs nothing until it is resumed.
            first, first_sock = clones[0]
            wait_for_socket(first_sock, first)
            info = expect_status(api(first_sock, "GET", "/"), 200, "GET / of a --paused restore")
            expect(info["state"] == "Paused", f"restore --paused: {info}")
            time.sleep(1)
            expect(not progress(first), "a clone restored --paused ran before its resume")
            resume(first_sock)
            streams = []
            for guest, sock in clones:
                wait_for_socket(sock, guest)
                after = check_continues(guest, data_sum, last, 1)
                streams.append(tuple(rng for _, _, _, rng in after[:2]))
            expect(len(set(streams)) == 4, f"clones replayed one entropy stream: {streams}")
            for guest, sock in clones:
                shutdown(sock, guest)
        finally:
            for guest, _ in clones:
                guest.kill()
    return 0


def test_pause_cycles(rvisor, guest_dir):
    """100 pauses and resumes of a busy 2-hart guest: no hang, no lost console output, and
    guest time does not count the paused time. The guest waits for a line on its console before
    it ends, so that a fast guest cannot power off while the pauses go on."""
    script = """
i=0
while [ $i -lt 4000 ]; do echo "SEQ $i"; i=$((i + 1)); done
read go
echo "UPTIME-AFTER $(cut -d' ' -f1 /proc/uptime)"
"""
    with tempfile.TemporaryDirectory() as workdir:
        sock = os.path.join(workdir, "api.sock")
        extra = os.path.join(workdir, "seq.cpio.gz")
        with open(extra, "wb") as f:
            f.write(newc_archive({"seq.sh": (0o100755, script.encode())}))
        launched = time.monotonic()
        guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.run=/seq.sh", 2,
                                        extra_initrd=extra) + ["--api-sock", sock],
                      stdin=subprocess.PIPE)
        try:
            wait_for_socket(sock, guest)
            guest.wait_for("SEQ 1")
            started = time.monotonic()
            paused_time = 0.0
            for _ in range(100):
                pause(sock)
                stop = time.monotonic()
                time.sleep(0.01)
                paused_time += time.monotonic() - stop
                resume(sock)
            guest.send("go\n")
            seen_at, uptime = guest.wait_for("UPTIME-AFTER")
            status, _ = guest.finish()
        finally:
            guest.kill()
        seen = [int(t.split()[1]) for _, t in guest.lines if re.fullmatch(r"SEQ \d+", t)]
        expect(seen == list(range(4000)), f"console output lost or reordered ({len(seen)} lines)")
        expect(status == 0, f"exit status {status}")
        # The guest's uptime is at most the host time since rvisor started; were the paused
        # time counted, it would come within a boot's length of that.
        guest_uptime, host_elapsed = float(uptime.split()[1]), seen_at - launched
        expect(guest_uptime < host_elapsed - paused_time / 2,
               f"guest uptime {guest_uptime:.2f} s counts the {paused_time:.2f} s paused "
               f"({host_elapsed:.2f} s since rvisor started)")
        print(f"guest uptime {guest_uptime:.2f} s, {host_elapsed:.2f} s since start")
        print(f"100 cycles took {time.monotonic() - started:.2f} s, {paused_time:.2f} s paused")
    return 0


def test_devices_after_restore(rvisor, guest_dir):
    """After a restore the disk reads and writes (fsck clean), the network gets a DHCP lease
    and fetches a file from a host server, and the console takes input."""
    import hashlib
    payload = os.urandom(200000)
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {"before.txt": b"written on the host\n"}, 32)
        server, port = serve_file(workdir, "payload.bin", payload)
        extra = os.path.join(workdir, "dhcp.cpio.gz")
        with open(extra, "wb") as f:
            f.write(newc_archive({"dhcp.sh": (0o100755, DHCP_SCRIPT)}))
        sock = os.path.join(workdir, "api.sock")
        guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0", 2, extra_initrd=extra) + [
            "--disk", image, "--net", "user", "--api-sock", sock], stdin=subprocess.PIPE)
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        try:
            wait_for_socket(sock, guest)
            guest.wait_for("guest# ", prompt=True)
            guest.send("ifconfig eth0 up && udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh\n")
            guest.wait_for("DHCP-ADDRESS=")
            guest.send("mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && cat /mnt/before.txt"
                       " && echo one > /mnt/one.txt && sync && echo DISK-READY-$((1 + 1))\n")
            guest.wait_for("DISK-READY-2")
            snapshot_and_kill(guest, sock, state, memory)
        finally:
            guest.kill()

        sock = os.path.join(workdir, "restored.sock")
        guest = Guest(rvisor, ["restore", "--snapshot", state, "--mem-file", memory,
                               "--api-sock", sock, "--net", "user,mac=52:54:00:aa:bb:cc"],
                      stdin=subprocess.PIPE)
        try:
            wait_for_socket(sock, guest)
            guest.send("echo console-$((40 + 2))\n")
            guest.wait_for("console-42")
            guest.send("cat /mnt/one.txt && echo two > /mnt/two.txt && sync && umount /mnt"
                       " && echo DISK-DONE-$((1 + 1))\n")
            guest.wait_for("DISK-DONE-2")
            guest.send("udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh\n")
            guest.wait_for("DHCP-ADDRESS=")
            guest.send(f"wget -q -O /tmp/p.bin http://10.0.2.2:{port}/payload.bin;"
                       " echo WGET-MD5-$((1 + 1))=$(md5sum /tmp/p.bin | cut -d' ' -f1)\n")
            _, md5 = guest.wait_for("WGET-MD5-2=")
            info = expect_status(api(sock, "GET", "/"), 200, "GET / after the download")
            expect(info["net_rx_bytes"] >= len(payload) and info["net_tx_bytes"] > 0,
                   f"network bytes not counted: {info}")
            guest.send("poweroff -f\n")
            status, _ = guest.finish()
        finally:
            guest.kill()
            server.shutdown()
        expect(status == 0, f"exit status {status}")
        expect(md5 == "WGET-MD5-2=" + hashlib.md5(payload).hexdigest(), f"{md5}: download damaged")
        expect(e2fsck(image, "-fn") == 0, "e2fsck found errors in the disk after the restore")
        expect(debugfs_cat(image, "/one.txt") == b"one\n", "one.txt lost")
        expect(debugfs_cat(image, "/two.txt") == b"two\n", "two.txt (written after restore) lost")
    return 0


def test_balloon(rvisor, guest_dir):
    """A VM with the balloon, restored: the tmpfs data the guest wrote before the snapshot is
    intact (pages it had reported free were dropped and came back empty), and memory it frees
    after the restore leaves the restored rvisor's RSS (privately mapped RAM this time)."""
    sum_command = "echo SUM-$((1 + 1))=$(md5sum /mnt/fill | cut -d' ' -f1)\n"
    with tempfile.TemporaryDirectory() as workdir:
        sock = os.path.join(workdir, "api.sock")
        guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0") + [
            "--balloon", "--mem", "512M", "--api-sock", sock], stdin=subprocess.PIPE)
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        try:
            wait_for_socket(sock, guest)
            guest.wait_for("guest# ", prompt=True)
            guest.send(FILL_TMPFS)
            guest.wait_for("FILLED-200")
            guest.send(sum_command)
            _, before = guest.wait_for("SUM-2=")
            snapshot_and_kill(guest, sock, state, memory)
        finally:
            guest.kill()

        sock = os.path.join(workdir, "restored.sock")
        guest = Guest(rvisor, ["restore", "--snapshot", state, "--mem-file", memory,
                               "--api-sock", sock], stdin=subprocess.PIPE)
        try:
            wait_for_socket(sock, guest)
            guest.send(sum_command)
            _, after = guest.wait_for("SUM-2=")
            expect(after == before, f"the guest's data changed across the restore: {after}")
            expect_memory_returned(guest)
            power_off_from_shell(guest)
        finally:
            guest.kill()
    return 0


def test_balloon_target(rvisor, guest_dir):
    """PATCH /balloon: the guest gives the amount asked to the balloon and takes it back at 0,
    on a machine whose balloon sits past QEMU's eight virtio slots (seven disks before it)."""

    def wait_for_actual(sock, mib):
        deadline = time.monotonic() + HANG_TIMEOUT
        while True:
            status, balloon = api(sock, "GET", "/balloon")
            expect(status == 200, f"GET /balloon: {status} {balloon}")
            if balloon["actual_mib"] == mib:
                return
            if time.monotonic() > deadline:
                raise Failure(f"the balloon holds {balloon['actual_mib']} MiB, not {mib}")
            time.sleep(0.2)

    def guest_free_mib(guest, reading):
        # Computed by the shell, so that its echo of the command does not match.
        guest.send(f"echo FREE-$((0 + {reading}))=$(awk '/^MemFree:/ {{print $2}}' /proc/meminfo)\n")
        _, line = guest.wait_for(f"FREE-{reading}=")
        return int(line.split("=")[1]) / 1024

    with tempfile.TemporaryDirectory() as workdir:
        sock = os.path.join(workdir, "api.sock")
        disks = []
        for number in range(7):
            disk = os.path.join(workdir, f"disk{number}.img")
            with open(disk, "wb") as f:
                f.truncate(1 << 20)
            disks += ["--disk", disk]
        guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0") + disks + [
            "--balloon", "--mem", "256M", "--api-sock", sock], stdin=subprocess.PIPE)
        try:
            wait_for_socket(sock, guest)
            guest.wait_for("guest# ", prompt=True)
            guest.send("echo SEEN-$((1 + 1))=$(test -b /dev/vdg && echo vdg)-"
                       "$(ls /sys/bus/virtio/drivers/virtio_balloon | grep -c '^virtio')\n")
            _, seen = guest.wait_for("SEEN-2=")
            expect(seen.endswith("=vdg-1"), f"the seventh disk or the balloon is missing: {seen}")
            expect_status(api(sock, "GET", "/balloon"), 200, "GET /balloon")
            free = [guest_free_mib(guest, 0)]
            # Inflated by 128 MiB, then given all back: the guest's free memory follows.
            for reading, amount in enumerate([128, 0], 1):
                expect_status(api(sock, "PATCH", "/balloon", {"amount_mib": amount}), 204,
                              f"PATCH /balloon {amount}")
                wait_for_actual(sock, amount)
                free.append(guest_free_mib(guest, reading))
                moved = abs(free[-1] - free[-2])
                expect(moved >= 120, f"the guest's free memory went from {free[-2]:.0f} to "
                                     f"{free[-1]:.0f} MiB only")
                status, reply = api(sock, "PATCH", "/balloon", {"amount_mib": 241})
                expect(status == 400 and "at most 240" in reply["fault_message"],
                       f"an amount above what the guest can give: {status} {reply}")
            power_off_from_shell(guest)
        finally:
            guest.kill()
    return 0


CRC64_TABLE = []
for byte in range(256):
    crc = byte
    for _ in range(8):
        crc = (crc >> 1) ^ 0xC96C5795D7870F42 if crc & 1 else crc >> 1
    CRC64_TABLE.append(crc)


def crc64(data):
    """CRC-64/XZ, as the state file's trailer."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = CRC64_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def with_crc(body):
    return body + struct.pack("<Q", crc64(body))


def test_bad_input(rvisor, guest_dir):
    """Every malformed snapshot or request gets one clear line (or a 4xx), and nothing dies."""
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {"a.txt": b"a\n"}, 16)
        sock = os.path.join(workdir, "api.sock")
        guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0", 1) + [
            "--disk", image, "--mem", "128M", "--api-sock", sock], stdin=subprocess.PIPE)
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        try:
            wait_for_socket(sock, guest)
            expect(oct(os.stat(sock).st_mode & 0o777) == "0o600", "the socket is not mode 0600")
            guest.wait_for("guest# ", prompt=True)
            for method, path, raw, status in [
                    ("PATCH", "/vm", "{not json", 400),
                    ("PATCH", "/vm", '{"state": "Paused", "extra": 1}', 400),
                    ("PATCH", "/vm", '{"state": "Sleeping"}', 400),
                    ("PUT", "/snapshot/create", '{"snapshot_path": "%s", "mem_file_path": "%s"}'
                     % (state, memory), 409),
                    ("GET", "/no/such/path", None, 404)]:
                result = api(sock, method, path, raw=raw)
                expect(result[0] == status, f"{method} {path} {raw}: {result}, expected {status}")
                expect(result[1] and result[1].get("fault_message"), f"no fault_message: {result}")
            guest.send("echo still-$((1 + 1))\n")
            guest.wait_for("still-2")
            pause(sock)
            snapshot(sock, state, memory)
            shutdown(sock, guest)
        finally:
            guest.kill()

        with open(state, "rb") as f:
            good = f.read()
        restore = ["restore", "--snapshot", state, "--mem-file", memory]
        bad = os.path.join(workdir, "bad.state")
        bad_restore = ["restore", "--snapshot", bad, "--mem-file", memory]

        def try_state(data, fragment, readable=False):
            """restore refuses the file; snapshot-info too, unless the file is sound and only
            describes a machine this rvisor cannot be."""
            with open(bad, "wb") as f:
                f.write(data)
            expect_error(rvisor, bad_restore, fragment)
            if readable:
                info = subprocess.run([rvisor, "snapshot-info", bad], capture_output=True,
                                      text=True)
                expect(info.returncode == 0 and fragment in info.stdout,
                       f"snapshot-info of a foreign machine: {info.stdout} {info.stderr}")
            else:
                expect_error(rvisor, ["snapshot-info", bad], fragment)

        try_state(good[:len(good) // 2], "")
        try_state(good[:5], "")
        for position in (20, len(good) // 2, len(good) - 3):
            flipped = bytearray(good)
            flipped[position] ^= 0x40
            try_state(bytes(flipped), "corrupt")
        newer = bytearray(good[:-8])
        newer[8:12] = struct.pack("<I", 99)
        try_state(with_crc(bytes(newer)), "format")
        isa = good.find(b"rv64imafdc")
        other = bytearray(good[:-8])
        other[isa + 4] = ord("x")
        try_state(with_crc(bytes(other)), "rv64xmafdc", readable=True)
        expect_error(rvisor, ["restore", "--snapshot", os.path.join(workdir, "none"),
                              "--mem-file", memory], "none")

        short = os.path.join(workdir, "short.mem")
        with open(short, "wb") as f:
            f.truncate(64 << 20)
        expect_error(rvisor, ["restore", "--snapshot", state, "--mem-file", short], "bytes")
        expect_error(rvisor, restore + ["--disk", os.path.join(workdir, "missing.img")],
                     "missing.img")
        expect_error(rvisor, restore + ["--disk", image, "--disk", image], "disks")
        with open(image, "ab") as f:
            f.write(b"\0" * 4096)
        expect_error(rvisor, restore, "when the snapshot was taken")
    return 0


TESTS = {
    "restore-1": lambda r, g: test_snapshot_restore(r, g, 1, "jit", "jit"),
    "restore-2": lambda r, g: test_snapshot_restore(r, g, 2, "jit", "jit"),
    "restore-4": lambda r, g: test_snapshot_restore(r, g, 4, "jit", "jit"),
    "restore-jit-interp": lambda r, g: test_snapshot_restore(r, g, 2, "jit", "interp"),
    "restore-interp-jit": lambda r, g: test_snapshot_restore(r, g, 2, "interp", "jit"),
    "clones": test_clones,
    "pause-cycles": test_pause_cycles,
    "devices-after-restore": test_devices_after_restore,
    "bad-input": test_bad_input,
    "balloon": test_balloon,
    "balloon-target": test_balloon_target,
}


if __name__ == "__main__":
    sys.exit(test_main(TESTS))
