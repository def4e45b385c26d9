#!/usr/bin/env python3
"""Integration tests that drive the rvisor binary as a user would, with the reference guest.

usage: guest_test.py RVISOR GUEST_DIR TEST_NAME [ENGINE]   (see TESTS below)
ENGINE (jit or interp) is passed to every `rvisor run` as --engine; without it, the default.
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
HANG_TIMEOUT = 240  # only catches hangs; a normal boot takes seconds
SKIP = 77


ENGINE = None  # set from the command line


class Failure(Exception):
    pass


def command(rvisor, args):
    """The command line for rvisor with args, with --engine added to a `run`."""
    if ENGINE and args and args[0] == "run":
        return [rvisor, "run", "--engine", ENGINE, *args[1:]]
    return [rvisor, *args]


def newc_archive(files, compress=True):
    """A cpio (newc) archive of {path: (mode, bytes)}, gzip'd unless compress is False, as the
    kernel unpacks it."""
    out = bytearray()

    def entry(name, mode, data, ino):
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(
            f"{v:08x}" for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
        out.extend(header.encode() + name_bytes)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, (mode, data)) in enumerate(sorted(files.items()), start=1000):
        entry(name, mode, data, ino)
    entry("TRAILER!!!", 0, b"", 0)
    return gzip.compress(bytes(out)) if compress else bytes(out)


class Guest:
    """A running rvisor with its console captured line by line, with host timestamps."""

    def __init__(self, rvisor, args, stdin=subprocess.DEVNULL, pass_fds=()):
        self.process = subprocess.Popen(command(rvisor, args), stdin=stdin, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, pass_fds=pass_fds)
        self.lines = []  # (host time, text); the last may be unfinished, see self.partial
        self.partial = False
        self.condition = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        # Chunks, not lines: a shell prompt has no newline after it.
        partial = b""
        while True:
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                break
            sys.stdout.write(chunk.decode(errors="replace"))
            with self.condition:
                now = time.monotonic()
                if partial:
                    self.lines.pop()  # the unfinished line, now being extended
                *complete, partial = (partial + chunk).split(b"\n")
                for raw in complete:
                    self.lines.append((now, raw.decode(errors="replace").rstrip("\r")))
                if partial:
                    self.lines.append((now, partial.decode(errors="replace")))
                self.partial = bool(partial)
                self.condition.notify_all()
        with self.condition:
            self.condition.notify_all()

    def wait_for(self, marker, timeout=HANG_TIMEOUT, count=1, prompt=False):
        """The count-th line holding marker; an unfinished line counts only for a prompt."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                lines = self.lines if prompt or not self.partial else self.lines[:-1]
                hits = [entry for entry in lines if marker in entry[1]]
                if len(hits) >= count:
                    return hits[count - 1]
                if self.process.poll() is not None and not self.reader.is_alive():
                    raise Failure(f"rvisor exited ({self.process.returncode}) before '{marker}'")
                if time.monotonic() > deadline:
                    raise Failure(f"no '{marker}' within {timeout} s")
                self.condition.wait(1)

    def send(self, text):
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def finish(self, timeout=HANG_TIMEOUT):
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failure(f"rvisor did not exit within {timeout} s")
        self.reader.join(5)
        stderr = self.process.stderr.read().decode(errors="replace")
        sys.stdout.write(stderr)
        return self.process.returncode, stderr

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def boot_args(guest_dir, append, cpus=1, extra_initrd=None, bios=None):
    args = ["run", "--kernel", os.path.join(guest_dir, "Image"),
            "--initrd", os.path.join(guest_dir, "initramfs.cpio.gz"),
            "--cpus", str(cpus), "--append", append]
    if extra_initrd:
        args += ["--initrd", extra_initrd]
    if bios:
        args += ["--bios", bios]
    return args


def expect(condition, message):
    if not condition:
        raise Failure(message)


def test_boot(rvisor, guest_dir, cpus, bios=None):
    if bios and not os.path.exists(bios):
        print(f"skipped: {bios} is missing (Debian package opensbi)")
        return SKIP
    guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.cmd=poweroff", cpus,
                                    bios=bios))
    try:
        guest.wait_for("GUEST-BOOT-OK")
        status, _ = guest.finish()
    finally:
        guest.kill()
    expect(status == 0, f"exit status {status}, expected 0 after poweroff")
    cpu_lines = [t for _, t in guest.lines if "smp: Brought up" in t]
    expect(cpu_lines and f"{cpus} CPU" in cpu_lines[0], f"the kernel did not bring up {cpus} harts")
    return 0


def build_guest_program(workdir, name):
    """tests/guest/programs/NAME.c built static for the guest; its bytes."""
    compiler = shutil.which("riscv64-linux-gnu-gcc")
    if not compiler:
        raise Failure("riscv64-linux-gnu-gcc is missing (Debian package gcc-riscv64-linux-gnu)")
    output = os.path.join(workdir, name)
    subprocess.run([compiler, "-O2", "-static", "-pthread", "-o", output,
                    os.path.join(HERE, "programs", f"{name}.c")], check=True)
    with open(output, "rb") as f:
        return f.read()


def test_guest_checks(rvisor, guest_dir, cpus):
    with tempfile.TemporaryDirectory() as workdir:
        with open(os.path.join(HERE, "programs", "check.sh"), "rb") as f:
            script = f.read()
        # Uncompressed, after the guest's gzip'd initramfs (whose size is not a multiple of
        # 4): rvisor must start it at a 4-byte boundary for the kernel to find it.
        extra = os.path.join(workdir, "extra.cpio")
        with open(extra, "wb") as f:
            f.write(newc_archive({"check.sh": (0o100755, script),
                                  "smp_atomics": (0o100755, build_guest_program(workdir, "smp_atomics"))},
                                 compress=False))
        numbers = "".join(f"{i}\n" for i in range(1, 20001)).encode()
        append = ("console=ttyS0 guest.run=/check.sh "
                  f"check.harts={cpus} check.md5={hashlib.md5(b'rvisor').hexdigest()} "
                  f"check.numbers_md5={hashlib.md5(numbers).hexdigest()}")
        guest = Guest(rvisor, boot_args(guest_dir, append, cpus, extra_initrd=extra))
        try:
            _, date_line = guest.wait_for("GUEST-DATE=")
            host_now = time.time()
            guest_date = int(date_line.split("=", 1)[1])
            expect(abs(guest_date - host_now) < 5,
                   f"guest date {guest_date} is {guest_date - host_now:.1f} s from the host's")
            begin, _ = guest.wait_for("SLEEP-BEGIN")
            end, _ = guest.wait_for("SLEEP-END")
            expect(1.8 <= end - begin <= 4.0, f"sleep 2 took {end - begin:.2f} s of host time")
            _, exit_line = guest.wait_for("GUEST-RUN-EXIT=")
            status, _ = guest.finish()
        finally:
            guest.kill()
        failed = [t for _, t in guest.lines if t.startswith("CHECK-FAIL")]
        passed = [t for _, t in guest.lines if t.startswith("CHECK-OK")]
        expect(not failed, f"guest checks failed: {failed}")
        expect(len(passed) == 12, f"expected 12 guest checks to pass, saw {len(passed)}")
        expect(exit_line.endswith("=0"), exit_line)
        expect(status == 0, f"exit status {status}")
    return 0


def power_off_from_shell(guest):
    """Powers the guest off from its shell prompt; rvisor must exit with 0."""
    guest.send("poweroff -f\n")
    status, _ = guest.finish()
    expect(status == 0, f"exit status {status} after poweroff -f")


def test_interactive_shell(rvisor, guest_dir):
    guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0"), stdin=subprocess.PIPE)
    try:
        guest.wait_for("guest# ", prompt=True)
        guest.send("echo shell-says-$((6 * 7))\n")
        guest.wait_for("shell-says-42")
        power_off_from_shell(guest)
    finally:
        guest.kill()
    return 0


def test_reboot(rvisor, guest_dir):
    guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.cmd=reboot"))
    try:
        guest.wait_for("GUEST-BOOT-OK", count=2)  # booted, rebooted, booted again
    finally:
        guest.kill()
    return 0


def test_sigterm(rvisor, guest_dir):
    guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0"), stdin=subprocess.PIPE)
    try:
        guest.wait_for("guest# ", prompt=True)
        guest.process.send_signal(signal.SIGTERM)
        status, stderr = guest.finish(timeout=30)
    finally:
        guest.kill()
    expect(status == 128 + signal.SIGTERM, f"exit status {status} after SIGTERM")
    expect("signal 15" in stderr, "no message about the signal")
    return 0


def test_terminal(rvisor, guest_dir):
    """On a terminal: raw input reaches the guest's shell, Ctrl-A h helps, Ctrl-A x quits."""
    import pty
    import select
    controller, terminal = pty.openpty()
    process = subprocess.Popen(command(rvisor, boot_args(guest_dir, "console=ttyS0")), stdin=terminal,
                               stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    seen = b""

    def read_until(marker, timeout=HANG_TIMEOUT):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen:
            if time.monotonic() > deadline:
                raise Failure(f"no {marker!r} on the terminal within {timeout} s")
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    raise Failure(f"the terminal closed before {marker!r}")
                sys.stdout.write(chunk.decode(errors="replace"))
                seen += chunk

    try:
        read_until(b"guest# ")
        os.write(controller, b"echo tty-$((20 + 1))\r")
        read_until(b"tty-21")
        os.write(controller, b"\x01h")
        read_until(b"C-a x")
        os.write(controller, b"\x01x")
        status = process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    expect(status == 0, f"exit status {status} after Ctrl-A x")
    return 0


def expect_error(rvisor, args, fragment):
    result = subprocess.run(command(rvisor, args), stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=60)
    stderr = result.stderr.decode()
    print(stderr, end="")
    expect(result.returncode == 1, f"{args}: exit status {result.returncode}, expected 1")
    lines = stderr.strip().splitlines()
    expect(len(lines) == 1 and lines[0].startswith("rvisor: error: "),
           f"{args}: expected one 'rvisor: error:' line, got {lines}")
    expect(fragment in lines[0], f"{args}: '{fragment}' not in '{lines[0]}'")


def test_bad_input(rvisor, guest_dir):
    image = os.path.join(guest_dir, "Image")
    expect_error(rvisor, ["run", "--kernel", "/nonexistent/Image"], "cannot open kernel")
    with tempfile.NamedTemporaryFile() as junk:
        junk.write(b"this is not a kernel\n" * 100)
        junk.flush()
        expect_error(rvisor, ["run", "--kernel", junk.name], "is not a kernel")
    expect_error(rvisor, ["run", "--kernel", image, "--mem", "4M"], "--mem")
    expect_error(rvisor, ["run", "--kernel", image, "--mem", "lots"], "--mem")
    # A newline (or an escape) in what the user gave is escaped: the error stays one line.
    expect_error(rvisor, ["run", "--kernel", image, "--net", "user\nhostfwd=x"], "user\\x0a")
    with tempfile.NamedTemporaryFile(suffix=".cpio") as big:
        big.write(os.urandom(24 << 20))  # cannot fit beside the kernel in 16 MiB
        big.flush()
        expect_error(rvisor, ["run", "--kernel", image, "--mem", "16M", "--initrd", big.name],
                     "too little")
    expect_error(rvisor, ["run", "--kernel", image, "--no-such-flag"], "no-such-flag")
    expect_error(rvisor, ["run", "--kernel", image, "--cpus", "0"], "cpus")
    expect_error(rvisor, ["run", "--kernel", image, "--initrd", "/nonexistent.cpio"],
                 "cannot open initrd")
    expect_error(rvisor, ["run"], "no kernel")
    expect_error(rvisor, ["run", "--kernel", "/tmp"], "is a directory")
    expect_error(rvisor, ["run", "--kernel", image, "--bios", "/nonexistent/fw.bin"],
                 "cannot open firmware")
    expect_error(rvisor, ["run", "--kernel", image, "--engine", "fast"], "unknown engine 'fast'")
    expect_error(rvisor, ["run", "--kernel", image, "--disk", "/dev/null,floppy"], "floppy")
    expect_error(rvisor, ["frobnicate"], "unknown command 'frobnicate'")
    expect_error(rvisor, ["vm", "frob"], "unknown command 'frob'")
    expect_error(rvisor, ["snapshot-info", "/nonexistent.state"], "/nonexistent.state")
    with open(image, "rb") as f:
        kernel = f.read()
    with tempfile.TemporaryDirectory() as workdir:
        # The Image's PE/COFF section table states how long the file is: a cut copy is refused
        # with both lengths rather than run as garbage.
        for length in (100, len(kernel) - 4096):
            cut = os.path.join(workdir, f"Image-{length}")
            with open(cut, "wb") as f:
                f.write(kernel[:length])
            expect_error(rvisor, ["run", "--kernel", cut], f"the file has {length} bytes")
        config = os.path.join(workdir, "vm.json")
        for text, fragment in [('{"kernel": "Image",', "not valid JSON"),
                               ('{"kernel": "Image", "floppies": 3}', "unknown key 'floppies'"),
                               ('{"cpus": "many"}', "wrong type"),
                               ('[1, 2]', "JSON object")]:
            with open(config, "w") as f:
                f.write(text)
            expect_error(rvisor, ["run", "--config", config], fragment)
        expect_error(rvisor, ["run", "--config", os.path.join(workdir, "missing.json")],
                     "cannot open config file")
    return 0


def dump_device_tree(rvisor, guest_dir, extra_args=()):
    """The device tree `run` with extra_args gives the guest, as dtc's source text."""
    with tempfile.TemporaryDirectory() as workdir:
        dtb = os.path.join(workdir, "virt.dtb")
        subprocess.run(command(rvisor, [*boot_args(guest_dir, "console=ttyS0", 2), *extra_args,
                                        "--dump-dtb", dtb]),
                       check=True, timeout=60)
        dtc = shutil.which("dtc")
        if not dtc:
            raise Failure("dtc is missing (Debian package device-tree-compiler)")
        return subprocess.run([dtc, "-I", "dtb", "-O", "dts", dtb], capture_output=True,
                              check=True).stdout.decode()


def test_dump_dtb(rvisor, guest_dir):
    source = dump_device_tree(rvisor, guest_dir)
    for fragment in ["cpu@0", "cpu@1", "riscv,isa", "sstc", "serial@10000000",
                     "plic@c000000", 'bootargs = "console=ttyS0"', "linux,initrd-start"]:
        expect(fragment in source, f"'{fragment}' missing from the device tree")
    # The console and entropy devices take slots 0 and 1; the balloon, the next one.
    expect("virtio_mmio@10002000" in source and "virtio_mmio@10003000" not in source,
           "the console and entropy devices are not alone in the virtio slots")
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "vm.json")
        with open(config, "w") as f:
            f.write('{"balloon": true}')
        source = dump_device_tree(rvisor, guest_dir, ["--config", config])
    expect("virtio_mmio@10003000" in source,
           "the config key balloon adds no virtio slot to the device tree")
    return 0


def test_config_file(rvisor, guest_dir):
    """The settings from a JSON file boot the guest; a flag overrides the file."""
    import json
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "vm.json")
        with open(config, "w") as f:
            json.dump({"kernel": os.path.join(guest_dir, "Image"),
                       "initrd": [os.path.join(guest_dir, "initramfs.cpio.gz")],
                       "append": "console=ttyS0 guest.cmd=poweroff", "cpus": 1, "mem": "256M"}, f)
        guest = Guest(rvisor, ["run", "--config", config, "--cpus", "2"])
        try:
            guest.wait_for("GUEST-BOOT-OK")
            status, _ = guest.finish()
        finally:
            guest.kill()
    expect(status == 0, f"exit status {status}")
    expect(any("Brought up 1 node, 2 CPUs" in t for _, t in guest.lines), "--cpus 2 did not override")
    import re
    totals = [int(m.group(1)) for _, t in guest.lines for m in [re.search(r"Memory: \d+K/(\d+)K", t)] if m]
    # 256 MiB less the 2 MiB below the kernel that Linux ignores
    expect(totals == [256 * 1024 - 2048], f"mem 256M not applied: {totals}")
    return 0


def make_ext4_image(workdir, files, size_mb=32):
    """An ext4 image built from a host folder with mke2fs -d, as a user would make one."""
    mke2fs = shutil.which("mke2fs") or "/sbin/mke2fs"
    if not os.path.exists(mke2fs):
        raise Failure("mke2fs is missing (Debian package e2fsprogs)")
    folder = os.path.join(workdir, "rootdir")
    os.makedirs(folder)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    image = os.path.join(workdir, "disk.img")
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext4", "-d", folder, image, f"{size_mb}M"],
                   check=True)
    return image


def e2fsck(image, *options):
    tool = shutil.which("e2fsck") or "/sbin/e2fsck"
    return subprocess.run([tool, *options, image], capture_output=True).returncode


def debugfs_cat(image, path):
    tool = shutil.which("debugfs") or "/sbin/debugfs"
    return subprocess.run([tool, "-R", f"cat {path}", image], capture_output=True,
                          check=True).stdout


def run_script(rvisor, guest_dir, workdir, script, extra_args, wait_marker=None):
    extra = os.path.join(workdir, "extra.cpio.gz")
    with open(extra, "wb") as f:
        f.write(newc_archive({"test.sh": (0o100755, script.encode())}))
    return Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.run=/test.sh",
                                   extra_initrd=extra) + extra_args)


def test_disk_ext4(rvisor, guest_dir):
    payload = os.urandom(200000)
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {"payload.bin": payload})
        script = f"""
set -e
mount -t ext4 /dev/vda /mnt
[ "$(md5sum /mnt/payload.bin | cut -d' ' -f1)" = "{hashlib.md5(payload).hexdigest()}" ]
echo DISK-READ-OK
echo written-by-the-guest > /mnt/new.txt
sync
umount /mnt
echo DISK-WRITE-OK
"""
        guest = run_script(rvisor, guest_dir, workdir, script, ["--disk", image])
        try:
            guest.wait_for("DISK-WRITE-OK")
            _, exit_line = guest.wait_for("GUEST-RUN-EXIT=")
            status, _ = guest.finish()
        finally:
            guest.kill()
        expect(exit_line.endswith("=0") and status == 0, f"{exit_line}, exit status {status}")
        expect(debugfs_cat(image, "/new.txt") == b"written-by-the-guest\n",
               "the guest's file is not in the image")
        expect(e2fsck(image, "-fn") == 0, "e2fsck -fn does not find the image clean")
    return 0


def test_disk_readonly(rvisor, guest_dir):
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {"file.txt": b"read me\n"})
        before = hashlib.sha256(open(image, "rb").read()).hexdigest()
        script = """
mount -t ext4 -o ro,noload /dev/vda /mnt && cat /mnt/file.txt
if mount -o remount,rw /mnt 2>/dev/null && echo x > /mnt/new.txt 2>/dev/null; then
    echo RO-WRITE-SUCCEEDED
fi
if dd if=/dev/zero of=/dev/vda bs=512 count=1 oflag=direct 2>/dev/null; then
    echo RO-RAW-WRITE-SUCCEEDED
fi
echo RO-DONE
"""
        guest = run_script(rvisor, guest_dir, workdir, script, ["--disk", f"{image},ro"])
        try:
            guest.wait_for("RO-DONE")
            guest.finish()
        finally:
            guest.kill()
        texts = [t for _, t in guest.lines]
        expect("read me" in texts, "the read-only disk could not be read")
        expect(not any("SUCCEEDED" in t for t in texts), "a write to a read-only disk succeeded")
        expect(hashlib.sha256(open(image, "rb").read()).hexdigest() == before,
               "the read-only image changed")
    return 0


def test_disk_crash(rvisor, guest_dir):
    payload = os.urandom(100000)
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {})
        with open(os.path.join(workdir, "payload.bin"), "wb") as f:
            f.write(payload)
        script = f"""
mount -t ext4 /dev/vda /mnt
i=0
while [ $i -lt 1000 ]; do echo line $i; i=$((i + 1)); done > /mnt/synced.txt
sync
echo CRASH-NOW
while true; do echo churn >> /mnt/unsynced.txt; done
"""
        guest = run_script(rvisor, guest_dir, workdir, script, ["--disk", image])
        try:
            guest.wait_for("CRASH-NOW")
            time.sleep(0.5)
            guest.process.send_signal(signal.SIGKILL)
            guest.process.wait(30)
        finally:
            guest.kill()
        # The journal may need replaying, as after any power cut; after that, clean.
        expect(e2fsck(image, "-fy") in (0, 1), "e2fsck could not repair the image")
        expect(e2fsck(image, "-fn") == 0, "the image is not clean after journal recovery")
        expected = "".join(f"line {i}\n" for i in range(1000)).encode()
        expect(debugfs_cat(image, "/synced.txt") == expected, "the synced file is damaged")
    return 0


def test_disk_lock(rvisor, guest_dir):
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {})
        first = Guest(rvisor, boot_args(guest_dir, "console=ttyS0") + ["--disk", image],
                      stdin=subprocess.PIPE)
        try:
            first.wait_for("guest# ", prompt=True)
            expect_error(rvisor, boot_args(guest_dir, "console=ttyS0") + ["--disk", image],
                         "in use")
        finally:
            first.kill()
    expect_error(rvisor, boot_args(guest_dir, "console=ttyS0") + ["--disk", "/nonexistent.img"],
                 "nonexistent.img")
    return 0


def test_entropy(rvisor, guest_dir):
    with tempfile.TemporaryDirectory() as workdir:
        script = """
echo "RNG-CURRENT=$(cat /sys/class/misc/hw_random/rng_current)"
echo "RNG-BYTES=$(head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
"""
        guest = run_script(rvisor, guest_dir, workdir, script, [])
        try:
            _, current = guest.wait_for("RNG-CURRENT=")
            _, data = guest.wait_for("RNG-BYTES=")
            guest.finish()
        finally:
            guest.kill()
    expect("virtio_rng" in current, current)
    random_hex = data.split("=", 1)[1]
    expect(len(random_hex) == 64 and random_hex != "0" * 64, data)
    return 0


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


DHCP_SCRIPT = b"""#!/bin/sh
case "$1" in
bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet" up
    route add default gw "$router"
    echo "DHCP-ADDRESS=$ip ROUTER=$router"
    ;;
esac
"""


def run_network_script(rvisor, guest_dir, workdir, script, net_option):
    extra = os.path.join(workdir, "extra.cpio.gz")
    with open(extra, "wb") as f:
        f.write(newc_archive({"test.sh": (0o100755, script.encode()),
                              "dhcp.sh": (0o100755, DHCP_SCRIPT)}))
    return Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.run=/test.sh",
                                   extra_initrd=extra) + ["--net", net_option])


def serve_file(workdir, name, data):
    """(server, port): an HTTP server on the host's loopback serving `data` as /name, in a
    thread until server.shutdown()."""
    import http.server
    served = os.path.join(workdir, "served")
    os.makedirs(served)
    with open(os.path.join(served, name), "wb") as f:
        f.write(data)
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=served)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def test_net_wget(rvisor, guest_dir):
    """DHCP from slirp, then a file from the host's loopback through the gateway address."""
    payload = os.urandom(300000)
    with tempfile.TemporaryDirectory() as workdir:
        server, port = serve_file(workdir, "payload.bin", payload)
        script = f"""
ifconfig eth0 up
udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh
wget -q -O /tmp/payload.bin http://10.0.2.2:{port}/payload.bin
echo "WGET-MD5=$(md5sum /tmp/payload.bin | cut -d' ' -f1)"
"""
        guest = run_network_script(rvisor, guest_dir, workdir, script, "user")
        try:
            _, address = guest.wait_for("DHCP-ADDRESS=")
            _, md5 = guest.wait_for("WGET-MD5=")
            status, _ = guest.finish()
        finally:
            guest.kill()
            server.shutdown()
    expect(address == "DHCP-ADDRESS=10.0.2.15 ROUTER=10.0.2.2", address)
    expect(md5 == "WGET-MD5=" + hashlib.md5(payload).hexdigest(), f"{md5}: the file arrived damaged")
    expect(status == 0, f"exit status {status}")
    return 0


def test_net_hostfwd(rvisor, guest_dir):
    """A guest server on port 1234 reached from the host's 127.0.0.1 through hostfwd."""
    import socket
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        script = """
ifconfig eth0 up
udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh
echo LISTENING
echo pong-from-guest | nc -l -p 1234 > /tmp/received
echo "GUEST-RECEIVED=$(cat /tmp/received)"
"""
        guest = run_network_script(rvisor, guest_dir, workdir, script,
                                   f"user,hostfwd=tcp:127.0.0.1:{port}-:1234")
        try:
            guest.wait_for("LISTENING")
            reply = b""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # nc may need a moment to listen
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
                        connection.sendall(b"ping-from-host\n")
                        connection.shutdown(socket.SHUT_WR)
                        while chunk := connection.recv(4096):
                            reply += chunk
                except OSError:
                    pass
                if reply:
                    break
                time.sleep(0.5)
            _, received = guest.wait_for("GUEST-RECEIVED=")
            guest.finish()
        finally:
            guest.kill()
    expect(reply == b"pong-from-guest\n", f"the host got {reply!r}")
    expect(received == "GUEST-RECEIVED=ping-from-host", received)
    return 0


def test_net_bad_option(rvisor, guest_dir):
    image = os.path.join(guest_dir, "Image")
    expect_error(rvisor, ["run", "--kernel", image, "--net", "carrier-pigeon"], "carrier-pigeon")
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        expect_error(rvisor, ["run", "--kernel", image, "--net",
                              f"user,hostfwd=tcp:127.0.0.1:{port}-:22"], str(port))
    return 0


def proc_status(pid):
    """{field: value} from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def test_sandbox(rvisor, guest_dir):
    """The VM runs in its seccomp filter, with no_new_privs and no descriptor it inherited, and
    still reads its disk and gets an address from user networking; --no-sandbox turns the
    filter off."""
    with tempfile.TemporaryDirectory() as workdir:
        image = make_ext4_image(workdir, {"file.txt": b"read-in-the-sandbox\n"})
        extra = os.path.join(workdir, "extra.cpio.gz")
        with open(extra, "wb") as f:
            f.write(newc_archive({"dhcp.sh": (0o100755, DHCP_SCRIPT)}))
        leaked_path = os.path.join(workdir, "leaked")
        leaked = os.open(leaked_path, os.O_RDWR | os.O_CREAT, 0o600)
        args = boot_args(guest_dir, "console=ttyS0", extra_initrd=extra)
        guest = Guest(rvisor, args + ["--disk", image, "--net", "user"], stdin=subprocess.PIPE,
                      pass_fds=(leaked,))
        os.close(leaked)
        try:
            guest.wait_for("guest# ", prompt=True)
            guest.send("mount -t ext4 /dev/vda /mnt && cat /mnt/file.txt\n")
            guest.wait_for("read-in-the-sandbox")
            guest.send("ifconfig eth0 up && udhcpc -i eth0 -n -q -t 5 -s /dhcp.sh\n")
            _, address = guest.wait_for("DHCP-ADDRESS=")
            pid = guest.process.pid
            status = proc_status(pid)
            descriptors = {n: os.readlink(f"/proc/{pid}/fd/{n}")
                           for n in os.listdir(f"/proc/{pid}/fd")}
            guest.send("umount /mnt && poweroff -f\n")
            exit_status, _ = guest.finish()
        finally:
            guest.kill()
        unfiltered = Guest(rvisor, args + ["--no-sandbox"], stdin=subprocess.PIPE)
        try:
            unfiltered.wait_for("guest# ", prompt=True)
            unfiltered_status = proc_status(unfiltered.process.pid)
        finally:
            unfiltered.kill()
    expect(status.get("Seccomp") == "2", f"Seccomp: {status.get('Seccomp')}, expected 2 (filter)")
    expect(status.get("NoNewPrivs") == "1", f"NoNewPrivs: {status.get('NoNewPrivs')}")
    expect(leaked_path not in descriptors.values(),
           f"rvisor kept the descriptor it inherited: {descriptors}")
    expect(address == "DHCP-ADDRESS=10.0.2.15 ROUTER=10.0.2.2", address)
    expect(exit_status == 0, f"exit status {exit_status} after poweroff -f")
    expect(unfiltered_status.get("Seccomp") == "0",
           f"Seccomp: {unfiltered_status.get('Seccomp')} with --no-sandbox, expected 0")
    return 0


def test_virtio_console(rvisor, guest_dir):
    """The guest's virtio console reaches the host's terminal. The SBI console is one hvc port
    (hvc0); every further writable hvc port can only be the virtio console."""
    with tempfile.TemporaryDirectory() as workdir:
        script = """
for device in /dev/hvc*; do
    echo "HVC-SAYS-${device#/dev/}" 2>/dev/null > "$device"
done
sleep 1
"""
        guest = run_script(rvisor, guest_dir, workdir, script, [])
        try:
            guest.wait_for("GUEST-RUN-EXIT=")
            guest.finish()
        finally:
            guest.kill()
    ports = sorted({t for _, t in guest.lines if t.startswith("HVC-SAYS-")})
    expect(len(ports) == 2, f"expected the SBI console and the virtio console, got {ports}")
    return 0


# In the guest's shell: 200 MiB of random data in a tmpfs, at /mnt/fill.
FILL_TMPFS = ("mount -t tmpfs -o size=300M tmpfs /mnt && "
              "dd if=/dev/urandom of=/mnt/fill bs=1M count=200 2>/dev/null && "
              "echo FILLED-$((200 + 0))\n")


def resident_mib(pid):
    """A process's resident memory in MiB: VmRSS and its parts (fresh guest RAM, a memfd, is
    RssShmem; restored guest RAM is RssFile where unchanged and RssAnon where written)."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def expect_memory_returned(guest):
    """Deletes /mnt/fill (FILL_TMPFS) in the guest's shell: as the guest reports the memory
    free, rvisor's RSS must fall by at least 100 MiB."""
    def describe(fields):
        return ", ".join(f"{name} {mib:.0f}" for name, mib in fields.items())

    filled = resident_mib(guest.process.pid)
    # The markers are computed by the shell, so its echo of the command does not match.
    guest.send("rm /mnt/fill && sync && echo 3 > /proc/sys/vm/drop_caches && "
               "echo FREED-$((1 + 1))\n")
    guest.wait_for("FREED-2")
    # The guest reports free blocks a couple of seconds after they were freed, a share of them
    # at a time; the deadline only catches a guest that never does.
    deadline = time.monotonic() + HANG_TIMEOUT
    freed = filled
    while filled["VmRSS"] - freed["VmRSS"] < 100 and time.monotonic() < deadline:
        time.sleep(1)
        freed = resident_mib(guest.process.pid)
    print(f"rvisor MiB resident with 200 MiB in the guest's tmpfs: {describe(filled)}; "
          f"after it was freed: {describe(freed)}")
    fell = filled["VmRSS"] - freed["VmRSS"]
    expect(fell >= 100, f"RSS fell only {fell:.0f} MiB after the guest freed 200 MiB")


def test_balloon(rvisor, guest_dir):
    """Free page reporting: memory the guest fills and frees again leaves rvisor's RSS."""
    guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0") + ["--balloon", "--mem", "512M"],
                  stdin=subprocess.PIPE)
    try:
        guest.wait_for("guest# ", prompt=True)
        guest.send("echo BALLOON-$((0))-BOUND="
                   "$(ls /sys/bus/virtio/drivers/virtio_balloon | grep -c virtio)\n")
        _, bound = guest.wait_for("BALLOON-0-BOUND=")
        expect(bound.endswith("BALLOON-0-BOUND=1"),
               f"the guest's balloon driver did not bind: {bound}")
        guest.send(FILL_TMPFS)
        guest.wait_for("FILLED-200")
        expect_memory_returned(guest)
        power_off_from_shell(guest)
    finally:
        guest.kill()
    return 0


TESTS = {
    "boot-1": lambda r, g: test_boot(r, g, 1),
    "boot-2": lambda r, g: test_boot(r, g, 2),
    "boot-4": lambda r, g: test_boot(r, g, 4),
    "boot-opensbi-1": lambda r, g: test_boot(r, g, 1, OPENSBI),
    "boot-opensbi-2": lambda r, g: test_boot(r, g, 2, OPENSBI),
    "boot-opensbi-4": lambda r, g: test_boot(r, g, 4, OPENSBI),
    "guest-checks-1": lambda r, g: test_guest_checks(r, g, 1),
    "guest-checks-4": lambda r, g: test_guest_checks(r, g, 4),
    "interactive-shell": test_interactive_shell,
    "terminal": test_terminal,
    "reboot": test_reboot,
    "sigterm": test_sigterm,
    "bad-input": test_bad_input,
    "dump-dtb": test_dump_dtb,
    "config-file": test_config_file,
    "disk-ext4": test_disk_ext4,
    "disk-readonly": test_disk_readonly,
    "disk-crash": test_disk_crash,
    "disk-lock": test_disk_lock,
    "entropy": test_entropy,
    "net-wget": test_net_wget,
    "net-hostfwd": test_net_hostfwd,
    "net-bad-option": test_net_bad_option,
    "virtio-console": test_virtio_console,
    "sandbox": test_sandbox,
    "balloon": test_balloon,
}


def test_main(tests):
    """main() of a test script that takes RVISOR GUEST_DIR TEST_NAME."""
    if len(sys.argv) != 4 or sys.argv[3] not in tests:
        print(f"usage: {sys.argv[0]} RVISOR GUEST_DIR {{{','.join(tests)}}}", file=sys.stderr)
        return 2
    return run_test(tests, sys.argv[1], sys.argv[2], sys.argv[3])


def run_test(tests, rvisor, guest_dir, name):
    """The exit status of tests[name]: 0 passed, 1 failed (with a FAIL line), 77 skipped."""
    try:
        return tests[name](rvisor, os.path.abspath(guest_dir))
    except Failure as failure:
        print(f"FAIL {name}: {failure}")
        return 1


def main():
    global ENGINE
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in TESTS or (
            len(sys.argv) == 5 and sys.argv[4] not in ("jit", "interp")):
        print(f"usage: {sys.argv[0]} RVISOR GUEST_DIR {{{','.join(TESTS)}}} [jit|interp]",
              file=sys.stderr)
        return 2
    ENGINE = sys.argv[4] if len(sys.argv) == 5 else None
    return run_test(TESTS, sys.argv[1], sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
