#!/usr/bin/env python3
"""Alternate commands and report each one's wall time, fork to exit.

    scripts/startcmp.py 100 /tmp/hello "/tmp/parley-base version" "PARLEY_NO_PREFAULT=1 /tmp/parley-new version"

Each argument after the count is a command line, optionally prefixed by NAME=VALUE
environment settings; the commands run in turn, count rounds, and the min, p10,
p25 and median are printed per command. Copy the binaries with cp just before: on
the CI VM a binary whose file has sat in the page cache for half an hour starts
~10 ms slower than a fresh copy of the same bytes (docs/BENCHMARKS.md, session 26).
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    n = int(sys.argv[1])
    cases = sys.argv[2:]
    res = {c: [] for c in cases}
    for _ in range(n):
        for c in cases:
            env = dict(os.environ)
            parts = c.split()
            while '=' in parts[0]:
                k, v = parts.pop(0).split('=', 1)
                env[k] = v
            t = time.perf_counter()
            subprocess.run(parts, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            res[c].append((time.perf_counter() - t) * 1000)
    for c in cases:
        r = sorted(res[c])
        print(f"{c:55s} min {r[0]:6.1f} p10 {r[len(r)//10]:6.1f} p25 {r[len(r)//4]:6.1f} med {statistics.median(r):6.1f} ms")


if __name__ == '__main__':
    main()
