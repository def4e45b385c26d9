"""What the Python benchmarks share: HTTP on a Unix socket, and a small initramfs holding a
script for the guest to run."""
import gzip
import http.client
import socket

TIMEOUT = 600  # only catches hangs


class UnixHttp(http.client.HTTPConnection):
    """http.client on a Unix socket (the rvisor APIs)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=TIMEOUT)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self.socket_path)


def cpio(files):
    """A gzip'd newc archive of {name: shell script}, executable, as the kernel unpacks it."""
    out = bytearray()
    for ino, (name, data) in enumerate(sorted(files.items()) + [("TRAILER!!!", None)], 1):
        body = (data or "").encode()
        name_bytes = name.encode() + b"\0"
        fields = (ino, 0o100755 if data is not None else 0, 0, 0, 1, 0, len(body), 0, 0, 0, 0,
                  len(name_bytes), 0)
        out += ("070701" + "".join(f"{v:08x}" for v in fields)).encode() + name_bytes
        out += b"\0" * (-len(out) % 4)
        out += body
        out += b"\0" * (-len(out) % 4)
    return gzip.compress(bytes(out))
