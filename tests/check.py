#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make check: the host unit tests, then the boot tests under QEMU; one summary line.

Every test prints one line, PASS or FAIL; a failure prints why, with the tail of the serial
log. The run ends with "N passed, N failed" and exits non-zero if anything failed."""
import argparse
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import hostfuzz  # noqa: E402
import qemu  # noqa: E402
from boot_tests import boot_tests  # noqa: E402

results = []        # (name, ok)


def report(name, ok, detail=""):
    results.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}")
    if not ok and detail:
        print("    " + detail.rstrip().replace("\n", "\n    "))


def run_host_tests(build):
    """cmocka binaries, in TAP mode: one result per 'ok' / 'not ok' line."""
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    binaries = sorted(glob.glob(os.path.join(build, "host", "test_*")))
    binaries = [b for b in binaries if os.access(b, os.X_OK) and not b.endswith(".d")]
    if not binaries:
        report("host_tests_built", False, f"no test binaries in {build}/host")
    for binary in binaries:
        suite = os.path.basename(binary)[len("test_"):]
        try:
            proc = subprocess.run([binary], env=env, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            report(f"host.{suite}.exit", False, "timed out after 120 s")
            continue
        seen = 0
        for line in proc.stdout.splitlines():
            m = re.match(r"(not ok|ok) \d+ - (\S+)", line)
            if m:
                seen += 1
                report(f"host.{suite}.{m.group(2)}", m.group(1) == "ok",
                       "\n".join(l for l in proc.stdout.splitlines() if m.group(2) in l))
        if proc.returncode != 0 or seen == 0:
            report(f"host.{suite}.exit", False,
                   f"exit status {proc.returncode}, {seen} results\n{proc.stdout[-2000:]}"
                   f"{proc.stderr[-3000:]}")


def run_host_fuzz(build, runs):
    """A short libFuzzer run of each target, from a fixed seed: one result each."""
    for target in hostfuzz.TARGETS:
        try:
            ok, summary, tail = hostfuzz.run(build, target, runs=runs, seed=1)
        except (OSError, subprocess.TimeoutExpired) as e:
            ok, summary, tail = False, str(e), ""
        report(f"host.fuzz.{target}", ok, summary + "\n" + ("" if ok else tail))


def symbolize(kernel, addrs):
    """Function names for kernel return addresses (the call instruction is just before)."""
    if not addrs:
        return []
    out = subprocess.run(["addr2line", "-f", "-e", kernel] + [hex(a - 1) for a in addrs],
                         capture_output=True, text=True).stdout.splitlines()
    return out[0::2]


def check_boot(test, build):
    kw = dict(timeout=test.timeout, extra=test.qemu_extra, script=test.script)
    # Boots that check the kernel's invariants need the checking kernel (docs/reliability.md).
    kernel = os.path.join(build, "kernel-check.elf" if "checkinvariants" in test.cmdline
                          else "kernel.elf")
    if test.cdrom:
        kw["cdrom"] = os.path.join(build, test.cdrom)
    else:
        kw.update(kernel=kernel, cmdline=" ".join(["debugexit", *test.cmdline]),
                  modules=[m for pat in test.modules
                           for m in sorted(glob.glob(os.path.join(build, "user", pat)))])
    boot = qemu.boot(**kw)
    log = boot.output.splitlines()
    tail = "serial log (last 40 lines):\n" + "\n".join(log[-40:])
    problems = []

    if boot.reason != test.reason:
        problems.append(f"machine stopped by {boot.reason}, expected {test.reason}")
    pos = 0
    for pattern in test.expect_any_order:       # each somewhere, all before test.expect
        hit = next((i for i, line in enumerate(log) if re.search(pattern, line)), None)
        if hit is None:
            problems.append(f"no line matching {pattern!r}")
        else:
            pos = max(pos, hit + 1)
    if not test.any_order_before:
        pos = 0
    for pattern in test.expect:                 # each in order, after the previous one
        rx = re.compile(pattern)
        hit = next((i for i in range(pos, len(log)) if rx.search(log[i])), None)
        if hit is None:
            problems.append(f"no line matching {pattern!r} (in order)")
        else:
            pos = hit + 1
    for pattern in test.forbid:
        for line in log:
            if re.search(pattern, line):
                problems.append(f"unexpected line: {line}")
    if test.trace_through:
        addrs = [int(a, 16) for a in re.findall(r"#\d+ ([0-9a-f]{16})", boot.output)]
        names = symbolize(kernel, addrs)
        for fn in test.trace_through:
            if fn not in names:
                problems.append(f"stack trace {names} does not pass through {fn}()")
    if test.within_seconds:
        t = boot.first_time(test.expect[-1].replace("\\", ""))
        if t is None or t > test.within_seconds:
            problems.append(f"took {t} s to the last expected line, limit {test.within_seconds} s")
        else:
            print(f"    ({test.name}: {t:.2f} s from QEMU start to the last expected line)")
    report(f"boot.{test.name}", not problems, "\n".join(problems) + "\n" + tail)

    # In-guest tests report themselves: one result per TEST line.
    for line in log:
        m = re.match(r"TEST (PASS|FAIL) (\S+?):?(?: (.*))?$", line)
        if m:
            report(f"guest.{test.name}.{m.group(2)}", m.group(1) == "PASS", m.group(3) or "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", help="run only the boot tests whose name contains this")
    ap.add_argument("--fuzz-runs", type=int, default=20000,
                    help="inputs per libFuzzer target (make fuzz runs them longer)")
    args = ap.parse_args()

    if not args.only:
        run_host_tests(args.build)
        run_host_fuzz(args.build, args.fuzz_runs)
    for test in boot_tests(args.build):
        if not args.only or args.only in test.name:
            check_boot(test, args.build)

    failed = [name for name, ok in results if not ok]
    if failed:
        print("\nfailed: " + " ".join(failed))
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
