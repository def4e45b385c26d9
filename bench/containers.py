"""Container start times, side by side in one run (bench/containers.sh): Podman running a riscv64
busybox image with rvisor-oci (a VM per container, started from a template and booted cold) and
with runc under qemu-user (binfmt_misc, no isolation), and a native x86-64 image with runc; then
rvisor-oci alone, from `create` and from `start` to the container's first byte of output; then
the five bench/kernels programs (built static for riscv64, in the same image) run in a container
with rvisor-oci and with runc + qemu-user, each program timing its own loop. Medians of
interleaved runs, and ratios."""
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

QEMU_BINFMT = "/proc/sys/fs/binfmt_misc/qemu-riscv64"
TEMPLATE = "rvisor-oci (VM, template)"


def register_qemu_user():
    """qemu-riscv64 for riscv64 ELF files, as Debian's qemu-user-static describes it; False when
    it cannot be registered."""
    if os.path.exists(QEMU_BINFMT):
        return True
    description = "/usr/share/binfmts/qemu-riscv64"
    if not os.path.exists(description) or os.geteuid() != 0:
        return False
    if not os.path.exists("/proc/sys/fs/binfmt_misc/register"):
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"],
                       check=False)
    fields = dict(line.split(" ", 1) for line in open(description).read().splitlines()
                  if " " in line)
    magic = fields["magic"].strip()
    mask = fields["mask"].strip()
    interpreter = fields["interpreter"].strip()
    # F: the interpreter is opened now, so it works inside containers' roots; P: argv[0] kept,
    # as Debian's -P interpreter expects. The kernel reads the \x escapes itself.
    rule = f":qemu-riscv64:M::{magic}:{mask}:{interpreter}:FP"
    try:
        with open("/proc/sys/fs/binfmt_misc/register", "w") as register:
            register.write(rule)
    except OSError as error:
        print(f"bench: cannot register qemu-riscv64 with binfmt_misc: {error}", file=sys.stderr)
        return False
    return os.path.exists(QEMU_BINFMT)


def median_time(command, env, runs):
    times = []
    for _ in range(runs):
        start = time.monotonic()
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        times.append(time.monotonic() - start)
        if result.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed: {result.stderr.decode()}")
    return statistics.median(times)


KERNELS = {"crc": 2000, "sort": 85, "chase": 16, "nbody": 100000, "matmul": 2100}


def build_kernels(rootfs):
    """bench/kernels/*.c, static riscv64 (as bench/kernels.sh builds them), in ROOTFS/bench."""
    os.makedirs(os.path.join(rootfs, "bench"))
    script = ["#!/bin/sh"]
    for name, iterations in KERNELS.items():
        subprocess.run(["riscv64-linux-gnu-gcc", "-O2", "-ffp-contract=off", "-static",
                        "-march=rv64gc", "-mabi=lp64d", "-o", os.path.join(rootfs, "bench", name),
                        os.path.join("bench", "kernels", f"{name}.c"), "-lm"], check=True)
        script.append(f"/bench/{name} {iterations}")
    with open(os.path.join(rootfs, "bench", "run.sh"), "w") as f:
        f.write("\n".join(script) + "\n")
    os.chmod(os.path.join(rootfs, "bench", "run.sh"), 0o755)


def kernel_times(command, env):
    """The seconds each program reports (KERNEL <name> <seconds> <checksum>)."""
    result = subprocess.run(command, env=env, capture_output=True, stdin=subprocess.DEVNULL,
                            timeout=1800)
    times = {}
    for line in result.stdout.decode().splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] == "KERNEL":
            times[fields[1]] = float(fields[2])
    if result.returncode != 0 or set(times) != set(KERNELS):
        raise SystemExit(f"bench: {' '.join(command)}: status {result.returncode}, "
                         f"{result.stdout.decode()} {result.stderr.decode()}")
    return times


def first_output(oci, root, bundle, runs, env):
    """rvisor-oci create + start, and start alone, to the container's first byte of output:
    medians."""
    from_create, from_start = [], []
    for run in range(runs):
        read_fd, write_fd = os.pipe()
        name = f"first{run}"
        start = time.monotonic()
        subprocess.run([oci, "--root", root, "create", "--bundle", bundle, name], check=True,
                       stdout=write_fd, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                       env=env)
        os.close(write_fd)
        started = time.monotonic()
        subprocess.run([oci, "--root", root, "start", name], check=True, env=env)
        os.read(read_fd, 1)
        end = time.monotonic()
        from_create.append(end - start)
        from_start.append(end - started)
        os.close(read_fd)
        deadline = time.monotonic() + 60
        while subprocess.run([oci, "--root", root, "delete", name], env=env,
                             stderr=subprocess.DEVNULL).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: container {name} did not stop")
            time.sleep(0.05)
    return statistics.median(from_create), statistics.median(from_start)


def write_bundle(path, rootfs, annotations):
    os.makedirs(path)
    os.symlink(rootfs, os.path.join(path, "rootfs"))
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write('{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": '
                '["echo", "x"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"]}, "mounts": '
                '[{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}], '
                f'"annotations": {annotations}}}')
    return path


def main():
    build, guest_dir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    oci = os.path.abspath(os.path.join(build, "rvisor-oci"))
    with tempfile.TemporaryDirectory() as work:
        rootfs = os.path.join(work, "rootfs")
        os.makedirs(rootfs)
        with gzip.open(os.path.join(guest_dir, "initramfs.cpio.gz")) as archive:
            subprocess.run(["cpio", "-idm", "--quiet"], input=archive.read(), cwd=rootfs,
                           check=True)
        build_kernels(rootfs)
        subprocess.run(["tar", "-C", rootfs, "-cf", os.path.join(work, "rv.tar"), "."], check=True)
        native = os.path.join(work, "native")
        os.makedirs(native)
        with open(os.path.join(work, "true.c"), "w") as f:
            f.write("int main(void) { return 0; }\n")
        subprocess.run(["gcc", "-static", "-O2", "-o", os.path.join(native, "true"),
                        os.path.join(work, "true.c")], check=True)
        subprocess.run(["tar", "-C", native, "-cf", os.path.join(work, "native.tar"), "."],
                       check=True)
        conf = os.path.join(work, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                    '"nproc=32768:32768"]\n')
        env = dict(os.environ, CONTAINERS_CONF=conf)
        podman = ["podman", "--root", os.path.join(work, "storage"), "--runroot",
                  os.path.join(work, "run"), "--storage-driver", "vfs"]
        subprocess.run([*podman, "import", "--arch", "riscv64", os.path.join(work, "rv.tar"),
                        "localhost/bench-rv:1"], env=env, check=True, capture_output=True)
        subprocess.run([*podman, "import", os.path.join(work, "native.tar"),
                        "localhost/bench-native:1"], env=env, check=True, capture_output=True)
        # The runtime's default root (Podman passes --runtime-flag to create and start but not
        # to delete), whose template cache outlives the bench.
        ours = [*podman, "--runtime", oci, "run", "--rm", "--network", "none"]
        commands = {
            TEMPLATE: [*ours, "localhost/bench-rv:1", "true"],
            "rvisor-oci (VM, cold boot)": [*ours, "--annotation", "io.rvisor.template=false",
                                           "localhost/bench-rv:1", "true"]}
        # The first container of its shape leaves the template the others start from.
        median_time(commands[TEMPLATE], env, 1)
        if shutil.which("runc") and register_qemu_user():
            commands["runc + qemu-user"] = [*podman, "--runtime", shutil.which("runc"), "run",
                                            "--rm", "--network", "none", "localhost/bench-rv:1",
                                            "true"]
        else:
            print("bench: runc + qemu-user skipped (runc, qemu-user-static or binfmt_misc "
                  "missing)")
        if shutil.which("runc"):
            commands["runc, native image"] = [*podman, "--runtime", shutil.which("runc"), "run",
                                              "--rm", "--network", "none",
                                              "localhost/bench-native:1", "/true"]
        # Interleaved: one of each per round, so the host's load falls on all alike.
        samples = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(median_time(command, env, 1))
        warm = write_bundle(os.path.join(work, "warm"), rootfs, "{}")
        cold = write_bundle(os.path.join(work, "cold"), rootfs,
                            '{"io.rvisor.template": "false"}')
        first_output(oci, os.path.join(work, "oci-root"), warm, 1, env)
        first = {"from a template": first_output(oci, os.path.join(work, "oci-root"), warm, runs,
                                                 env),
                 "cold boot": first_output(oci, os.path.join(work, "oci-root"), cold, runs, env)}
        kernel_commands = {"rvisor-oci": [*ours, "localhost/bench-rv:1", "/bench/run.sh"]}
        if "runc + qemu-user" in commands:
            kernel_commands["runc + qemu-user"] = [
                *podman, "--runtime", shutil.which("runc"), "run", "--rm", "--network", "none",
                "localhost/bench-rv:1", "/bench/run.sh"]
        kernel_samples = {name: {kernel: [] for kernel in KERNELS} for name in kernel_commands}
        for _ in range(runs):
            for name, command in kernel_commands.items():
                for kernel, seconds in kernel_times(command, env).items():
                    kernel_samples[name][kernel].append(seconds)
        subprocess.run([*podman, "rmi", "--all", "--force"], env=env, capture_output=True)

    print(f"\npodman run --rm IMAGE true, median of {runs} interleaved runs:")
    medians = {name: statistics.median(times) for name, times in samples.items()}
    ours = medians[TEMPLATE]
    for name, value in medians.items():
        print(f"  {name:<28} {value:6.3f} s   rvisor-oci from a template / this = "
              f"{ours / value:5.2f}")
    print("\nrvisor-oci to the container's first byte of output, median:")
    for name, (from_create, from_start) in first.items():
        print(f"  {name:<16} create + start {from_create * 1000:6.0f} ms, "
              f"start alone {from_start * 1000:6.0f} ms")

    print(f"\nbench/kernels in a container, seconds (median of {runs}):")
    medians = {name: {kernel: statistics.median(times) for kernel, times in samples.items()}
               for name, samples in kernel_samples.items()}
    names = list(medians)
    print("  kernel  " + "".join(f"{name:>18}" for name in names)
          + ("   qemu-user / rvisor-oci" if len(names) > 1 else ""))
    ratios = []
    for kernel in KERNELS:
        row = "".join(f"{medians[name][kernel]:18.3f}" for name in names)
        if len(names) > 1:
            ratios.append(medians[names[1]][kernel] / medians[names[0]][kernel])
            row += f"   {ratios[-1]:6.2f}"
        print(f"  {kernel:<8}{row}")
    if ratios:
        print(f"  geomean {'':>36}   {statistics.geometric_mean(ratios):6.2f}")


if __name__ == "__main__":
    main()
