#!/usr/bin/env python3
"""Integration tests of virtio-vsock (docs/vsock.md): host programs on the Unix socket and the
guest's AF_VSOCK sockets, both ways, many streams at once, and across a snapshot.

usage: vsock_test.py RVISOR GUEST_DIR TEST_NAME   (see TESTS below)
Exit 0 = pass, 1 = fail, 77 = skipped (ctest SKIP_RETURN_CODE).
"""
import os
import signal
import socket
import tempfile
import threading
import time

from guest_test import (HANG_TIMEOUT, Failure, Guest, boot_args, build_guest_program, expect,
                        expect_error, newc_archive, test_main)
from snapshot_test import api, expect_status, pause, snapshot, wait_for_socket
from control_test import Daemon, create

GUEST_PORT = 5000  # the guest's echo server
HOST_PORT = 6000  # the host's echo server, which the guest's sender reaches
STREAMS = 8
STREAM_BYTES = 4 << 20


def vsock_guest(rvisor, guest_dir, workdir, script, vsock, extra_args=()):
    extra = os.path.join(workdir, "vsock.cpio.gz")
    with open(extra, "wb") as f:
        f.write(newc_archive({"run.sh": (0o100755, script.encode()),
                              "vsock_test": (0o100755, build_guest_program(workdir, "vsock_test"))}))
    return Guest(rvisor, boot_args(guest_dir, "console=ttyS0 guest.run=/run.sh",
                                   extra_initrd=extra) + ["--mem", "256M", "--vsock", vsock,
                                                          *extra_args])


def echo_server(path):
    """A Unix socket at path that echoes every connection's bytes until EOF."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)

    def serve(connection):
        with connection:
            while data := connection.recv(65536):
                connection.sendall(data)

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server


def connect(uds, port):
    """A host connection to the guest's port through the vsock socket: (socket, reply line)."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(HANG_TIMEOUT)
    connection.connect(uds)
    connection.sendall(f"CONNECT {port}\n".encode())
    reply = b""
    while not reply.endswith(b"\n"):
        byte = connection.recv(1)
        if not byte:
            break
        reply += byte
    return connection, reply.decode()


def echo_round_trip(uds, size):
    """Sends size random bytes to the guest's echo server; what came back differs how, or None."""
    connection, reply = connect(uds, GUEST_PORT)
    with connection:
        if not reply.startswith("OK ") or not reply[3:-1].isdigit():
            return f"reply {reply!r} to CONNECT"
        data = os.urandom(size)

        def send():
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
        sender.join()
    if received != data:
        return f"{len(received)} of {size} bytes came back, equal: {received == data[:len(received)]}"
    return None


def concurrent_round_trips(uds, streams, size):
    results = [None] * streams
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(
        i, echo_round_trip(uds, size))) for i in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [f"stream {i}: {r}" for i, r in enumerate(results) if r]
    expect(not failures, "; ".join(failures))


def expect_refused(uds, line, what):
    """The host program is disconnected without an OK."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(HANG_TIMEOUT)
    connection.connect(uds)
    with connection:
        connection.sendall(line)
        rest = b""
        try:
            while chunk := connection.recv(4096):
                rest += chunk
        except ConnectionResetError:
            pass
    expect(rest == b"", f"{what}: got {rest!r}, expected the connection closed")


def test_streams(rvisor, guest_dir):
    """Both directions, 8 streams at once with 4 MiB each, and what the host may get wrong."""
    with tempfile.TemporaryDirectory() as workdir:
        uds = os.path.join(workdir, "v.sock")
        host_server = echo_server(f"{uds}_{HOST_PORT}")
        script = f"""
/vsock_test echo {GUEST_PORT} &
/vsock_test send {HOST_PORT} {STREAM_BYTES}
/vsock_test send {HOST_PORT + 1} 1
while true; do sleep 3600; done
"""
        guest = vsock_guest(rvisor, guest_dir, workdir, script, f"cid=3,uds={uds}")
        try:
            guest.wait_for("VSOCK-LISTENING")
            _, sent = guest.wait_for("VSOCK-SEND-OK")
            expect(sent.endswith(str(STREAM_BYTES)), sent)
            # No host program listens on the next port: the guest's connect is reset.
            _, refused = guest.wait_for("VSOCK-FAIL")
            expect("connect" in refused and "reset" in refused.lower(), refused)
            concurrent_round_trips(uds, STREAMS, STREAM_BYTES)
            expect_refused(uds, f"CONNECT {GUEST_PORT + 1}\n".encode(), "a port nobody listens on")
            expect_refused(uds, b"HELLO 5000\n", "a line that is not CONNECT")
            expect_refused(uds, b"CONNECT 99999999999\n", "a port beyond 32 bits")
            expect_refused(uds, b"C" * 100, "a line without an end")
            # The device still serves after all that.
            concurrent_round_trips(uds, 1, 1 << 16)
            guest.process.send_signal(signal.SIGTERM)
            guest.finish()
            expect(not os.path.exists(uds), "the vsock socket was not removed at exit")
        finally:
            guest.kill()
            host_server.close()
    return 0


def test_restore(rvisor, guest_dir):
    """A snapshot restored with another cid and socket: the guest's listener serves new
    connections there, and the connection open at the snapshot is gone."""
    with tempfile.TemporaryDirectory() as workdir:
        uds, api_sock = os.path.join(workdir, "v.sock"), os.path.join(workdir, "api.sock")
        script = f"/vsock_test echo {GUEST_PORT} &\nwhile true; do sleep 3600; done\n"
        guest = vsock_guest(rvisor, guest_dir, workdir, script, f"cid=3,uds={uds}",
                            ["--api-sock", api_sock])
        state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
        try:
            guest.wait_for("VSOCK-LISTENING")
            wait_for_socket(api_sock, guest)
            concurrent_round_trips(uds, 1, 1 << 20)
            open_connection, reply = connect(uds, GUEST_PORT)
            expect(reply.startswith("OK "), reply)
            pause(api_sock)
            snapshot(api_sock, state, memory)
            guest.process.send_signal(signal.SIGKILL)
            guest.finish()
            open_connection.close()
        finally:
            guest.kill()
        clone_uds = os.path.join(workdir, "clone.sock")
        clone = Guest(rvisor, ["restore", "--snapshot", state, "--mem-file", memory,
                               "--vsock", f"cid=7,uds={clone_uds}"])
        try:
            deadline = time.monotonic() + HANG_TIMEOUT
            while not os.path.exists(clone_uds):
                expect(time.monotonic() < deadline, "the clone made no vsock socket")
                time.sleep(0.05)
            concurrent_round_trips(clone_uds, 4, 1 << 20)
        finally:
            clone.kill()
        expect_error(rvisor, ["restore", "--snapshot", state, "--mem-file", memory, "--vsock",
                              "cid=2,uds=/tmp/x"], "--vsock cid '2'")
    return 0


def test_control_clones(rvisor, guest_dir):
    """Through the control program: a VM with a vsock device, snapshotted and cloned twice, each
    clone with its own cid and socket (the restore body's "vsock"), each serving streams."""
    with tempfile.TemporaryDirectory() as workdir:
        daemon = Daemon(rvisor, workdir)
        try:
            extra = os.path.join(workdir, "vsock.cpio.gz")
            script = f"/vsock_test echo {GUEST_PORT} &\nwhile true; do sleep 3600; done\n"
            with open(extra, "wb") as f:
                f.write(newc_archive({
                    "run.sh": (0o100755, script.encode()),
                    "vsock_test": (0o100755, build_guest_program(workdir, "vsock_test"))}))
            uds = os.path.join(workdir, "origin.sock")
            config = {"kernel": os.path.join(guest_dir, "Image"),
                      "initrd": [os.path.join(guest_dir, "initramfs.cpio.gz"), extra],
                      "append": "console=ttyS0 guest.run=/run.sh", "mem": "128M",
                      "vsock": f"cid=3,uds={uds}"}
            create(daemon, "origin", {"config": config})
            deadline = time.monotonic() + HANG_TIMEOUT
            while "VSOCK-LISTENING" not in daemon.text("/vms/origin/console")[1]:
                expect(time.monotonic() < deadline, "the guest's listener never started")
                time.sleep(0.1)
            concurrent_round_trips(uds, 2, 1 << 18)
            expect(daemon.call("PATCH", "/vms/origin", {"state": "Paused"})[0] == 204, "pause")
            state, memory = os.path.join(workdir, "vm.state"), os.path.join(workdir, "vm.mem")
            status, body = daemon.call("PUT", "/vms/origin/snapshot",
                                       {"snapshot_path": state, "mem_file_path": memory})
            expect(status == 204, f"snapshot: {status} {body}")
            for i in range(2):
                clone_uds = os.path.join(workdir, f"clone{i}.sock")
                create(daemon, f"clone{i}", {"restore": {
                    "snapshot_path": state, "mem_file_path": memory,
                    "vsock": f"cid={10 + i},uds={clone_uds}"}})
                concurrent_round_trips(clone_uds, 2, 1 << 18)
            status, body = daemon.call("POST", "/vms", {"id": "bad", "restore": {
                "snapshot_path": state, "mem_file_path": memory, "vsock": "cid=1,uds=/x"}})
            expect(status == 400 and "cid" in body["fault_message"], f"{status} {body}")
            status, body = daemon.call("POST", "/vms", {"id": "bad", "restore": {
                "snapshot_path": state, "mem_file_path": memory, "vsock": "cid=12,uds=x.sock"}})
            expect(status == 400 and "absolute" in body["fault_message"], f"{status} {body}")
            for vm_id in ("origin", "clone0", "clone1"):
                expect(daemon.call("DELETE", f"/vms/{vm_id}")[0] == 204, f"delete {vm_id}")
            daemon.stop()
        finally:
            daemon.clean_up()
    return 0


def test_bad_option(rvisor, guest_dir):
    image = os.path.join(guest_dir, "Image")
    for text, fragment in [("cid=2,uds=/tmp/v.sock", "--vsock cid '2'"),
                           ("cid=x,uds=/tmp/v.sock", "--vsock cid 'x'"),
                           ("cid=4294967295,uds=/tmp/v.sock", "to 4294967294"),
                           ("cid=3", "needs both"),
                           ("uds=/tmp/v.sock", "needs both"),
                           ("cid=3,uds=/tmp/v.sock,speed=9", "'speed=9'")]:
        expect_error(rvisor, ["run", "--kernel", image, "--vsock", text], fragment)
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "taken")
        with open(path, "w") as f:
            f.write("not a socket\n")
        expect_error(rvisor, ["run", "--kernel", image, "--vsock", f"cid=3,uds={path}"], path)
    return 0


TESTS = {
    "streams": test_streams,
    "restore": test_restore,
    "control-clones": test_control_clones,
    "bad-option": test_bad_option,
}

if __name__ == "__main__":
    raise SystemExit(test_main(TESTS))
