"""Functions, the issue's figures in one run (bench/functions.sh): busybox httpd from the reference
guest's tree, deployed with `rvisor serve --http` (docs/serverless.md), then

1. cold invocations from zero instances, request in to response out, with the revision's snapshot
   (vm.mem, vm.state) in the page cache and evicted from it (posix_fadvise DONTNEED on those two
   files only), interleaved;
2. a warm invocation through the gateway (keep-alive client, an instance running) against a
   direct call to the same server in the same VM (the agent's stream join on its vsock socket);
3. restores per second: bursts of 64 requests at zero instances (max_instances 64, concurrency
   1), cold starts / elapsed;
4. host memory per idle instance beyond the pages shared with the snapshot (min_instances 8):
   Private_Clean + Private_Dirty of the `rvisor restore` processes, and their PSS;
5. 100 requests at once arriving at zero instances (max_instances 16), each on a new
   connection: answered, and how fast (with the connections the host's accept queues turned
   away meanwhile);
6. the snapshot at deploy (deploy_ms: snapshot - warm), 128 MiB guest;
7. QEMU (TCG) restoring the same guest serving httpd with -loadvm, to its first HTTP reply, when
   qemu-system-riscv64 and qemu-img are there: the cold-invocation ratio.

Percentiles interpolate linearly between the nearest samples (with 30 runs, p99 is close to the
slowest). Each figure is printed beside its goal; nothing is asserted."""
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from benchlib import TIMEOUT, UnixHttp, cpio

PAGE = b"hello\n"
COMMAND = ["httpd", "-f", "-p", "8080", "-h", "/www"]
PORT = 8080
DEPLOYS = 5
RESTORE_BURST = 64
RESTORE_ROUNDS = 2
BURST = 100
BURST_MAX_INSTANCES = 16
BURST_ROUNDS = 2
BURST_TIMEOUT = 60  # a burst's request unanswered by then counts as lost
QEMU_RUNS = 20  # at most, of each kind
IDLE_INSTANCES = 8
MIB = 1 << 20


STARTED = time.monotonic()


def progress(what):
    print(f"bench: {time.monotonic() - STARTED:5.0f} s: {what}", file=sys.stderr, flush=True)


def percentile(values, q):
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


class Platform:
    """`rvisor serve` with the gateway on a free loopback port, in `work`."""

    def __init__(self, rvisor, work):
        self.rvisor = rvisor
        self.sock = os.path.join(work, "api.sock")
        self.state_dir = os.path.join(work, "state")
        self.log = open(os.path.join(work, "serve.log"), "w+")
        self.process = subprocess.Popen(
            [rvisor, "serve", "--api-sock", self.sock, "--state-dir", self.state_dir,
             "--http", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: rvisor serve exited: {self.output()}")
            try:
                if self.call("GET", "/functions")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("bench: rvisor serve never answered")
            time.sleep(0.02)

    def output(self):
        self.log.seek(0)
        return self.log.read()[-2000:]

    def call(self, method, path, body=None):
        connection = UnixHttp(self.sock)
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else None
        finally:
            connection.close()

    def deploy(self, name, rootfs, **fields):
        body = {"name": name, "rootfs": rootfs, "command": COMMAND, "mem_mib": 128, **fields}
        status, reply = self.call("POST", "/functions", body)
        if status != 201:
            raise SystemExit(f"bench: deploy {name}: {status} {reply}")
        return reply

    def show(self, name):
        status, reply = self.call("GET", f"/functions/{name}")
        if status != 200:
            raise SystemExit(f"bench: GET /functions/{name}: {status} {reply}")
        return reply

    def delete(self, name):
        status, reply = self.call("DELETE", f"/functions/{name}")
        if status != 204:
            raise SystemExit(f"bench: DELETE /functions/{name}: {status} {reply}")

    def wait_instances(self, name, count, timeout=120):
        """Until the function has `count` instances (and that many restore processes)."""
        deadline = time.monotonic() + timeout
        while (self.show(name)["instances"] != count
               or len(self.instances(name)) != count):
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: {name} never had {count} instances "
                                 f"({self.show(name)['instances']})")
            time.sleep(0.02)

    def revision_dir(self, name):
        return os.path.join(self.state_dir, "functions", name, f"r{self.show(name)['revision']}")

    def instances(self, name=None):
        """{pid: vsock socket} of the `rvisor restore` processes of this state directory (of
        function `name`'s snapshots when given)."""
        snapshots = os.path.join(self.state_dir, "functions", name or "")
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    args = f.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if "restore" not in args or "--snapshot" not in args:
                continue
            snapshot = args[args.index("--snapshot") + 1]
            if not snapshot.startswith(snapshots if name else self.state_dir + "/"):
                continue
            vsock = None
            if "--vsock" in args:
                for option in args[args.index("--vsock") + 1].split(","):
                    if option.startswith("uds="):
                        vsock = option[4:]
            found[int(entry)] = vsock
        return found

    def close(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The instances die with the control program; any left is ours to end.
        for pid in self.instances():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


def gateway_of(reply):
    return urllib.parse.urlsplit(reply["url"]).netloc


def invoke(netloc, name, connection=None, timeout=TIMEOUT):
    """(seconds, status, body) of GET /fn/NAME/ through the gateway, on `connection` (kept
    alive) or on a new one; status 0 and the error as the body when there was no reply."""
    own = connection is None
    if own:
        connection = http.client.HTTPConnection(netloc, timeout=timeout)
    start = time.monotonic()
    try:
        connection.request("GET", f"/fn/{name}/")
        response = connection.getresponse()
        body = response.read()
        return time.monotonic() - start, response.status, body
    except (OSError, http.client.HTTPException) as error:
        return time.monotonic() - start, 0, f"{type(error).__name__}: {error}".encode()
    finally:
        if own:
            connection.close()


class StreamJoin(http.client.HTTPConnection):
    """HTTP to a guest's TCP port through its agent's stream join (docs/agent-protocol.md):
    CONNECT 1025 on the VM's vsock socket, then TCP PORT."""

    def __init__(self, vsock, port):
        super().__init__("localhost", timeout=TIMEOUT)
        self.vsock, self.guest_port = vsock, port

    @staticmethod
    def line(sock):
        data = b""
        while not data.endswith(b"\n"):
            byte = sock.recv(1)
            if not byte:
                break
            data += byte
        return data.decode(errors="replace").strip()

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(self.vsock)
        sock.sendall(b"CONNECT 1025\n")
        reply = self.line(sock)
        if not reply.startswith("OK"):
            sock.close()
            raise OSError(f"CONNECT 1025: {reply!r}")
        sock.sendall(f"TCP {self.guest_port}\n".encode())
        reply = self.line(sock)
        if reply != "OK":
            sock.close()
            raise OSError(f"TCP {self.guest_port}: {reply!r}")
        self.sock = sock


def direct_call(vsock):
    """(seconds, status, body) of GET / on a new stream join to the guest's port."""
    connection = StreamJoin(vsock, PORT)
    start = time.monotonic()
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read()
        return time.monotonic() - start, response.status, body
    finally:
        connection.close()


def evict(paths):
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_through(paths):
    """Every page of the files into the page cache."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(4 * MIB):
                pass


def resident(path):
    """Bytes of the file in the page cache (util-linux fincore), or None."""
    if not shutil.which("fincore"):
        return None
    result = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES",
                             path], capture_output=True, text=True)
    try:
        return int(result.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def wait_zero(platform, name):
    """Until the function has no instance left (idle_timeout_s 1, the 250 ms maintenance)."""
    platform.wait_instances(name, 0)


def listen_drops():
    """The host's TcpExt ListenOverflows + ListenDrops: SYNs and handshakes a full accept
    queue turned away (every listener's, but the gateway's during a burst)."""
    with open("/proc/net/netstat") as f:
        lines = [line.split() for line in f if line.startswith("TcpExt:")]
    fields = dict(zip(lines[0][1:], (int(v) for v in lines[1][1:])))
    return fields.get("ListenOverflows", 0) + fields.get("ListenDrops", 0)


def fire(netloc, name, count):
    """`count` requests at once, each on a new connection: ([(seconds, status, what went
    wrong)], elapsed from the first request's start to the last reply). (Connections opened
    beforehand do not help: the gateway closes one that sends nothing for 5 s, and opening 100
    takes longer than that when its accept queue turns some away.)"""
    barrier = threading.Barrier(count + 1)
    results = [None] * count
    spans = [None] * count

    def one(index):
        barrier.wait()
        start = time.monotonic()
        seconds, status, body = invoke(netloc, name, timeout=BURST_TIMEOUT)
        results[index] = (seconds, status, "" if status == 200 and body == PAGE
                          else f"{status} {body[:100].decode(errors='replace')}")
        spans[index] = (start, start + seconds)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, max(end for _, end in spans) - min(start for start, _ in spans)


# --- the figures -------------------------------------------------------------------------------

def snapshot_at_deploy(platform, rootfs):
    """deploy_ms of DEPLOYS deploys of the same function, each deleted after."""
    times = []
    for _ in range(DEPLOYS):
        reply = platform.deploy("deploy", rootfs)
        times.append(reply["deploy_ms"])
        platform.delete("deploy")
    return times


def cold_invocations(platform, rootfs, runs):
    """{"page cache": [s], "evicted": [s]} of cold invocations from zero, interleaved; the
    failures; whether each was a cold start; vm.mem's bytes in the page cache after an eviction."""
    name = "cold"
    netloc = gateway_of(platform.deploy(name, rootfs, idle_timeout_s=1))
    revision = platform.revision_dir(name)
    files = [os.path.join(revision, "vm.mem"), os.path.join(revision, "vm.state")]
    samples = {"page cache": [], "evicted": []}
    failures = []
    left_after_eviction = None
    before = platform.show(name)["cold_starts"]
    for run in range(runs):
        for kind in (("page cache", "evicted") if run % 2 == 0 else ("evicted", "page cache")):
            wait_zero(platform, name)
            if kind == "evicted":
                evict(files)
                if left_after_eviction is None:
                    left_after_eviction = resident(files[0])
            else:
                read_through(files)
            seconds, status, body = invoke(netloc, name)
            if status != 200 or body != PAGE:
                failures.append(f"{kind}: {status} {body[:80]!r}")
            else:
                samples[kind].append(seconds)
    cold_starts = platform.show(name)["cold_starts"] - before
    size = os.path.getsize(files[0])
    platform.delete(name)
    return samples, failures, cold_starts, left_after_eviction, size


def warm_invocations(platform, rootfs, runs):
    """{"gateway, kept alive": [s], "gateway, new connection": [s], "direct": [s]}, interleaved,
    and how often the gateway closed the kept-alive connection."""
    name = "warm"
    netloc = gateway_of(platform.deploy(name, rootfs, min_instances=1))
    platform.wait_instances(name, 1)
    (vsock,) = platform.instances(name).values()
    connection = http.client.HTTPConnection(netloc, timeout=TIMEOUT)
    samples = {"gateway, kept alive": [], "gateway, new connection": [], "direct": []}
    reconnects = 0
    count = max(runs * 5, 100)
    for index in range(-10, count):  # the first 10 of each warm the paths up
        sock = connection.sock
        for kind in samples:
            if kind == "direct":
                seconds, status, body = direct_call(vsock)
            else:
                seconds, status, body = invoke(netloc, name, connection
                                               if kind == "gateway, kept alive" else None)
            if status != 200 or body != PAGE:
                raise SystemExit(f"bench: {kind}: {status} {body[:200]!r}")
            if index >= 0:
                samples[kind].append(seconds)
        if index >= 0 and sock is not None and connection.sock is not sock:
            reconnects += 1
    connection.close()
    platform.delete(name)
    return samples, reconnects


def restores_per_second(platform, rootfs):
    """[(cold starts, elapsed s, fire()'s results, listen drops)] of RESTORE_ROUNDS bursts at
    zero."""
    name = "restores"
    netloc = gateway_of(platform.deploy(name, rootfs, max_instances=RESTORE_BURST, concurrency=1,
                                        idle_timeout_s=1))
    rounds = []
    for _ in range(RESTORE_ROUNDS):
        wait_zero(platform, name)
        before = platform.show(name)["cold_starts"]
        before_drops = listen_drops()
        results, elapsed = fire(netloc, name, RESTORE_BURST)
        rounds.append((platform.show(name)["cold_starts"] - before, elapsed, results,
                       listen_drops() - before_drops))
    platform.delete(name)
    return rounds


def burst_at_zero(platform, rootfs):
    """[(fire()'s results, cold starts, listen drops)] of BURST_ROUNDS bursts of BURST
    requests at zero."""
    name = "burst"
    netloc = gateway_of(platform.deploy(name, rootfs, max_instances=BURST_MAX_INSTANCES,
                                        concurrency=1, idle_timeout_s=1))
    rounds = []
    for _ in range(BURST_ROUNDS):
        wait_zero(platform, name)
        before, drops = platform.show(name)["cold_starts"], listen_drops()
        results, _ = fire(netloc, name, BURST)
        rounds.append((results, platform.show(name)["cold_starts"] - before,
                       listen_drops() - drops))
    platform.delete(name)
    return rounds


def smaps(pid):
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return fields


def children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
        except OSError:
            pass
    return found


def idle_memory(platform, rootfs):
    """{pid: smaps_rollup fields} of IDLE_INSTANCES idle instances (their children's added),
    after they have settled; vm.mem's size and bytes in the page cache."""
    name = "idle"
    platform.deploy(name, rootfs, min_instances=IDLE_INSTANCES, max_instances=16)
    platform.wait_instances(name, IDLE_INSTANCES)
    time.sleep(3)  # the restores' Refresh calls done, the guests idle
    per_instance = {}
    extra_processes = 0
    for pid in platform.instances(name):
        fields = smaps(pid)
        for child in children(pid):
            extra_processes += 1
            for key, value in smaps(child).items():
                fields[key] = fields.get(key, 0) + value
        per_instance[pid] = fields
    memory = os.path.join(platform.revision_dir(name), "vm.mem")
    size, cached = os.path.getsize(memory), resident(memory)
    platform.delete(name)
    return per_instance, extra_processes, size, cached


# --- the peer: QEMU ----------------------------------------------------------------------------

QEMU_SCRIPT = f"""ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
mkdir -p /www
printf 'hello\\n' > /www/index.html
exec httpd -f -p {PORT} -h /www
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_get(port):
    """The reply to GET / on 127.0.0.1:port, b"" when there is none (yet)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk
    except OSError:
        return b""


def replied(data):
    return data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n")[0] \
        and data.endswith(PAGE)


class Qemu:
    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_reply(self, port, timeout):
        """Polls GET / every 2 ms until the guest's httpd answers."""
        deadline = time.monotonic() + timeout
        while not replied(raw_get(port)):
            if self.process.poll() is not None:
                raise RuntimeError(f"QEMU exited {self.process.returncode}: "
                                   f"{self.process.stderr.read().decode()[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the guest's httpd never answered")
            time.sleep(0.002)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stderr.close()


def hmp(sock, command):
    """One HMP command; waits for the prompt after its echo."""
    sock.sendall(command.encode() + b"\n")
    data = b""
    while not (data.endswith(b"(qemu) ") and command.encode() in data):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"the monitor closed during {command}")
        data += chunk
    return data


def qemu_peer(guest_dir, work, runs):
    """{"page cache": [s], "evicted": [s]} of QEMU started with -loadvm to its guest's first
    HTTP reply; raises RuntimeError with the reason it could not be measured."""
    for program in ("qemu-system-riscv64", "qemu-img"):
        if not shutil.which(program):
            raise RuntimeError(f"{program} is not installed (Debian: qemu-system-misc, "
                               "qemu-utils)")
    work = os.path.join(work, "qemu")
    os.makedirs(work)
    initrd = os.path.join(work, "initrd.cpio.gz")
    with open(initrd, "wb") as out, open(os.path.join(guest_dir, "initramfs.cpio.gz"), "rb") as f:
        out.write(f.read() + cpio({"bench-httpd.sh": QEMU_SCRIPT}))
    disk = os.path.join(work, "snap.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "16M"], check=True)
    port = free_port()
    monitor = os.path.join(work, "monitor.sock")
    command = ["qemu-system-riscv64", "-M", "virt", "-smp", "1", "-m", "128M", "-display", "none",
               "-bios", "default", "-kernel", os.path.join(guest_dir, "Image"), "-initrd", initrd,
               "-append", "console=ttyS0 guest.run=/bench-httpd.sh",
               "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:{PORT}",
               "-device", "virtio-net-device,netdev=n0",
               "-drive", f"file={disk},if=none,format=qcow2,id=d0",
               "-device", "virtio-blk-device,drive=d0", "-serial", "null"]
    qemu = Qemu([*command, "-monitor", f"unix:{monitor},server,nowait"])
    try:
        qemu.wait_reply(port, 120)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(120)
            sock.connect(monitor)
            hmp(sock, "savevm bench")
            sock.sendall(b"quit\n")
            try:
                qemu.process.wait(60)
            except subprocess.TimeoutExpired:
                pass  # the snapshot is written; stop() kills it
    finally:
        qemu.stop()
    samples = {"page cache": [], "evicted": []}
    for run in range(runs):
        for kind in (("page cache", "evicted") if run % 2 == 0 else ("evicted", "page cache")):
            if kind == "evicted":
                evict([disk])
            else:
                read_through([disk])
            start = time.monotonic()
            qemu = Qemu([*command, "-loadvm", "bench"])
            try:
                qemu.wait_reply(port, 60)
                samples[kind].append(time.monotonic() - start)
            finally:
                qemu.stop()
    return samples


# --- the report --------------------------------------------------------------------------------

def main():
    build, guest_dir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rvisor = os.path.abspath(os.path.join(build, "rvisor"))
    began = time.monotonic()
    print(f"bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="rvisor-fnbench-") as work:
        rootfs = os.path.join(work, "rootfs")
        os.makedirs(os.path.join(rootfs, "www"))
        with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
            subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs,
                           check=True)
        with open(os.path.join(rootfs, "www", "index.html"), "wb") as f:
            f.write(PAGE)

        platform = Platform(rvisor, work)
        try:
            progress(f"{DEPLOYS} deploys")
            deploys = snapshot_at_deploy(platform, rootfs)
            progress(f"{runs} + {runs} cold invocations")
            cold, cold_failures, cold_starts, left, mem_size = cold_invocations(platform, rootfs,
                                                                                runs)
            progress("warm invocations")
            warm, reconnects = warm_invocations(platform, rootfs, runs)
            progress(f"{RESTORE_ROUNDS} bursts of {RESTORE_BURST} (restores per second)")
            restores = restores_per_second(platform, rootfs)
            progress(f"{BURST_ROUNDS} bursts of {BURST} at zero")
            bursts = burst_at_zero(platform, rootfs)
            progress(f"{IDLE_INSTANCES} idle instances")
            memory, extra_processes, idle_mem_size, idle_cached = idle_memory(platform, rootfs)
        except SystemExit:
            print(f"bench: rvisor serve's output:\n{platform.output()}", file=sys.stderr)
            raise
        finally:
            platform.close()
        rvisor_seconds = time.monotonic() - began

        try:
            progress("QEMU with -loadvm")
            peer, peer_error = qemu_peer(guest_dir, work, min(runs, QEMU_RUNS)), None
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            peer, peer_error = None, str(error)

    rows = []  # (figure, value, goal, met or ratio)

    print(f"\n6. Snapshot at deploy, 128 MiB guest, median of {DEPLOYS} deploys "
          "(deploy_ms, from the deploy's start):")
    steps = {step: statistics.median(d[step] for d in deploys)
             for step in ("agent", "ready", "warm", "snapshot")}
    snapshot = statistics.median(d["snapshot"] - d["warm"] for d in deploys)
    print("  " + ", ".join(f"{step} {value:.0f} ms" for step, value in steps.items()))
    print(f"  the snapshot itself (snapshot - warm): {snapshot:.1f} ms, each: "
          + ", ".join(f"{d['snapshot'] - d['warm']:.0f}" for d in deploys) + " ms")

    print(f"\n1. Cold invocation from zero instances, request in to response out, {runs} runs of "
          "each kind, interleaved:")
    for kind, times in cold.items():
        if times:
            print(f"  snapshot {kind + ':':<12} p50 {ms(percentile(times, 50)):>10}   p99 "
                  f"{ms(percentile(times, 99)):>10}   min {ms(min(times)):>10}   max "
                  f"{ms(max(times)):>10}")
    print(f"  cold starts counted by the platform: {cold_starts} of {2 * runs} requests")
    if left is not None:
        print(f"  vm.mem in the page cache right after an eviction: {left / MIB:.1f} of "
              f"{mem_size / MIB:.0f} MiB")
    for failure in cold_failures[:5]:
        print(f"  FAILED: {failure}")
    for kind, times in cold.items():
        for label, q, goal in (("p50", 50, 0.050), ("p99", 99, 0.100)):
            value = percentile(times, q) if times else float("nan")
            rows.append((f"cold invocation {label}, snapshot {kind}", ms(value),
                         f"<= {goal * 1000:.0f} ms", "yes" if value <= goal else "no"))

    print(f"\n2. Warm invocation, an instance running, {len(warm['direct'])} of each, "
          "interleaved:")
    direct_p50 = percentile(warm["direct"], 50)
    for kind, times in warm.items():
        p50 = percentile(times, 50)
        added = "" if kind == "direct" else \
            f"   added {ms(p50 - direct_p50):>9} (x {p50 / direct_p50:.2f})"
        print(f"  {kind + ':':<25} p50 {ms(p50):>9}, p99 {ms(percentile(times, 99)):>9}{added}")
    print(f"  (direct: GET / on a new stream join to the guest's port per call; the gateway "
          f"closed the kept-alive connection {reconnects} times, which the client reopened)")
    gateway_p50 = percentile(warm["gateway, kept alive"], 50)
    rows.append(("warm invocation, added by the gateway at p50", ms(gateway_p50 - direct_p50),
                 "<= 1 ms", "yes" if gateway_p50 - direct_p50 <= 0.001 else "no"))
    fresh_p50 = percentile(warm["gateway, new connection"], 50)
    rows.append(("  the same, a new connection per call", ms(fresh_p50 - direct_p50),
                 "(reported)", ""))

    print(f"\n3. Restores per second: bursts of {RESTORE_BURST} requests at zero instances "
          f"(max_instances {RESTORE_BURST}, concurrency 1):")
    rates = []
    for number, (count, elapsed, results, drops) in enumerate(restores, 1):
        ok = sum(1 for _, _, wrong in results if not wrong)
        rates.append(count / elapsed)
        print(f"  round {number}: {count} cold starts in {elapsed * 1000:.0f} ms = "
              f"{rates[-1]:.1f}/s; {ok}/{len(results)} answered, slowest "
              f"{ms(max(s for s, _, _ in results))}, {drops} connections turned away by "
              "accept queues")
        for wrong in sorted({wrong for _, _, wrong in results if wrong})[:3]:
            print(f"    not answered: {wrong}")
    rate = statistics.median(rates)
    sequential = 1 / percentile(cold["page cache"], 50) if cold["page cache"] else float("nan")
    print(f"  median {rate:.1f} restores/s (one at a time, 1 / cold p50: {sequential:.1f}/s)")
    rows.append(("restores per second (bursts of 64 at zero)", f"{rate:.1f}/s", ">= 100/s",
                 "yes" if rate >= 100 else "no"))

    print(f"\n4. Host memory per idle instance, {len(memory)} instances "
          f"(min_instances {IDLE_INSTANCES}), from /proc/PID/smaps_rollup:")
    count = max(len(memory), 1)
    private = sum(f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
                  for f in memory.values()) / count
    pss = sum(f.get("Pss", 0) for f in memory.values()) / count
    rss = sum(f.get("Rss", 0) for f in memory.values()) / count
    dirty = sum(f.get("Private_Dirty", 0) for f in memory.values()) / count
    print(f"  per instance: private {private / MIB:.2f} MiB (of it dirty {dirty / MIB:.2f} MiB), "
          f"PSS {pss / MIB:.2f} MiB, RSS {rss / MIB:.2f} MiB")
    if idle_cached is not None:
        print(f"  the snapshot's vm.mem: {idle_mem_size / MIB:.0f} MiB, {idle_cached / MIB:.1f} "
              "MiB of it in the page cache (shared)")
    if extra_processes:
        print(f"  ({extra_processes} child processes of the instances counted with them)")
    rows.append(("memory per idle instance (private)", f"{private / MIB:.2f} MiB", "<= 8 MiB",
                 "yes" if private <= 8 * MIB else "no"))
    rows.append(("memory per idle instance (PSS)", f"{pss / MIB:.2f} MiB", "(reported)", ""))

    print(f"\n5. {BURST} requests at once at zero instances (max_instances "
          f"{BURST_MAX_INSTANCES}, concurrency 1):")
    worst, answered, total = 0.0, 0, 0
    for number, (results, count, drops) in enumerate(bursts, 1):
        ok = sum(1 for _, _, wrong in results if not wrong)
        slowest = max(s for s, _, _ in results)
        worst, answered, total = max(worst, slowest), answered + ok, total + len(results)
        print(f"  round {number}: {ok}/{len(results)} answered 200, p50 "
              f"{ms(percentile([s for s, _, _ in results], 50))}, slowest {ms(slowest)}, "
              f"{sum(1 for s, _, w in results if not w and s <= 1.0)} within 1 s, "
              f"{count} cold starts, {drops} connections the host's accept queues turned away")
        for wrong in sorted({wrong for _, _, wrong in results if wrong})[:3]:
            print(f"    not answered (client timeout {BURST_TIMEOUT} s): {wrong}")
    rows.append((f"{BURST} at zero: answered, slowest ({len(bursts)} rounds)",
                 f"{answered}/{total}, {ms(worst)}", "all, <= 1000 ms",
                 "yes" if answered == total and worst <= 1.0 else "no"))

    rows.append(("snapshot at deploy (snapshot - warm), median", f"{snapshot:.1f} ms",
                 "<= 150 ms", "yes" if snapshot <= 150 else "no"))

    print("\n7. The peer: QEMU (TCG, -smp 1 -m 128M, user networking) from -loadvm to the "
          "guest's first HTTP reply:")
    if peer is None:
        print(f"  QEMU peer not measured: {peer_error}")
    else:
        for kind, times in peer.items():
            ours = percentile(cold[kind], 50) if cold[kind] else float("nan")
            print(f"  qcow2 {kind + ':':<12} p50 {ms(percentile(times, 50)):>10}   p99 "
                  f"{ms(percentile(times, 99)):>10}   rvisor / QEMU at p50 = "
                  f"{ours / percentile(times, 50):.3f}")
            rows.append((f"cold invocation p50 vs QEMU -loadvm, {kind}",
                         f"{ms(ours)} vs {ms(percentile(times, 50))}", "(peer)",
                         f"rvisor/QEMU {ours / percentile(times, 50):.3f}"))

    print(f"\nSummary ({runs} runs; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end; rvisor figures took {rvisor_seconds:.0f} s, "
          f"all {time.monotonic() - began:.0f} s):")
    widths = [max(len(row[i]) for row in rows + [("figure", "value", "goal", "met")])
              for i in range(4)]
    header = ("figure", "value", "goal", "met / ratio")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


if __name__ == "__main__":
    main()
