#!/usr/bin/env python3
"""Integration tests of rvisor-agent (docs/agent-protocol.md): the reference guest booted with the
agent's initramfs appended (its /init becomes the agent, busybox stays for the processes), and
the protocol spoken over real vsock connections through rvisor's Unix socket.

usage: agent_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
The agent's initramfs is $RVISOR_AGENT_INITRAMFS, else guest/agent-initramfs.cpio beside RVISOR.
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import base64
import errno
import json
import os
import signal
import socket
import struct
import tempfile
import threading
import time

from guest_test import HANG_TIMEOUT, SKIP, Guest, boot_args, expect, test_main

AGENT_PORT = 1024
STREAM_JOIN_PORT = 1025
MAX_FRAME = 1 << 20


class AgentConnection:
    """One vsock connection to the agent: framed JSON requests and replies."""

    def __init__(self, uds):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(HANG_TIMEOUT)
        self.socket.connect(uds)
        self.socket.sendall(f"CONNECT {AGENT_PORT}\n".encode())
        reply = b""
        while not reply.endswith(b"\n"):
            byte = self.socket.recv(1)
            expect(byte, f"the vsock socket closed after {reply!r}: is the agent listening?")
            reply += byte
        expect(reply.startswith(b"OK "), f"reply {reply!r} to CONNECT")
        self.next_id = 1

    def close(self):
        self.socket.close()

    def send_frame(self, payload):
        self.socket.sendall(struct.pack(">I", len(payload)) + payload)

    def read_exact(self, size):
        data = bytearray()
        while len(data) < size:
            chunk = self.socket.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def read_frame(self):
        """The next reply as a dict; None when the agent closed the connection."""
        header = self.read_exact(4)
        if header is None:
            return None
        (size,) = struct.unpack(">I", header)
        expect(size <= MAX_FRAME, f"a reply of {size} bytes")
        payload = self.read_exact(size)
        expect(payload is not None, "the connection closed inside a reply")
        return json.loads(payload)

    def call(self, method, params=None):
        """The whole reply to one request (with "result" or "error")."""
        request_id = self.next_id
        self.next_id += 1
        request = {"id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send_frame(json.dumps(request).encode())
        reply = self.read_frame()
        expect(reply is not None, f"the agent closed the connection after {method}")
        expect(reply.get("id") == request_id, f"reply {reply} to request {request_id}")
        return reply

    def result(self, method, params=None):
        reply = self.call(method, params)
        expect("result" in reply, f"{method} {params}: {reply}")
        return reply["result"]

    def error(self, method, params, expected_errno):
        reply = self.call(method, params)
        expect("error" in reply and reply["error"]["errno"] == expected_errno,
               f"{method} {params}: {reply}, expected errno {expected_errno}")
        expect(reply["error"]["message"], f"an error without a message: {reply}")
        return reply["error"]

    def read_to_end(self):
        """Once a stdio stream: every byte up to EOF."""
        data = bytearray()
        while chunk := self.socket.recv(65536):
            data += chunk
        return bytes(data)


def open_stream(uds, exec_id, stream):
    connection = AgentConnection(uds)
    connection.result("OpenStdio", {"exec_id": exec_id, "stream": stream})
    return connection


def run_process(uds, exec_id, args, stdin=None, **fields):
    """Creates, attaches, starts and waits for one process: (stdout, stderr, wait result)."""
    control = AgentConnection(uds)
    try:
        control.result("CreateProcess", {"exec_id": exec_id, "args": args, **fields})
        outputs = {"stdout": None, "stderr": None}
        names = ["stdout"] if fields.get("terminal") else ["stdout", "stderr"]
        streams = {name: open_stream(uds, exec_id, name) for name in names}

        def collect(name):
            outputs[name] = streams[name].read_to_end()

        threads = [threading.Thread(target=collect, args=(name,)) for name in names]
        if stdin is not None:
            writer = open_stream(uds, exec_id, "stdin")

            def feed():
                writer.socket.sendall(stdin)
                writer.socket.shutdown(socket.SHUT_WR)

            threads.append(threading.Thread(target=feed))
        for thread in threads:
            thread.start()
        control.result("StartProcess", {"exec_id": exec_id})
        status = control.result("WaitProcess", {"exec_id": exec_id})
        for thread in threads:
            thread.join(HANG_TIMEOUT)
        for stream in streams.values():
            stream.close()
        if stdin is not None:
            writer.close()
        return outputs["stdout"], outputs["stderr"], status
    finally:
        control.close()


def agent_initramfs(rvisor):
    path = os.environ.get("RVISOR_AGENT_INITRAMFS") or os.path.join(
        os.path.dirname(os.path.abspath(rvisor)), "guest", "agent-initramfs.cpio")
    return path if os.path.exists(path) else None


def with_agent(body):
    """A test that boots the guest with the agent and runs body(uds, guest)."""

    def test(rvisor, guest_dir):
        initramfs = agent_initramfs(rvisor)
        if not initramfs:
            print("skipped: no agent initramfs (riscv64-linux-gnu-g++ missing at build time?)")
            return SKIP
        with tempfile.TemporaryDirectory() as workdir:
            uds = os.path.join(workdir, "v.sock")
            guest = Guest(rvisor, boot_args(guest_dir, "console=ttyS0", extra_initrd=initramfs)
                          + ["--mem", "256M", "--vsock", f"cid=3,uds={uds}"])
            try:
                guest.wait_for("RVISOR-AGENT-READY")
                body(uds, guest)
            finally:
                guest.kill()
        return 0

    return test


def expect_exit(status, code):
    expect(status["exit_code"] == code and status["signal"] is None
           and status["exit_status"] == code, f"{status}, expected exit code {code}")


def basics(uds, guest):
    connection = AgentConnection(uds)
    expect(connection.result("Ping") == {"version": 2}, "Ping")
    expect(connection.result("Ping", {}) == {"version": 2}, "Ping with empty params")

    out, err, status = run_process(uds, "exit3", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    expect(out == b"out\n" and err == b"err\n", f"stdout {out!r} stderr {err!r}")
    expect_exit(status, 3)

    out, _, status = run_process(uds, "ids", ["sh", "-c", "id -u; id -g; id -G"], uid=1000,
                                 gid=1000, additional_gids=[5, 6])
    expect(out == b"1000\n1000\n1000 5 6\n", f"id printed {out!r}")
    expect_exit(status, 0)

    out, _, status = run_process(uds, "cwd-env", ["sh", "-c", "pwd; echo $GREETING"], cwd="/tmp",
                                 env=["GREETING=hello there", "PATH=/bin:/usr/bin"])
    expect(out == b"/tmp\nhello there\n", f"cwd and env gave {out!r}")
    expect_exit(status, 0)

    # The clock and the entropy of a restored clone.
    future = 1893456000  # 2030-01-01
    connection.result("Refresh", {"realtime_ns": future * 10**9,
                                  "entropy": base64.b64encode(os.urandom(64)).decode()})
    out, _, _ = run_process(uds, "date", ["date", "+%s"])
    expect(future <= int(out) < future + 60, f"date after Refresh: {out!r}")
    connection.error("Refresh", {"realtime_ns": 1, "entropy": base64.b64encode(b"x" * 8).decode()},
                     errno.EINVAL)

    # What goes wrong while starting is StartProcess's error; the child then exits 127.
    connection.result("CreateProcess", {"exec_id": "missing", "args": ["/no/such/program"]})
    connection.error("StartProcess", {"exec_id": "missing"}, errno.ENOENT)
    expect_exit(connection.result("WaitProcess", {"exec_id": "missing"}), 127)
    connection.result("CreateProcess", {"exec_id": "bad-cwd", "args": ["true"], "cwd": "/nowhere"})
    connection.error("StartProcess", {"exec_id": "bad-cwd"}, errno.ENOENT)
    connection.error("CreateProcess", {"exec_id": "exit3", "args": ["true"]}, errno.EEXIST)
    connection.error("WaitProcess", {"exec_id": "nobody"}, errno.ESRCH)
    connection.error("TtyWinResize", {"exec_id": "exit3", "rows": 1, "cols": 1}, errno.ENOTTY)

    listed = {p["exec_id"]: p for p in connection.result("ListProcesses")["processes"]}
    expect(set(listed) == {"exit3", "ids", "cwd-env", "date", "missing", "bad-cwd"},
           f"ListProcesses: {listed}")
    expect(all(not p["running"] and p["pid"] > 1 for p in listed.values()), f"{listed}")
    connection.close()


def stdin_cat(uds, guest):
    data = os.urandom(4 << 20)
    out, err, status = run_process(uds, "cat", ["cat"], stdin=data)
    expect(out == data, f"cat gave back {len(out)} of {len(data)} bytes, "
                        f"equal so far: {out == data[:len(out)]}")
    expect(err == b"", f"stderr {err!r}")
    expect_exit(status, 0)
    # CloseStdin without a stream: the process reads EOF.
    connection = AgentConnection(uds)
    connection.result("CreateProcess", {"exec_id": "wc", "args": ["wc", "-c"]})
    stdout = open_stream(uds, "wc", "stdout")
    connection.result("StartProcess", {"exec_id": "wc"})
    connection.result("CloseStdin", {"exec_id": "wc"})
    expect(stdout.read_to_end().strip() == b"0", "wc -c of a closed stdin")
    expect_exit(connection.result("WaitProcess", {"exec_id": "wc"}), 0)


def signals(uds, guest):
    connection = AgentConnection(uds)
    connection.result("CreateProcess", {"exec_id": "sleep", "args": ["sleep", "100"]})
    connection.result("StartProcess", {"exec_id": "sleep"})
    waiter = AgentConnection(uds)
    results = []
    thread = threading.Thread(
        target=lambda: results.append(waiter.result("WaitProcess", {"exec_id": "sleep"})))
    thread.start()
    time.sleep(0.5)
    # WaitProcess blocks only its own connection.
    expect(connection.result("Ping") == {"version": 2}, "Ping while another connection waits")
    listed = connection.result("ListProcesses")["processes"]
    expect(listed[0]["running"], f"{listed}")
    connection.result("SignalProcess", {"exec_id": "sleep", "signal": signal.SIGTERM})
    thread.join(HANG_TIMEOUT)
    expect(results and results[0] == {"exit_status": 143, "exit_code": None, "signal": 15},
           f"WaitProcess after SIGTERM: {results}")
    connection.error("SignalProcess", {"exec_id": "sleep", "signal": 15}, errno.ESRCH)

    # "all": the whole group, here a shell and the sleep that holds its stdout open.
    connection.result("CreateProcess", {"exec_id": "group", "args": ["sh", "-c", "sleep 100 & wait"]})
    stdout = open_stream(uds, "group", "stdout")
    connection.result("StartProcess", {"exec_id": "group"})
    time.sleep(0.5)
    connection.result("SignalProcess", {"exec_id": "group", "signal": signal.SIGKILL, "all": True})
    expect(stdout.read_to_end() == b"", "output of the group")
    status = connection.result("WaitProcess", {"exec_id": "group"})
    expect(status["signal"] == 9 and status["exit_status"] == 137, f"{status}")


def terminal(uds, guest):
    connection = AgentConnection(uds)
    connection.result("CreateProcess", {"exec_id": "tty", "args": ["sh", "-c", "tty; stty size"],
                                        "terminal": True})
    connection.result("TtyWinResize", {"exec_id": "tty", "rows": 40, "cols": 100})
    connection.error("OpenStdio", {"exec_id": "tty", "stream": "stderr"}, errno.EINVAL)
    stdout = open_stream(uds, "tty", "stdout")
    connection.result("StartProcess", {"exec_id": "tty"})
    out = stdout.read_to_end()
    lines = out.decode(errors="replace").split("\r\n")
    expect(lines[0].startswith("/dev/pts/") and lines[0][9:].isdigit(), f"tty printed {out!r}")
    expect(lines[1] == "40 100", f"stty size printed {out!r}")
    expect_exit(connection.result("WaitProcess", {"exec_id": "tty"}), 0)

    # Input through the terminal: echoed, and read by the process.
    out, _, status = run_process(uds, "read", ["sh", "-c", "read line; echo got-$line"],
                                 stdin=b"typed\n", terminal=True)
    expect(b"got-typed" in out, f"terminal input: {out!r}")
    expect_exit(status, 0)


def rootfs(uds, guest):
    build = ("mkdir -p /tmp/root/bin /tmp/root/tmp && cp /bin/busybox /tmp/root/bin/ && "
             "ln -s busybox /tmp/root/bin/sh && echo inside > /tmp/root/marker")
    _, err, status = run_process(uds, "build", ["sh", "-c", build])
    expect_exit(status, 0)
    out, err, status = run_process(uds, "inside", ["sh", "-c", "busybox cat /marker; busybox ls /"],
                                   rootfs="/tmp/root", env=["PATH=/bin"])
    expect(out == b"inside\nbin\nmarker\ntmp\n", f"in the rootfs: {out!r} {err!r}")
    expect_exit(status, 0)


def container(uds, guest):
    """What an OCI runtime does to set up a container: a root, its mounts and files, its
    hostname, and a process in it with limits."""
    build = ("mkdir -p /run/root/bin /run/root/proc && cp /bin/busybox /run/root/bin/ && "
             "for tool in sh cat hostname grep stat echo; do ln -s busybox /run/root/bin/$tool; "
             "done")
    _, err, status = run_process(uds, "build", ["sh", "-c", build])
    expect(err == b"", f"building the root: {err!r}")
    expect_exit(status, 0)

    connection = AgentConnection(uds)
    connection.result("Mount", {"source": "tmpfs", "target": "/run/root/tmp", "fstype": "tmpfs",
                                "options": ["nosuid", "nodev", "size=1m", "mode=1777"]})
    connection.result("Mount", {"source": "proc", "target": "/run/root/proc", "fstype": "proc",
                                "options": ["nosuid", "noexec", "nodev"]})
    hosts = b"127.0.0.1 localhost box\n::1 localhost\n"
    connection.result("WriteFile", {"path": "/run/files/hosts", "mode": 0o644,
                                    "content": base64.b64encode(hosts).decode()})
    # The target's directory and file do not exist yet: Mount makes them.
    connection.result("Mount", {"source": "/run/files/hosts", "target": "/run/root/etc/hosts",
                                "fstype": "", "options": ["bind", "ro"]})
    connection.result("SetHostname", {"hostname": "box"})

    script = ("cat /etc/hosts; hostname; ulimit -n; grep NoNewPrivs /proc/self/status; "
              "stat -f -c %T /tmp; stat -c %a /tmp; umask; "
              "if echo changed > /etc/hosts; then echo writable; else echo read-only; fi")
    out, err, status = run_process(
        uds, "inside", ["sh", "-c", script], rootfs="/run/root", cwd="/tmp", env=["PATH=/bin"],
        rlimits=[{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64}], no_new_privileges=True,
        umask=0o027)
    expected = hosts + b"box\n64\nNoNewPrivs:\t1\ntmpfs\n1777\n0027\nread-only\n"
    expect(out == expected, f"in the container: {out!r}, expected {expected!r}; stderr {err!r}")
    expect(b"Read-only file system" in err, f"writing /etc/hosts: {err!r}")
    expect_exit(status, 0)

    # The defaults: no limit lowered, privileges may be gained, umask 022.
    out, _, status = run_process(uds, "defaults",
                                 ["sh", "-c", "grep NoNewPrivs /proc/self/status; umask"],
                                 rootfs="/run/root", env=["PATH=/bin"])
    expect(out == b"NoNewPrivs:\t0\n0022\n", f"without the new fields: {out!r}")
    expect_exit(status, 0)

    # A limit the process may not raise is StartProcess's error, as a missing cwd is.
    connection.result("CreateProcess", {"exec_id": "no-limit", "args": ["true"],
                                        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1 << 30,
                                                     "hard": 1 << 30}]})
    connection.error("StartProcess", {"exec_id": "no-limit"}, errno.EPERM)

    # Writes through the agent's side see the same file: truncated in place, the bind holds it.
    hosts = b"10.0.0.1 other\n"
    connection.result("WriteFile", {"path": "/run/files/hosts",
                                    "content": base64.b64encode(hosts).decode()})
    out, _, _ = run_process(uds, "reread", ["cat", "/etc/hosts"], rootfs="/run/root")
    expect(out == hosts, f"/etc/hosts after a second WriteFile: {out!r}")

    connection.error("Mount", {"source": "x", "target": "/run/x", "fstype": "nosuchfs"},
                     errno.ENODEV)
    connection.error("Mount", {"source": "tmpfs", "target": "run/x", "fstype": "tmpfs"},
                     errno.EINVAL)
    connection.error("Mount", {"source": "/run/nothing", "target": "/run/y", "fstype": "",
                               "options": ["bind"]}, errno.ENOENT)
    connection.error("WriteFile", {"path": "/run/files/big",
                                   "content": base64.b64encode(b"x" * (512 * 1024 + 1)).decode()},
                     errno.EINVAL)
    connection.error("SetHostname", {"hostname": "h" * 65}, errno.EINVAL)
    connection.close()


def bad_frames(uds, guest):
    keeper = AgentConnection(uds)
    expect(keeper.result("Ping") == {"version": 2}, "Ping")

    connection = AgentConnection(uds)
    connection.error("Launch", {}, errno.ENOSYS)
    connection.error("Ping", {"extra": 1}, errno.EINVAL)
    connection.error("CreateProcess", {"exec_id": "x"}, errno.EINVAL)
    connection.error("CreateProcess", {"exec_id": "x", "args": ["sh"], "uid": -1}, errno.EINVAL)
    connection.error("OpenStdio", {"exec_id": "x", "stream": "stdlog"}, errno.EINVAL)
    for payload in [b"{not json", b"[1, 2]", b"", b'{"method": "Ping"}', b'\xff\xfe']:
        connection.send_frame(payload)
        reply = connection.read_frame()
        expect(reply and reply["id"] is None and reply["error"]["errno"] == errno.EINVAL,
               f"{payload!r}: {reply}")
    # The connection still serves after its mistakes.
    expect(connection.result("Ping") == {"version": 2}, "Ping after errors")

    # A length over 1 MiB: an error, then the connection closes.
    connection.socket.sendall(struct.pack(">I", MAX_FRAME + 1))
    reply = connection.read_frame()
    expect(reply and reply["error"]["errno"] == errno.EMSGSIZE, f"oversized frame: {reply}")
    expect(connection.read_frame() is None, "the connection stayed open after an oversized frame")
    connection.close()

    # A frame cut short by its sender, and bytes that are no frame at all.
    cut = AgentConnection(uds)
    cut.socket.sendall(struct.pack(">I", 100) + b'{"id": 1')
    cut.close()
    garbage = AgentConnection(uds)
    garbage.socket.sendall(os.urandom(4096))
    garbage.socket.shutdown(socket.SHUT_WR)
    while garbage.read_frame() is not None:
        pass
    garbage.close()

    expect(keeper.result("Ping") == {"version": 2}, "the first connection after the others' errors")
    expect(AgentConnection(uds).result("Ping") == {"version": 2}, "a new connection")


def concurrent(uds, guest):
    count = 8
    results = [None] * count

    def run(i):
        script = f"i=0; while [ $i -lt 500 ]; do echo line-{i}-$i; i=$((i+1)); done; exit {i}"
        try:
            out, err, status = run_process(uds, f"p{i}", ["sh", "-c", script])
            expected = "".join(f"line-{i}-{n}\n" for n in range(500)).encode()
            if out != expected or err != b"" or status["exit_code"] != i:
                results[i] = f"{len(out)} bytes, stderr {err!r}, {status}"
            else:
                results[i] = "ok"
        except Exception as error:  # pylint: disable=broad-except
            results[i] = repr(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_TIMEOUT)
    failures = [f"p{i}: {r}" for i, r in enumerate(results) if r != "ok"]
    expect(not failures, "; ".join(failures))


def stream_join_line(uds, line):
    """A stream join connection (port 1025) that sent `line`: (socket, the agent's answer)."""
    joined = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    joined.settimeout(HANG_TIMEOUT)
    joined.connect(uds)
    joined.sendall(f"CONNECT {STREAM_JOIN_PORT}\n".encode() + line)
    answers = b""
    while answers.count(b"\n") < 2:
        byte = joined.recv(1)
        expect(byte, f"the stream join connection closed after {answers!r}")
        answers += byte
    vsock_answer, agent_answer = answers.split(b"\n")[:2]
    expect(vsock_answer.startswith(b"OK "), f"reply {vsock_answer!r} to CONNECT 1025")
    return joined, agent_answer


def stream_join(uds, guest):
    """A guest with no network: ListListeners sees a server, the stream join service reaches it
    (a half-closed request too) and refuses a port nothing listens on and a malformed line; a
    silent connection holds nothing up, and 128 of them make the next stream's EAGAIN;
    ConfigureNetwork without the device is ENODEV."""
    connection = AgentConnection(uds)
    _, _, status = run_process(uds, "www", ["sh", "-c", "mkdir -p /tmp/www && "
                                                        "echo hello > /tmp/www/index.html"])
    expect_exit(status, 0)
    connection.result("CreateProcess",
                      {"exec_id": "httpd", "args": ["httpd", "-f", "-p", "7000", "-h", "/tmp/www"]})
    connection.result("StartProcess", {"exec_id": "httpd"})
    deadline = time.monotonic() + 30
    while True:
        listeners = connection.result("ListListeners")["listeners"]
        if any(listener["port"] == 7000 for listener in listeners):
            break
        expect(time.monotonic() < deadline, f"httpd never listened: {listeners}")
        time.sleep(0.1)
    expect(listeners == [{"address": "0.0.0.0", "port": 7000}], f"ListListeners: {listeners}")

    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(uds)
    silent.sendall(f"CONNECT {STREAM_JOIN_PORT}\n".encode())
    joined, answer = stream_join_line(uds, b"TCP 7000\n")
    expect(answer == b"OK", f"the agent's answer for port 7000: {answer!r}")
    joined.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    joined.shutdown(socket.SHUT_WR)
    response = b""
    while chunk := joined.recv(65536):
        response += chunk
    expect(response.startswith(b"HTTP/1.") and response.endswith(b"\r\n\r\nhello\n"),
           f"the page through the stream: {response!r}")
    joined.close()
    silent.close()

    refused, answer = stream_join_line(uds, b"TCP 7001\n")
    expect(answer.startswith(f"ERROR {errno.ECONNREFUSED} ".encode()), f"port 7001: {answer!r}")
    expect(refused.recv(1) == b"", "the refused stream is closed")
    refused.close()
    malformed, answer = stream_join_line(uds, b"UDP 53\n")
    expect(answer.startswith(f"ERROR {errno.EINVAL} ".encode()), f"a bad line: {answer!r}")
    malformed.close()

    # 128 streams at once: silent connections fill every place, the next is refused at once
    # with EAGAIN, and once they close a stream joins again.
    silent = []
    for _ in range(128):
        waiting = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        waiting.settimeout(HANG_TIMEOUT)
        waiting.connect(uds)
        waiting.sendall(f"CONNECT {STREAM_JOIN_PORT}\n".encode())
        reply = b""
        while not reply.endswith(b"\n"):
            byte = waiting.recv(1)
            expect(byte, f"stream {len(silent)}: the vsock socket closed after {reply!r}")
            reply += byte
        silent.append(waiting)
    over, answer = stream_join_line(uds, b"TCP 7000\n")
    expect(answer.startswith(f"ERROR {errno.EAGAIN} ".encode()), f"stream 129: {answer!r}")
    over.close()
    for waiting in silent:
        waiting.close()
    deadline = time.monotonic() + 30
    while True:
        joined, answer = stream_join_line(uds, b"TCP 7000\n")
        joined.close()
        if answer == b"OK":
            break
        expect(time.monotonic() < deadline, f"no stream joins after the silent ones: {answer!r}")
        time.sleep(0.1)

    connection.error("ConfigureNetwork", {"interface": "eth0", "address": "10.0.2.15",
                                          "prefix_length": 24}, errno.ENODEV)
    connection.result("SignalProcess", {"exec_id": "httpd", "signal": 9})
    connection.close()


def power_off(uds, guest):
    connection = AgentConnection(uds)
    expect(connection.result("Ping") == {"version": 2}, "Ping")
    connection.result("PowerOff")
    connection.close()  # the agent waits for this, so that its reply is not lost at power off
    status, _ = guest.finish()
    expect(status == 0, f"rvisor exited {status} after PowerOff")


TESTS = {
    "basics": with_agent(basics),
    "stdin": with_agent(stdin_cat),
    "signal": with_agent(signals),
    "terminal": with_agent(terminal),
    "rootfs": with_agent(rootfs),
    "container": with_agent(container),
    "bad-frames": with_agent(bad_frames),
    "concurrent": with_agent(concurrent),
    "stream-join": with_agent(stream_join),
    "power-off": with_agent(power_off),
}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
