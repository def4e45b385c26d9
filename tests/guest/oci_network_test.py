#!/usr/bin/env python3
"""rvisor-oci's networking (docs/containers.md, "Network"): the VM joins the bundle's network
namespace and the guest's TCP servers are forwarded from it; with a new, empty namespace the
guest has no network; with none named, the guest's network is the host's.

usage: oci_network_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import json
import os
import shutil
import subprocess
import time

from guest_test import SKIP, Failure, expect, test_main
from oci_test import make_bundle, suite, wait_status

# A server the guest reaches through slirp's gateway (10.0.2.2 is the namespace's loopback).
NAMESPACE_SERVER_PORT = 18081
GUEST_SERVER_PORT = 8080
# The forward's first answer waits for the guest to boot, start its server and be polled.
FORWARD_TIMEOUT = 60


def needs_root_and_tools():
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("curl"):
        print("skipped: needs root, ip and curl (network namespaces)")
        return True
    return False


def in_namespace(namespace, *args, **kwargs):
    return subprocess.run(["ip", "netns", "exec", namespace, *args], **kwargs)


def fetch(namespace, url, timeout=FORWARD_TIMEOUT):
    """The body at url, fetched inside the namespace, tried until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        result = in_namespace(namespace, "curl", "-s", "-f", "--max-time", "5", url,
                              capture_output=True)
        if result.returncode == 0:
            return result.stdout
        if time.monotonic() > deadline:
            raise Failure(f"{url} in {namespace}: curl status {result.returncode}")
        time.sleep(0.25)


def with_namespaces(bundle, *entries):
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["linux"]["namespaces"] += list(entries)
    with open(path, "w") as f:
        json.dump(config, f)


# The request written, the sending side shut down, then the whole answer read: a half-closed
# stream must still carry the reply back through both relays.
HALF_CLOSE_CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.buffer.write(data)
"""


def namespace_ports(runtime, guest_dir, workdir):
    """A bundle naming a network namespace (made with `ip netns add`): the guest's server on
    8080 answers on the namespace's 127.0.0.1:8080, for a plain and a half-closed request; the
    guest has eth0 with 10.0.2.15 and reaches a server on the namespace's own loopback through
    the gateway 10.0.2.2, so its network is the namespace's; a guest port the namespace already
    uses is skipped with a warning in the runtime's log, and the container runs on."""
    if needs_root_and_tools():
        return SKIP
    namespace = f"rvisor-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    server = None
    try:
        subprocess.run(["ip", "-n", namespace, "link", "set", "lo", "up"], check=True)
        served = os.path.join(workdir, "served")
        os.makedirs(served)
        with open(os.path.join(served, "hostfile"), "w") as f:
            f.write("from the namespace's loopback\n")
        server = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "python3", "-m", "http.server",
             str(NAMESPACE_SERVER_PORT), "--bind", "127.0.0.1", "--directory", served],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fetch(namespace, f"http://127.0.0.1:{NAMESPACE_SERVER_PORT}/hostfile", timeout=20)

        script = (f"ifconfig eth0 > /www/address; "
                  f"wget -q -O /www/fetched http://10.0.2.2:{NAMESPACE_SERVER_PORT}/hostfile; "
                  f"httpd -p {NAMESPACE_SERVER_PORT} -h /www; "
                  f"exec httpd -f -p {GUEST_SERVER_PORT} -h /www")
        bundle = make_bundle(workdir, guest_dir, "web", ["sh", "-c", script])
        with_namespaces(bundle, {"type": "network", "path": f"/run/netns/{namespace}"})
        os.makedirs(os.path.join(bundle, "rootfs", "www"))
        with open(os.path.join(bundle, "rootfs", "www", "index.html"), "w") as f:
            f.write("served by the guest\n")
        log = os.path.join(workdir, "runtime.log")
        monitor = runtime.create("web", bundle, global_flags=("--log", log, "--log-format", "json"))
        runtime.ok("start", "web")

        base = f"http://127.0.0.1:{GUEST_SERVER_PORT}"
        body = fetch(namespace, f"{base}/index.html")
        expect(body == b"served by the guest\n", f"the guest's page through the forward: {body!r}")
        half_closed = in_namespace(namespace, "python3", "-c", HALF_CLOSE_CLIENT,
                                   str(GUEST_SERVER_PORT), capture_output=True, timeout=60)
        expect(half_closed.returncode == 0
               and half_closed.stdout.endswith(b"\r\n\r\nserved by the guest\n"),
               f"a half-closed request: {half_closed.returncode} {half_closed.stdout[-200:]!r} "
               f"{half_closed.stderr[-300:]!r}")
        address = fetch(namespace, f"{base}/address").decode()
        expect("10.0.2.15" in address, f"the guest's eth0: {address!r}")
        fetched = fetch(namespace, f"{base}/fetched")
        expect(fetched == b"from the namespace's loopback\n",
               f"what the guest fetched from 10.0.2.2: {fetched!r}")

        deadline = time.monotonic() + FORWARD_TIMEOUT
        warned = False
        while not warned and time.monotonic() < deadline:
            time.sleep(0.25)
            with open(log) as f:
                warned = any(json.loads(line).get("level") == "warning"
                             and f"port {NAMESPACE_SERVER_PORT} is not forwarded" in line
                             for line in f if line.strip())
        expect(warned, f"no warning in the log about port {NAMESPACE_SERVER_PORT}, which the "
                       f"namespace already uses")
        expect(fetch(namespace, f"http://127.0.0.1:{NAMESPACE_SERVER_PORT}/hostfile", 5)
               == b"from the namespace's loopback\n", "the namespace's own server is untouched")

        runtime.ok("kill", "web", "KILL")
        expect(wait_status(monitor) == 128 + 9, "the container's status after SIGKILL")
        runtime.ok("delete", "web")
    finally:
        if server:
            server.kill()
            server.wait()
        subprocess.run(["ip", "netns", "delete", namespace])


def network_choices(runtime, guest_dir, workdir):
    """No network namespace in the bundle (host networking): the guest has eth0. A new, empty
    one (no path): only loopback, as runc's container would have. A path that does not exist,
    or is not a network namespace: create fails with one line saying so."""
    # The bundle mounts no sysfs: /proc/net/dev lists the interfaces.
    listing = ["sh", "-c",
               "sed -n 's/^ *\\([a-z0-9]*\\):.*/\\1/p' /proc/net/dev | sort | tr '\\n' ' '"]
    for name, namespaces, expected in [("host", [], b"eth0 lo "),
                                       ("empty", [{"type": "network"}], b"lo ")]:
        bundle = make_bundle(workdir, guest_dir, name, listing)
        with_namespaces(bundle, *namespaces)
        read_fd, write_fd = os.pipe()
        monitor = runtime.create(name, bundle, stdout=write_fd)
        os.close(write_fd)
        runtime.ok("start", name)
        expect(wait_status(monitor) == 0, f"{name}: the container's status")
        output = os.read(read_fd, 200)
        os.close(read_fd)
        expect(output == expected, f"{name}: interfaces {output!r}, expected {expected!r}")
        runtime.ok("delete", name)

    bundle = make_bundle(workdir, guest_dir, "bad", ["true"])
    missing = os.path.join(workdir, "no-such-netns")
    with_namespaces(bundle, {"type": "network", "path": missing})
    runtime.fails(f"the network namespace {missing} does not exist", "create", "--bundle",
                  bundle, "bad")
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["linux"]["namespaces"][-1]["path"] = "/proc/self/ns/uts"
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    runtime.fails("/proc/self/ns/uts is not a network namespace", "create", "--bundle", bundle,
                  "bad")
    expect(runtime.ok("list", "--quiet").stdout == b"", "a failed create left state behind")


TESTS = {"namespace-ports": suite(namespace_ports), "network-choices": suite(network_choices)}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
