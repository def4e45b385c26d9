#!/usr/bin/env python3
"""Integration tests of the control program (`rvisor serve`, docs/control.md), driven through
its API socket only, with real guests.

usage: control_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema
import yaml

from guest_test import HANG_TIMEOUT, Failure, expect, newc_archive, test_main
from snapshot_test import UnixConnection, api

HERE = os.path.dirname(os.path.abspath(__file__))
OPENAPI = os.path.join(HERE, "..", "..", "docs", "api", "openapi.yaml")

# Checks its own data once a second: "CHECK n ok", or "CHECK n BAD" if the data changed.
WORKLOAD = """
dd if=/dev/urandom of=/tmp/data bs=1024 count=256 2>/dev/null
sum=$(md5sum /tmp/data | cut -d' ' -f1)
i=0
while true; do
  now=$(md5sum /tmp/data | cut -d' ' -f1)
  if [ "$now" = "$sum" ]; then echo "CHECK $i ok"; else echo "CHECK $i BAD"; fi
  i=$((i + 1))
  sleep 1
done
"""


class Daemon:
    """`rvisor serve` on a socket and a state directory in `workdir`."""

    def __init__(self, rvisor, workdir):
        self.rvisor, self.workdir = rvisor, workdir
        self.sock = os.path.join(workdir, "api.sock")
        self.state_dir = os.path.join(workdir, "state")
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [self.rvisor, "serve", "--api-sock", self.sock, "--state-dir", self.state_dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + HANG_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise Failure(f"rvisor serve exited: {self.process.stderr.read().decode()}")
            try:
                if self.call("GET", "/vms")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Failure("rvisor serve never answered")
            time.sleep(0.02)

    def call(self, method, path, body=None, raw=None):
        return api(self.sock, method, path, body, raw)

    def text(self, path, method="GET", raw=None):
        """(status, body as text) of one request."""
        connection = UnixConnection(self.sock)
        try:
            connection.request(method, path, body=raw)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def clean_up(self):
        """Kills the daemon and every VM its state directory records (a failed test's)."""
        self.kill()
        vms = os.path.join(self.state_dir, "vms")
        for vm_id in os.listdir(vms) if os.path.isdir(vms) else []:
            try:
                with open(os.path.join(vms, vm_id, "record.json")) as f:
                    pid = json.load(f)["pid"]
            except (OSError, ValueError, KeyError):
                continue
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(HANG_TIMEOUT)
        expect(status == 0, f"rvisor serve exited {status} after SIGTERM")
        expect(not os.path.exists(self.sock), "the control socket was not removed at exit")


def guest_config(guest_dir, workdir):
    extra = os.path.join(workdir, "work.cpio.gz")
    if not os.path.exists(extra):
        with open(extra, "wb") as f:
            f.write(newc_archive({"work.sh": (0o100755, WORKLOAD.encode())}))
    return {"kernel": os.path.join(guest_dir, "Image"),
            "initrd": [os.path.join(guest_dir, "initramfs.cpio.gz"), extra],
            "append": "console=ttyS0 guest.run=/work.sh", "mem": "128M"}


def checks(daemon, vm_id):
    """The CHECK counts in a VM's console log; fails on a BAD one."""
    status, text = daemon.text(f"/vms/{vm_id}/console")
    expect(status == 200, f"console of {vm_id}: {status}")
    expect(" BAD" not in text, f"{vm_id} found its data changed: {text[-500:]}")
    return [int(n) for n in re.findall(r"CHECK (\d+) ok", text)]


def wait_checks(daemon, vm_id, beyond):
    """Waits until a VM's log shows a check counted above `beyond`; returns the highest."""
    deadline = time.monotonic() + HANG_TIMEOUT
    while True:
        counts = checks(daemon, vm_id)
        if counts and max(counts) > beyond:
            return max(counts)
        if time.monotonic() > deadline:
            raise Failure(f"{vm_id} made no progress past check {beyond}")
        time.sleep(0.2)


def create(daemon, vm_id, body_extra):
    status, body = daemon.call("POST", "/vms", {"id": vm_id, **body_extra})
    expect(status == 201, f"create {vm_id}: {status} {body}")
    expect(body["id"] == vm_id and body["state"] == "Running" and body["pid"] > 0, f"{body}")
    return body["pid"]


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_fleet(rvisor, guest_dir):
    """16 VMs at once; one paused, snapshotted and cloned 4 times while the others run; one
    killed (Crashed, the rest carry on); the daemon killed and restarted (all still there and
    running); everything deleted (nothing left behind)."""
    count = 16
    with tempfile.TemporaryDirectory() as workdir:
        daemon = Daemon(rvisor, workdir)
        try:
            config = guest_config(guest_dir, workdir)
            pids = {f"vm{i}": create(daemon, f"vm{i}", {"config": config}) for i in range(count)}
            status, listed = daemon.call("GET", "/vms")
            expect(status == 200 and sorted(v["id"] for v in listed) == sorted(pids), f"{listed}")
            for vm_id in pids:
                wait_checks(daemon, vm_id, 1)

            # Pause, snapshot and clone vm0 four times while the others run.
            expect(daemon.call("PATCH", "/vms/vm0", {"state": "Paused"})[0] == 204, "pause")
            expect(daemon.call("GET", "/vms/vm0")[1]["state"] == "Paused", "vm0 not Paused")
            state, memory = os.path.join(workdir, "vm0.state"), os.path.join(workdir, "vm0.mem")
            status, body = daemon.call("PUT", "/vms/vm0/snapshot",
                                       {"snapshot_path": state, "mem_file_path": memory})
            expect(status == 204, f"snapshot: {status} {body}")
            paused_at = max(checks(daemon, "vm0"))
            restore = {"restore": {"snapshot_path": state, "mem_file_path": memory}}
            for i in range(4):
                pids[f"clone{i}"] = create(daemon, f"clone{i}", restore)
            expect(daemon.call("PATCH", "/vms/vm0", {"state": "Resumed"})[0] == 204, "resume")
            for i in range(4):
                # A clone's log starts empty: it goes on counting from the snapshot's count.
                counts = []
                deadline = time.monotonic() + HANG_TIMEOUT
                while len(counts) < 2:
                    counts = checks(daemon, f"clone{i}")
                    expect(time.monotonic() < deadline, f"clone{i} printed no checks")
                    time.sleep(0.2)
                expect(min(counts) >= paused_at, f"clone{i} counted from {min(counts)}, "
                                                  f"not from {paused_at}")
            wait_checks(daemon, "vm0", paused_at)

            # A VM killed outside the control program is Crashed; the others carry on.
            os.kill(pids["vm1"], signal.SIGKILL)
            deadline = time.monotonic() + HANG_TIMEOUT
            while daemon.call("GET", "/vms/vm1")[1]["state"] != "Crashed":
                expect(time.monotonic() < deadline, "vm1 was never reported Crashed")
                time.sleep(0.05)
            progress = {vm_id: max(checks(daemon, vm_id)) for vm_id in pids if vm_id != "vm1"}

            # The daemon killed and started again finds every VM, still running.
            daemon.kill()
            daemon.start()
            status, listed = daemon.call("GET", "/vms")
            states = {v["id"]: v["state"] for v in listed}
            expect(sorted(states) == sorted(pids), f"after a restart: {sorted(states)}")
            for vm_id, pid in pids.items():
                expected = "Crashed" if vm_id == "vm1" else "Running"
                expect(states[vm_id] == expected, f"{vm_id} is {states[vm_id]}, not {expected}")
                if vm_id != "vm1":
                    wait_checks(daemon, vm_id, progress[vm_id])
            status, info = daemon.call("GET", "/vms/vm2")
            expect(status == 200 and info["rss_kib"] > 0 and info["cpu_seconds"] > 0
                   and info["mem_mib"] == 128 and info["cpus"] == 1, f"show vm2: {info}")
            status, metrics = daemon.text("/metrics")
            expect(status == 200 and 'rvisor_vm_state{id="vm2",state="Running"} 1' in metrics
                   and 'rvisor_vms{state="Crashed"} 1' in metrics
                   and 'rvisor_vm_cpu_seconds_total{id="clone3"}' in metrics
                   and 'rvisor_vm_net_rx_bytes_total{id="vm2"} 0' in metrics, metrics)

            for vm_id in pids:
                status, body = daemon.call("DELETE", f"/vms/{vm_id}")
                expect(status == 204, f"delete {vm_id}: {status} {body}")
            expect(daemon.call("GET", "/vms")[1] == [], "VMs left after deleting them all")
            for vm_id, pid in pids.items():
                expect(not pid_alive(pid), f"{vm_id}'s process {pid} outlived its DELETE")
            left = os.listdir(os.path.join(daemon.state_dir, "vms"))
            expect(left == [], f"files left behind: {left}")
            daemon.stop()
        finally:
            daemon.clean_up()
    return 0


def resolve(document, schema):
    """The schema with every $ref replaced by what it points at."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            node = document
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            return resolve(document, node)
        return {key: resolve(document, value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(document, item) for item in schema]
    return schema


def test_api(rvisor, guest_dir):
    """Every path in docs/api/openapi.yaml answers each status it documents, with a body its
    schema accepts; every documented error happens where the issue says; 1,000 malformed
    requests leave the daemon and its VM running."""
    with open(OPENAPI) as f:
        document = yaml.safe_load(f)
    with tempfile.TemporaryDirectory() as workdir:
        daemon = Daemon(rvisor, workdir)
        seen = set()

        def call(method, path, body=None, raw=None, template=None):
            status, reply = daemon.call(method, path, body, raw)
            operation = document["paths"][template or path][method.lower()]
            responses = operation["responses"]
            expect(str(status) in responses,
                   f"{method} {path}: status {status} is not documented ({reply})")
            response = resolve(document, responses[str(status)])
            content = response.get("content", {}).get("application/json")
            if content:
                jsonschema.validate(reply, content["schema"])
            else:
                expect(reply is None, f"{method} {path}: {status} has an undocumented body")
            seen.add((template or path, method.lower(), str(status)))
            return status, reply

        try:
            config = guest_config(guest_dir, workdir)
            expect(call("GET", "/vms")[0] == 200, "list")
            expect(call("POST", "/vms", {"id": "a", "config": config})[0] == 201, "create")
            for body, what in [({"id": "a", "config": config}, 409),
                               ({"id": "bad id!", "config": config}, 400),
                               ({"id": "b"}, 400),
                               ({"id": "b", "config": config, "extra": 1}, 400),
                               ({"id": "b", "config": {**config, "kernel": "Image"}}, 400),
                               ({"id": "b", "config": {**config, "mem": "lots"}}, 400),
                               ({"id": "b", "restore": {"snapshot_path": "/none",
                                                        "mem_file_path": "/none"}}, 400)]:
                status, reply = call("POST", "/vms", body)
                expect(status == what, f"POST {body}: {status} {reply}, expected {what}")
            expect(call("POST", "/vms", raw="{not json")[0] == 400, "bad JSON")
            vm = "/vms/{id}"
            expect(call("GET", "/vms/a", template=vm)[0] == 200, "show")
            expect(call("GET", "/vms/nope", template=vm)[0] == 404, "show unknown")
            snap = {"snapshot_path": os.path.join(workdir, "a.state"),
                    "mem_file_path": os.path.join(workdir, "a.mem")}
            expect(call("PUT", "/vms/a/snapshot", snap, template=vm + "/snapshot")[0] == 409,
                   "a snapshot while Running")
            # The VM's own API refuses a disk it does not have; the rest never reaches it.
            for body in [{"state": "Sleeping"}, {"state": "Paused", "x": 1}, {},
                         {"disks": [{"index": 0, "colour": 1}]}, {"nets": [{"index": -1}]},
                         {"disks": [{"index": 0, "bw": 1048576}]}]:
                expect(call("PATCH", "/vms/a", body, template=vm)[0] == 400, f"PATCH {body}")
            expect(call("PATCH", "/vms/a", {"disks": [], "nets": []}, template=vm)[0] == 204,
                   "PATCH of no limits")
            expect(call("PATCH", "/vms/nope", {"state": "Paused"}, template=vm)[0] == 404, "")
            expect(call("PATCH", "/vms/a", {"state": "Paused"}, template=vm)[0] == 204, "pause")
            expect(call("PUT", "/vms/a/snapshot", {"snapshot_path": "x"},
                        template=vm + "/snapshot")[0] == 400, "a snapshot without mem_file_path")
            expect(call("PUT", "/vms/nope/snapshot", snap, template=vm + "/snapshot")[0] == 404,
                   "")
            expect(call("PUT", "/vms/a/snapshot", snap, template=vm + "/snapshot")[0] == 204,
                   "snapshot")
            expect(call("PATCH", "/vms/a", {"state": "Resumed"}, template=vm)[0] == 204, "resume")
            # The balloon, through the VM's own API; `rvisor vm balloon` sets and shows it.
            balloon = vm + "/balloon"
            for body in [{}, {"amount_mib": -1}, {"amount_mib": 8, "x": 1}, {"amount_mib": 1 << 30}]:
                expect(call("PATCH", "/vms/a/balloon", body, template=balloon)[0] == 400,
                       f"PATCH balloon {body}")
            expect(call("PATCH", "/vms/a/balloon", {"amount_mib": 8}, template=balloon)[0] == 204,
                   "set the balloon")
            expect(call("GET", "/vms/nope/balloon", template=balloon)[0] == 404, "")
            expect(call("PATCH", "/vms/nope/balloon", {"amount_mib": 8}, template=balloon)[0]
                   == 404, "")
            subprocess.run([rvisor, "vm", "--api-sock", daemon.sock, "balloon", "a", "16"],
                           check=True, timeout=HANG_TIMEOUT)
            shown = json.loads(subprocess.run([rvisor, "vm", "--api-sock", daemon.sock, "balloon",
                                               "a"], check=True, capture_output=True,
                                              timeout=HANG_TIMEOUT).stdout)
            expect(shown["amount_mib"] == 16, f"vm balloon a: {shown}")
            expect(call("GET", "/vms/a/balloon", template=balloon)[1]["amount_mib"] == 16, "")
            # The kernel's first lines reach the console once its serial driver is up.
            deadline = time.monotonic() + HANG_TIMEOUT
            while True:
                status, text = daemon.text("/vms/a/console")
                expect(status == 200, f"console: {status}")
                if "Linux version" in text:
                    break
                expect(time.monotonic() < deadline, f"no boot messages in the console: {text}")
                time.sleep(0.05)
            seen.add((vm + "/console", "get", "200"))
            expect(daemon.text("/vms/nope/console")[0] == 404, "console of an unknown VM")
            seen.add((vm + "/console", "get", "404"))
            # `rvisor vm console` joins a pipe to a shell's console, and Ctrl-A d detaches.
            shell = {**config, "initrd": config["initrd"][:1], "append": "console=ttyS0",
                     "balloon": False}
            expect(call("POST", "/vms", {"id": "shell", "config": shell})[0] == 201, "shell")
            expect(call("GET", "/vms/shell/balloon", template=vm + "/balloon")[0] == 400,
                   "the balloon of a VM without one")
            attach = subprocess.Popen([rvisor, "vm", "--api-sock", daemon.sock, "console",
                                       "shell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            seen_output = b""
            deadline = time.monotonic() + HANG_TIMEOUT
            while b"x-5" not in seen_output:
                # Typed until the shell is up to answer; a shell that is not yet reading
                # keeps what is typed, so a repeat is harmless.
                attach.stdin.write(b"echo x-$((2 + 3))\n")
                attach.stdin.flush()
                time.sleep(0.5)
                os.set_blocking(attach.stdout.fileno(), False)
                seen_output += attach.stdout.read() or b""
                expect(time.monotonic() < deadline, f"no answer on the console: {seen_output}")
            attach.stdin.write(b"\x01d")
            attach.stdin.flush()
            expect(attach.wait(HANG_TIMEOUT) == 0, f"vm console exited {attach.returncode}")
            expect(b"detached" in attach.stderr.read(), "no word of the detach")
            expect(call("GET", "/vms/shell", template=vm)[1]["state"] == "Running",
                   "the VM did not run on after the detach")
            expect(call("DELETE", "/vms/shell", template=vm)[0] == 204, "delete shell")

            # A VM whose process died can be neither paused nor snapshotted.
            doomed = create(daemon, "doomed", {"config": config})
            os.kill(doomed, signal.SIGKILL)
            deadline = time.monotonic() + HANG_TIMEOUT
            while call("GET", "/vms/doomed", template=vm)[1]["state"] != "Crashed":
                expect(time.monotonic() < deadline, "a killed VM was never Crashed")
                time.sleep(0.05)
            expect(call("PATCH", "/vms/doomed", {"state": "Paused"}, template=vm)[0] == 409,
                   "pausing a Crashed VM")
            expect(call("PUT", "/vms/doomed/snapshot", snap, template=vm + "/snapshot")[0]
                   == 409, "a snapshot of a Crashed VM")
            for method, body in [("GET", None), ("PATCH", {"amount_mib": 8})]:
                expect(call(method, "/vms/doomed/balloon", body, template=vm + "/balloon")[0]
                       == 409, f"{method} the balloon of a Crashed VM")
            expect(call("DELETE", "/vms/doomed", template=vm)[0] == 204, "delete a Crashed VM")
            status, text = daemon.text("/metrics")
            expect(status == 200 and 'rvisor_vm_state{id="a",state="Running"} 1' in text, text)
            seen.add(("/metrics", "get", "200"))
            expect(daemon.call("GET", "/no/such/path")[0] == 404, "an unknown path")
            expect(daemon.call("PUT", "/vms")[0] == 405, "a known path, another method")

            # Malformed requests of every kind: the daemon and the VM stay up.
            rng = random.Random(1)
            pieces = ["{", "}", '"id"', '"config"', "null", "[]", ":", ",", '"state"',
                      '"Paused"', "\x00", "\xff", "1e999", '"' + "x" * 300 + '"']
            for i in range(1000):
                method = rng.choice(["GET", "POST", "PATCH", "PUT", "DELETE"])
                path = rng.choice(["/vms", "/vms/a/snapshot", "/vms/" + "z" * rng.randint(0, 80),
                                   "/vms/a/../..", "/metrics", "/vms/%00", "/vms/a/console/x"])
                raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
                if method == "DELETE" and path.startswith("/vms/a"):
                    continue
                status, _ = daemon.text(path, method, raw)
                # A GET ignores its body; everything else here is malformed.
                accepted = status < 500 if method == "GET" else 400 <= status < 500
                expect(accepted, f"{method} {path} {raw!r}: status {status}")
            expect(daemon.process.poll() is None, "the daemon died of malformed requests")
            expect(daemon.call("GET", "/vms/a")[1]["state"] == "Running", "the VM did not run on")

            expect(call("DELETE", "/vms/a", template=vm)[0] == 204, "delete")
            expect(call("DELETE", "/vms/a", template=vm)[0] == 404, "delete twice")
            # The function platform's paths are functions_test.py's.
            documented = {(path, method, status) for path, item in document["paths"].items()
                          if not path.startswith("/functions")
                          for method, operation in item.items() if method != "parameters"
                          for status in operation["responses"]}
            expect(documented <= seen, f"documented but never seen: {documented - seen}")
            daemon.stop()
        finally:
            daemon.clean_up()
    return 0


TESTS = {
    "fleet": test_fleet,
    "api": test_api,
}


if __name__ == "__main__":
    sys.exit(test_main(TESTS))
