#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Make malformed ELF boot modules from a good one: mkbadelf.py good.elf outdir

Each output breaks one rule the kernel's ELF check (kernel/elf.c) enforces, or the loader's
memory limit; the boot tests start them and expect each refused with its reason."""
import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD = 1


def phdrs(img):
    eh = EHDR.unpack_from(img)
    phoff, phnum = eh[5], eh[10]
    return [(phoff + i * PHDR.size, list(PHDR.unpack_from(img, phoff + i * PHDR.size)))
            for i in range(phnum)]


def set_ehdr(img, field, value):
    eh = list(EHDR.unpack_from(img))
    eh[field] = value
    EHDR.pack_into(img, 0, *eh)


def set_load(img, which, field, value):
    """Change field of the which-th PT_LOAD header (0 = first)."""
    off, ph = [p for p in phdrs(img) if p[1][0] == PT_LOAD][which]
    ph[field] = value
    PHDR.pack_into(img, off, *ph)


# field numbers: ehdr (ident, type, machine, version, entry, phoff, shoff, flags, ehsize,
# phentsize, phnum, ...); phdr (type, flags, offset, vaddr, paddr, filesz, memsz, align)
def mutations(good):
    loads = [ph for _, ph in phdrs(good) if ph[0] == PT_LOAD]
    text = [i for i, ph in enumerate(loads) if ph[1] & 1][0]
    last = len(loads) - 1

    def m(fn):
        img = bytearray(good)
        fn(img)
        return img

    yield "truncated", "shorter than an ELF header", good[:40]
    yield "not-elf", "no ELF magic", b"This module is a text file, not a program.\n" * 4
    yield "elf32", "not a little-endian ELF64", m(lambda i: i.__setitem__(4, 1))
    yield "big-endian", "not a little-endian ELF64", m(lambda i: i.__setitem__(5, 2))
    yield "shared-object", "not an executable", m(lambda i: set_ehdr(i, 1, 3))
    yield "wrong-machine", "built for another machine", m(lambda i: set_ehdr(i, 2, 183))
    yield "no-phdrs", "no program headers", m(lambda i: set_ehdr(i, 10, 0))
    yield "phdrs-outside", "program headers outside the file", \
        m(lambda i: set_ehdr(i, 5, len(good) - 8))
    yield "phoff-overflow", "program headers outside the file", \
        m(lambda i: set_ehdr(i, 5, 0xfffffffffffffff8))
    yield "segment-outside-file", "segment extends past the end of the file", \
        m(lambda i: set_load(i, text, 5, len(good)) or set_load(i, text, 6, len(good)))
    yield "filesz-over-memsz", "file size exceeds its memory size", \
        m(lambda i: set_load(i, last, 6, 0) or set_load(i, last, 5, 16))
    yield "kernel-address", "segment outside user space", \
        m(lambda i: set_load(i, text, 3, 0xffffffff80100000))
    yield "address-wraps", "address range wraps", \
        m(lambda i: set_load(i, last, 3, 0xfffffffffffff000) or set_load(i, last, 6, 0x2000))
    # The last segment moved inside the text segment, the address still congruent to the
    # file offset: below the segment before it.
    inside = loads[text][3] - loads[text][2] % 4096 + loads[last][2] % 4096
    yield "out-of-order", "segments not in address order",  \
        m(lambda i: set_load(i, last, 3, inside))
    # The text segment grown into the last one.
    yield "overlap", "two segments overlap", \
        m(lambda i: set_load(i, text, 6, loads[last][3] - loads[text][3] + 16))
    yield "entry-outside", "entry point not in an executable segment", \
        m(lambda i: set_ehdr(i, 4, 0x10))
    # Passes every check, but asks for 1 TiB of zeroed memory: loading runs out and unwinds.
    yield "huge-bss", "out of memory", m(lambda i: set_load(i, last, 6, 1 << 40))


def main():
    good, out = open(sys.argv[1], "rb").read(), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "expected.txt"), "w") as index:
        for name, reason, img in mutations(good):
            with open(os.path.join(out, f"bad-{name}.elf"), "wb") as f:
                f.write(img)
            index.write(f"bad-{name}\t{reason}\n")


if __name__ == "__main__":
    main()
