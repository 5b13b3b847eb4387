#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the libFuzzer targets of pure kernel code (tests/host/fuzz/, built by make host-fuzz).

Each target starts from a corpus under build/fuzz-corpus/<target>/, seeded with real inputs
(the built ELF images, Multiboot information as GRUB and QEMU write it) and kept between
runs. A crash leaves its input in build/fuzz-artifacts/; replay it with
build/host/fuzz_<target> <file>."""
import argparse
import glob
import os
import re
import shutil
import struct
import subprocess
import sys

TARGETS = ["elf", "bootinfo", "cspace", "msg"]
ARENA_PHYS = 0x1000     # fuzz_bootinfo.c: the physical address of the arena


def mb2_seed():
    """Multiboot2 information: command line, a module, a memory map, the end tag."""
    def tag(kind, body):
        t = struct.pack("<II", kind, 8 + len(body)) + body
        return t + b"\0" * (-len(t) % 8)
    tags = tag(1, b"debugexit selftest=ud\0")
    tags += tag(3, struct.pack("<II", 0x200000, 0x201000) + b"root.elf\0")
    tags += tag(6, struct.pack("<II", 24, 0) + struct.pack("<QQII", 0, 0x9fc00, 1, 0)
                + struct.pack("<QQII", 0x100000, 0x7f00000, 1, 0))
    tags += tag(0, b"")
    return b"\x01" + struct.pack("<II", 8 + len(tags), 0) + tags


def mb1_seed():
    """Multiboot1 information with pointers into the arena: command line, modules, map."""
    info_size = 52
    cmd = b"debugexit\0"
    cmd_at = ARENA_PHYS + info_size
    mods_at = cmd_at + len(cmd)
    mods = struct.pack("<IIII", 0x200000, 0x201000, cmd_at, 0)
    mmap_at = mods_at + len(mods)
    mmap = struct.pack("<IQQI", 20, 0, 0x9fc00, 1) + struct.pack("<IQQI", 20, 0x100000, 0x7f00000, 1)
    info = struct.pack("<IIIIIII16xII", (1 << 2) | (1 << 3) | (1 << 6), 0, 0, 0, cmd_at, 1,
                       mods_at, len(mmap), mmap_at)
    return b"\x00" + info + cmd + mods + mmap


def seed_corpus(build, target, corpus):
    os.makedirs(corpus, exist_ok=True)
    if os.listdir(corpus):
        return
    if target == "elf":
        for f in glob.glob(os.path.join(build, "user", "*.elf")) + \
                glob.glob(os.path.join(build, "user", "bad", "*.elf")):
            if os.path.getsize(f) < 1 << 20:
                shutil.copy(f, os.path.join(corpus, os.path.basename(f)))
    elif target == "bootinfo":
        open(os.path.join(corpus, "mb2"), "wb").write(mb2_seed())
        open(os.path.join(corpus, "mb1"), "wb").write(mb1_seed())
    elif target == "cspace":
        # retype under an untyped, copy, mint, move, revoke, delete: one of each
        open(os.path.join(corpus, "ops"), "wb").write(bytes(
            [0, 1, 0, 2, 0, 2, 1, 0, 1, 3, 2, 7, 1, 4, 3, 9, 2, 5, 4, 0, 4, 1, 0, 0, 3, 2, 0, 0]))


def run(build, target, runs=None, seconds=None, seed=1):
    """Fuzz one target; returns (ok, summary line, output tail)."""
    binary = os.path.join(build, "host", f"fuzz_{target}")
    corpus = os.path.join(build, "fuzz-corpus", target)
    artifacts = os.path.join(build, "fuzz-artifacts") + os.sep
    os.makedirs(artifacts, exist_ok=True)
    seed_corpus(build, target, corpus)
    cmd = [binary, f"-seed={seed}", f"-artifact_prefix={artifacts}{target}-", "-max_len=8192",
           "-print_final_stats=1"]
    cmd += [f"-runs={runs}"] if runs else [f"-max_total_time={seconds}"]
    cmd.append(corpus)
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=(seconds or 600) + 120)
    out = proc.stdout + proc.stderr
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
    cov = re.findall(r"cov: (\d+)", out)
    summary = (f"fuzz_{target}: {execs.group(1) if execs else '?'} inputs, "
               f"{cov[-1] if cov else '?'} coverage points, exit {proc.returncode}")
    return proc.returncode == 0, summary, out[-3000:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=60, help="per target")
    ap.add_argument("--runs", type=int, help="inputs per target instead of a time")
    ap.add_argument("--seed", type=int, default=0, help="libFuzzer's seed (0: a new one)")
    ap.add_argument("targets", nargs="*", default=TARGETS)
    args = ap.parse_args()
    failed = 0
    for t in args.targets:
        ok, summary, tail = run(args.build, t, args.runs, None if args.runs else args.seconds,
                                args.seed)
        print(("PASS " if ok else "FAIL ") + summary)
        if not ok:
            failed += 1
            print(tail)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
