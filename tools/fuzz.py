#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the in-guest system-call fuzzer (tests/guest/fuzz.c) under QEMU and report.

Boots fuzz.elf (root task) and fuzz_workload.elf with a seed and a number of calls, reads the
serial log, and prints one line:

    fuzz calls=<n> kernel_panics=<n> workload_errors=<n> seed=<s>

A kernel panic (counted from the log), a hang (no exit before the timeout) or a wrong
workload result fails the run (exit status 1) and prints how to replay it."""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import qemu  # noqa: E402


def run(build, seed, calls, check_invariants, timeout, extra=()):
    opts = ["debugexit", f"fuzzseed={seed}", f"fuzzcalls={calls}", *extra]
    if check_invariants:
        opts.append("checkinvariants")
    user = os.path.join(build, "user")
    start = time.monotonic()
    kernel = "kernel-check.elf" if check_invariants else "kernel.elf"
    boot = qemu.boot(kernel=os.path.join(build, kernel),
                     modules=[os.path.join(user, "fuzz.elf"),
                              os.path.join(user, "fuzz_workload.elf")],
                     cmdline=" ".join(opts), timeout=timeout)
    seconds = time.monotonic() - start
    log = boot.output
    done = re.search(r"fuzz: done calls=(\d+) .*workload_errors=(\d+) seed=(\d+)", log)
    progress = re.findall(r"fuzz: progress calls=(\d+)", log)
    panics = len(re.findall(r"mica: PANIC", log))
    n = int(done.group(1)) if done else int(progress[-1]) if progress else 0
    workload_errors = int(done.group(2)) if done else 0
    print(f"fuzz calls={n} kernel_panics={panics} workload_errors={workload_errors} seed={seed}")
    print(f"    ({seconds:.1f} s{', invariants checked after every kernel exit' if check_invariants else ''};"
          f" machine stopped by {boot.reason})")
    ok = panics == 0 and done is not None and workload_errors == 0 and boot.reason == "success"
    if not ok:
        if boot.reason == "timeout":
            print(f"    the machine did not stop within {timeout:.0f} s: a hang")
        for line in log.splitlines():
            if "PANIC" in line or "invariant" in line or "fuzz: generation" in line:
                print("    " + line.strip())
        print("    serial log tail:\n      " + "\n      ".join(log.splitlines()[-15:]))
        print(f"    replay: python3 tools/fuzz.py --seed {seed} --calls {calls}"
              f"{' --check-invariants' if check_invariants else ''}"
              " (add --extra fuzzgen=G --extra fuzztrace for one generation, call by call)")
    return ok


CHAOS = ["init.elf", "manifests/chaos/manifest", "names.elf", "supervisor.elf", "console.elf",
         "timer.elf", "chaos.elf"]


def chaos(build, timeout=600):
    """Fault injection at length (tests/guest/chaos.c) with the kernel's invariants checked
    after every kernel exit: the checks slow the clients down, so the servers are crashed
    many more times than in make check's run."""
    user = os.path.join(build, "user")
    boot = qemu.boot(kernel=os.path.join(build, "kernel-check.elf"), timeout=timeout,
                     modules=[os.path.join(user, m) for m in CHAOS],
                     cmdline="debugexit checkinvariants")
    log = boot.output
    report = re.search(r"chaos: kills=(\d+) restarts=(\d+) client_errors_unrecovered=(\d+) "
                       r"lost_output_lines=(\d+)", log)
    lines = set(re.findall(r"^chaos client (\d) line (\d+)$", log, re.M))
    lost = 2 * 150 - len(lines)
    panics = len(re.findall(r"mica: PANIC", log))
    if report:
        print(f"chaos kills={report[1]} restarts={report[2]} client_errors_unrecovered={report[3]}"
              f" lost_output_lines={lost} kernel_panics={panics}")
    ok = (report is not None and report[1] == report[2] and report[3] == "0" and lost == 0 and
          not panics and boot.reason == "success")
    if not ok:
        print(f"chaos failed (machine stopped by {boot.reason}); serial log tail:\n      " +
              "\n      ".join(log.splitlines()[-20:]))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seed", type=int, help="default: a new one, printed")
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--check-invariants", action="store_true",
                    help="check every kernel invariant after every kernel exit (slow)")
    ap.add_argument("--timeout", type=float, help="seconds; default from --calls")
    ap.add_argument("--extra", action="append", default=[],
                    help="more kernel command-line words (fuzzgen=G, fuzztrace)")
    ap.add_argument("--chaos", action="store_true",
                    help="instead: crash the servers again and again, invariants checked")
    args = ap.parse_args()
    if args.chaos:
        return 0 if chaos(args.build) else 1
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    per_call = 2e-3 if args.check_invariants else 2e-4      # generous: TCG speeds vary
    timeout = args.timeout or 60 + args.calls * per_call
    ok = run(args.build, seed, args.calls, args.check_invariants, timeout, args.extra)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
