#!/usr/bin/env python3
"""The container tools driving rvisor-oci as they drive runc (docs/containers.md): Podman runs a
riscv64 busybox image, imported from the reference guest's initramfs, in a VM per container.
Podman keeps its images and containers in a directory of the test's own.

usage: oci_tools_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import gzip
import os
import shutil
import subprocess
import tempfile

from guest_test import HANG_TIMEOUT, SKIP, expect, test_main
from oci_test import needs_tools


def test_podman(rvisor, guest_dir):
    """podman run --rm: output and exit code, stdin piped with -i, the guest's kernel."""
    if needs_tools(rvisor):
        return SKIP
    if not shutil.which("podman") or os.geteuid() != 0:
        print("skipped: podman is missing (scripts/install-dependencies.sh installs it) or "
              "this is not root")
        return SKIP
    runtime = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
    with tempfile.TemporaryDirectory() as workdir:
        rootfs = os.path.join(workdir, "rootfs")
        os.makedirs(rootfs)
        with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
            subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs,
                           check=True)
        tarball = os.path.join(workdir, "rootfs.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
        # This machine's default nofile limit is above its hard limit (shared notes).
        conf = os.path.join(workdir, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                    '"nproc=32768:32768"]\n')
        env = dict(os.environ, CONTAINERS_CONF=conf)
        podman = ["podman", "--root", os.path.join(workdir, "storage"), "--runroot",
                  os.path.join(workdir, "run"), "--storage-driver", "vfs", "--runtime", runtime]

        def run(*args, stdin=subprocess.DEVNULL):
            return subprocess.run([*podman, *args], stdin=stdin, capture_output=True, env=env,
                                  timeout=HANG_TIMEOUT)

        imported = run("import", "--arch", "riscv64", tarball, "localhost/rvisor-test:1")
        expect(imported.returncode == 0, f"podman import: {imported.stderr.decode()}")
        try:
            result = run("run", "--rm", "--network", "none", "localhost/rvisor-test:1", "sh",
                         "-c", "echo hello from rvisor; uname -r; echo to-stderr >&2; exit 5")
            out = result.stdout.decode()
            expect(result.returncode == 5, f"exit code {result.returncode}: {result.stderr!r}")
            expect(out.startswith("hello from rvisor\n") and os.uname().release not in out,
                   f"stdout {out!r}: not from the guest kernel")
            expect("to-stderr" in result.stderr.decode(), f"stderr {result.stderr!r}")
            with open(os.path.join(workdir, "input"), "w+b") as stdin:
                stdin.write(b"piped line\n")
                stdin.seek(0)
                result = run("run", "--rm", "-i", "--network", "none", "localhost/rvisor-test:1",
                             "sh", "-c", "read line; echo got $line", stdin=stdin)
            expect(result.returncode == 0 and result.stdout == b"got piped line\n",
                   f"-i gave {result.returncode} {result.stdout!r} {result.stderr!r}")
        finally:
            run("rm", "--all", "--force")
            run("rmi", "--all", "--force")
    return 0


TESTS = {"podman": test_podman}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
