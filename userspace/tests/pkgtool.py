#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Byte surgery on signed packages for the tests (Documentation/package.md).

  pkgtool.py regions PKG              one line per region: NAME OFFSET LENGTH
  pkgtool.py flip PKG OFFSET OUT      copy with the byte at OFFSET inverted
  pkgtool.py raw OUT [CMD...]         an unsigned package from commands:
      version=N  manifest=FILE  extract=PATH:SIZE[:MODE]  remove=PATH
      rawcmd=TYPE:HEXVALUE  (payload bytes are zeros for extract)
  pkgtool.py header PKG FIELD VALUE OUT   set a be32 header field
      (format, cmds, sigs, reserved)
"""
import hashlib
import struct
import sys

HEADER = 24
PREAMBLE = b"HNBSPKG\n"


def regions(data):
    _, fmt, cmds, sigs, _ = struct.unpack(">8sIIII", data[:HEADER])
    out = [("header", 0, HEADER)]
    pos, end, payload, i = HEADER, HEADER + cmds, [], 0
    while pos < end:
        typ, length = struct.unpack(">HI", data[pos:pos + 6])
        out.append(("cmd%d-type%d" % (i, typ), pos + 6, length))
        if typ in (3, 4):
            payload.append(struct.unpack(">Q", data[pos + 6:pos + 14])[0])
        pos += 6 + length
        i += 1
    end += sigs
    i = 0
    while pos < end:
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append(("sig%d" % i, pos + 4, length))
        pos += 4 + length
        i += 1
    for i, size in enumerate(payload):
        out.append(("payload%d" % i, pos, size))
        pos += size
    return out


def command(typ, value):
    return struct.pack(">HI", typ, len(value)) + value


def raw(args):
    cmds, payload = b"", b""
    for arg in args:
        key, _, val = arg.partition("=")
        if key == "version":
            cmds += command(1, struct.pack(">Q", int(val)))
        elif key == "manifest":
            body = open(val, "rb").read()
            cmds += command(3, struct.pack(">Q", len(body)) +
                            hashlib.sha256(body).digest())
            payload += body
        elif key == "extract":
            parts = val.split(":")
            size, mode = int(parts[1]), int(parts[2], 8) if len(parts) > 2 else 0o644
            data = bytes(min(size, 1 << 20))
            cmds += command(4, struct.pack(">Q", size) +
                            hashlib.sha256(data).digest() +
                            struct.pack(">I", mode) + parts[0].encode())
            payload += data
        elif key == "remove":
            cmds += command(5, val.encode())
        elif key == "rawcmd":
            typ, _, hexval = val.partition(":")
            cmds += command(int(typ), bytes.fromhex(hexval))
        else:
            sys.exit("unknown command " + key)
    return PREAMBLE + struct.pack(">IIII", 1, len(cmds), 0, 0) + cmds + payload


def main():
    cmd = sys.argv[1]
    if cmd == "regions":
        for name, off, length in regions(open(sys.argv[2], "rb").read()):
            print(name, off, length)
    elif cmd == "flip":
        data = bytearray(open(sys.argv[2], "rb").read())
        data[int(sys.argv[3])] ^= 0xff
        open(sys.argv[4], "wb").write(data)
    elif cmd == "raw":
        open(sys.argv[2], "wb").write(raw(sys.argv[3:]))
    elif cmd == "header":
        data = bytearray(open(sys.argv[2], "rb").read())
        off = {"format": 8, "cmds": 12, "sigs": 16, "reserved": 20}[sys.argv[3]]
        data[off:off + 4] = struct.pack(">I", int(sys.argv[4], 0))
        open(sys.argv[5], "wb").write(data)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
