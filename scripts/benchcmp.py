#!/usr/bin/env python3
"""Alternate Go test binaries' benchmarks and report the best and median of each.

The machines here are shared and noisy: a before/after figure means something only
when both sides ran in the same session, interleaved. Build each side's test binary
(go test -c -o /tmp/before.test ./pkg, in each tree), then:

    scripts/benchcmp.py -rounds 5 -bench TurnWithSQLite -dir internal/store/sqlite \
        /tmp/before.test /tmp/after.test

Each round runs every binary once with -test.benchtime 100x; the metric read is the
first custom one on each line (cpu-µs/turn for the SQLite benchmark) unless -unit
names another.
"""
import argparse, collections, re, statistics, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("-rounds", type=int, default=5)
ap.add_argument("-bench", required=True)
ap.add_argument("-benchtime", default="100x")
ap.add_argument("-dir", default=".", help="working directory of the test binaries (their package's)")
ap.add_argument("-unit", default="cpu-µs/turn")
ap.add_argument("binaries", nargs="+")
a = ap.parse_args()

res = collections.defaultdict(list)
for _ in range(a.rounds):
    for b in a.binaries:
        out = subprocess.run([b, "-test.run", "^$", "-test.bench", a.bench, "-test.benchtime", a.benchtime],
                             capture_output=True, text=True, cwd=a.dir, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"(Benchmark\S+)\s+\d+\s+\d+ ns/op\s+(.*)", line)
            if not m:
                continue
            for val, unit in re.findall(r"([\d.]+) (\S+)", m.group(2)):
                if unit == a.unit:
                    res[(m.group(1), b)].append(float(val))
for (bench, b), v in sorted(res.items()):
    print(f"{bench:40s} {b:28s} best {min(v):8.1f}  median {statistics.median(v):8.1f}  {a.unit} (n={len(v)})")
