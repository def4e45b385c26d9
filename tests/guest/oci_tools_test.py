#!/usr/bin/env python3
"""The container tools driving rvisor-oci as they drive runc (docs/containers.md): Podman,
containerd's `ctr` and dockerd run a riscv64 busybox image, imported from the reference guest's
initramfs, each container in a VM of its own (its `uname -r` is the guest kernel's), and hand an
x86-64 image to runc. Each test keeps the tool's images and containers in a directory of its own,
and starts (and stops) its own containerd or dockerd. No registry; no network (`--network none`)
but in podman-ports.

usage: oci_tools_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tarfile
import tempfile
import termios
import time

from guest_test import HANG_TIMEOUT, SKIP, Failure, expect, test_main
from oci_test import needs_tools

IMAGE = "localhost/rvisor-test:1"
X86_IMAGE = "localhost/rvisor-x86:1"
# A container that writes a counter to a shared directory, one that traps signals, one that
# ignores SIGTERM (so only SIGKILL ends it: in the VM the process is not PID 1, whose default
# dispositions the kernel would skip).
COUNTER = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /data/count; sleep 0.05; done"]
TRAPPER = ["sh", "-c", "trap 'echo caught-term; exit 7' TERM; trap 'echo caught-usr1' USR1; "
                       "echo ready; while true; do sleep 0.1; done"]
STUBBORN = ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]


def guest_release(guest_dir):
    """The reference guest kernel's release, as its uname -r gives it."""
    with open(os.path.join(guest_dir, "Image"), "rb") as f:
        found = re.search(rb"Linux version (\S+) ", f.read())
    expect(found is not None, "no 'Linux version' in the guest's Image")
    return found.group(1).decode()


def expect_guest_kernel(release, guest_dir, what):
    expect(release == guest_release(guest_dir) and release != os.uname().release,
           f"{what}: uname -r {release!r} is not the guest kernel's {guest_release(guest_dir)!r}")


def busybox_tarball(workdir, guest_dir):
    """The reference guest's busybox tree, with a page in /www/index.html, as a root filesystem
    tar: the riscv64 image's layer."""
    rootfs = os.path.join(workdir, "rootfs")
    os.makedirs(rootfs)
    with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
        subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs, check=True)
    os.makedirs(os.path.join(rootfs, "www"))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write("served by the guest through podman\n")
    tarball = os.path.join(workdir, "rootfs.tar")
    subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
    return tarball


def x86_tarball(workdir):
    """A root holding only /hello, a static x86-64 program that prints the release of the kernel
    it runs on and exits 9."""
    source = os.path.join(workdir, "hello.c")
    with open(source, "w") as f:
        f.write('#include <stdio.h>\n#include <sys/utsname.h>\nint main(void) { struct utsname u; '
                'uname(&u); printf("x86 on %s\\n", u.release); return 9; }\n')
    rootfs = os.path.join(workdir, "x86-root")
    os.makedirs(rootfs)
    subprocess.run(["gcc", "-static", "-O2", "-o", os.path.join(rootfs, "hello"), source],
                   check=True)
    tarball = os.path.join(workdir, "x86.tar")
    subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
    return tarball


def write_oci_layout(directory, layer, layer_type, name, arch):
    """An OCI image layout in `directory` of one layer (its bytes, of media type layer_type),
    named name, for linux/arch."""
    blobs = os.path.join(directory, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest.split(":")[1]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    layer_descriptor = blob(layer, layer_type)
    config = {"architecture": arch, "os": "linux",
              "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [layer_descriptor["digest"]]}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": blob(json.dumps(config).encode(),
                               "application/vnd.oci.image.config.v1+json"),
                "layers": [layer_descriptor]}
    manifest_descriptor = blob(json.dumps(manifest).encode(),
                               "application/vnd.oci.image.manifest.v1+json")
    manifest_descriptor["platform"] = {"architecture": arch, "os": "linux"}
    manifest_descriptor["annotations"] = {"io.containerd.image.name": name,
                                          "org.opencontainers.image.ref.name": name.split(":")[-1]}
    with open(os.path.join(directory, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(directory, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest_descriptor]}, f)
    return layer_descriptor["digest"]


def oci_archive(workdir, layer, name, arch):
    """An OCI image layout in a tar (what `ctr images import` reads) of one uncompressed layer,
    named name, for linux/arch."""
    directory = os.path.join(workdir, f"{arch}-oci")
    with open(layer, "rb") as f:
        write_oci_layout(directory, f.read(), "application/vnd.oci.image.layer.v1.tar", name, arch)
    path = os.path.join(workdir, f"{arch}-oci.tar")
    with tarfile.open(path, "w") as archive:
        for member in sorted(os.listdir(directory)):
            archive.add(os.path.join(directory, member), arcname=member)
    return path


class Terminal:
    """A command on a pty of its own, its controlling terminal, as a user's shell would run it."""

    def __init__(self, argv, env=None):
        self.controller, terminal = os.openpty()

        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal,
                                        env=env, start_new_session=True,
                                        preexec_fn=take_terminal)
        os.close(terminal)
        self.seen = b""

    def read_until(self, pattern, timeout=HANG_TIMEOUT):
        """Reads until pattern (a bytes regex) matches what was seen; the match."""
        deadline = time.monotonic() + timeout
        while not (match := re.search(pattern, self.seen)):
            if time.monotonic() > deadline:
                raise Failure(f"no {pattern!r} on the terminal within {timeout} s: {self.seen!r}")
            ready, _, _ = select.select([self.controller], [], [], 1)
            if ready:
                try:
                    chunk = os.read(self.controller, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise Failure(f"the terminal closed before {pattern!r}: {self.seen!r}")
                self.seen += chunk
        return match

    def write(self, text):
        os.write(self.controller, text)

    def wait(self):
        """The command's exit status; its output keeps being read so it cannot block."""
        deadline = time.monotonic() + HANG_TIMEOUT
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise Failure(f"{self.process.args} did not exit: {self.seen!r}")
            ready, _, _ = select.select([self.controller], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.controller, 4096)
                except OSError:
                    pass
        return self.process.returncode

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.controller)


def shell_on_terminal(terminal, guest_dir):
    """Drives a container's interactive shell: a command's output, and the terminal's exit
    status (3)."""
    terminal.read_until(rb"# ")
    terminal.write(b"echo tty-$((20 + 1)) $(uname -r) $(tty)\r")
    match = terminal.read_until(rb"tty-21 (\S+) (\S+)\r")
    expect_guest_kernel(match.group(1).decode(), guest_dir, "on a terminal")
    expect(match.group(2).startswith(b"/dev/pts/"), f"the shell's tty is {match.group(2)!r}")
    terminal.write(b"exit 3\r")
    status = terminal.wait()
    expect(status == 3, f"the interactive container's exit status {status}: {terminal.seen!r}")


def read_count(data):
    try:
        with open(os.path.join(data, "count")) as f:
            return int(f.read() or 0)
    except (OSError, ValueError):
        return 0


def wait_for_count_above(data, value):
    deadline = time.monotonic() + HANG_TIMEOUT
    while read_count(data) <= value:
        expect(time.monotonic() < deadline, f"the counter stays at {read_count(data)}")
        time.sleep(0.05)


def expect_paused_counter(data, pause, resume):
    """pause() stops the counter the container writes to data, resume() lets it go on."""
    wait_for_count_above(data, 0)
    pause()
    time.sleep(0.2)  # a write in flight at the pause lands
    paused_at = read_count(data)
    time.sleep(1)
    expect(read_count(data) == paused_at,
           f"the counter went on while paused: {paused_at} -> {read_count(data)}")
    resume()
    wait_for_count_above(data, paused_at)


def end_leftovers(workdir):
    """Ends what a failed test left behind: the processes started for it (shims, monitors,
    VMs: each names the test's directory in its arguments) and mounts under its directory."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                arguments = f.read()
        except OSError:
            continue
        if workdir.encode() in arguments and int(pid) != os.getpid():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    with open("/proc/mounts") as f:
        mounts = [line.split()[1] for line in f]
    for mount in reversed(mounts):
        if mount.startswith(workdir + "/"):
            subprocess.run(["umount", "-l", mount], check=False)


def wait_until(condition, what):
    deadline = time.monotonic() + HANG_TIMEOUT
    while not condition():
        expect(time.monotonic() < deadline, f"no {what} within {HANG_TIMEOUT} s")
        time.sleep(0.1)


# --- Podman and Docker: the same command line ---------------------------------------------------

class Engine:
    """A container engine's command line (podman or docker), its images and containers in a
    directory of the test's own."""

    def __init__(self, argv, env, workdir, guest_dir):
        self.argv, self.env, self.workdir, self.guest_dir = argv, env, workdir, guest_dir
        self.runtime_args = []  # `run` options that select rvisor-oci

    def __call__(self, *args, stdin=subprocess.DEVNULL, timeout=HANG_TIMEOUT):
        return subprocess.run([*self.argv, *args], stdin=stdin, capture_output=True, env=self.env,
                              timeout=timeout)

    def cleanup(self, *args):
        """A clean-up command; one that does not answer in time is left to end_leftovers."""
        try:
            return self(*args, timeout=60)
        except subprocess.TimeoutExpired:
            return None

    def ok(self, *args, stdin=subprocess.DEVNULL):
        result = self(*args, stdin=stdin)
        expect(result.returncode == 0, f"{self.argv[0]} {' '.join(args)}: status "
                                       f"{result.returncode} {result.stderr.decode().strip()}")
        return result.stdout.decode()

    def run(self, *args, stdin=subprocess.DEVNULL):
        """`run` with rvisor-oci and no network."""
        return self("run", *self.runtime_args, "--network", "none", *args, stdin=stdin)

    def detached(self, name, *args):
        """`run -d --name name` with rvisor-oci and no network."""
        result = self.run("-d", "--name", name, *args)
        expect(result.returncode == 0, f"run -d --name {name}: status {result.returncode} "
                                       f"{result.stderr.decode().strip()}")

    def exit_code(self, container):
        return int(self.ok("wait", container).strip().splitlines()[-1])

    def status(self, container):
        return self.ok("inspect", "--format", "{{.State.Status}}", container).strip()

    def wait_for_log(self, container, text):
        wait_until(lambda: text in self(
            "logs", container).stdout.decode(), f"'{text}' in the logs of {container}")


def engine_run(engine, guest_dir, workdir):
    """run --rm: output, stderr and exit code; stdin piped with -i; --memory 300m gives the guest
    about 300 MiB, the default 256 MiB; all in the guest's kernel."""
    result = engine.run("--rm", IMAGE, "sh", "-c", "echo hello from rvisor; uname -r; "
                                                   "echo to-stderr >&2; exit 5")
    out = result.stdout.decode().splitlines()
    expect(result.returncode == 5, f"exit code {result.returncode}: {result.stderr!r}")
    expect(len(out) == 2 and out[0] == "hello from rvisor", f"stdout {out}")
    expect_guest_kernel(out[1], guest_dir, "run --rm")
    expect("to-stderr" in result.stderr.decode(), f"stderr {result.stderr!r}")
    with open(os.path.join(workdir, "input"), "w+b") as stdin:
        stdin.write(b"piped line\nsecond\n")
        stdin.seek(0)
        result = engine.run("--rm", "-i", IMAGE, "sh", "-c", "read line; echo got $line; cat; "
                                                             "uname -r", stdin=stdin)
    out = result.stdout.decode().splitlines()
    expect(result.returncode == 0 and out[:2] == ["got piped line", "second"] and len(out) == 3,
           f"-i gave {result.returncode} {result.stdout!r} {result.stderr!r}")
    expect_guest_kernel(out[2], guest_dir, "run -i")

    def mem_total(*options):
        result = engine.run("--rm", *options, IMAGE, "sh", "-c",
                            "uname -r; grep MemTotal /proc/meminfo")
        out = result.stdout.decode().split()
        expect(result.returncode == 0 and len(out) == 4, f"meminfo: {result.returncode} "
                                                         f"{result.stdout!r} {result.stderr!r}")
        expect_guest_kernel(out[0], guest_dir, f"run {options}")
        return int(out[2]) / 1024

    default, bigger = mem_total(), mem_total("--memory", "300m")
    expect(200 < default <= 256, f"the default guest has {default:.0f} MiB")
    expect(250 < bigger <= 300 and 40 <= bigger - default <= 46,
           f"--memory 300m gave {bigger:.0f} MiB, the default {default:.0f} MiB")


def engine_interactive(engine, guest_dir, workdir):
    """run -it: a shell on the user's terminal (a pty here) reads a command, prints its output,
    sees a terminal of its own in the guest, and exits with its status."""
    terminal = Terminal([*engine.argv, "run", *engine.runtime_args, "--network", "none", "--rm",
                         "-it", IMAGE, "sh"], env=engine.env)
    try:
        shell_on_terminal(terminal, guest_dir)
    finally:
        terminal.close()


def engine_exec(engine, guest_dir, workdir):
    """exec into a detached container: attached without a terminal (output, stderr, status),
    with -t (a terminal in the guest), with -i (stdin piped), with -it an interactive shell on
    the user's pty; all in the container's VM."""
    engine.detached("host", IMAGE, "sh", "-c", "echo booted > /tmp/marker; sleep 1000")
    result = engine("exec", "host", "sh", "-c", "cat /tmp/marker; uname -r; echo err >&2; exit 4")
    out = result.stdout.decode().splitlines()
    expect(result.returncode == 4 and len(out) == 2 and out[0] == "booted",
           f"exec: {result.returncode} {result.stdout!r} {result.stderr!r}")
    expect_guest_kernel(out[1], guest_dir, "exec")
    expect(b"err" in result.stderr, f"exec's stderr {result.stderr!r}")
    result = engine("exec", "-t", "host", "sh", "-c", "tty; uname -r; exit 2")
    out = result.stdout.decode().split()
    expect(result.returncode == 2 and len(out) == 2 and out[0].startswith("/dev/pts/"),
           f"exec -t: {result.returncode} {result.stdout!r} {result.stderr!r}")
    expect_guest_kernel(out[1], guest_dir, "exec -t")
    with open(os.path.join(workdir, "input"), "w+b") as stdin:
        stdin.write(b"to exec\n")
        stdin.seek(0)
        result = engine("exec", "-i", "host", "sh", "-c", "read line; echo got $line",
                        stdin=stdin)
    expect(result.returncode == 0 and result.stdout == b"got to exec\n",
           f"exec -i: {result.returncode} {result.stdout!r} {result.stderr!r}")
    terminal = Terminal([*engine.argv, "exec", "-it", "host", "sh"], env=engine.env)
    try:
        shell_on_terminal(terminal, guest_dir)
    finally:
        terminal.close()
    expect(engine.status("host") == "running", "the container after its execs")
    engine.ok("rm", "--force", "host")


def engine_lifecycle(engine, guest_dir, workdir):
    """stop of a container that traps SIGTERM (its trap's status) and of one that ignores it
    (SIGKILL after the timeout: 137); kill -s USR1 reaches a trap; pause/unpause stop and go on
    with the whole VM (a counter on a shared directory stands still); update --cpu-shares."""
    engine.detached("trapper", IMAGE, *TRAPPER)
    engine.wait_for_log("trapper", "ready")
    engine.ok("kill", "-s", "USR1", "trapper")
    engine.wait_for_log("trapper", "caught-usr1")
    expect(engine.status("trapper") == "running", "the trapper after SIGUSR1")
    engine.ok("stop", "-t", "30", "trapper")
    expect(engine.exit_code("trapper") == 7, "the SIGTERM trap's exit status")
    expect("caught-term" in engine("logs", "trapper").stdout.decode(), "the SIGTERM trap ran")
    engine.ok("rm", "trapper")

    engine.detached("stubborn", IMAGE, *STUBBORN)
    engine.wait_for_log("stubborn", "ready")
    started = time.monotonic()
    engine.ok("stop", "-t", "2", "stubborn")
    expect(time.monotonic() - started >= 2, "stop -t 2 did not wait for SIGTERM")
    expect(engine.exit_code("stubborn") == 137, "stop's SIGKILL")
    engine.ok("rm", "stubborn")

    data = os.path.join(workdir, "counter-data")
    os.makedirs(data)
    engine.detached("counter", "-v", f"{data}:/data", IMAGE, *COUNTER)

    def pause():
        engine.ok("pause", "counter")
        expect(engine.status("counter") == "paused", "the state after pause")

    def resume():
        engine.ok("unpause", "counter")
        expect(engine.status("counter") == "running", "the state after unpause")

    expect_paused_counter(data, pause, resume)
    # update --cpu-shares: the container's process (the monitor) runs at the nice level whose
    # scheduler weight is nearest 512 shares.
    engine.ok("update", "--cpu-shares", "512", "counter")
    pid = int(engine.ok("inspect", "--format", "{{.State.Pid}}", "counter"))
    with open(f"/proc/{pid}/stat") as f:
        nice = int(f.read().rsplit(")", 1)[1].split()[16])
    expect(nice == 3, f"the container's nice level after update --cpu-shares 512: {nice}")
    engine.ok("kill", "counter")
    expect(engine.exit_code("counter") == 137, "kill's SIGKILL")
    engine.ok("rm", "counter")


def engine_foreign(engine, guest_dir, workdir):
    """An x86-64 image's container is handed to runc: it runs on the host's kernel, with its
    output and status; a riscv64 one beside it still runs in a VM."""
    result = engine.run("--rm", X86_IMAGE, "/hello")
    expect(result.returncode == 9 and result.stdout == f"x86 on {os.uname().release}\n".encode(),
           f"the x86 image: {result.returncode} {result.stdout!r} {result.stderr!r}")
    result = engine.run("--rm", IMAGE, "uname", "-r")
    expect(result.returncode == 0, f"the riscv64 image: {result.stderr!r}")
    expect_guest_kernel(result.stdout.decode().strip(), guest_dir, "the riscv64 image")


def podman_ports(podman, guest_dir, workdir):
    """podman run -d -p 18080:8080 on Podman's default bridge network: the guest's server
    answers on the host's 127.0.0.1:18080 (Podman's rules send it to the container's namespace,
    where rvisor-oci forwards it to the guest)."""
    if not shutil.which("curl"):
        print("skipped: curl is missing")
        return SKIP
    started = podman("run", "-d", "--name", "web", "-p", "18080:8080", IMAGE, "httpd", "-f",
                     "-p", "8080", "-h", "/www")
    expect(started.returncode == 0, f"podman run -d -p: {started.stderr.decode()}")
    deadline = time.monotonic() + 60
    while True:
        result = subprocess.run(["curl", "-s", "-f", "--max-time", "5",
                                 "http://127.0.0.1:18080/index.html"], capture_output=True)
        if result.returncode == 0:
            break
        if time.monotonic() > deadline:
            logs = podman("logs", "web")
            raise Failure(f"curl http://127.0.0.1:18080/: status {result.returncode}; "
                          f"podman logs: {logs.stdout!r} {logs.stderr!r}")
        time.sleep(0.25)
    expect(result.stdout == b"served by the guest through podman\n",
           f"the page through Podman's port: {result.stdout!r}")
    podman.ok("rm", "--force", "web")


def skip_without(*programs):
    """True (and why) when a program is missing, or this is not root."""
    missing = [program for program in programs if not shutil.which(program)]
    if missing or os.geteuid() != 0:
        print(f"skipped: {', '.join(missing) or 'nothing'} missing (scripts/install-dependencies"
              f".sh installs them), root: {os.geteuid() == 0}")
        return True
    return False


def podman_test(body, x86=False):
    """A Podman test: podman with a storage of its own, the image imported, rvisor-oci as its
    runtime."""
    def test(rvisor, guest_dir):
        if needs_tools(rvisor) or skip_without("podman", *(["gcc", "runc"] if x86 else [])):
            return SKIP
        runtime = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
        with tempfile.TemporaryDirectory() as workdir:
            # This machine's default nofile limit is above its hard limit (shared notes).
            conf = os.path.join(workdir, "containers.conf")
            with open(conf, "w") as f:
                f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                        '"nproc=32768:32768"]\n')
            podman = Engine(["podman", "--root", os.path.join(workdir, "storage"), "--runroot",
                             os.path.join(workdir, "run"), "--storage-driver", "vfs",
                             "--runtime", runtime],
                            dict(os.environ, CONTAINERS_CONF=conf), workdir, guest_dir)
            try:
                podman.ok("import", "--arch", "riscv64", busybox_tarball(workdir, guest_dir),
                          IMAGE)
                if x86:
                    podman.ok("import", "--arch", "amd64", x86_tarball(workdir), X86_IMAGE)
                if body(podman, guest_dir, workdir) == SKIP:
                    return SKIP
            finally:
                podman.cleanup("rm", "--all", "--force")
                podman.cleanup("rmi", "--all", "--force")
                end_leftovers(workdir)
        return 0
    return test


# --- dockerd --------------------------------------------------------------------------------------

def docker_test(body, x86=False):
    """A Docker test: a dockerd of the test's own (data, exec root and socket in its directory,
    no bridge, no iptables) whose daemon.json declares the runtime rvisor; the image imported."""
    def test(rvisor, guest_dir):
        if needs_tools(rvisor) or skip_without("dockerd", "docker",
                                               *(["gcc", "runc"] if x86 else [])):
            return SKIP
        runtime = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
        with tempfile.TemporaryDirectory() as workdir:
            config = os.path.join(workdir, "daemon.json")
            with open(config, "w") as f:
                json.dump({"runtimes": {"rvisor": {"path": runtime}}}, f)
            socket_path = os.path.join(workdir, "docker.sock")
            with open(os.path.join(workdir, "dockerd.log"), "wb") as log:
                daemon = subprocess.Popen(
                    ["dockerd", "--data-root", os.path.join(workdir, "data"), "--exec-root",
                     os.path.join(workdir, "exec"), "--pidfile", os.path.join(workdir, "pid"),
                     "-H", f"unix://{socket_path}", "--config-file", config, "--bridge=none",
                     "--iptables=false", "--ip6tables=false", "--storage-driver", "vfs"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            docker = Engine(["docker", "-H", f"unix://{socket_path}"],
                            dict(os.environ, DOCKER_CONFIG=os.path.join(workdir, "client")),
                            workdir, guest_dir)
            docker.runtime_args = ["--runtime", "rvisor"]
            try:
                wait_until(lambda: daemon.poll() is not None or docker("version").returncode == 0,
                           "dockerd answering")
                with open(os.path.join(workdir, "dockerd.log")) as f:
                    expect(daemon.poll() is None, f"dockerd exited: {f.read()[-2000:]}")
                docker.ok("import", "--platform", "linux/riscv64",
                          busybox_tarball(workdir, guest_dir), IMAGE)
                if x86:
                    docker.ok("import", x86_tarball(workdir), X86_IMAGE)
                body(docker, guest_dir, workdir)
            except Failure:
                with open(os.path.join(workdir, "dockerd.log")) as f:
                    print("dockerd's log, last lines:\n" + "".join(f.readlines()[-30:]))
                raise
            finally:
                listed = docker.cleanup("ps", "--all", "--quiet")
                if listed and listed.stdout.split():
                    docker.cleanup("rm", "--force", *listed.stdout.decode().split())
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(60)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()
                end_leftovers(workdir)
        return 0
    return test


# --- containerd -----------------------------------------------------------------------------------

class Containerd:
    """A containerd of the test's own (root, state, sockets in its directory, no CRI plugin), and
    `ctr` talking to it; the containers run with --runc-binary rvisor-oci."""

    def __init__(self, runtime, workdir):
        self.runtime, self.workdir = runtime, workdir
        self.address = os.path.join(workdir, "containerd.sock")
        config = os.path.join(workdir, "config.toml")
        with open(config, "w") as f:
            f.write(f'version = 2\nroot = "{workdir}/root"\nstate = "{workdir}/state"\n'
                    f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.address}"\n'
                    f'[ttrpc]\n  address = "{self.address}.ttrpc"\n')
        with open(os.path.join(workdir, "containerd.log"), "wb") as log:
            self.daemon = subprocess.Popen(["containerd", "--config", config],
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_until(lambda: self.daemon.poll() is not None or self("version").returncode == 0,
                   "containerd answering")
        expect(self.daemon.poll() is None, f"containerd exited: {self.log()}")

    def log(self):
        with open(os.path.join(self.workdir, "containerd.log")) as f:
            return "".join(f.readlines()[-30:])

    def __call__(self, *args, stdin=subprocess.DEVNULL, timeout=HANG_TIMEOUT):
        return subprocess.run(["ctr", "--address", self.address, *args], stdin=stdin,
                              capture_output=True, timeout=timeout)

    def ok(self, *args):
        result = self(*args)
        expect(result.returncode == 0, f"ctr {' '.join(args)}: status {result.returncode} "
                                       f"{result.stderr.decode().strip()}")
        return result.stdout.decode()

    def run_options(self):
        """ctr run's options for rvisor-oci as the runc shim's runtime, its root in the test's
        directory."""
        return ["--runc-binary", self.runtime, "--runc-root", os.path.join(self.workdir, "runc")]

    def run(self, *args):
        return self("run", *self.run_options(), *args)

    def delete_status(self, container):
        """ctr task delete of a stopped task: the task's exit status, which ctr only warns of."""
        result = self("task", "delete", container)
        expect(result.returncode == 0, f"task delete {container}: {result.stderr!r}")
        found = re.search(rb"exit with non-zero exit code (\d+)", result.stderr)
        return int(found.group(1)) if found else 0

    def task_status(self, container):
        for line in self.ok("task", "ls").splitlines()[1:]:
            fields = line.split()
            if fields[0] == container:
                return fields[2]
        return None

    def stop(self):
        """Ends the tasks and containers, then containerd (what does not answer in time is left
        to end_leftovers)."""
        def quietly(*args):
            try:
                return self(*args, timeout=30).stdout.decode().split()
            except subprocess.TimeoutExpired:
                return []
        for container in quietly("task", "ls", "--quiet"):
            quietly("task", "kill", "--signal", "SIGKILL", container)
            quietly("task", "delete", "--force", container)
        for container in quietly("containers", "ls", "--quiet"):
            quietly("containers", "delete", container)
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(60)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()


def containerd_test(body):
    def test(rvisor, guest_dir):
        if needs_tools(rvisor) or skip_without("containerd", "ctr", "containerd-shim-runc-v2"):
            return SKIP
        runtime = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
        with tempfile.TemporaryDirectory() as workdir:
            containerd = None
            try:
                containerd = Containerd(runtime, workdir)
                archive = oci_archive(workdir, busybox_tarball(workdir, guest_dir), IMAGE,
                                      "riscv64")
                containerd.ok("images", "import", "--platform", "linux/riscv64", archive)
                expect(IMAGE in containerd.ok("images", "ls", "--quiet"), "the imported image")
                body(containerd, guest_dir, workdir)
            except Failure:
                if containerd:
                    print("containerd's log, last lines:\n" + containerd.log())
                raise
            finally:
                if containerd:
                    containerd.stop()
                end_leftovers(workdir)
        return 0
    return test


def ctr_run(ctr, guest_dir, workdir):
    """ctr run --rm --runc-binary rvisor-oci: output, stderr, exit code, the guest's kernel;
    --memory-limit sizes the guest."""
    result = ctr.run("--rm", "--platform", "linux/riscv64", IMAGE, "c1", "sh", "-c",
                     "echo hello from rvisor; uname -r; echo to-stderr >&2; exit 5")
    out = result.stdout.decode().splitlines()
    expect(result.returncode == 5, f"exit code {result.returncode}: {result.stderr!r}")
    expect(len(out) == 2 and out[0] == "hello from rvisor", f"stdout {out}")
    expect_guest_kernel(out[1], guest_dir, "ctr run --rm")
    expect(b"to-stderr" in result.stderr, f"stderr {result.stderr!r}")
    result = ctr.run("--rm", "--platform", "linux/riscv64", "--memory-limit", str(300 << 20),
                     IMAGE, "c2", "grep", "MemTotal", "/proc/meminfo")
    out = result.stdout.decode().split()
    expect(result.returncode == 0 and len(out) == 3 and 250 < int(out[1]) / 1024 <= 300,
           f"--memory-limit 300 MiB: {result.returncode} {result.stdout!r} {result.stderr!r}")


def ctr_interactive(ctr, guest_dir, workdir):
    """ctr run -t: a shell on the user's terminal (a pty here)."""
    terminal = Terminal(["ctr", "--address", ctr.address, "run", *ctr.run_options(), "--rm", "-t",
                         "--platform", "linux/riscv64", IMAGE, "tty1", "sh"])
    try:
        shell_on_terminal(terminal, guest_dir)
    finally:
        terminal.close()


def ctr_detached(ctr, log, *args):
    """ctr run -d of the riscv64 image, its output to the file log."""
    ctr.ok("run", *ctr.run_options(), "-d", "--platform", "linux/riscv64", "--log-uri",
           f"file://{log}", *args)


def file_has(path, text):
    try:
        with open(path) as f:
            return text in f.read()
    except OSError:
        return False


def ctr_exec(ctr, guest_dir, workdir):
    """ctr task exec into a detached task: without a terminal (output, status), and with -t an
    interactive shell on the user's pty (a terminal in the guest), in the same VM."""
    log = os.path.join(workdir, "host.log")
    ctr_detached(ctr, log, IMAGE, "host", "sh", "-c",
                 "echo booted > /tmp/marker; echo ready; sleep 1000")
    wait_until(lambda: file_has(log, "ready"), "the detached task's output")
    result = ctr("task", "exec", "--exec-id", "e1", "host", "sh", "-c",
                 "cat /tmp/marker; uname -r; exit 4")
    out = result.stdout.decode().splitlines()
    expect(result.returncode == 4 and len(out) == 2 and out[0] == "booted",
           f"task exec: {result.returncode} {result.stdout!r} {result.stderr!r}")
    expect_guest_kernel(out[1], guest_dir, "task exec")
    terminal = Terminal(["ctr", "--address", ctr.address, "task", "exec", "-t", "--exec-id", "e2",
                         "host", "sh"])
    try:
        shell_on_terminal(terminal, guest_dir)
    finally:
        terminal.close()
    expect(ctr.task_status("host") == "RUNNING", "the task after its execs")


def ctr_lifecycle(ctr, guest_dir, workdir):
    """ctr task kill: SIGUSR1 and SIGTERM to a trap (its status), SIGKILL to a process that
    ignores SIGTERM (137); task pause and resume stop and go on with the whole VM."""
    log = os.path.join(workdir, "trapper.log")
    ctr_detached(ctr, log, IMAGE, "trapper", *TRAPPER)
    wait_until(lambda: file_has(log, "ready"), "the trapper's output")
    ctr.ok("task", "kill", "--signal", "SIGUSR1", "trapper")
    wait_until(lambda: file_has(log, "caught-usr1"), "the SIGUSR1 trap")
    expect(ctr.task_status("trapper") == "RUNNING", "the trapper after SIGUSR1")
    ctr.ok("task", "kill", "trapper")  # SIGTERM
    wait_until(lambda: ctr.task_status("trapper") == "STOPPED", "the trapper stopping")
    expect(file_has(log, "caught-term"), "the SIGTERM trap ran")
    status = ctr.delete_status("trapper")
    expect(status == 7, f"the trap's exit status {status}")

    log = os.path.join(workdir, "stubborn.log")
    ctr_detached(ctr, log, IMAGE, "stubborn", *STUBBORN)
    wait_until(lambda: file_has(log, "ready"), "the stubborn task's output")
    ctr.ok("task", "kill", "stubborn")
    time.sleep(2)
    expect(ctr.task_status("stubborn") == "RUNNING", "SIGTERM ended a process that ignores it")
    ctr.ok("task", "kill", "--signal", "SIGKILL", "stubborn")
    wait_until(lambda: ctr.task_status("stubborn") == "STOPPED", "SIGKILL ending the task")
    status = ctr.delete_status("stubborn")
    expect(status == 137, f"the exit status after SIGKILL: {status}")

    data = os.path.join(workdir, "counter-data")
    os.makedirs(data)
    ctr_detached(ctr, os.path.join(workdir, "counter.log"), "--mount",
                 f"type=bind,src={data},dst=/data,options=rbind:rw", IMAGE, "counter", *COUNTER)

    def pause():
        ctr.ok("task", "pause", "counter")
        expect(ctr.task_status("counter") == "PAUSED", "the state after pause")

    def resume():
        ctr.ok("task", "resume", "counter")
        expect(ctr.task_status("counter") == "RUNNING", "the state after resume")

    expect_paused_counter(data, pause, resume)
    ctr.ok("task", "kill", "--all", "--signal", "SIGKILL", "counter")
    wait_until(lambda: ctr.task_status("counter") == "STOPPED", "SIGKILL ending the counter")
    status = ctr.delete_status("counter")
    expect(status == 137, f"the counter's exit status after SIGKILL: {status}")


TESTS = {
    "podman-run": podman_test(engine_run),
    "podman-interactive": podman_test(engine_interactive),
    "podman-exec": podman_test(engine_exec),
    "podman-lifecycle": podman_test(engine_lifecycle),
    "podman-foreign": podman_test(engine_foreign, x86=True),
    "podman-ports": podman_test(podman_ports),
    "ctr-run": containerd_test(ctr_run),
    "ctr-interactive": containerd_test(ctr_interactive),
    "ctr-exec": containerd_test(ctr_exec),
    "ctr-lifecycle": containerd_test(ctr_lifecycle),
    "docker-run": docker_test(engine_run),
    "docker-interactive": docker_test(engine_interactive),
    "docker-exec": docker_test(engine_exec),
    "docker-lifecycle": docker_test(engine_lifecycle),
    "docker-foreign": docker_test(engine_foreign, x86=True),
}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
