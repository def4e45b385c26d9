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
import time

from guest_test import HANG_TIMEOUT, SKIP, Failure, expect, test_main
from oci_test import needs_tools


def podman_test(body):
    """body(run, workdir) with run(*args) running Podman with rvisor-oci as its runtime, in storage of
    the test's own that holds localhost/rvisor-test:1, the reference guest's busybox with a page
    in /www/index.html; removes every container and image afterwards."""
    def test(rvisor, guest_dir):
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
            os.makedirs(os.path.join(rootfs, "www"))
            with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
                f.write("served by the guest through podman\n")
            tarball = os.path.join(workdir, "rootfs.tar")
            subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
            # This machine's default nofile limit is above its hard limit (shared notes).
            conf = os.path.join(workdir, "containers.conf")
            with open(conf, "w") as f:
                f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                        '"nproc=32768:32768"]\n')
            env = dict(os.environ, CONTAINERS_CONF=conf)
            podman = ["podman", "--root", os.path.join(workdir, "storage"), "--runroot",
                      os.path.join(workdir, "run"), "--storage-driver", "vfs", "--runtime",
                      runtime]

            def run(*args, stdin=subprocess.DEVNULL):
                return subprocess.run([*podman, *args], stdin=stdin, capture_output=True,
                                      env=env, timeout=HANG_TIMEOUT)

            imported = run("import", "--arch", "riscv64", tarball, "localhost/rvisor-test:1")
            expect(imported.returncode == 0, f"podman import: {imported.stderr.decode()}")
            try:
                if body(run, workdir) == SKIP:
                    return SKIP
            finally:
                run("rm", "--all", "--force")
                run("rmi", "--all", "--force")
        return 0
    return test


@podman_test
def test_podman(run, workdir):
    """podman run --rm: output and exit code, stdin piped with -i, the guest's kernel."""
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


@podman_test
def test_podman_ports(run, workdir):
    """podman run -d -p 18080:8080 on Podman's default bridge network: the guest's server
    answers on the host's 127.0.0.1:18080 (Podman's rules send it to the container's namespace,
    where rvisor-oci forwards it to the guest)."""
    if not shutil.which("curl"):
        print("skipped: curl is missing")
        return SKIP
    started = run("run", "-d", "--name", "web", "-p", "18080:8080", "localhost/rvisor-test:1",
                  "httpd", "-f", "-p", "8080", "-h", "/www")
    expect(started.returncode == 0, f"podman run -d -p: {started.stderr.decode()}")
    deadline = time.monotonic() + 60
    while True:
        result = subprocess.run(["curl", "-s", "-f", "--max-time", "5",
                                 "http://127.0.0.1:18080/index.html"], capture_output=True)
        if result.returncode == 0:
            break
        if time.monotonic() > deadline:
            logs = run("logs", "web")
            raise Failure(f"curl http://127.0.0.1:18080/: status {result.returncode}; "
                          f"podman logs: {logs.stdout!r} {logs.stderr!r}")
        time.sleep(0.25)
    expect(result.stdout == b"served by the guest through podman\n",
           f"the page through Podman's port: {result.stdout!r}")
    stopped = run("rm", "--force", "web")
    expect(stopped.returncode == 0, f"podman rm --force: {stopped.stderr.decode()}")


TESTS = {"podman": test_podman, "podman-ports": test_podman_ports}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
