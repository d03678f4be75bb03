#!/usr/bin/env python3
"""PNG plots (gnuplot) from relay_loadgen JSON lines.

    plot.py --out benchmarks/plots results/A.jsonl [results/B.jsonl ...]

* fanout-cdf-<label>.png: end-to-end latency CDF per fan-out scenario, Relay vs nchan
  (the last run of each in the files given).
* fanout-cdf-all.png: every fixed-rate fan-out scenario on one page.
* slow-rss.png: server memory per second, with and without slow subscribers.
* slow-fast-latency.png: the fast subscribers' p99 per second, same runs.
"""
import json
import os
import subprocess
import sys
import tempfile

COLORS = {"relay": "#1f77b4", "nchan": "#d62728"}


def load(paths):
    last = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    last[(r["mode"], r["label"], r.get("peer", "relay"))] = r
    return last


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def write(tmp, name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        for row in rows:
            f.write(" ".join(str(x) for x in row) + "\n")
    return path


def cdf_plot(tmp, label, runs):
    """Plot commands for one scenario's CDFs; runs: {peer: result}."""
    cmds = []
    for peer, r in sorted(runs.items(), reverse=True):
        pts = [(max(ms, 0.001), q) for ms, q in r.get("e2e_cdf", [])]
        if not pts:
            continue
        d = write(tmp, f"{label}-{peer}.dat", pts)
        p99 = r["e2e_ms"]["p99"]
        title = f"{peer}: p50 {r['e2e_ms']['p50']:g} ms, p99 {p99:g} ms, {r['deliveries_per_s']:,.0f}/s"
        cmds.append(f"'{d}' using 1:2 with lines lw 2 lc rgb '{COLORS.get(peer, 'black')}' title \"{title}\"")
    return cmds


def main(args):
    out = "benchmarks/plots"
    if args[:1] == ["--out"]:
        out, args = args[1], args[2:]
    os.makedirs(out, exist_ok=True)
    data = load(args)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        fan = {}
        for (mode, label, peer), r in data.items():
            if mode == "fanout" and not label.startswith("slow-") and r.get("e2e_cdf"):
                fan.setdefault(label, {})[peer] = r
        order = sorted(fan, key=lambda l: (fan[l][next(iter(fan[l]))]["subs"], "sat" in l,
                                           fan[l][next(iter(fan[l]))]["offered_rate"]))
        common = ("set logscale x\nset xlabel 'end-to-end latency (ms, log scale)'\n"
                  "set ylabel 'fraction of deliveries'\nset yrange [0:1]\nset grid\n"
                  "set key bottom right font ',9'\n")
        for label in order:
            cmds = cdf_plot(tmp, label, fan[label])
            if not cmds:
                continue
            r0 = next(iter(fan[label].values()))
            png = os.path.join(out, f"fanout-cdf-{label}.png")
            gnuplot(f"set terminal pngcairo size 800,500\nset output '{png}'\n{common}"
                    f"set title '{label}: {r0['subs']:,} subscribers, {r0['offered_rate']:g} msgs/s, "
                    f"{r0['content_bytes']} B content'\nplot " + ", ".join(cmds) + "\n")
            made.append(png)
        fixed = [l for l in order if "sat" not in l]
        if fixed:
            cols = 3
            rows = (len(fixed) + cols - 1) // cols
            png = os.path.join(out, "fanout-cdf-all.png")
            s = (f"set terminal pngcairo size {cols * 520},{rows * 380} font ',8'\nset output '{png}'\n"
                 f"set multiplot layout {rows},{cols}\n{common}set key font ',7'\n")
            for label in fixed:
                r0 = next(iter(fan[label].values()))
                s += (f"set title '{r0['subs']:,} subs x {r0['offered_rate']:g} msgs/s'\nplot "
                      + ", ".join(cdf_plot(tmp, label, fan[label])) + "\n")
            gnuplot(s + "unset multiplot\n")
            made.append(png)

        slow = {(label, peer): r for (mode, label, peer), r in data.items()
                if mode == "fanout" and label.startswith("slow-") and r.get("timeline")}
        if slow:
            rss_cmds, lat_cmds = [], []
            dash = {"slow-base": 2, "slow-10pct": 1}
            for (label, peer), r in sorted(slow.items()):
                lc = COLORS.get(peer, "black")
                dt = dash.get(label, 1)
                # PSS: nginx's workers share nchan's memory zone; Relay's RSS and PSS agree.
                d = write(tmp, f"{label}-{peer}-rss.dat", [(t["t"], t["server_pss_mb"]) for t in r["timeline"]])
                rss_cmds.append(f"'{d}' using 1:2 with linespoints lw 2 dt {dt} lc rgb '{lc}' "
                                f"title '{peer} {label}'")
                d = write(tmp, f"{label}-{peer}-lat.dat",
                          [(t["t"] + 0.5, t["p99"]) for t in r.get("fast_e2e_per_s", [])])
                lat_cmds.append(f"'{d}' using 1:2 with linespoints lw 2 dt {dt} lc rgb '{lc}' "
                                f"title '{peer} {label}'")
            any_r = next(iter(slow.values()))
            sl = any_r.get("slow") or {"stall_at_s": 3, "stall_for_s": 0}
            for r in slow.values():
                if r.get("slow"):
                    sl = r["slow"]
            a, b = sl["stall_at_s"], sl["stall_at_s"] + sl["stall_for_s"]
            stall = (f"set object 1 rect from {a},graph 0 to {b},graph 1 fc rgb '#eeeeee' behind\n"
                     f"set label 1 'slow subscribers stalled' at {a + 0.3},graph 0.04 font ',9'\n")
            title = (f"{any_r['subs']:,} subscribers ({sl.get('count', 0)} slow), {any_r['offered_rate']:g} msgs/s, "
                     f"{any_r['content_bytes']} B")
            png = os.path.join(out, "slow-rss.png")
            gnuplot(f"set terminal pngcairo size 800,500\nset output '{png}'\nset grid\n{stall}"
                    f"set xlabel 's since the first publish'\nset ylabel 'server memory (MB, PSS)'\n"
                    f"set key at graph 0.02,0.8 left font ',9'\nset title '{title}: server memory'\nplot "
                    + ", ".join(rss_cmds) + "\n")
            made.append(png)
            png = os.path.join(out, "slow-fast-latency.png")
            gnuplot(f"set terminal pngcairo size 800,500\nset output '{png}'\nset grid\n{stall}"
                    f"set logscale y\nset xlabel 's since the first publish'\n"
                    f"set ylabel 'fast subscribers e2e p99 per second (ms, log)'\nset key top right font ',9'\n"
                    f"set title '{title}: fast subscribers'\nplot " + ", ".join(lat_cmds) + "\n")
            made.append(png)
    for m in made:
        print(m, file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
