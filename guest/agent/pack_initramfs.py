#!/usr/bin/env python3
"""Packs the agent into an initramfs: a newc cpio archive with /init = the agent and the
directories it mounts on. Deterministic (fixed inode numbers, owners and times), uncompressed:
it is appended after the reference guest's initramfs, whose /init it replaces.

usage: pack_initramfs.py AGENT OUTPUT
"""
import sys

DIRECTORIES = ["dev", "proc", "run", "sys", "tmp"]


def entry(name, mode, data, inode):
    name_bytes = name.encode() + b"\0"
    fields = (inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0)
    out = bytearray(b"070701" + "".join(f"{v:08x}" for v in fields).encode() + name_bytes)
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return bytes(out)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        agent = f.read()
    archive = bytearray()
    inode = 1
    for directory in DIRECTORIES:
        archive += entry(directory, 0o040755, b"", inode)
        inode += 1
    archive += entry("init", 0o100755, agent, inode)
    archive += entry("TRAILER!!!", 0, b"", 0)
    with open(sys.argv[2], "wb") as f:
        f.write(archive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
