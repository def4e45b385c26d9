#!/usr/bin/env python3
"""Integration tests of virtio-fs (docs/virtio-fs.md): host directories shared with the guest,
which mounts them with `mount -t virtiofs TAG DIR` and works on them with real programs.

usage: virtio_fs_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import errno
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import time

from guest_test import (HANG_TIMEOUT, Failure, Guest, boot_args, build_guest_program, expect,
                        expect_error, newc_archive, test_main)
from snapshot_test import pause, snapshot, wait_for_socket


def fs_guest(rvisor, workdir, guest_dir, script, shares, extra_args=()):
    """A guest that runs script (with /fs_test beside it) and powers off, with the shares."""
    extra = os.path.join(workdir, "fs.cpio.gz")
    with open(extra, "wb") as f:
        f.write(newc_archive({"run.sh": (0o100755, script.encode()),
                              "fs_test": (0o100755, build_guest_program(workdir, "fs_test"))}))
    args = boot_args(guest_dir, "console=ttyS0 guest.run=/run.sh", extra_initrd=extra)
    for share in shares:
        args += ["--fs", share]
    return Guest(rvisor, args + ["--mem", "256M", *extra_args])


def console_text(guest):
    return "\n".join(text for _, text in guest.lines)


def expect_no_failures(guest, count):
    """count FS-DONE lines, each with no failure; every FS-FAIL line named."""
    guest.wait_for("FS-DONE", count=count)
    text = console_text(guest)
    failed = [line for line in text.splitlines() if line.startswith("FS-FAIL")]
    expect(not failed, "; ".join(failed))
    dones = re.findall(r"FS-DONE FAILURES=(\d+)", text)
    expect(len(dones) == count and all(d == "0" for d in dones), f"FS-DONE lines {dones}")


def host_allows_user_xattrs(directory):
    try:
        probe = os.path.join(directory, ".xattr-probe")
        open(probe, "w").close()
        os.setxattr(probe, "user.probe", b"1")
        os.unlink(probe)
        return True
    except OSError:
        os.unlink(probe)
        return False


def test_posix(rvisor, guest_dir):
    """A writable and a read-only share: every operation real programs need, what the host sees
    afterwards, EROFS on the read-only one, and symlinks that lead nowhere outside."""
    with tempfile.TemporaryDirectory() as workdir:
        share, readonly = os.path.join(workdir, "share"), os.path.join(workdir, "readonly")
        os.makedirs(os.path.join(share, "hostdir"))
        os.makedirs(readonly)
        for i in range(5000):
            open(os.path.join(share, "hostdir", f"f{i}"), "w").close()
        with open(os.path.join(readonly, "readme"), "w") as f:
            f.write("read me\n")
        # What a share's symlinks point to is the guest's business: none reaches the host's.
        token = secrets.token_hex(16)
        with open(os.path.join(workdir, "secret.txt"), "w") as f:
            f.write(token)
        os.symlink("../secret.txt", os.path.join(share, "up"))
        os.symlink(os.path.join(workdir, "secret.txt"), os.path.join(share, "absolute"))
        os.symlink("/etc", os.path.join(share, "etc"))
        os.symlink("/proc/self/root", os.path.join(share, "proc-root"))
        xattrs = host_allows_user_xattrs(share)
        script = """
mkdir -p /mnt/rw /mnt/ro
mount -t virtiofs share /mnt/rw && mount -t virtiofs readonly /mnt/ro && echo FS-MOUNTED
/fs_test rw /mnt/rw
/fs_test ro /mnt/ro
/fs_test escape /mnt/rw
dd if=/dev/zero of=/mnt/rw/dd bs=1M count=64 conv=fsync 2>&1 | tail -1
echo 3 > /proc/sys/vm/drop_caches
dd if=/mnt/rw/dd of=/dev/null bs=1M 2>&1 | tail -1
rm /mnt/rw/dd
sync
umount /mnt/rw && umount /mnt/ro && echo FS-UNMOUNTED
"""
        guest = fs_guest(rvisor, workdir, guest_dir, script,
                         [f"{share},tag=share", f"{readonly},tag=readonly,ro"])
        try:
            guest.wait_for("FS-MOUNTED")
            expect_no_failures(guest, 2)
            guest.wait_for("FS-UNMOUNTED")
            guest.wait_for("GUEST-RUN-EXIT=0")
            status, _ = guest.finish()
            expect(status == 0, f"exit status {status}")
        finally:
            guest.kill()
        text = console_text(guest)
        expect(token not in text, "a symlink in the share led the guest to a host file outside it")
        chown = int(re.search(r"FS-CHOWN (\d+)", text).group(1))
        expect(chown == (0 if os.geteuid() == 0 else errno.EPERM), f"chown gave errno {chown}")
        xattr = int(re.search(r"FS-XATTR (\d+)", text).group(1))
        expect((xattr == 0) == xattrs, f"setxattr gave errno {xattr}; host allows: {xattrs}")
        # What the guest did is on the host, as the guest left it.
        path = os.path.join(share, "file")
        with open(path) as f:
            expect(f.read() == "HEL", "the shared file's content")
        info = os.lstat(path)
        expect(stat.S_IMODE(info.st_mode) == 0o640, f"mode {oct(info.st_mode)}")
        expect(int(info.st_mtime) == 1234567890, f"mtime {info.st_mtime}")
        if os.geteuid() == 0:
            expect(info.st_uid == 1234 and info.st_gid == 1234, f"owner {info.st_uid}")
        expect(os.readlink(os.path.join(share, "symlink")) == "file", "the symlink's target")
        with open(os.path.join(share, "mapped"), "rb") as f:
            expect(f.read()[4096:4108] == b"mapped write", "the mmap'd write")
        with open(os.path.join(share, "big"), "rb") as f:
            data = f.read()
        expect(len(data) == 8 << 20 and all(data[i << 16] == i for i in range(128)), "big file")
        expect(stat.S_ISFIFO(os.lstat(os.path.join(share, "fifo")).st_mode), "the fifo")
        expect(not os.path.exists(os.path.join(share, "sub")), "the removed directory")
        expect(sorted(os.listdir(readonly)) == ["readme"], "the read-only share changed")
    return 0


def test_restore(rvisor, guest_dir):
    """A snapshot of a guest with a mounted share and an open file: the restored VM reads on
    through the open file, sees what the host wrote meanwhile, and writes to the host."""
    with tempfile.TemporaryDirectory() as workdir:
        share = os.path.join(workdir, "share")
        os.makedirs(share)
        api_sock = os.path.join(workdir, "api.sock")
        script = """
mkdir -p /mnt/rw
mount -t virtiofs share /mnt/rw
echo before-snapshot > /mnt/rw/held
exec 3</mnt/rw/held
echo FS-READY
while [ ! -e /mnt/rw/go ]; do sleep 0.2; done
echo "held: $(cat <&3)"
echo "from host: $(cat /mnt/rw/from-host)"
echo after > /mnt/rw/from-guest
sync
echo FS-RESTORED-OK
"""
        guest = fs_guest(rvisor, workdir, guest_dir, script, [f"{share},tag=share"],
                         ["--api-sock", api_sock])
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        try:
            guest.wait_for("FS-READY")
            wait_for_socket(api_sock, guest)
            pause(api_sock)
            snapshot(api_sock, state, memory)
            guest.process.send_signal(signal.SIGKILL)
            guest.finish()
        finally:
            guest.kill()
        # The clone is given a copy of the share (--fs at restore time): it reopens its open
        # file there and works on the copy alone.
        copy = os.path.join(workdir, "copy")
        shutil.copytree(share, copy)
        with open(os.path.join(copy, "from-host"), "w") as f:
            f.write("written while the VM was a snapshot\n")
        restore = ["restore", "--snapshot", state, "--mem-file", memory]
        clone = Guest(rvisor, restore + ["--fs", f"{copy},tag=share"])
        try:
            time.sleep(0.5)
            open(os.path.join(copy, "go"), "w").close()
            clone.wait_for("FS-RESTORED-OK")
            text = console_text(clone)
            expect("held: before-snapshot" in text, "the file open at the snapshot")
            expect("from host: written while the VM was a snapshot" in text, "the host's file")
            clone.wait_for("GUEST-RUN-EXIT=0")
            status, _ = clone.finish()
            expect(status == 0, f"exit status {status}")
        finally:
            clone.kill()
        with open(os.path.join(copy, "from-guest")) as f:
            expect(f.read() == "after\n", "the restored guest's write")
        expect(not os.path.exists(os.path.join(share, "from-guest")),
               "the clone wrote to the snapshot's own share instead of its replacement")
        # Replacements must match the snapshot's shares, count and tags.
        expect_error(rvisor, restore + ["--fs", f"{copy},tag=other"],
                     "has tag 'other', but the snapshot's share there is 'share'")
        expect_error(rvisor, restore + ["--fs", f"{copy},tag=share", "--fs", f"{share},tag=b"],
                     "the snapshot has 1 shares; --fs was given 2 times")
        # A snapshot whose shared file is gone is refused with the reason, not restored broken.
        os.unlink(os.path.join(share, "held"))
        expect_error(rvisor, restore, "held")
    return 0


def test_bad_option(rvisor, guest_dir):
    image = os.path.join(guest_dir, "Image")
    with tempfile.TemporaryDirectory() as workdir:
        plain = os.path.join(workdir, "plain")
        open(plain, "w").close()
        for text, fragment in [(f"{workdir}", "needs tag=TAG"),
                               (f"{workdir},tag=", "must be 1 to 36 bytes"),
                               (f"{workdir},tag={'t' * 37}", "must be 1 to 36 bytes"),
                               (f"{workdir},tag=a,rw", "'rw'"),
                               (f"{workdir}/missing,tag=a", f"{workdir}/missing"),
                               (f"{plain},tag=a", plain)]:
            expect_error(rvisor, ["run", "--kernel", image, "--fs", text], fragment)
        expect_error(rvisor, ["run", "--kernel", image, "--fs", f"{workdir},tag=a", "--fs",
                              f"{workdir},tag=a"], "tag 'a' is given to two shares")
    return 0


TESTS = {
    "posix": test_posix,
    "restore": test_restore,
    "bad-option": test_bad_option,
}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
