#!/usr/bin/env python3
"""make bench, report: reads build/bench/raw.jsonl (one object per run, from
scripts/bench-guest.sh) and machine.json, prints the table, writes
results.json (every run + the summary) and pps-vs-flows.{dat,png}.

Comparisons are pair by pair: within a kernel, variants measured in the same
boot and round (floor, classic, fast...) form a pair; across kernels, the
ours and mainline boots of the same pair index form one (per-boot value =
median over its rounds). Each ratio is printed as median [min-max]."""
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

outdir = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
runs = [json.loads(l) for l in open(os.path.join(outdir, "raw.jsonl")) if l.strip()]
try:
    machine = json.load(open(os.path.join(outdir, "machine.json")))
except OSError:
    machine = {}
KERNELS = ["ours", "mainline"]
# the netdevsim scenario: our kernel booted on netdevsim ports (bench.sh)
NSIM = "ours-nsim"


def med(xs):
    return statistics.median(xs) if xs else None


def stat(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": med(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s, scale=1.0, prec=0, unit=""):
    if not s:
        return "-"
    f = "%%.%df" % prec
    return (f % (s["median"] * scale) + unit + " [" + f % (s["min"] * scale) + "-"
            + f % (s["max"] * scale) + "]")


# runs by (kernel, boot, round) -> {(variant, flows): run}
cell = defaultdict(dict)
for r in runs:
    if r["variant"] in ("memory", "reval"):
        continue
    cell[(r["kernel"], r["boot"], r["round"])][(r["variant"], r["flows"])] = r
# hop cost of a run in microseconds: 1/pps - 1/floor_pps of the same round
for (k, b, rd), vs in cell.items():
    floor = vs.get(("floor", 1))
    for key, r in vs.items():
        if floor and r["pps"] > 0 and key[0] != "floor":
            r["hop_us"] = (1.0 / r["pps"] - 1.0 / floor["pps"]) * 1e6

variants = sorted({key for vs in cell.values() for key in vs},
                  key=lambda v: (["floor", "classic", "fast", "masq", "norev", "commits", "icommits",
                                 "ichecks", "hw"].index(v[0]), v[1]))
flows = sorted({v[1] for v in variants if v[0] in ("classic", "fast")})
summary = {"variants": {}, "ratios": {}, "memory": {}, "setup": {}}

# --- per variant, per kernel: pps, hop cost, slow-path packets ---
lines = []
hdr = "%-18s %-9s %-26s %-22s %s" % ("variant", "kernel", "pps median [min-max]", "hop cost us", "slow-path pkts")
lines += [hdr, "-" * len(hdr)]
for v in variants:
    name = "%s %d" % v if v[0] != "floor" else "floor (no router)"
    for k in KERNELS + [NSIM]:
        rs = [vs[v] for (kk, b, rd), vs in cell.items() if kk == k and v in vs]
        if not rs:
            continue
        s = {"pps": stat([r["pps"] for r in rs]), "hop_us": stat([r.get("hop_us") for r in rs]),
             "slowpath_pkts_max": max(r.get("slowpath_pkts", 0) for r in rs),
             "cpu_us_per_pkt": stat([r.get("cpu_us_per_pkt") for r in rs])}
        summary["variants"]["%s/%s/%d" % (k, v[0], v[1])] = s
        lines.append("%-18s %-9s %-26s %-22s %s" % (name, k, fmt(s["pps"]), fmt(s["hop_us"], prec=2),
                                                 s["slowpath_pkts_max"] if v[0] != "classic" else "(all)"))


# --- ratios within a kernel, pair by pair (same boot and round) ---
def within(k, num, den, f):
    out = []
    for (kk, b, rd), vs in cell.items():
        if kk == k and num in vs and den in vs:
            x = f(vs[num], vs[den])
            if x is not None:
                out.append(x)
    return stat(out)


def pps_ratio(a, b):
    return a["pps"] / b["pps"] if b["pps"] else None


def hop_ratio(a, b):  # b's hop cost / a's hop cost: how many times cheaper a's hop is
    return b["hop_us"] / a["hop_us"] if a.get("hop_us") and b.get("hop_us") else None


rl = []


def add(label, key, s, prec=2):
    summary["ratios"][key] = s
    rl.append("%-62s %s" % (label, fmt(s, prec=prec)))


for k in KERNELS:
    for n in flows:
        add("%s: fast/classic pps, %d flows" % (k, n), "%s/fast_over_classic_pps/%d" % (k, n),
            within(k, ("fast", n), ("classic", n), pps_ratio))
        add("%s: classic/fast hop cost, %d flows" % (k, n), "%s/classic_over_fast_hop/%d" % (k, n),
            within(k, ("fast", n), ("classic", n), hop_ratio))
    add("%s: fast/floor pps, 1 flow (closeness to no router)" % k, "%s/fast_over_floor_pps/1" % k,
        within(k, ("fast", 1), ("floor", 1), pps_ratio))
    add("%s: masquerade/fast pps, 1 flow" % k, "%s/masq_over_fast_pps/1" % k,
        within(k, ("masq", 1), ("fast", 1), pps_ratio))
# policy coherence (ours only): the per-packet check, and a commit stream
add("ours: fast/norev pps, 1 flow (revalidation on vs off)", "ours/fast_over_norev_pps/1",
    within("ours", ("fast", 1), ("norev", 1), pps_ratio), prec=3)
add("ours: norev/fast hop cost, 1 flow (>=0.97: within 3%)", "ours/norev_over_fast_hop/1",
    within("ours", ("fast", 1), ("norev", 1), hop_ratio), prec=3)
add("ours-nsim: hw/fast pps, 1 flow (netdevsim model vs software)", "ours/hw_over_fast_pps/1",
    within(NSIM, ("hw", 1), ("fast", 1), pps_ratio))
add("ours-nsim: fast/hw hop cost, 1 flow (>1: the model is cheaper)", "ours/fast_over_hw_hop/1",
    within(NSIM, ("hw", 1), ("fast", 1), hop_ratio))
add("ours-nsim: fast/floor pps, 1 flow (netdevsim ports)", "ours/nsim_fast_over_floor_pps/1",
    within(NSIM, ("fast", 1), ("floor", 1), pps_ratio))
add("ours: commits/fast pps, 1 flow (a commit every 100 ms)", "ours/commits_over_fast_pps/1",
    within("ours", ("commits", 1), ("fast", 1), pps_ratio), prec=3)
add("ours: icommits/fast pps, 1 flow (commits to an input-only table)",
    "ours/icommits_over_fast_pps/1", within("ours", ("icommits", 1), ("fast", 1), pps_ratio), prec=3)
add("ours: icommits/ichecks pps, 1 flow (the commits, not nft itself)",
    "ours/icommits_over_ichecks_pps/1", within("ours", ("icommits", 1), ("ichecks", 1), pps_ratio),
    prec=3)


# --- ratios across kernels, pair by pair (boot index) ---
def per_boot(k, v, field):
    d = defaultdict(list)
    for (kk, b, rd), vs in cell.items():
        if kk == k and v in vs and vs[v].get(field) is not None:
            d[b].append(vs[v][field])
    return {b: med(xs) for b, xs in d.items()}


def across(v, field, invert=False):
    o, m = per_boot("ours", v, field), per_boot("mainline", v, field)
    out = []
    for b in sorted(set(o) & set(m)):
        if o[b] and m[b]:
            out.append(m[b] / o[b] if invert else o[b] / m[b])
    return stat(out)


for v in variants:
    if v[0] == "hw":  # ours-nsim only
        continue
    if v[0] == "floor":
        add("ours/mainline floor pps (same setup: should be ~1)", "ours_over_mainline_pps/floor/1",
            across(v, "pps"))
        continue
    add("ours/mainline pps, %s %d flows" % v, "ours_over_mainline_pps/%s/%d" % v, across(v, "pps"))
    if v[0] != "classic":
        add("mainline/ours hop cost (>1: ours cheaper), %s %d" % v, "mainline_over_ours_hop/%s/%d" % v,
            across(v, "hop_us", invert=True))
# gain over classic, ours vs mainline, pair by pair
for n in flows:
    gains = {}
    for k in KERNELS:
        d = defaultdict(list)
        for (kk, b, rd), vs in cell.items():
            if kk == k and ("fast", n) in vs and ("classic", n) in vs:
                d[b].append(vs[("fast", n)]["pps"] / vs[("classic", n)]["pps"])
        gains[k] = {b: med(xs) for b, xs in d.items()}
    g = [gains["ours"][b] / gains["mainline"][b] for b in sorted(set(gains["ours"]) & set(gains["mainline"]))]
    add("ours' gain over classic / mainline's gain, %d flows" % n, "gain_ratio/%d" % n, stat(g))

# --- memory per offloaded flow, flow setup rate ---
ml = []
for k in KERNELS:
    mem = [r for r in runs if r["variant"] == "memory" and r["kernel"] == k]
    s = {"slab_bytes_per_flow": stat([r["slab_bytes_per_flow"] for r in mem]),
         "used_bytes_per_flow": stat([r["used_bytes_per_flow"] for r in mem]),
         "flows": [r["flows"] for r in mem], "offloaded": [r["ct_offload"] for r in mem]}
    summary["memory"][k] = s
    ml.append("%-9s memory per offloaded flow: slab %s B, all memory %s B (offloaded %s of %s)"
              % (k, fmt(s["slab_bytes_per_flow"]), fmt(s["used_bytes_per_flow"]),
                 "/".join(map(str, s["offloaded"])), "/".join(map(str, s["flows"]))))
nmax = max(flows) if flows else 0
for k in KERNELS:
    rs = [vs[("fast", nmax)] for (kk, b, rd), vs in cell.items() if kk == k and ("fast", nmax) in vs]
    rc = [vs[("classic", nmax)] for (kk, b, rd), vs in cell.items() if kk == k and ("classic", nmax) in vs]
    s = stat([r.get("setup_flows_per_s") for r in rs])
    summary["setup"][k] = {"flows": nmax, "offloaded_flows_per_s": s,
                           "classic_flows_per_s": stat([r.get("setup_flows_per_s") for r in rc]),
                           "ct_offload": [r.get("ct_offload") for r in rs],
                           "fp_flows": [r.get("fp_flows") for r in rs]}
    ml.append("%-9s flow setup, %d flows to offloaded state: %s flows/s (classic conntrack only: %s)"
              % (k, nmax, fmt(s), fmt(summary["setup"][k]["classic_flows_per_s"])))


reval = [r for r in runs if r["variant"] == "reval"]
if reval:
    s = stat([r["us_per_revalidation"] for r in reval])
    summary["revalidation"] = {"flows": [r["flows"] for r in reval], "us_per_flow": s,
                               "revalidated": [r["revalidated"] for r in reval]}
    ml.append("ours      revalidating %s flows after one commit: %s us per flow (revalidated %s)"
              % ("/".join(str(r["flows"]) for r in reval), fmt(s, prec=2),
                 "/".join(str(r["revalidated"]) for r in reval)))


for key, label in (("slab_bytes_per_flow", "slab"), ("used_bytes_per_flow", "all memory")):
    o = {r["boot"]: r[key] for r in runs if r["variant"] == "memory" and r["kernel"] == "ours"}
    m = {r["boot"]: r[key] for r in runs if r["variant"] == "memory" and r["kernel"] == "mainline"}
    add("ours/mainline memory per flow (%s)" % label, "ours_over_mainline_mem/%s" % key,
        stat([o[b] / m[b] for b in sorted(set(o) & set(m)) if m[b]]))
add("ours/mainline flow setup rate, %d flows" % nmax, "ours_over_mainline_setup/%d" % nmax,
    across(("fast", nmax), "setup_flows_per_s"))

# offload checks: every fast/masq run should leave the forward chain alone
problems = []
for r in runs:
    if r["variant"] in ("fast", "masq", "norev", "hw"):
        if r.get("ct_offload") is not None and r["ct_offload"] < r["flows"]:
            problems.append("%s boot %s round %s %s %d flows: only %s conntrack entries [OFFLOAD]"
                            % (r["kernel"], r["boot"], r["round"], r["variant"], r["flows"], r["ct_offload"]))
        if r.get("slowpath_pkts", 0) > r["rx"] * 0.01:
            problems.append("%s boot %s round %s %s %d flows: %d of %d packets took the classic path"
                            % (r["kernel"], r["boot"], r["round"], r["variant"], r["flows"],
                               r["slowpath_pkts"], r["rx"]))
summary["problems"] = problems

print("\n=== make bench: %s, %s host cores, %s, guest %s vCPUs; %s pair(s) x %s round(s), %ss per run%s"
      % (machine.get("cpu_model", "?"), machine.get("host_cores", "?"), machine.get("accel", "?"),
         machine.get("guest_vcpus", "?"), machine.get("pairs", "?"), machine.get("rounds", "?"),
         machine.get("secs", "?"), " (QUICK)" if machine.get("quick") else ""))
print("pps at the sink (64-byte UDP from pktgen); hop cost = 1/pps - 1/floor_pps of the same round\n")
print("\n".join(lines))
print("\nratios, pair by pair: median [min-max]")
print("\n".join(rl))
print()
print("\n".join(ml))
if problems:
    print("\nPROBLEMS:")
    print("\n".join("  " + p for p in problems))

json.dump({"machine": machine, "summary": summary, "runs": runs},
          open(os.path.join(outdir, "results.json"), "w"), indent=1)

# --- plot: pps against number of flows ---
dat = os.path.join(outdir, "pps-vs-flows.dat")
series = [("classic", "mainline", "classic forwarding (mainline kernel)"),
          ("classic", "ours", "classic forwarding (ours kernel)"),
          ("fast", "mainline", "mainline flowtable"),
          ("fast", "ours", "ours (nf_fastpath)")]
with open(dat, "w") as f:
    for var, k, title in series:
        f.write("# %s\n" % title)
        for n in flows:
            s = summary["variants"].get("%s/%s/%d" % (k, var, n))
            if s:
                f.write("%d %.0f %.0f %.0f\n" % (n, s["pps"]["median"], s["pps"]["min"], s["pps"]["max"]))
        f.write("\n\n")
floors = [summary["variants"].get("%s/floor/1" % k) for k in KERNELS]
floor = med([s["pps"]["median"] for s in floors if s])
png = os.path.join(outdir, "pps-vs-flows.png")
if shutil.which("gnuplot") and flows:
    plot = ", ".join("'%s' index %d using 1:2:3:4 with yerrorlines title '%s'" % (dat, i, t)
                     for i, (_, _, t) in enumerate(series))
    if floor:
        plot += ", %f with lines dashtype 2 title 'floor (no router)'" % floor
    gp = ("set terminal pngcairo size 900,560 noenhanced; set output '%s'; set logscale x; "
          "set xrange [0.5:%d]; set yrange [0:*]; set key outside below; set grid; "
          "set xlabel 'concurrent flows'; set ylabel 'packets per second at the sink (median, min-max)'; "
          "set title 'forwarding, 64-byte UDP, %s (%s)'; plot %s"
          % (png, max(flows) * 2, machine.get("accel", ""), machine.get("date", ""), plot))
    r = subprocess.run(["gnuplot", "-e", gp], capture_output=True, text=True)
    if r.returncode != 0:
        gp = gp.replace("pngcairo", "png")
        r = subprocess.run(["gnuplot", "-e", gp], capture_output=True, text=True)
    print("\nplot: %s" % png if r.returncode == 0 else "\nplot failed: %s" % r.stderr.strip())
else:
    print("\nplot skipped (no gnuplot); data in %s" % dat)
print("results: %s" % os.path.join(outdir, "results.json"))
