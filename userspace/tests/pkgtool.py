#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""TR-069 Annex E packages for the tests, written from the annex's tables
without libhnbtre (Documentation/package.md).

  pkgtool.py regions PKG              one line per region: NAME OFFSET LENGTH
  pkgtool.py flip PKG OFFSET OUT      copy with the byte at OFFSET inverted
  pkgtool.py raw OUT [CMD...]         an unsigned package (empty SignedData)
      version=V  description=T  manifest=FILE
      extract=PATH:SRC[:MODE]   Extract File of SRC's bytes, SHA-1 and our
                                SHA-256 command (add=... for Add File)
      extract1=PATH:SRC         the same with the SHA-1 only
      extractv=PATH:SRC         Extract Versioned File (addv=: Add Versioned)
      zeros=PATH:SIZE           Extract File of SIZE zero bytes
      remove=PATH  rmtree=PATH  move=FROM:TO  reboot  end
      removev=PATH  movev=FROM:TO   Remove / Move Versioned File
      rawcmd=TYPE:HEXVALUE      any command, verbatim
      rawbytes=HEX              bytes appended to the command list
  pkgtool.py signed PKG OUT           header and command list (what is signed)
  pkgtool.py sig PKG OUT              the signature block
  pkgtool.py splice PKG SIG OUT       the package with another signature block
  pkgtool.py bare SIG OUT             the SignedData inside a ContentInfo
  pkgtool.py header PKG FIELD VALUE OUT   set a be32 header field
      (major, minor, cmds, payload)
"""
import hashlib
import os
import struct
import sys

HEADER = 24
PREAMBLE = b"2WIRE_SP"
# ContentInfo(signedData) of a SignedData without signers (E.5: unsigned)
EMPTY_SIGNED_DATA = bytes.fromhex(
    "3023" "06092a864886f70d010702" "a016" "3014" "020101" "3100"
    "300b" "06092a864886f70d010701" "3100")
VENDOR_MANIFEST, VENDOR_SHA256, VENDOR_MODE, VENDOR_IMA = 1000, 1001, 1002, 1003


def der_header(data):
    """Length of the tag and length octets of the DER object at data."""
    return 2 if data[1] < 0x80 else 2 + (data[1] & 0x7f)


def der_len(data):
    """Length of the DER object at the start of data (definite lengths)."""
    if data[1] < 0x80:
        return 2 + data[1]
    n = data[1] & 0x7f
    return 2 + n + int.from_bytes(data[2:2 + n], "big")


def split(data):
    _, _, _, cmds, _ = struct.unpack(">8sIIII", data[:HEADER])
    sig_at = HEADER + cmds
    sig_end = sig_at + der_len(data[sig_at:])
    return cmds, sig_at, sig_end


def regions(data):
    cmds, sig_at, sig_end = split(data)
    out = [("header", 0, HEADER)]
    pos, i, files = HEADER, 0, []
    while pos < sig_at:
        typ, length = struct.unpack(">II", data[pos:pos + 8])
        out.append(("cmd%d-type%d" % (i, typ), pos + 8, length))
        value = data[pos + 8:pos + 8 + length]
        if 1 <= typ <= 4:
            files.append(struct.unpack(">II", value[24:32]))
        elif typ == VENDOR_MANIFEST:
            files.append(struct.unpack(">II", value[:8]))
        pos += 8 + length
        i += 1
        if typ == 0:
            break
    out.append(("sig", sig_at, sig_end - sig_at))
    for i, (off, size) in enumerate(sorted(files)):
        if size:
            out.append(("payload%d" % i, sig_end + off, size))
    return out


def command(typ, value):
    return struct.pack(">II", typ, len(value)) + value


def ima_signature(src):
    """The source file's security.ima signature (type 3), if it has one."""
    try:
        value = os.getxattr(src, "security.ima")
    except OSError:
        return None
    return value if value[:1] == b"\x03" else None


def file_command(typ, path, body, sha256=True, mode=None, offset=0, ima=None):
    """Annex E Table 74: 32 fixed bytes, then the path, then the SHA-1."""
    path = path.encode()
    value = struct.pack(">IIIIIIII", 0, 32, len(path), 1, 32 + len(path), 20,
                        offset, len(body)) + path + hashlib.sha1(body).digest()
    out = command(typ, value)
    if sha256:
        out += command(VENDOR_SHA256, hashlib.sha256(body).digest())
    if mode is not None:
        out += command(VENDOR_MODE, struct.pack(">I", mode))
    if ima:
        out += command(VENDOR_IMA, ima)
    return out


def path_command(typ, *paths):
    """Annex E Tables 75 and 76: flags, offset/length per path, paths."""
    fixed = 4 + 8 * len(paths)
    head, tail = struct.pack(">I", 0), b""
    for p in paths:
        head += struct.pack(">II", fixed + len(tail), len(p.encode()))
        tail += p.encode()
    return command(typ, head + tail)


def raw(args):
    cmds, payload = b"", b""
    for arg in args:
        key, _, val = arg.partition("=")
        if key == "version":
            cmds += command(10, val.encode())
        elif key == "description":
            cmds += command(11, val.encode())
        elif key == "manifest":
            body = open(val, "rb").read()
            cmds += command(VENDOR_MANIFEST, struct.pack(">II", len(payload), len(body)) +
                            hashlib.sha256(body).digest())
            payload += body
        elif key in ("extract", "add", "extract1", "extractv", "addv"):
            parts = val.split(":")
            body = open(parts[1], "rb").read()
            mode = int(parts[2], 8) if len(parts) > 2 else None
            typ = {"add": 3, "extractv": 2, "addv": 4}.get(key, 1)
            cmds += file_command(typ, parts[0], body, key != "extract1", mode,
                                 len(payload), ima_signature(parts[1]))
            payload += body
        elif key == "zeros":
            path, size = val.rsplit(":", 1)
            body = bytes(int(size))
            cmds += file_command(1, path, body, True, None, len(payload))
            payload += body
        elif key == "remove":
            cmds += path_command(5, val)
        elif key == "rmtree":
            cmds += path_command(7, val)
        elif key == "move":
            cmds += path_command(8, *val.split(":"))
        elif key == "removev":
            cmds += path_command(6, val)
        elif key == "movev":
            cmds += path_command(9, *val.split(":"))
        elif key == "reboot":
            cmds += command(16, b"")
        elif key == "end":
            cmds += command(0, b"")
        elif key == "rawbytes":
            cmds += bytes.fromhex(val)
        elif key == "rawcmd":
            typ, _, hexval = val.partition(":")
            cmds += command(int(typ), bytes.fromhex(hexval))
        else:
            sys.exit("unknown command " + key)
    header = PREAMBLE + struct.pack(">IIII", 1, 0, len(cmds), len(payload))
    return header + cmds + EMPTY_SIGNED_DATA + payload


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "regions":
        for name, off, length in regions(open(args[0], "rb").read()):
            print(name, off, length)
    elif cmd == "flip":
        data = bytearray(open(args[0], "rb").read())
        data[int(args[1])] ^= 0xff
        open(args[2], "wb").write(data)
    elif cmd == "raw":
        open(args[0], "wb").write(raw(args[1:]))
    elif cmd == "bare":
        # ContentInfo: SEQUENCE { OID, [0] { SignedData } }
        data = open(args[0], "rb").read()
        oid = data[der_header(data):]
        explicit = oid[der_len(oid):]
        open(args[1], "wb").write(explicit[der_header(explicit):])
    elif cmd in ("signed", "sig", "splice"):
        data = open(args[0], "rb").read()
        _, sig_at, sig_end = split(data)
        if cmd == "signed":
            open(args[1], "wb").write(data[:sig_at])
        elif cmd == "sig":
            open(args[1], "wb").write(data[sig_at:sig_end])
        else:
            open(args[2], "wb").write(data[:sig_at] + open(args[1], "rb").read() +
                                      data[sig_end:])
    elif cmd == "header":
        data = bytearray(open(args[0], "rb").read())
        off = {"major": 8, "minor": 12, "cmds": 16, "payload": 20}[args[1]]
        data[off:off + 4] = struct.pack(">I", int(args[2], 0))
        open(args[3], "wb").write(data)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
