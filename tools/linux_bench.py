#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Linux baseline for make bench: Debian's kernel in the same QEMU, running
bench/linux/lbench.c as /init of an initramfs made here.

Fetches linux-image-amd64's kernel with `apt-get download` (no install) into build/linux/
the first time, unless LINUX_KERNEL names a bzImage. Prints the figures like tools/bench.py
and merges them into build/bench/results.json."""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))


def sh(*cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def kernel(linux_dir):
    if os.environ.get("LINUX_KERNEL"):
        return os.environ["LINUX_KERNEL"]
    found = sorted(glob.glob(os.path.join(linux_dir, "boot", "vmlinuz-*")))
    if found:
        return found[-1]
    os.makedirs(linux_dir, exist_ok=True)
    deps = sh("apt-cache", "depends", "linux-image-amd64")
    pkg = next(line.split()[1] for line in deps.splitlines()
               if "Depends:" in line and "linux-image-" in line)
    subprocess.run(["apt-get", "download", pkg], cwd=linux_dir, check=True,
                   capture_output=True)
    deb = glob.glob(os.path.join(linux_dir, pkg + "_*.deb"))[0]
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "--wildcards", "./boot/vmlinuz-*"], cwd=linux_dir,
                   stdin=tar.stdout, check=True)
    tar.wait()
    os.remove(deb)
    return sorted(glob.glob(os.path.join(linux_dir, "boot", "vmlinuz-*")))[-1]


def cpio_entry(name, mode, data=b"", rdev=(0, 0)):
    """One newc-format cpio entry."""
    fields = [0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08x" % f for f in fields) + name.encode() + b"\0"
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def initramfs(init_binary, out):
    data = open(init_binary, "rb").read()
    with open(out, "wb") as f:
        f.write(cpio_entry("dev", 0o40755))
        f.write(cpio_entry("dev/console", 0o20600, rdev=(5, 1)))
        f.write(cpio_entry("init", 0o100755, data))
        f.write(cpio_entry("TRAILER!!!", 0))


def run(results, build):
    """Add Linux's figures to results; True unless a run failed (no kernel: skipped)."""
    from bench import run_modes
    linux_dir = os.path.join(build, "linux")
    try:
        vmlinuz = kernel(linux_dir)
    except (subprocess.CalledProcessError, StopIteration, IndexError, OSError) as e:
        print(f"bench: no Linux kernel to compare with ({e}); Linux figures skipped")
        return True
    init = os.path.join(linux_dir, "lbench")
    sh("musl-gcc", "-static", "-O2", "-Ibench", "-o", init, "bench/linux/lbench.c")
    ramfs = os.path.join(linux_dir, "initramfs.cpio")
    initramfs(init, ramfs)
    return run_modes(results, "Linux", kernel=vmlinuz, cmdline="console=ttyS0 quiet",
                     extra=["-initrd", ramfs], timeout=600,
                     rename=lambda n: n if n.startswith(("linux_", "pagefault")) else "linux_" + n
                     ) is not None


if __name__ == "__main__":
    import json
    from bench import save
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out = os.path.join(build, "bench", "results.json")
    results = json.load(open(out)) if os.path.exists(out) else {}
    ok = run(results, build)
    save(results, build)
    sys.exit(0 if ok else 1)
