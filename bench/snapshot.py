#!/usr/bin/env python3
"""Snapshot benchmarks (docs/snapshot.md): restore to running for a small and a large guest,
pause latency on an idle and a busy guest, snapshot size and write time against the RAM the
guest touched, the memory of 8 clones against one VM, and boot against restore to a shell
beside qemu-system-riscv64's boot. Medians of RUNS; prints figures, asserts nothing.

usage: bench/snapshot.py RVISOR GUEST_DIR [RUNS]   (bench/snapshot.sh finds both)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import TIMEOUT, UnixHttp, cpio


def request(sock, method, path, body):
    """Sends one API request; returns its round-trip time in seconds."""
    connection = UnixHttp(sock)
    start = time.perf_counter()
    connection.request(method, path, body=json.dumps(body),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    text = response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status != 204:
        sys.exit(f"bench: {method} {path}: {response.status} {text!r}")
    return elapsed


class Vmm:
    """A VMM process with its console collected as bytes; waits for markers in it."""

    def __init__(self, argv):
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.output = bytearray()
        self.closed = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            with self.changed:
                self.output += chunk
                self.changed.notify_all()
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait(self, marker, after=0):
        """Seconds from process start until `marker` appears past byte `after`; returns
        (seconds, the byte offset just past it)."""
        deadline = time.monotonic() + TIMEOUT
        with self.changed:
            while (found := self.output.find(marker, after)) < 0:
                if self.closed:
                    sys.exit(f"bench: the VMM exited before {marker!r}: "
                             f"{self.output[-300:].decode(errors='replace')}")
                if time.monotonic() > deadline:
                    sys.exit(f"bench: no {marker!r} within {TIMEOUT} s")
                self.changed.wait(0.05)
            return time.perf_counter() - self.started, found + len(marker)

    def type(self, text):
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Bench:
    def __init__(self, rvisor, guest_dir, runs, workdir):
        self.rvisor, self.guest_dir, self.runs, self.workdir = rvisor, guest_dir, runs, workdir
        self.serial = 0

    def path(self, name):
        self.serial += 1
        return os.path.join(self.workdir, f"{self.serial}-{name}")

    def boot(self, mem, cpus=1, script=None):
        """A booted rvisor with an API socket; with `script`, the guest runs it as /run.sh."""
        sock = self.path("api.sock")
        argv = [self.rvisor, "run", "--kernel", os.path.join(self.guest_dir, "Image"),
                "--initrd", os.path.join(self.guest_dir, "initramfs.cpio.gz"),
                "--mem", mem, "--cpus", str(cpus), "--api-sock", sock]
        append = "console=ttyS0"
        if script:
            extra = self.path("run.cpio.gz")
            with open(extra, "wb") as f:
                f.write(cpio({"run.sh": script}))
            argv += ["--initrd", extra]
            append += " guest.run=/run.sh"
        vm = Vmm(argv + ["--append", append])
        vm.sock = sock
        vm.wait(b"GUEST-BOOT-OK")
        while not os.path.exists(sock):
            time.sleep(0.01)
        return vm

    def snapshot(self, vm):
        """Pauses vm and snapshots it; returns (state, memory, seconds the snapshot took)."""
        request(vm.sock, "PATCH", "/vm", {"state": "Paused"})
        state, memory = self.path("vm.state"), self.path("vm.mem")
        took = request(vm.sock, "PUT", "/snapshot/create",
                       {"snapshot_path": state, "mem_file_path": memory})
        return state, memory, took

    def restore(self, state, memory):
        return Vmm([self.rvisor, "restore", "--snapshot", state, "--mem-file", memory])


def median_ms(values):
    return f"{statistics.median(values) * 1000:.1f} ms"


# Shell builtins only: a line every few hundred microseconds with no fork, so that the first
# line after a restore comes as soon as the guest runs.
TICKER = "i=0; while true; do i=$((i + 1)); echo TICK-$i; done\n"
IDLE = "echo TICK-20\nwhile true; do sleep 1; done\n"


def restore_to_running(bench):
    print("restore to running: process start to the guest's next console line, a guest "
          "printing lines in a loop")
    for mem in ("256M", "2G"):
        vm = bench.boot(mem, script=TICKER)
        vm.wait(b"TICK-100\r\n")
        state, memory, _ = bench.snapshot(vm)
        vm.stop()
        times = []
        for _ in range(bench.runs):
            clone = bench.restore(state, memory)
            times.append(clone.wait(b"TICK-")[0])
            clone.stop()
        print(f"  {mem:>4} guest: median {median_ms(times)} "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}) over {bench.runs}")


def pause_latency(bench):
    print("pause latency: PATCH /vm Paused, request to reply, 2 harts, 20 cycles each")
    busy = "(while true; do :; done) &\n" + TICKER
    for name, script in (("idle", IDLE), ("busy", busy)):
        vm = bench.boot("256M", cpus=2, script=script)
        vm.wait(b"TICK-20\r\n")
        pauses, resumes = [], []
        for _ in range(20):
            pauses.append(request(vm.sock, "PATCH", "/vm", {"state": "Paused"}))
            resumes.append(request(vm.sock, "PATCH", "/vm", {"state": "Resumed"}))
            time.sleep(0.02)
        vm.stop()
        print(f"  {name}: pause median {median_ms(pauses)}, max {max(pauses) * 1000:.1f} ms; "
              f"resume median {median_ms(resumes)}")


def snapshot_size(bench):
    print("snapshot size and write time against RAM the guest filled (512 MiB guest)")
    for mib in (0, 64, 256):
        script = (f"dd if=/dev/urandom of=/tmp/fill bs=1M count={mib} 2>/dev/null\n"
                  "echo FILLED\nwhile true; do sleep 1; done\n")
        vm = bench.boot("512M", script=script)
        vm.wait(b"FILLED")
        state, memory, took = bench.snapshot(vm)
        vm.stop()
        allocated = os.stat(memory).st_blocks * 512
        print(f"  {mib:>3} MiB filled: memory file {allocated / 2**20:.0f} MiB on disk "
              f"({os.path.getsize(memory) >> 20} MiB apparent), state file "
              f"{os.path.getsize(state)} bytes, written in {took * 1000:.0f} ms")
        os.remove(memory)


def kib_field(pid, name, path="status"):
    with open(f"/proc/{pid}/{path}") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def at_shell(vm, after=0):
    """Types a command and waits for its output: the guest's shell is running."""
    vm.type("echo AT-$((6 * 7))\n")
    return vm.wait(b"AT-42", after)


def clone_memory(bench):
    print("memory: 8 clones restored from one snapshot, idle at the shell, 256 MiB guests")
    vm = bench.boot("256M")
    vm.wait(b"guest# ")
    at_shell(vm)
    time.sleep(2)
    one_rss = kib_field(vm.process.pid, "VmRSS")
    state, memory, _ = bench.snapshot(vm)
    vm.stop()
    clones = [bench.restore(state, memory) for _ in range(8)]
    for clone in clones:
        at_shell(clone)
    time.sleep(2)
    pss = [kib_field(c.process.pid, "Pss", "smaps_rollup") for c in clones]
    rss = [kib_field(c.process.pid, "VmRSS") for c in clones]
    for clone in clones:
        clone.stop()
    print(f"  one booted VM: RSS {one_rss / 1024:.1f} MiB")
    print(f"  8 clones: PSS total {sum(pss) / 1024:.1f} MiB "
          f"({sum(pss) / one_rss:.2f}x one VM's RSS; goal < 2), "
          f"RSS each {statistics.median(rss) / 1024:.1f} MiB")


def boot_versus_restore(bench):
    print("boot against restore: process start to a shell that answers, 256 MiB, 1 hart")
    guest = bench.guest_dir
    vm = bench.boot("256M")
    vm.wait(b"guest# ")
    at_shell(vm)
    state, memory, _ = bench.snapshot(vm)
    vm.stop()
    boots, restores, qemus = [], [], []
    for _ in range(bench.runs):
        booted = Vmm([bench.rvisor, "run", "--kernel", os.path.join(guest, "Image"),
                      "--initrd", os.path.join(guest, "initramfs.cpio.gz"), "--mem", "256M",
                      "--append", "console=ttyS0"])
        booted.wait(b"guest# ")
        boots.append(at_shell(booted)[0])
        booted.stop()
        restored = bench.restore(state, memory)
        restores.append(at_shell(restored)[0])
        restored.stop()
        qemu = Vmm(["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-smp", "1",
                    "-display", "none", "-serial", "stdio", "-monitor", "none", "-bios", "default",
                    "-kernel", os.path.join(guest, "Image"),
                    "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
                    "-append", "console=ttyS0"])
        qemu.wait(b"guest# ")
        qemus.append(at_shell(qemu)[0])
        qemu.stop()
    boot, restore, qemu_boot = (statistics.median(v) for v in (boots, restores, qemus))
    print(f"  rvisor boot {boot * 1000:.0f} ms, rvisor restore {restore * 1000:.1f} ms, "
          f"qemu boot {qemu_boot * 1000:.0f} ms (medians of {bench.runs})")
    print(f"  restore/boot {restore / boot:.3f}, restore/qemu boot {restore / qemu_boot:.3f}, "
          f"boot/qemu boot {boot / qemu_boot:.2f}")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    if not shutil.which("qemu-system-riscv64"):
        sys.exit("bench: qemu-system-riscv64 is missing (apt-get install qemu-system-misc)")
    with tempfile.TemporaryDirectory(prefix="rvisor-bench-") as workdir:
        bench = Bench(os.path.abspath(sys.argv[1]), sys.argv[2], runs, workdir)
        restore_to_running(bench)
        pause_latency(bench)
        snapshot_size(bench)
        clone_memory(bench)
        boot_versus_restore(bench)


if __name__ == "__main__":
    main()
