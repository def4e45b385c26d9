#!/usr/bin/env python3
"""The OCI runtime's own suite (docs/containers.md): rvisor-oci driven as runc's callers drive
it, each container a VM booted from the reference guest's kernel with the agent's initramfs, its
root filesystem a busybox tree shared over virtio-fs.

usage: oci_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import array
import ctypes
import fcntl
import gzip
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time

from guest_test import HANG_TIMEOUT, SKIP, Failure, expect, test_main

PR_SET_CHILD_SUBREAPER = 36


class Runtime:
    """rvisor-oci with a root of its own, and this process as the subreaper of its monitors, as
    conmon and containerd's shim are."""

    def __init__(self, rvisor, guest_dir, workdir):
        self.binary = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
        self.root = os.path.join(workdir, "root")
        self.workdir = workdir
        self.env = dict(os.environ, RVISOR_OCI_KERNEL=os.path.join(guest_dir, "Image"))
        self.global_args = []
        libc = ctypes.CDLL(None, use_errno=True)
        expect(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "cannot become a subreaper")

    def run(self, *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=()):
        return subprocess.run([self.binary, "--root", self.root, *self.global_args, *args],
                              stdin=stdin, stdout=stdout,
                              stderr=stderr, env=self.env, timeout=HANG_TIMEOUT, pass_fds=pass_fds)

    def ok(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        stderr = result.stderr.decode(errors="replace") if result.stderr else ""
        expect(result.returncode == 0, f"rvisor-oci {' '.join(args)}: status {result.returncode} "
                                       f"{stderr.strip()}")
        return result

    def fails(self, fragment, *args):
        """rvisor-oci exits 1 with one line holding fragment."""
        result = self.run(*args)
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        expect(result.returncode == 1, f"{args}: status {result.returncode}, expected 1")
        expect(len(lines) == 1 and lines[0].startswith("rvisor-oci: error: ")
               and fragment in lines[0], f"{args}: expected one error line with '{fragment}', "
                                         f"got {lines}")

    def state(self, container):
        return json.loads(self.ok("state", container).stdout)

    def create(self, container, bundle, stdout=subprocess.DEVNULL, stderr=None,
               stdin=subprocess.DEVNULL, extra=(), global_flags=()):
        """Creates the container with its stdio as given (stderr, shared by rvisor-oci's errors
        and the container's, to a file unless given: the monitor keeps it open, so a pipe would
        not end); the monitor's pid."""
        pid_file = os.path.join(self.workdir, f"{container}.pid")
        with open(os.path.join(self.workdir, f"{container}.stderr"), "w+b") as errors:
            result = self.run(*global_flags, "create", "--bundle", bundle, "--pid-file", pid_file,
                              *extra,
                              container, stdin=stdin, stdout=stdout,
                              stderr=errors if stderr is None else stderr)
            errors.seek(0)
            expect(result.returncode == 0, f"create {container}: status {result.returncode} "
                                           f"{errors.read().decode(errors='replace').strip()}")
        with open(pid_file) as f:
            return int(f.read())


def wait_status(pid):
    """The monitor's exit status, as a shim waiting for the pid file's process sees it."""
    deadline = time.monotonic() + HANG_TIMEOUT
    while time.monotonic() < deadline:
        waited, status = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    raise Failure(f"the container's monitor {pid} did not exit")


def make_bundle(workdir, guest_dir, name, args, **changes):
    """A bundle whose root is the reference guest's busybox tree."""
    bundle = os.path.join(workdir, name)
    rootfs = os.path.join(bundle, "rootfs")
    os.makedirs(rootfs)
    with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
        subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs, check=True)
    config = {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/"},
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "rvisor-box",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
                   {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                    "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                                "gid=5"]},
                   {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                    "options": ["nosuid", "noexec", "nodev"]},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "tmpcopyup"]}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                                 {"type": "mount"}]},
    }
    for key, value in changes.items():
        if key == "process":
            config["process"].update(value)
        else:
            config[key] = value
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    return bundle


def needs_tools(rvisor):
    binary = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
    agent = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "guest", "agent-initramfs.cpio")
    if not os.path.exists(binary) or not os.path.exists(agent) or not shutil.which("cpio"):
        print("skipped: rvisor-oci, the agent's initramfs or cpio is missing")
        return True
    return False


def suite(body):
    def test(rvisor, guest_dir):
        if needs_tools(rvisor):
            return SKIP
        with tempfile.TemporaryDirectory() as workdir:
            runtime = Runtime(rvisor, guest_dir, workdir)
            try:
                if body(runtime, guest_dir, workdir) == SKIP:
                    return SKIP
            finally:
                for container in os.listdir(runtime.root) if os.path.exists(runtime.root) else []:
                    if container != "@templates":
                        runtime.run("delete", "--force", container)
        return 0
    return test


def lifecycle(runtime, guest_dir, workdir):
    """create → created → start → output on the fds given → exit status through the pid file's
    process → stopped → delete; the process ran in the VM (the guest kernel's uname)."""
    bundle = make_bundle(workdir, guest_dir, "life",
                         ["sh", "-c", "echo out $(hostname) $(uname -r); echo err >&2; "
                                      "cat /proc/self/status | grep -c NoNewPrivs; exit 3"])
    out_path, err_path = os.path.join(workdir, "out"), os.path.join(workdir, "err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        monitor = runtime.create("life", bundle, stdout=out, stderr=err)
    state = runtime.state("life")
    expect(state["status"] == "created" and state["pid"] == monitor and state["id"] == "life"
           and state["bundle"] == bundle and state["ociVersion"], f"state after create: {state}")
    runtime.fails("container life already exists", "create", "--bundle", bundle, "life")
    runtime.ok("start", "life")
    expect(wait_status(monitor) == 3, "the container's exit status")
    with open(out_path) as f:
        out = f.read()
    expect(out.startswith("out rvisor-box ") and os.uname().release not in out,
           f"stdout {out!r}: not the guest kernel's")
    with open(err_path) as f:
        expect(f.read() == "err\n", "stderr")
    expect(runtime.state("life")["status"] == "stopped", "state after the exit")
    expect(runtime.state("life")["pid"] == 0, "a stopped container's pid")
    runtime.fails("container not running", "kill", "life", "TERM")
    runtime.ok("delete", "life")
    runtime.fails("container life does not exist", "state", "life")
    runtime.ok("delete", "--force", "life")


def signals(runtime, guest_dir, workdir):
    """kill with SIGTERM to a process that traps it, with SIGKILL to one that does not, and to a
    created container that never started."""
    bundle = make_bundle(workdir, guest_dir, "trap",
                         ["sh", "-c", "trap 'echo caught; exit 7' TERM; echo ready; "
                                      "while true; do sleep 0.1; done"])
    read_fd, write_fd = os.pipe()
    monitor = runtime.create("trap", bundle, stdout=write_fd)
    os.close(write_fd)
    runtime.ok("start", "trap")
    expect(os.read(read_fd, 6) == b"ready\n", "the trapping process started")
    runtime.ok("kill", "trap", "SIGTERM")
    expect(wait_status(monitor) == 7, "the trap's exit status")
    expect(os.read(read_fd, 100) == b"caught\n", "the trap ran")
    os.close(read_fd)
    runtime.ok("delete", "trap")

    bundle = make_bundle(workdir, guest_dir, "sleeper", ["sleep", "1000"])
    monitor = runtime.create("sleeper", bundle)
    runtime.ok("start", "sleeper")
    runtime.fails("it is running", "delete", "sleeper")
    runtime.ok("kill", "--all", "sleeper", "9")
    expect(wait_status(monitor) == 137, "SIGKILL's status")
    runtime.ok("delete", "sleeper")

    monitor = runtime.create("unstarted", bundle)
    runtime.ok("kill", "unstarted", "KILL")
    expect(wait_status(monitor) == 137, "a created container killed")
    runtime.ok("delete", "unstarted")


def pause_and_ps(runtime, guest_dir, workdir):
    """ps lists the container's process by its guest pid; pause and resume stop and go on with
    the whole VM: a counter does not move while paused."""
    data = os.path.join(workdir, "counter-data")
    os.makedirs(data)
    bundle = make_bundle(workdir, guest_dir, "counter",
                         ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /data/count; "
                                      "sleep 0.05; done"])
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["mounts"].append({"destination": "/data", "type": "bind", "source": data,
                             "options": ["rbind"]})
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)

    def count():
        try:
            with open(os.path.join(data, "count")) as f:
                return int(f.read() or 0)
        except (OSError, ValueError):
            return 0

    def wait_for_count_above(value):
        deadline = time.monotonic() + HANG_TIMEOUT
        while count() <= value:
            expect(time.monotonic() < deadline, f"the counter stays at {count()}")
            time.sleep(0.05)

    monitor = runtime.create("counter", bundle)
    runtime.fails("container not running", "ps", "counter")
    runtime.ok("start", "counter")
    pids = json.loads(runtime.ok("ps", "--format", "json", "counter").stdout)
    expect(len(pids) == 1 and pids[0] > 1, f"ps gave {pids}")
    expect(b"init" in runtime.ok("ps", "counter").stdout, "ps's table")
    wait_for_count_above(0)
    runtime.ok("pause", "counter")
    expect(runtime.state("counter")["status"] == "paused", "state after pause")
    time.sleep(0.2)  # a write in flight at the pause lands
    paused_at = count()
    time.sleep(1)
    expect(count() == paused_at, f"the counter went on while paused: {paused_at} -> {count()}")
    runtime.fails("cannot pause container counter: it is paused", "pause", "counter")
    runtime.ok("resume", "counter")
    expect(runtime.state("counter")["status"] == "running", "state after resume")
    wait_for_count_above(paused_at)
    runtime.ok("kill", "counter", "KILL")
    expect(wait_status(monitor) == 137, "the counter's status")
    runtime.ok("delete", "counter")


def exec_processes(runtime, guest_dir, workdir):
    """exec into a running container: attached (its output and status), detached with a pid
    file whose process lives as long as the exec'd one and exits with its status (as
    containerd and conmon use it), from a process file, and refused once the container stopped."""
    bundle = make_bundle(workdir, guest_dir, "host", ["sleep", "1000"])
    monitor = runtime.create("host", bundle)
    runtime.ok("start", "host")
    result = runtime.run("exec", "host", "sh", "-c", "echo in-exec $(hostname); exit 4")
    expect(result.returncode == 4 and result.stdout == b"in-exec rvisor-box\n",
           f"attached exec: {result.returncode} {result.stdout!r} {result.stderr!r}")
    process_file = os.path.join(workdir, "process.json")
    with open(process_file, "w") as f:
        json.dump({"args": ["sh", "-c", "pwd; echo $WHO; sleep 0.5; exit 6"], "cwd": "/tmp",
                   "env": ["PATH=/bin:/usr/bin", "WHO=from-a-file"],
                   "user": {"uid": 0, "gid": 0}}, f)
    pid_file = os.path.join(workdir, "exec.pid")
    read_fd, write_fd = os.pipe()
    runtime.ok("exec", "--process", process_file, "--detach", "--pid-file", pid_file, "host",
               stdout=write_fd)
    os.close(write_fd)
    with open(pid_file) as f:
        waiter = int(f.read())
    expect(wait_status(waiter) == 6, "the detached exec's status through its pid file")
    output = b""
    while chunk := os.read(read_fd, 4096):
        output += chunk
    os.close(read_fd)
    expect(output == b"/tmp\nfrom-a-file\n", f"the detached exec's output {output!r}")
    runtime.fails("No such file or directory", "exec", "host", "/no/such/program")
    runtime.ok("kill", "host", "KILL")
    expect(wait_status(monitor) == 137, "the container's status")
    runtime.fails("container not running", "exec", "host", "true")
    runtime.ok("delete", "host")


def mounts_and_process(runtime, guest_dir, workdir):
    """A bind-mounted host directory written by the container, a read-only one, a file bind,
    env, cwd and user, rlimits; then a read-only root."""
    data, readonly = os.path.join(workdir, "data"), os.path.join(workdir, "readonly")
    os.makedirs(data)
    os.makedirs(readonly)
    with open(os.path.join(readonly, "input"), "w") as f:
        f.write("from the host\n")
    hosts = os.path.join(workdir, "hosts")
    with open(hosts, "w") as f:
        f.write("10.1.2.3 somewhere\n")
    script = ("cd /work && echo written-in-the-guest > /data/output && cat /in/input && "
              "(echo x > /in/x 2>/dev/null && echo in-writable || echo in-readonly) && "
              "grep somewhere /etc/hosts && echo $GREETING && pwd && id -u && id -g && ulimit -n")
    bundle = make_bundle(
        workdir, guest_dir, "mounts", ["sh", "-c", script],
        process={"env": ["PATH=/usr/bin:/bin:/sbin", "GREETING=hello"], "cwd": "/work",
                 "user": {"uid": 1000, "gid": 1001},
                 "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 100, "soft": 100}]})
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": data, "options": ["rbind", "rw"]},
        {"destination": "/in", "type": "bind", "source": readonly, "options": ["rbind", "ro"]},
        {"destination": "/etc/hosts", "type": "bind", "source": hosts, "options": ["bind", "ro"]},
    ]
    os.makedirs(os.path.join(bundle, "rootfs", "work"))
    os.chmod(data, 0o777)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    read_fd, write_fd = os.pipe()
    monitor = runtime.create("mounts", bundle, stdout=write_fd)
    os.close(write_fd)
    runtime.ok("start", "mounts")
    status = wait_status(monitor)
    output = b""
    while chunk := os.read(read_fd, 4096):
        output += chunk
    os.close(read_fd)
    expect(status == 0, f"exit status {status}, output {output!r}")
    expect(output.decode() == "from the host\nin-readonly\n10.1.2.3 somewhere\nhello\n/work\n"
                              "1000\n1001\n100\n", f"output {output!r}")
    with open(os.path.join(data, "output")) as f:
        expect(f.read() == "written-in-the-guest\n", "the bind mount's data on the host")
    expect(sorted(os.listdir(readonly)) == ["input"], "the read-only bind mount changed")
    runtime.ok("delete", "mounts")

    bundle = make_bundle(workdir, guest_dir, "rofs",
                         ["sh", "-c", "echo x > /new 2>/dev/null && exit 1; exit 0"],
                         root={"path": "rootfs", "readonly": True})
    monitor = runtime.create("rofs", bundle)
    runtime.ok("start", "rofs")
    expect(wait_status(monitor) == 0, "a write to a read-only root succeeded")
    expect(not os.path.exists(os.path.join(bundle, "rootfs", "new")), "the read-only root changed")
    runtime.ok("delete", "rofs")


def terminal(runtime, guest_dir, workdir):
    """A terminal: the pty master arrives on --console-socket, as runc sends it, and carries the
    process's output, which sees a terminal of the bundle's size, and then of the size the holder
    of the master gives it."""
    bundle = make_bundle(workdir, guest_dir, "tty",
                         ["sh", "-c", "tty; stty size; read line; "
                                      "until [ \"$(stty size)\" = '40 100' ]; do sleep 0.1; done; "
                                      "echo got $line"],
                         process={"terminal": True, "consoleSize": {"height": 30, "width": 90}})
    console = os.path.join(workdir, "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(console)
    listener.listen(1)
    received = {}

    def accept():
        connection, _ = listener.accept()
        fds = array.array("i")
        message, ancillary, _, _ = connection.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        received["fd"], received["name"] = fds[0], message
        connection.close()

    accepting = threading.Thread(target=accept)
    accepting.start()
    monitor = runtime.create("tty", bundle, extra=("--console-socket", console))
    accepting.join(HANG_TIMEOUT)
    expect("fd" in received and received["name"].startswith(b"/dev/pts/"),
           f"the console socket got {received}")
    master = received["fd"]
    runtime.ok("start", "tty")
    output = b""
    deadline = time.monotonic() + HANG_TIMEOUT

    def read_until(text):
        nonlocal output
        while text not in output and time.monotonic() < deadline:
            try:
                output += os.read(master, 4096)
            except OSError:
                break

    read_until(b"30 90")
    # As conmon does when its own terminal changes size.
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.write(master, b"typed\n")
    read_until(b"got typed")
    expect(wait_status(monitor) == 0, "the terminal process's status")
    text = output.decode(errors="replace")
    expect("/dev/pts/" in text and "30 90" in text and "got typed" in text, f"terminal {text!r}")
    os.close(master)
    listener.close()
    runtime.ok("delete", "tty")


def foreign(runtime, guest_dir, workdir):
    """A bundle whose program is an x86-64 ELF goes to runc unchanged, from create to delete:
    it runs on the host's kernel, and the pid file's process gives its status."""
    if not shutil.which("runc") or not shutil.which("gcc"):
        print("skipped: runc or gcc is missing")
        return SKIP
    bundle = make_bundle(workdir, guest_dir, "x86", ["/hello"])
    source = os.path.join(workdir, "hello.c")
    with open(source, "w") as f:
        f.write('#include <stdio.h>\n#include <sys/utsname.h>\nint main(void) { struct utsname u; '
                'uname(&u); printf("x86 on %s\\n", u.release); return 9; }\n')
    subprocess.run(["gcc", "-static", "-O2", "-o", os.path.join(bundle, "rootfs", "hello"), source],
                   check=True)
    read_fd, write_fd = os.pipe()
    monitor = runtime.create("x86", bundle, stdout=write_fd)
    os.close(write_fd)
    expect(runtime.state("x86")["status"] == "created", "runc's state through rvisor-oci")
    runtime.ok("start", "x86")
    expect(wait_status(monitor) == 9, "the x86 program's status")
    output = os.read(read_fd, 200)
    os.close(read_fd)
    expect(output == f"x86 on {os.uname().release}\n".encode(), f"output {output!r}")
    expect(not os.path.exists(os.path.join(runtime.root, "x86")), "rvisor-oci recorded runc's")
    runtime.ok("delete", "x86")
    runtime.fails("does not exist", "state", "x86")


def bad_input(runtime, guest_dir, workdir):
    """Each mistake: one line, status 1, and nothing recorded."""
    good = make_bundle(workdir, guest_dir, "good", ["true"])
    empty = os.path.join(workdir, "empty")
    os.makedirs(empty)
    runtime.fails("has no readable config.json", "create", "--bundle", empty, "c")
    broken = os.path.join(workdir, "broken")
    os.makedirs(os.path.join(broken, "rootfs"))
    for text, fragment in [("{", "is not valid JSON"),
                           ('{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": '
                            '{"args": ["true"], "cwd": "/", "user": {"uid": "root", "gid": 0}}}',
                            "process.user.uid must be an integer"),
                           ('{"ociVersion": "1.0.2", "root": {"path": "missing"}, "process": '
                            '{"args": ["true"], "cwd": "/"}}', "does not exist")]:
        with open(os.path.join(broken, "config.json"), "w") as f:
            f.write(text)
        runtime.fails(fragment, "create", "--bundle", broken, "c")
    runtime.fails("invalid container id", "create", "--bundle", good, "../x")
    runtime.fails("container nobody does not exist", "start", "nobody")
    runtime.fails("unknown signal", "kill", "nobody", "SIGNOPE")
    expect(runtime.ok("list", "--quiet").stdout == b"", "a failed create left state behind")
    monitor = runtime.create("twice", good)
    runtime.fails("container twice already exists", "create", "--bundle", good, "twice")
    runtime.ok("delete", "twice")
    expect(wait_status(monitor) == -signal.SIGKILL, "delete of a created container")


def concurrent(runtime, guest_dir, workdir):
    """8 containers at once, each with its own output and status."""
    bundle = make_bundle(workdir, guest_dir, "many", ["sh", "-c", "echo $ID; exit $CODE"])
    results = {}

    def one(i):
        try:
            path = os.path.join(workdir, f"many{i}")
            config = json.load(open(os.path.join(bundle, "config.json")))
            config["root"]["path"] = os.path.join(bundle, "rootfs")
            config["process"]["env"] += [f"ID=container{i}", f"CODE={i}"]
            os.makedirs(path)
            with open(os.path.join(path, "config.json"), "w") as f:
                json.dump(config, f)
            read_fd, write_fd = os.pipe()
            monitor = runtime.create(f"c{i}", path, stdout=write_fd)
            os.close(write_fd)
            runtime.ok("start", f"c{i}")
            status = wait_status(monitor)
            output = os.read(read_fd, 100)
            os.close(read_fd)
            runtime.ok("delete", f"c{i}")
            results[i] = (status, output)
        except Exception as error:  # reported below, per container
            results[i] = (None, str(error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrong = {i: r for i, r in results.items() if r != (i, f"container{i}\n".encode())}
    expect(len(results) == 8 and not wrong, f"containers that went wrong: {wrong}")


def templates(runtime, guest_dir, workdir):
    """Fast start (docs/containers.md): the first container boots and leaves a template; the
    next of its shape is a clone with its own root, the host's time and a fresh entropy pool; the
    annotation io.rvisor.template=false boots; a damaged template is removed and replaced."""
    log = os.path.join(workdir, "runtime.log")
    runtime.global_args = ["--log", log]
    cache = os.path.join(runtime.root, "@templates")

    def bundle(name, **changes):
        path = make_bundle(workdir, guest_dir, name,
                           ["sh", "-c", "cat /marker; date +%s; head -c 8 /dev/urandom | od -x"],
                           **changes)
        with open(os.path.join(path, "rootfs", "marker"), "w") as f:
            f.write(name + "\n")
        return path

    def run(container, path):
        out = os.path.join(workdir, f"{container}.out")
        with open(out, "wb") as f:
            monitor = runtime.create(container, path, stdout=f)
        runtime.ok("start", container)
        expect(wait_status(monitor) == 0, f"{container}'s exit status")
        runtime.ok("delete", container)
        with open(out) as f:
            lines = f.read().splitlines()
        expect(len(lines) >= 3 and lines[0] == os.path.basename(path),
               f"{container}'s output {lines}: not its own root's marker")
        clock = int(lines[1])
        expect(abs(clock - time.time()) < 10, f"{container}'s clock says {clock}, "
                                               f"the host's {int(time.time())}")
        return lines[2]

    def logged(fragment):
        with open(log) as f:
            return fragment in f.read()

    first = bundle("first")
    run("t0", first)
    expect(logged("container t0 left a template"), "the first container left no template")
    expect(len(os.listdir(cache)) == 1, f"the cache holds {os.listdir(cache)}")
    # The template does not need the first container's root any more.
    shutil.rmtree(first)
    random_bytes = {run("t1", bundle("second")), run("t2", bundle("third"))}
    expect(logged("container t1 started from the template")
           and logged("container t2 started from the template"), "no clone started")
    expect(len(random_bytes) == 2, "two clones read the same random bytes")

    run("t3", bundle("cold", annotations={"io.rvisor.template": "false"}))
    expect(not logged("container t3"), "a container with templates off used one")

    [name] = os.listdir(cache)
    with open(os.path.join(cache, name, "vm.state"), "r+b") as f:
        f.truncate(100)
    run("t4", bundle("damaged"))
    expect(logged(f"the template {os.path.join(cache, name)} did not start")
           and logged("container t4 left a template"), "the damaged template was not replaced")
    run("t5", bundle("replaced"))
    expect(logged("container t5 started from the template"), "the new template is not used")

    # Another shape, another template.
    run("t6", bundle("bigger", annotations={"io.rvisor.memory": "320M"}))
    expect(len(os.listdir(cache)) == 2, f"the cache holds {os.listdir(cache)}")


def run_command(runtime, guest_dir, workdir):
    """run: create, start, the process's output and status, and the container gone after it;
    a SIGTERM sent to rvisor-oci reaches the process; --detach leaves it running; --keep leaves
    it stopped."""
    bundle = make_bundle(workdir, guest_dir, "once",
                         ["sh", "-c", "echo out-$((1 + 1)); echo err >&2; exit 3"])
    result = runtime.run("run", "--bundle", bundle, "once")
    expect(result.returncode == 3 and result.stdout == b"out-2\n" and b"err" in result.stderr,
           f"run: {result.returncode} {result.stdout!r} {result.stderr!r}")
    runtime.fails("does not exist", "state", "once")
    runtime.fails("config.json", "run", "--bundle", os.path.join(workdir, "none"), "none")

    bundle = make_bundle(workdir, guest_dir, "trapper", [
        "sh", "-c", "trap 'echo got-term; exit 5' TERM; echo ready; while true; do sleep 0.1; done"])
    process = subprocess.Popen([runtime.binary, "--root", runtime.root, "run", "--bundle", bundle,
                                "trapper"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=runtime.env)
    try:
        expect(process.stdout.readline() == b"ready\n", "the trapper's first line")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=HANG_TIMEOUT)
    finally:
        process.kill()
    expect(process.returncode == 5 and output == b"got-term\n",
           f"run after SIGTERM: {process.returncode} {output!r}")

    bundle = make_bundle(workdir, guest_dir, "detached", ["sleep", "1000"])
    runtime.ok("run", "--detach", "--bundle", bundle, "detached", stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
    expect(runtime.state("detached")["status"] == "running", "state after run --detach")
    runtime.ok("delete", "--force", "detached")

    bundle = make_bundle(workdir, guest_dir, "kept", ["true"])
    runtime.ok("run", "--keep", "--bundle", bundle, "kept")
    expect(runtime.state("kept")["status"] == "stopped", "state after run --keep")
    runtime.ok("delete", "kept")


def update_resources(runtime, guest_dir, workdir):
    """events, and update, as podman and docker call it: a memory limit below the VM's RAM gives the rest
    to the balloon (the container's free memory falls, and comes back when the limit goes),
    CPU shares set the nice level of the VM's threads, and what a VM cannot honour (more harts,
    a pids limit) is a warning; bad values and a stopped container are refused."""
    bundle = make_bundle(workdir, guest_dir, "sized", ["sleep", "1000"], linux={
        "namespaces": [{"type": "pid"}, {"type": "mount"}],
        "resources": {"memory": {"limit": 256 << 20}}})
    monitor = runtime.create("sized", bundle)
    runtime.ok("start", "sized")

    def free_mib():
        result = runtime.ok("exec", "sized", "awk", "/^MemFree:/ {print $2}", "/proc/meminfo")
        return int(result.stdout) / 1024

    def wait_for_free(test, what):
        deadline = time.monotonic() + HANG_TIMEOUT
        while not test(free := free_mib()):
            expect(time.monotonic() < deadline, f"the container's free memory stays at "
                                                f"{free:.0f} MiB, {what}")
            time.sleep(0.2)
        return free

    def nice_levels():
        """The nice level of every thread of the monitor and of the VM process below it."""
        levels, pids = set(), [monitor]
        while pids:
            pid = pids.pop()
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    levels.add(int(f.read().rsplit(")", 1)[1].split()[16]))
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    pids += [int(child) for child in f.read().split()]
        return levels

    before = free_mib()
    resources = os.path.join(workdir, "resources.json")
    with open(resources, "w") as f:
        json.dump({"memory": {"limit": 128 << 20, "swap": 0}, "cpu": {"shares": 512},
                   "pids": {"limit": 100}}, f)
    result = runtime.ok("update", "--resources", resources, "sized")
    warnings = result.stderr.decode().strip().splitlines()
    expect(len(warnings) == 1 and "pids" in warnings[0], f"update's warnings: {warnings}")
    wait_for_free(lambda free: before - free >= 100, f"from {before:.0f} with a 128 MiB limit")
    expect(nice_levels() == {3}, f"shares of 512: nice levels {nice_levels()}, expected 3")

    # Docker's way: the whole object on stdin; a limit of 0 is none.
    with open(resources, "w") as f:
        json.dump({"memory": {"limit": 0}, "cpu": {"shares": 256, "quota": 0, "period": 0}}, f)
    with open(resources) as f:
        runtime.ok("update", "--resources", "-", "sized", stdin=f)
    wait_for_free(lambda free: before - free < 30, f"from {before:.0f} with no limit")
    expect(nice_levels() == {6}, f"shares of 256: nice levels {nice_levels()}, expected 6")

    result = runtime.ok("update", "--cpu-quota", "200000", "--cpu-period", "100000", "sized")
    expect(b"keeps the 1 hart(s) it was created with" in result.stderr,
           f"a second hart asked for: {result.stderr!r}")
    runtime.fails("below the 16 MiB a VM needs", "update", "--memory", "1m", "sized")

    # events: runc's stats, once, or every interval until the container stops.
    event = json.loads(runtime.ok("events", "--stats", "sized").stdout)
    usage = event["data"]["memory"]["usage"]
    expect(event["type"] == "stats" and event["id"] == "sized"
           and event["data"]["cpu"]["usage"]["total"] > 0 and usage["limit"] == 256 << 20
           and 0 < usage["usage"] < 256 << 20 and event["data"]["pids"]["current"] == 1,
           f"events --stats: {event}")
    runtime.fails("is not a duration", "events", "--interval", "soon", "sized")
    events = subprocess.Popen([runtime.binary, "--root", runtime.root, "events", "--interval",
                               "100ms", "sized"], stdout=subprocess.PIPE, env=runtime.env)
    try:
        expect(json.loads(events.stdout.readline())["id"] == "sized", "the first event")
        runtime.ok("kill", "sized", "KILL")
        expect(wait_status(monitor) == 137, "the container's status")
        events.communicate(timeout=HANG_TIMEOUT)
    finally:
        events.kill()
    expect(events.returncode == 0, f"events after the container stopped: {events.returncode}")
    runtime.fails("is not a size", "update", "--memory", "lots", "sized")
    runtime.fails("cannot read the resources file", "update", "--resources", "/no/such/file",
                  "sized")
    runtime.fails("cannot update container sized: it is stopped", "update", "--memory", "64m",
                  "sized")
    runtime.fails("it is stopped", "events", "--stats", "sized")
    runtime.ok("delete", "sized")


TESTS = {name.replace("_", "-"): suite(body) for name, body in [
    ("lifecycle", lifecycle), ("signals", signals), ("pause-ps", pause_and_ps),
    ("update-events", update_resources), ("run", run_command),
    ("exec", exec_processes),
    ("mounts", mounts_and_process),
    ("terminal", terminal), ("foreign", foreign), ("bad-input", bad_input),
    ("concurrent", concurrent), ("templates", templates)]}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
