#!/usr/bin/env python3
"""Before/after ratios of one change: reads the raw.jsonl of a bench run of
two kernels (BENCH_KERNELS="BEFORE AFTER", booted alternately) and prints,
per variant, AFTER/BEFORE pps and BEFORE/AFTER hop cost (>1: the change
made the hop cheaper), pair by pair (boots of the same pair index; per boot
the median over its rounds), as median [min-max].

usage: scripts/bench-compare.py OUTDIR BEFORE AFTER"""
import json
import os
import statistics
import sys
from collections import defaultdict

if len(sys.argv) != 4:
    sys.exit(__doc__.split("\n\n")[-1])
outdir, before, after = sys.argv[1:]
runs = [json.loads(l) for l in open(os.path.join(outdir, "raw.jsonl")) if l.strip()]

cell = defaultdict(dict)  # (kernel, boot, round) -> {(variant, flows): run}
for r in runs:
    if "pps" in r:
        cell[(r["kernel"], r["boot"], r["round"])][(r["variant"], r["flows"])] = r
for vs in cell.values():
    floor = vs.get(("floor", 1))
    for key, r in vs.items():
        if floor and r["pps"] > 0 and key[0] != "floor":
            r["hop_us"] = (1.0 / r["pps"] - 1.0 / floor["pps"]) * 1e6


def per_boot(kernel, v, field):
    d = defaultdict(list)
    for (k, b, _), vs in cell.items():
        if k == kernel and v in vs and vs[v].get(field):
            d[b].append(vs[v][field])
    return {b: statistics.median(xs) for b, xs in d.items()}


def ratios(v, field, invert):
    x, y = per_boot(before, v, field), per_boot(after, v, field)
    return [(x[b] / y[b]) if invert else (y[b] / x[b]) for b in sorted(set(x) & set(y))]


def fmt(xs):
    if not xs:
        return "-"
    return "%.3f [%.3f-%.3f] (%d pairs)" % (statistics.median(xs), min(xs), max(xs), len(xs))


variants = sorted({v for vs in cell.values() for v in vs})
print("%s -> %s, pair by pair: median [min-max]" % (before, after))
for v in variants:
    name = "%s %d" % v
    print("%-16s pps %s/%s   %s" % (name, after, before, fmt(ratios(v, "pps", False))))
    if v[0] != "floor":
        print("%-16s hop %s/%s   %s" % ("", before, after, fmt(ratios(v, "hop_us", True))))
