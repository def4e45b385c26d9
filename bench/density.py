#!/usr/bin/env python3
"""Density benchmarks of the control program (docs/control.md): N idle guests on this host
(CPU of the daemon and every VM together, host RSS per VM beyond the guest RAM it touched),
memory given back by the balloon, API latency (p50, p99) of create, pause, snapshot, clone and
delete, and how many VMs boot and how many clones start per second. Prints figures; asserts
nothing.

usage: bench/density.py RVISOR GUEST_DIR [VMS]   (bench/density.sh finds both; VMS: 64)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import TIMEOUT, UnixHttp, cpio


class Daemon:
    def __init__(self, rvisor, workdir):
        self.sock = os.path.join(workdir, "api.sock")
        self.process = subprocess.Popen(
            [rvisor, "serve", "--api-sock", self.sock, "--state-dir",
             os.path.join(workdir, "state")], stderr=subprocess.DEVNULL)
        while not os.path.exists(self.sock):
            time.sleep(0.01)

    def call(self, method, path, body=None, expect=None):
        """(seconds the request took, status, body)."""
        connection = UnixHttp(self.sock)
        start = time.perf_counter()
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        took = time.perf_counter() - start
        connection.close()
        if expect and response.status != expect:
            sys.exit(f"bench: {method} {path}: {response.status} {text}")
        return took, response.status, text

    def stop(self):
        for vm in json.loads(self.call("GET", "/vms")[2]):
            self.call("DELETE", f"/vms/{vm['id']}")
        self.process.terminate()
        self.process.wait()


def config(guest_dir, workdir, name, script, mem="128M"):
    extra = os.path.join(workdir, f"{name}.cpio.gz")
    with open(extra, "wb") as f:
        f.write(cpio({"run.sh": script}))
    return {"kernel": os.path.join(guest_dir, "Image"),
            "initrd": [os.path.join(guest_dir, "initramfs.cpio.gz"), extra],
            "append": "console=ttyS0 guest.run=/run.sh", "mem": mem}


IDLE = "echo IDLE-READY\nwhile true; do sleep 3600; done\n"


def wait_console(daemon, vm_id, marker):
    deadline = time.monotonic() + TIMEOUT
    while marker not in daemon.call("GET", f"/vms/{vm_id}/console")[2]:
        if time.monotonic() > deadline:
            sys.exit(f"bench: no {marker} from {vm_id}")
        time.sleep(0.1)


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return fields


def smaps_rollup(pid):
    """Proportional set sizes: shared pages divided among the processes that map them."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return {line.split(":")[0]: int(line.split()[1]) for line in f if line.endswith("kB\n")}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def in_parallel(count, work, threads=8):
    """Runs work(i) for i in range(count) on a few threads; returns the results in order."""
    results = [None] * count
    next_index = iter(range(count))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            results[index] = work(index)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def idle_density(daemon, guest_dir, workdir, count):
    print(f"{count} idle guests, 128 MiB each, 1 hart, the balloon on")
    idle = config(guest_dir, workdir, "idle", IDLE)
    start = time.perf_counter()
    created = in_parallel(count, lambda i: daemon.call(
        "POST", "/vms", {"id": f"idle{i}", "config": idle}, expect=201))
    for i in range(count):
        wait_console(daemon, f"idle{i}", "IDLE-READY")
    booted = time.perf_counter() - start
    print(f"  booted all {count} to their idle loop in {booted:.1f} s: "
          f"{count / booted:.1f} VMs/s (create p50 "
          f"{statistics.median(c[0] for c in created) * 1000:.0f} ms)")
    pids = [json.loads(c[2])["pid"] for c in created]
    time.sleep(10)  # the boots' after-effects settle
    window = 10
    before = sum(cpu_seconds(pid) for pid in pids) + cpu_seconds(daemon.process.pid)
    time.sleep(window)
    after = sum(cpu_seconds(pid) for pid in pids) + cpu_seconds(daemon.process.pid)
    print(f"  CPU of the daemon and all VMs, idle: {(after - before) / window * 100:.1f}% of "
          "one core (goal < 50%)")
    statuses = [proc_status(pid) for pid in pids]
    rollups = [smaps_rollup(pid) for pid in pids]
    rss = [s["VmRSS"] / 1024 for s in statuses]
    guest = [s.get("RssShmem", 0) / 1024 for s in statuses]
    private = [s["RssAnon"] / 1024 for s in statuses]
    shared_files = [s["RssFile"] / 1024 for s in statuses]
    pss = [(r["Pss"] - r.get("Pss_Shmem", 0)) / 1024 for r in rollups]
    print(f"  per VM: RSS median {statistics.median(rss):.1f} MiB, of which guest RAM touched "
          f"{statistics.median(guest):.1f} MiB")
    print(f"  beyond guest RAM: private memory median {statistics.median(private):.1f} MiB "
          f"(max {max(private):.1f}); mapped binary and libraries "
          f"{statistics.median(shared_files):.1f} MiB, the same pages in every VM")
    print(f"  beyond guest RAM, proportional (PSS): median {statistics.median(pss):.1f} MiB, "
          f"max {max(pss):.1f} MiB (goal <= 5)")
    in_parallel(count, lambda i: daemon.call("DELETE", f"/vms/idle{i}", expect=204))


def balloon(daemon, guest_dir, workdir):
    # Linux reports free memory only while more than 32 blocks of 4 MiB stay free above the low
    # watermark, which a 128 MiB guest never has.
    print("balloon: RSS of a 512 MiB guest that fills 96 MiB of tmpfs, frees it, and idles")
    script = ("echo READY; sleep 10\n"
              "dd if=/dev/urandom of=/tmp/fill bs=1M count=96 2>/dev/null; echo FILLED; sleep 8\n"
              "rm /tmp/fill; echo 3 > /proc/sys/vm/drop_caches; echo FREED\n"
              "while true; do sleep 3600; done\n")
    _, _, body = daemon.call("POST", "/vms", {"id": "balloon", "config": config(
        guest_dir, workdir, "balloon", script, "512M")}, expect=201)
    pid = json.loads(body)["pid"]
    wait_console(daemon, "balloon", "READY")
    time.sleep(5)
    idle = proc_status(pid)["VmRSS"] / 1024
    wait_console(daemon, "balloon", "FILLED")
    time.sleep(1)
    full = proc_status(pid)["VmRSS"] / 1024
    wait_console(daemon, "balloon", "FREED")
    time.sleep(10)  # free page reporting runs a couple of seconds after the free
    freed = proc_status(pid)["VmRSS"] / 1024
    print(f"  RSS idle {idle:.1f} MiB, filled {full:.1f} MiB, after the free {freed:.1f} MiB "
          f"({(freed - idle) / idle * 100:+.0f}% of idle; goal within 10%)")
    daemon.call("DELETE", "/vms/balloon", expect=204)


def api_latency(daemon, guest_dir, workdir, runs=20):
    print(f"API latency over {runs} rounds (p50, p99)")
    idle = config(guest_dir, workdir, "latency", IDLE)
    times = {name: [] for name in ("create", "pause", "snapshot", "clone", "delete")}
    for i in range(runs):
        vm = f"lat{i}"
        times["create"].append(daemon.call("POST", "/vms", {"id": vm, "config": idle},
                                           expect=201)[0])
        wait_console(daemon, vm, "IDLE-READY")
        times["pause"].append(daemon.call("PATCH", f"/vms/{vm}", {"state": "Paused"},
                                          expect=204)[0])
        paths = {"snapshot_path": os.path.join(workdir, f"{vm}.state"),
                 "mem_file_path": os.path.join(workdir, f"{vm}.mem")}
        times["snapshot"].append(daemon.call("PUT", f"/vms/{vm}/snapshot", paths,
                                             expect=204)[0])
        times["clone"].append(daemon.call("POST", "/vms", {"id": vm + "c", "restore": paths},
                                          expect=201)[0])
        for name in (vm, vm + "c"):
            times["delete"].append(daemon.call("DELETE", f"/vms/{name}", expect=204)[0])
        for path in paths.values():
            os.remove(path)
    for name, values in times.items():
        print(f"  {name:>8}: p50 {percentile(values, 0.5) * 1000:7.1f} ms, "
              f"p99 {percentile(values, 0.99) * 1000:7.1f} ms")


def clone_rate(daemon, guest_dir, workdir, count):
    print(f"clones: {count} restored at once from one snapshot")
    daemon.call("POST", "/vms", {"id": "origin", "config": config(guest_dir, workdir, "origin",
                                                                   IDLE)}, expect=201)
    wait_console(daemon, "origin", "IDLE-READY")
    daemon.call("PATCH", "/vms/origin", {"state": "Paused"}, expect=204)
    paths = {"snapshot_path": os.path.join(workdir, "origin.state"),
             "mem_file_path": os.path.join(workdir, "origin.mem")}
    daemon.call("PUT", "/vms/origin/snapshot", paths, expect=204)
    start = time.perf_counter()
    in_parallel(count, lambda i: daemon.call("POST", "/vms", {"id": f"clone{i}", "restore": paths},
                                             expect=201))
    took = time.perf_counter() - start
    print(f"  {count} clones running in {took:.2f} s: {count / took:.0f} clones/s")
    in_parallel(count, lambda i: daemon.call("DELETE", f"/vms/clone{i}", expect=204))
    daemon.call("DELETE", "/vms/origin", expect=204)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    rvisor, guest_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) == 4 else 64
    with tempfile.TemporaryDirectory(prefix="rvisor-density-") as workdir:
        daemon = Daemon(rvisor, workdir)
        try:
            idle_density(daemon, guest_dir, workdir, count)
            balloon(daemon, guest_dir, workdir)
            api_latency(daemon, guest_dir, workdir)
            clone_rate(daemon, guest_dir, workdir, count)
        finally:
            daemon.stop()


if __name__ == "__main__":
    main()
