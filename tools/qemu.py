#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Mica in QEMU, capture the serial console, enforce a timeout.

Used by the boot tests (tests/check.py) and, later, the benchmarks. The kernel is told
`debugexit`, so it ends QEMU through the isa-debug-exit device: QEMU's exit status then
says why the machine stopped (docs/testing.md)."""
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, field

# QEMU exit statuses for the kernel's enum halt_reason, written to isa-debug-exit as 0x10 + n.
EXIT_REASONS = {33: "success", 35: "failure", 37: "panic"}

DEFAULT_FLAGS = ("-machine q35 -cpu max -m 128M -display none -no-reboot "
                 "-device isa-debug-exit,iobase=0xf4,iosize=0x04")


@dataclass
class Boot:
    output: str = ""
    status: int = 0
    reason: str = ""            # success, failure, panic, timeout or "qemu exit N"
    seconds: float = 0.0        # wall time of the whole run
    line_times: list = field(default_factory=list)   # (seconds since start, line)

    def first_time(self, text):
        """Seconds from QEMU's start until the first line containing text, or None."""
        return next((t for t, line in self.line_times if text in line), None)


def qemu_command(kernel=None, modules=(), cmdline="debugexit", cdrom=None, extra=()):
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    flags = shlex.split(os.environ.get("QEMU_FLAGS", DEFAULT_FLAGS))
    # The harness reads the serial console from a pipe: drop any other serial setup.
    while "-serial" in flags:
        i = flags.index("-serial")
        del flags[i:i + 2]
    cmd = [qemu, *flags, "-serial", "stdio", "-monitor", "none", *extra]
    if cdrom:
        return cmd + ["-cdrom", cdrom]
    cmd += ["-kernel", kernel, "-append", cmdline]
    if modules:
        if any("," in m for m in modules):
            raise ValueError("QEMU cannot pass a module path containing ','")
        cmd += ["-initrd", ",".join(modules)]
    return cmd


def boot(timeout=30.0, script=(), **kw):
    """Run QEMU until it exits or timeout seconds pass; return a Boot. script: (regex, text)
    pairs: once the console shows the regex (after the previous step's match), the text is
    typed on the serial console, as a person would."""
    cmd = qemu_command(**kw)
    start = time.monotonic()
    result = Boot()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if script else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    steps = list(script)
    seen = 0                    # console text up to here is matched already
    lines = []
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    pending = b""
    timed_out = False
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        if not sel.select(left):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        pending += chunk
        now = time.monotonic() - start
        *done, pending = pending.split(b"\n")
        for raw in done:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            lines.append(line)
            result.line_times.append((now, line))
        while steps:
            text = "\n".join(lines) + "\n" + pending.decode("utf-8", "replace")
            m = re.compile(steps[0][0]).search(text, seen)
            if not m:
                break
            seen = m.end()
            proc.stdin.write(steps.pop(0)[1].encode())
            proc.stdin.flush()
    if timed_out:
        proc.kill()
    proc.wait()
    if pending:
        lines.append(pending.decode("utf-8", "replace"))
    result.seconds = time.monotonic() - start
    result.output = "\n".join(lines)
    result.status = proc.returncode
    if timed_out:
        result.reason = "timeout"
    else:
        result.reason = EXIT_REASONS.get(proc.returncode, f"qemu exit {proc.returncode}")
    return result


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kernel")
    ap.add_argument("modules", nargs="*")
    ap.add_argument("--append", default="debugexit")
    ap.add_argument("--timeout", type=float, default=30)
    args = ap.parse_args()
    r = boot(kernel=args.kernel, modules=args.modules, cmdline=args.append, timeout=args.timeout)
    print(r.output)
    print(f"[{r.reason} after {r.seconds:.2f} s]")
    raise SystemExit(0 if r.reason == "success" else 1)
