#!/usr/bin/env python3
"""Sets VER_FLG_WEAK on one version requirement in an ELF64 little-endian .gnu.version_r section.

A weak version requirement makes the dynamic loader accept a library that lacks that version
instead of refusing to load. Usage: mark_version_weak.py FILE VERSION (e.g. GLIBCXX_3.4.32).
Exit status: 0 patched or already weak, 3 version requirement not present, 1 malformed file.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main(path: str, version: str) -> int:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            print(f"{path}: not a 64-bit little-endian ELF file", file=sys.stderr)
            return 1
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        for sh in sections:
            if sh[1] != SHT_GNU_VERNEED:
                continue
            offset, link, count = sh[4], sh[6], sh[7]
            strtab = sections[link][4]
            for _ in range(count):
                _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, offset)
                aux = offset + vn_aux
                for _ in range(vn_cnt):
                    _, flags, _, name, next_aux = struct.unpack_from("<IHHII", data, aux)
                    end = data.index(0, strtab + name)
                    if data[strtab + name:end].decode() == version:
                        if not flags & VER_FLG_WEAK:
                            struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                            f.seek(0)
                            f.write(data)
                        return 0
                    aux += next_aux
                offset += vn_next
    print(f"{path}: no requirement on {version}", file=sys.stderr)
    return 3


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    sys.exit(main(sys.argv[1], sys.argv[2]))
