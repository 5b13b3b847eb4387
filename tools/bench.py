#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: boot the in-guest benchmarks twice and report their figures.

Once under -icount shift=0,sleep=off, where the guest TSC advances one tick per guest
instruction (deterministic instruction counts), once under plain TCG (relative times).
Prints "bench <name> <mode> median=<n> min=<n>" and writes build/bench/results.json."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import qemu  # noqa: E402

MODES = {"icount": ["-icount", "shift=0,sleep=off"], "tcg": []}


def parse(output):
    """(name, median, min) for each BENCH line of a run's console."""
    return re.findall(r"^BENCH (\S+) median=(\d+) min=(\d+)", output, re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    user = os.path.join(args.build, "user")
    results = {}
    for mode, extra in MODES.items():
        boot = qemu.boot(kernel=os.path.join(args.build, "kernel.elf"),
                         modules=[os.path.join(user, "bench.elf"),
                                  os.path.join(user, "bench_server.elf")],
                         extra=extra, timeout=300)
        found = parse(boot.output)
        if boot.reason != "success" or not found:
            print(boot.output[-3000:])
            print(f"bench: the {mode} run failed ({boot.reason})", file=sys.stderr)
            return 1
        for name, median, low in found:
            results.setdefault(name, {})[mode] = {"median": int(median), "min": int(low)}
            print(f"bench {name} {mode} median={median} min={low}")
    out = os.path.join(args.build, "bench", "results.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    import linux_bench                  # the same figures from Linux, beside them
    err = linux_bench.main(args.build)
    print(f"bench: figures in {out}")
    return err


if __name__ == "__main__":
    sys.exit(main())
