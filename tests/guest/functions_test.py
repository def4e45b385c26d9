#!/usr/bin/env python3
"""Functions (docs/serverless.md): `rvisor serve --http` deploys busybox httpd from the reference
guest's tree as a function, and the gateway answers requests from clones of its snapshot.

Usage: functions_test.py RVISOR GUEST_DIR TEST
"""
import concurrent.futures
import gzip
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse

import jsonschema
import yaml

from control_test import OPENAPI, Daemon, resolve
from guest_test import HANG_TIMEOUT, Failure, build_guest_program, expect, test_main

SKIP = 77

CGI = """#!/bin/sh
case "$QUERY_STRING" in *sleep*) sleep 1;; esac
echo "Content-Type: text/plain"
echo ""
echo "method=$REQUEST_METHOD"
echo "query=$QUERY_STRING"
echo "forwarded=$HTTP_X_FORWARDED_FOR"
echo "proto=$HTTP_X_FORWARDED_PROTO"
echo "random=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n')"
echo "seen=$(cat /www/written 2>/dev/null)"
echo "$$" > /www/written
echo "body=$(cat)"
"""


def make_rootfs(workdir, guest_dir):
    """The reference guest's busybox tree with a page and a CGI script in /www."""
    rootfs = os.path.join(workdir, "rootfs")
    os.makedirs(rootfs)
    with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
        subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs, check=True)
    os.makedirs(os.path.join(rootfs, "www", "cgi-bin"))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write("hello from a function\n")
    script = os.path.join(rootfs, "www", "cgi-bin", "echo")
    with open(script, "w") as f:
        f.write(CGI)
    os.chmod(script, 0o755)
    return rootfs


class FunctionDaemon(Daemon):
    """`rvisor serve` with its gateway on a free loopback port."""

    def __init__(self, rvisor, workdir, env=None):
        self.env = env
        super().__init__(rvisor, workdir)

    def start(self):
        self.process = subprocess.Popen(
            [self.rvisor, "serve", "--api-sock", self.sock, "--state-dir", self.state_dir,
             "--http", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=self.env)
        deadline = time.monotonic() + HANG_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise Failure(f"rvisor serve exited: {self.process.stderr.read().decode()}")
            try:
                if self.call("GET", "/functions")[0] == 200:
                    return
            except OSError:
                pass
            expect(time.monotonic() < deadline, "rvisor serve never answered")
            time.sleep(0.02)

    def deploy(self, name, rootfs, **fields):
        body = {"name": name, "rootfs": rootfs, "command": ["httpd", "-f", "-p", "8080", "-h",
                                                            "/www"], **fields}
        status, reply = self.call("POST", "/functions", body)
        expect(status == 201, f"deploy {name}: {status} {reply}")
        return reply

    def gateway(self, name):
        status, reply = self.call("GET", f"/functions/{name}")
        expect(status == 200, f"show {name}: {status} {reply}")
        return urllib.parse.urlsplit(reply["url"]).netloc

    def show(self, name):
        status, reply = self.call("GET", f"/functions/{name}")
        expect(status == 200, f"show {name}: {status} {reply}")
        return reply


def request(netloc, method, path, body=None, headers=None):
    """(status, headers, body) of one request to the gateway."""
    connection = http.client.HTTPConnection(netloc, timeout=HANG_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def fields(body):
    """The CGI script's key=value lines."""
    return dict(line.split("=", 1) for line in body.decode().splitlines() if "=" in line)


def wait_for(what, predicate):
    deadline = time.monotonic() + HANG_TIMEOUT
    while not predicate():
        expect(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.1)


def instance_pids(state_dir):
    """The pids of the rvisor processes restoring from this state directory's snapshots."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"restore" in args and any(state_dir.encode() in arg for arg in args):
            pids.append(int(entry))
    return pids


def suite(body):
    def test(rvisor, guest_dir):
        agent = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "guest",
                             "agent-initramfs.cpio")
        if not os.path.exists(agent) or not shutil.which("cpio"):
            print("skipped: the agent's initramfs or cpio is missing")
            return SKIP
        with tempfile.TemporaryDirectory() as workdir:
            daemon = FunctionDaemon(rvisor, workdir)
            try:
                body(daemon, make_rootfs(workdir, guest_dir), workdir)
                daemon.stop()
            finally:
                daemon.kill()
        return 0
    return test


@suite
def test_invoke(daemon, rootfs, workdir):
    """Deploy, then cold and warm invocations: paths, queries, bodies, forwarded headers, the
    CLI, logs and metrics; every /functions path checked against docs/api/openapi.yaml."""
    with open(OPENAPI) as f:
        document = yaml.safe_load(f)
    seen = set()

    def call(method, path, body=None, raw=None, template=None):
        status, reply = daemon.call(method, path, body, raw)
        responses = document["paths"][template or path][method.lower()]["responses"]
        expect(str(status) in responses, f"{method} {path}: {status} undocumented ({reply})")
        content = resolve(document, responses[str(status)]).get("content", {})
        if "application/json" in content:
            jsonschema.validate(reply, content["application/json"]["schema"])
        seen.add((template or path, method.lower(), str(status)))
        return status, reply

    expect(call("GET", "/functions")[1] == [], "no functions at first")
    command = ["httpd", "-f", "-p", "8080", "-h", "/www"]
    status, reply = call("POST", "/functions", {"name": "hello", "rootfs": rootfs,
                                                "command": command})
    expect(status == 201 and reply["state"] == "Ready" and reply["instances"] == 0,
           f"deploy: {status} {reply}")
    one = "/functions/{name}"
    expect(call("GET", "/functions/hello", template=one)[1]["name"] == "hello", "show")
    expect(call("GET", "/functions/nope", template=one)[0] == 404, "show unknown")
    expect(call("POST", "/functions", {"name": "hello", "rootfs": rootfs,
                                       "command": command})[0] == 409, "deploy twice")
    for body in [{"name": "x", "command": command},
                 {"name": "x", "rootfs": rootfs},
                 {"name": "bad name!", "rootfs": rootfs, "command": command},
                 {"name": "x", "rootfs": rootfs, "command": command, "colour": 1},
                 {"name": "x", "rootfs": os.path.join(workdir, "none"), "command": command},
                 {"name": "x", "rootfs": rootfs, "command": command, "port": 0},
                 {"name": "x", "rootfs": rootfs, "command": command, "warmup": {"path": "x"}}]:
        status, reply = call("POST", "/functions", body)
        expect(status == 400 and reply["fault_message"], f"POST {body}: {status} {reply}")
    expect(call("POST", "/functions", raw="{nope")[0] == 400, "bad JSON")

    netloc = daemon.gateway("hello")
    status, _, page = request(netloc, "GET", "/fn/hello/")
    expect(status == 200 and page == b"hello from a function\n", f"cold: {status} {page}")
    status, _, page = request(netloc, "GET", "/fn/hello/index.html")
    expect(status == 200 and page == b"hello from a function\n", f"warm: {status} {page}")
    status, headers, reply = request(netloc, "POST", "/fn/hello/cgi-bin/echo?a=1&b=two",
                                     body=b"payload bytes",
                                     headers={"X-Forwarded-For": "192.0.2.7"})
    got = fields(reply)
    expect(status == 200 and got.get("method") == "POST" and got.get("query") == "a=1&b=two"
           and got.get("body") == "payload bytes", f"CGI: {status} {reply}")
    expect(got.get("forwarded") == "192.0.2.7, 127.0.0.1" and got.get("proto") == "http",
           f"forwarded headers: {reply}")
    expect(headers.get("Content-Type") == "text/plain", f"reply headers: {headers}")
    # A client may percent-encode the name; the function still gets the path below it.
    status, _, reply = request(netloc, "GET", "/fn/%68ell%6F/cgi-bin/echo?encoded=1")
    expect(status == 200 and fields(reply).get("query") == "encoded=1",
           f"percent-encoded name: {status} {reply}")
    status, _, reply = request(netloc, "GET", "/fn/hello/missing")
    expect(status == 404, f"the function's own 404 passes through: {status} {reply}")
    status, _, reply = request(netloc, "GET", "/fn/nope/")
    expect(status == 404 and b"fault_message" in reply, f"unknown function: {status} {reply}")

    shown = call("GET", "/functions/hello", template=one)[1]
    expect(shown["invocations"] == 5 and shown["cold_starts"] == 1 and shown["instances"] == 1,
           f"counters: {shown}")
    cli = subprocess.run([daemon.rvisor, "fn", "--api-sock", daemon.sock, "invoke", "hello",
                          "/cgi-bin/echo", "--data", "from the CLI"],
                         capture_output=True, text=True, timeout=HANG_TIMEOUT)
    expect(cli.returncode == 0 and "body=from the CLI" in cli.stdout, f"fn invoke: {cli}")
    cli = subprocess.run([daemon.rvisor, "fn", "--api-sock", daemon.sock, "list"],
                         capture_output=True, text=True, timeout=HANG_TIMEOUT)
    expect(cli.returncode == 0 and "hello" in cli.stdout and "Ready" in cli.stdout,
           f"fn list: {cli}")
    def fn(*args):
        return subprocess.run([daemon.rvisor, "fn", "--api-sock", daemon.sock, *args],
                              capture_output=True, text=True, timeout=HANG_TIMEOUT)

    cli = fn("deploy", "cli", "--rootfs", rootfs, "--env", "A=1", "--max-instances", "2", "--",
             "httpd", "-f", "-p", "8080", "-h", "/www")
    expect(cli.returncode == 0 and json.loads(cli.stdout)["spec"]["env"] == {"A": "1"},
           f"fn deploy: {cli}")
    cli = fn("deploy", "cli2", "--rootfs", rootfs, "--env", "novalue", "--", "httpd")
    expect(cli.returncode != 0 and "--env novalue" in cli.stderr, f"fn deploy --env: {cli}")
    cli = fn("invoke", "cli", "/missing")
    expect(cli.returncode == 1 and "404" in cli.stderr, f"fn invoke of a 404: {cli}")
    cli = fn("show", "cli")
    expect(cli.returncode == 0 and json.loads(cli.stdout)["invocations"] == 1, f"fn show: {cli}")
    cli = fn("logs", "cli")
    expect(cli.returncode == 0 and "--- instance" in cli.stdout, f"fn logs: {cli}")
    cli = fn("delete", "cli")
    expect(cli.returncode == 0, f"fn delete: {cli}")
    cli = fn("show", "cli")
    expect(cli.returncode == 1 and 'There is no function "cli"' in cli.stderr,
           f"fn show of a deleted function: {cli}")
    status, logs = daemon.text("/functions/hello/logs")
    expect(status == 200 and "--- instance" in logs, f"logs: {status} {logs}")
    seen.add((one + "/logs", "get", "200"))
    expect(daemon.text("/functions/nope/logs")[0] == 404, "logs of an unknown function")
    seen.add((one + "/logs", "get", "404"))
    status, metrics = daemon.text("/metrics")
    expect('rvisor_function_invocations_total{name="hello"} 6' in metrics
           and 'rvisor_function_request_seconds_count{name="hello",start="cold"} 1' in metrics,
           f"metrics: {metrics}")

    # A revision slow to start: while it deploys, the function refuses another change.
    slow = ["sh", "-c", "sleep 2; exec httpd -f -p 8080 -h /www"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        update = pool.submit(call, "PUT", "/functions/hello",
                             {"rootfs": rootfs, "command": slow,
                              "warmup": {"path": "/", "requests": 1}}, None, one)
        wait_for("the update to start",
                 lambda: daemon.call("GET", "/functions/hello")[1]["state"] == "Updating")
        expect(call("PUT", "/functions/hello", {"rootfs": rootfs, "command": command},
                    template=one)[0] == 409, "PUT during an update")
        expect(call("DELETE", "/functions/hello", template=one)[0] == 409,
               "DELETE during an update")
        status, reply = update.result()
    expect(status == 200 and reply["revision"] == 2, f"PUT: {status} {reply}")
    expect(call("PUT", "/functions/nope", {"rootfs": rootfs, "command": command},
                template=one)[0] == 404, "PUT unknown")
    expect(call("PUT", "/functions/hello", {"rootfs": rootfs}, template=one)[0] == 400,
           "PUT without a command")
    expect(call("DELETE", "/functions/hello", template=one)[0] == 204, "delete")
    expect(call("DELETE", "/functions/hello", template=one)[0] == 404, "delete twice")
    expect(not os.path.exists(os.path.join(daemon.state_dir, "functions", "hello")),
           "the snapshots are gone")
    documented = {(path, method, status) for path, item in document["paths"].items()
                  if path.startswith("/functions")
                  for method, operation in item.items() if method != "parameters"
                  for status in operation["responses"]}
    expect(documented <= seen, f"documented but never seen: {documented - seen}")


@suite
def test_bad_deploys(daemon, rootfs, workdir):
    """A command that cannot start, that exits, or whose port never answers: 400, with the
    reason, and nothing left behind."""
    for command, words in [(["/no/such/program"], "cannot start"),
                           (["sh", "-c", "echo broken config >&2; exit 3"],
                            "exited with status 3 (broken config)"),
                           (["sleep", "600"], "did not answer")]:
        status, reply = daemon.call("POST", "/functions", {"name": "bad", "rootfs": rootfs,
                                                           "command": command, "timeout_s": 3})
        expect(status == 400 and words in reply.get("fault_message", ""),
               f"{command}: {status} {reply}")
        expect(daemon.call("GET", "/functions")[1] == [], "nothing left listed")
        expect(not os.path.exists(os.path.join(daemon.state_dir, "functions", "bad")),
               "nothing left on disk")
        expect(not instance_pids(daemon.state_dir), "no VM left running")


@suite
def test_scale(daemon, rootfs, workdir):
    """30 requests at once from zero instances all answered by at most max_instances; idle
    instances stop; min_instances stay."""
    daemon.deploy("burst", rootfs, max_instances=4, idle_timeout_s=2)
    netloc = daemon.gateway("burst")
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda _: request(netloc, "GET", "/fn/burst/"), range(30)))
    bad = [(status, body) for status, _, body in results
           if status != 200 or body != b"hello from a function\n"]
    expect(not bad, f"failed requests: {bad[:3]}")
    shown = daemon.show("burst")
    expect(1 <= shown["instances"] <= 4 and shown["cold_starts"] <= 4,
           f"instances within max_instances: {shown}")
    expect(len(instance_pids(daemon.state_dir)) <= 4, "at most 4 VM processes")
    wait_for("scale to zero", lambda: daemon.show("burst")["instances"] == 0)
    wait_for("the instances' processes to go", lambda: not instance_pids(daemon.state_dir))

    status, reply = daemon.call("PUT", "/functions/burst", {
        "rootfs": rootfs, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
        "min_instances": 1, "idle_timeout_s": 1, "warmup": {"requests": 0}})
    expect(status == 200, f"PUT: {status} {reply}")
    wait_for("min_instances", lambda: daemon.show("burst")["instances"] == 1)
    time.sleep(2.5)
    expect(daemon.show("burst")["instances"] == 1, "min_instances stays past the idle timeout")


@suite
def test_isolation(daemon, rootfs, workdir):
    """Two instances: each writes to its root, neither sees the other's write nor changes the
    host's directory, and their random bytes differ."""
    daemon.deploy("iso", rootfs, max_instances=2)
    netloc = daemon.gateway("iso")
    # Two slow requests at once from zero: each restores an instance of its own.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        replies = [fields(reply[2]) for reply in pool.map(
            lambda _: request(netloc, "GET", "/fn/iso/cgi-bin/echo?sleep"), range(2))]
    expect(daemon.show("iso")["cold_starts"] == 2, f"two instances: {daemon.show('iso')}")
    expect(replies[0]["random"] != replies[1]["random"],
           f"random bytes repeat across clones: {replies}")
    expect(replies[0]["seen"] == "" and replies[1]["seen"] == "",
           f"a clone saw another's write: {replies}")
    after = fields(request(netloc, "GET", "/fn/iso/cgi-bin/echo")[2])
    expect(after["seen"] != "", f"an instance lost its own write: {after}")
    expect(not os.path.exists(os.path.join(rootfs, "www", "written")),
           "an instance wrote to the host's directory")


@suite
def test_crash(daemon, rootfs, workdir):
    """kill -9 of an instance during a request: that request gets 502, the next is served by a
    new instance."""
    daemon.deploy("crash", rootfs)
    netloc = daemon.gateway("crash")
    expect(request(netloc, "GET", "/fn/crash/")[0] == 200, "first request")
    pids = instance_pids(daemon.state_dir)
    expect(len(pids) == 1, f"one instance: {pids}")
    # A slow request, in the instance when it is killed.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(request, netloc, "GET", "/fn/crash/cgi-bin/echo?sleep")
        time.sleep(0.4)
        os.kill(pids[0], signal.SIGKILL)
        status, _, reply = slow.result()
    expect(status == 502 and b"fault_message" in reply, f"the killed request: {status} {reply}")
    status, _, page = request(netloc, "GET", "/fn/crash/")
    expect(status == 200 and page == b"hello from a function\n", f"after the kill: {status}")
    shown = daemon.show("crash")
    expect(shown["cold_starts"] == 2, f"a new instance replaced the dead one: {shown}")


@suite
def test_revision(daemon, rootfs, workdir):
    """A new revision takes over while requests keep coming: none fails."""
    daemon.deploy("rev", rootfs, max_instances=2)
    netloc = daemon.gateway("rev")
    failures, count, stop = [], [0], threading.Event()

    def load():
        while not stop.is_set():
            status, _, body = request(netloc, "GET", "/fn/rev/")
            count[0] += 1
            if status != 200:
                failures.append((status, body))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
            f.write("hello from a function\n")
        status, reply = daemon.call("PUT", "/functions/rev", {
            "rootfs": rootfs, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
            "max_instances": 2})
        expect(status == 200 and reply["revision"] == 2, f"PUT: {status} {reply}")
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join()
    expect(not failures, f"failed during the update: {failures[:3]}")
    expect(count[0] > 5, f"too few requests during the update: {count[0]}")
    expect(not os.path.exists(os.path.join(daemon.state_dir, "functions", "rev", "r1")),
           "the old revision's snapshot is gone")


@suite
def test_restart(daemon, rootfs, workdir):
    """The control program stops (its instances with it) and starts again on its state
    directory: the function is still deployed and serves from zero."""
    daemon.deploy("again", rootfs)
    netloc = daemon.gateway("again")
    expect(request(netloc, "GET", "/fn/again/")[0] == 200, "before the restart")
    expect(len(instance_pids(daemon.state_dir)) == 1, "one instance")
    daemon.stop()
    wait_for("the instance to die with the control program",
             lambda: not instance_pids(daemon.state_dir))
    daemon.start()
    shown = daemon.show("again")
    expect(shown["state"] == "Ready" and shown["instances"] == 0 and shown["revision"] == 1,
           f"after the restart: {shown}")
    status, _, page = request(daemon.gateway("again"), "GET", "/fn/again/")
    expect(status == 200 and page == b"hello from a function\n", f"served again: {status}")


@suite
def test_own_server(daemon, rootfs, workdir):
    """The project's own compiled server (tests/guest/programs/http_hello.c) alone in a root:
    $PORT and env reach it, a chunked request body of 1 MiB arrives whole, a chunked reply of
    thousands of chunks streams back whole, headers pass as they came."""
    root = os.path.join(workdir, "c-root")
    os.makedirs(root)
    with open(os.path.join(root, "http_hello"), "wb") as f:
        f.write(build_guest_program(workdir, "http_hello"))
    os.chmod(os.path.join(root, "http_hello"), 0o755)
    status, reply = daemon.call("POST", "/functions", {
        "name": "c", "rootfs": root, "command": ["/http_hello"], "port": 9000,
        "env": {"GREETING": "hi there"}, "warmup": {"path": "/random", "requests": 2}})
    expect(status == 201, f"deploy: {status} {reply}")
    netloc = daemon.gateway("c")
    status, _, page = request(netloc, "GET", "/fn/c/")
    expect(status == 200 and page == b"hello from C\nhi there\n", f"GET /: {status} {page}")
    payload = os.urandom(1 << 20)

    def chunks():
        for start in range(0, len(payload), 65536):
            yield payload[start:start + 65536]

    connection = http.client.HTTPConnection(netloc, timeout=HANG_TIMEOUT)
    connection.request("POST", "/fn/c/echo", body=chunks(), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    echoed = response.read()
    connection.close()
    expect(response.status == 200 and echoed == payload,
           f"a chunked 1 MiB body: {response.status}, {len(echoed)} bytes back")
    status, headers, body = request(netloc, "GET", "/fn/c/stream?n=5000")
    lines = body.decode().splitlines()
    expect(status == 200 and len(lines) == 5000 and lines[-1] == "line 4999",
           f"a streamed reply: {status}, {len(lines)} lines")
    expect(headers.get("Transfer-Encoding") == "chunked", f"streamed as it came: {headers}")
    status, _, body = request(netloc, "GET", "/fn/c/headers", headers={"X-Custom": "a b"})
    text = body.decode()
    expect(status == 200 and "X-Custom: a b" in text and "X-Forwarded-Proto: http" in text
           and "X-Forwarded-Host: " in text and "Connection: close" in text,
           f"headers: {text}")
    randoms = {request(netloc, "GET", "/fn/c/random")[2] for _ in range(2)}
    expect(len(randoms) == 2, f"random bytes: {randoms}")
    # The server's stdout reaches the console, which the platform logs per instance.
    status, logs = daemon.text("/functions/c/logs")
    expect(status == 200 and "http_hello: serving on port 9000" in logs, f"logs: {logs}")


def test_containerd(rvisor, guest_dir):
    """Knative's part that runs here (docs/serverless.md): one riscv64 image, served by busybox
    httpd on $PORT, run through containerd with rvisor-oci (host network: the guest's server is
    forwarded to the host's port) and deployed as a function; both answer the same page."""
    from oci_tools_test import IMAGE, Containerd, busybox_tarball, end_leftovers, oci_archive
    runtime = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "rvisor-oci")
    agent = os.path.join(os.path.dirname(runtime), "guest", "agent-initramfs.cpio")
    if (not os.path.exists(runtime) or not os.path.exists(agent) or os.getuid() != 0
            or not all(shutil.which(tool) for tool in ("containerd", "ctr", "cpio",
                                                         "containerd-shim-runc-v2"))):
        print("skipped: needs rvisor-oci, the agent's initramfs, containerd, ctr, cpio and root")
        return SKIP
    with tempfile.TemporaryDirectory() as workdir:
        containerd, daemon = None, None
        try:
            os.makedirs(os.path.join(workdir, "containerd"))
            containerd = Containerd(runtime, os.path.join(workdir, "containerd"))
            layer = busybox_tarball(workdir, guest_dir)
            containerd.ok("images", "import", "--platform", "linux/riscv64",
                          oci_archive(workdir, layer, IMAGE, "riscv64"))
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            server = ["sh", "-c", "exec httpd -f -p $PORT -h /www"]
            containerd.ok("run", *containerd.run_options(), "-d", "--net-host", "--env",
                          f"PORT={port}", "--platform", "linux/riscv64", IMAGE, "knative",
                          *server)
            page = None
            deadline = time.monotonic() + HANG_TIMEOUT
            while page is None:
                try:
                    status, _, body = request(f"127.0.0.1:{port}", "GET", "/")
                    page = body if status == 200 else None
                except OSError:
                    pass
                expect(page is not None or time.monotonic() < deadline,
                       "the container never answered on $PORT")
                time.sleep(0.2)
            daemon = FunctionDaemon(rvisor, workdir)
            status, reply = daemon.call("POST", "/functions", {
                "name": "knative", "rootfs": os.path.join(workdir, "rootfs"),
                "command": server, "port": port})
            expect(status == 201, f"deploy: {status} {reply}")
            status, _, body = request(daemon.gateway("knative"), "GET", "/fn/knative/")
            expect(status == 200 and body == page,
                   f"the function and the container differ: {body} {page}")
            daemon.stop()
        finally:
            if daemon:
                daemon.kill()
            if containerd:
                containerd.stop()
            end_leftovers(workdir)
    return 0


def test_image(rvisor, guest_dir):
    """A function deployed from an image in Podman's store (a store of the test's own)."""
    agent = os.path.join(os.path.dirname(os.path.abspath(rvisor)), "guest",
                         "agent-initramfs.cpio")
    if (not os.path.exists(agent) or not shutil.which("cpio") or not shutil.which("podman")
            or os.getuid() != 0):
        print("skipped: needs the agent's initramfs, cpio, podman and root")
        return SKIP
    with tempfile.TemporaryDirectory() as workdir:
        conf = os.path.join(workdir, "storage.conf")
        with open(conf, "w") as f:
            f.write(f'[storage]\ndriver = "vfs"\ngraphroot = "{workdir}/storage"\n'
                    f'runroot = "{workdir}/run"\n')
        env = dict(os.environ, CONTAINERS_STORAGE_CONF=conf)
        rootfs = make_rootfs(workdir, guest_dir)
        tarball = os.path.join(workdir, "rootfs.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
        subprocess.run(["podman", "import", "--arch", "riscv64", tarball,
                        "localhost/rvisor-fn:test"], env=env, check=True,
                       capture_output=True, timeout=HANG_TIMEOUT)
        daemon = FunctionDaemon(rvisor, workdir, env)
        try:
            body = {"name": "img", "image": "localhost/rvisor-fn:test",
                    "command": ["httpd", "-f", "-p", "8080", "-h", "/www"]}
            status, reply = daemon.call("POST", "/functions", body)
            expect(status == 201, f"deploy from the image: {status} {reply}")
            status, _, page = request(daemon.gateway("img"), "GET", "/fn/img/")
            expect(status == 200 and page == b"hello from a function\n", f"invoke: {status}")
            status, reply = daemon.call("POST", "/functions", {**body, "name": "none",
                                                               "image": "localhost/none:1"})
            expect(status == 400 and "localhost/none:1" in reply["fault_message"],
                   f"a missing image: {status} {reply}")
            expect(daemon.call("DELETE", "/functions/img")[0] == 204, "delete")
            mounted = subprocess.run(["podman", "image", "mount"], env=env, capture_output=True,
                                     text=True, timeout=HANG_TIMEOUT).stdout
            expect("rvisor-fn" not in mounted, f"the image stays mounted: {mounted}")
            daemon.stop()
        finally:
            daemon.kill()
            subprocess.run(["podman", "rmi", "--all", "--force"], env=env, capture_output=True,
                           timeout=HANG_TIMEOUT)
    return 0


@suite
def test_oci_layout(daemon, rootfs, workdir):
    """A function deployed from an OCI image layout ("image": "oci:DIR", and the CLI's --image
    oci:DIR:TAG): unpacked once into the state directory, shared, served, and gone with the last
    function using it. A layer whose digest does not match is a 400 that leaves nothing."""
    from oci_tools_test import write_oci_layout
    layout = os.path.join(workdir, "layout")
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w:gz") as archive:
        archive.add(rootfs, arcname=".")
    digest = write_oci_layout(layout, layer.getvalue(),
                              "application/vnd.oci.image.layer.v1.tar+gzip", "rvisor-fn:latest",
                              "riscv64")
    command = ["httpd", "-f", "-p", "8080", "-h", "/www"]
    status, reply = daemon.call("POST", "/functions", {"name": "layout", "image": f"oci:{layout}",
                                                       "command": command})
    expect(status == 201, f"deploy from the layout: {status} {reply}")
    images = os.path.join(daemon.state_dir, "images")
    unpacked = os.listdir(images)
    expect(len(unpacked) == 1 and unpacked[0].startswith("sha256-"), f"unpacked: {unpacked}")
    status, _, page = request(daemon.gateway("layout"), "GET", "/fn/layout/")
    expect(status == 200 and page == b"hello from a function\n", f"invoke: {status} {page}")
    cli = subprocess.run([daemon.rvisor, "fn", "--api-sock", daemon.sock, "deploy", "tagged",
                          "--image", f"oci:{layout}:latest", "--", *command],
                         capture_output=True, text=True, timeout=HANG_TIMEOUT)
    expect(cli.returncode == 0, f"fn deploy --image oci:…:latest: {cli}")
    expect(os.listdir(images) == unpacked, f"the unpacked root is shared: {os.listdir(images)}")
    status, _, page = request(daemon.gateway("tagged"), "GET", "/fn/tagged/")
    expect(status == 200 and page == b"hello from a function\n", f"invoke tagged: {status}")
    expect(daemon.call("DELETE", "/functions/layout")[0] == 204, "delete")
    expect(os.listdir(images) == unpacked, "the other function still holds the root")
    expect(daemon.call("DELETE", "/functions/tagged")[0] == 204, "delete the tagged one")
    expect(os.listdir(images) == [], f"the unpacked root stays: {os.listdir(images)}")

    blob = os.path.join(layout, "blobs", "sha256", digest.split(":")[1])
    with open(blob, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    status, reply = daemon.call("POST", "/functions", {"name": "bad", "image": f"oci:{layout}",
                                                       "command": command})
    expect(status == 400 and f"{blob}: its sha256 is" in reply.get("fault_message", ""),
           f"a layer that does not match its digest: {status} {reply}")
    expect(os.listdir(images) == [] and daemon.call("GET", "/functions")[1] == [],
           "nothing left of the bad deploy")


TESTS = {
    "invoke": test_invoke,
    "bad-deploys": test_bad_deploys,
    "scale": test_scale,
    "isolation": test_isolation,
    "crash": test_crash,
    "revision": test_revision,
    "restart": test_restart,
    "own-server": test_own_server,
    "image": test_image,
    "oci-layout": test_oci_layout,
    "containerd": test_containerd,
}

if __name__ == "__main__":
    sys.exit(test_main(TESTS))
