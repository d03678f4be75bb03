#!/usr/bin/env python3
"""Markdown tables from relay_loadgen JSON lines.

    summarize.py [--max-other PCT] results/A.jsonl [results/B.jsonl ...]

One row per scenario label. With several files (repeated runs of the suite) each cell
is the median over the runs, followed by [min-max] where the runs differ, so run-to-run
noise stays visible. --max-other drops runs during which other processes used more
than PCT% of a core (other_cpu_pct); the runs column then reads used/total.
"""
import json
import statistics
import sys


def load(paths, max_other):
    by_label, totals = {}, {}
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    key = (r["mode"], r["label"])
                    totals[key] = totals.get(key, 0) + 1
                    by_label.setdefault(key, [])
                    if max_other is not None and r.get("other_cpu_pct", 0) > max_other:
                        continue
                    by_label.setdefault(key, []).append(r)
    return by_label, totals


def get(r, path):
    for p in path.split("."):
        if not isinstance(r, dict) or p not in r:
            return None
        r = r[p]
    return r


def cell(runs, path, fmt="{:,.0f}", latency=False):
    vals = []
    for r in runs:
        # A latency with no samples (every connection gone) is not a zero.
        if latency and not get(r, path.split(".")[0] + ".count"):
            continue
        v = get(r, path)
        if isinstance(v, (int, float)):
            vals.append(v)
    if not vals:
        return "n/a"
    med = fmt.format(statistics.median(vals))
    if len(vals) > 1 and min(vals) != max(vals):
        return f"{med} [{fmt.format(min(vals))}-{fmt.format(max(vals))}]"
    return med


def closes(runs):
    total = {}
    for r in runs:
        for k, v in r.get("server_closes", {}).items():
            total[k] = total.get(k, 0) + v
    return ", ".join(f"{k}: {v}" for k, v in total.items()) or "0"


def main(args):
    max_other = None
    if args[:1] == ["--max-other"]:
        max_other, args = float(args[1]), args[2:]
    data, totals = load(args, max_other)
    n = lambda label, runs, mode: (f"{len(runs)}/{totals[(mode, label)]}"
                                  if len(runs) != totals[(mode, label)] else str(len(runs)))
    ms = "{:.1f}"
    pct = "{:.0f}"
    ack = [(k[1], v) for k, v in data.items() if k[0] == "ack"]
    fan = [(k[1], v) for k, v in data.items() if k[0] == "fanout"]
    agents = [(k[1], v) for k, v in data.items() if k[0] == "agents"]
    if ack:
        print("| scenario | runs | load | acked msgs/s | ack p50 ms | p90 ms | p99 ms | max ms "
              "| lost on server close | server closes (all runs) | fan-out frames/s | server CPU % "
              "| loadgen CPU % | other CPU % |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for label, runs in ack:
            if not runs:
                print(f'| {label} | 0/{totals[("ack", label)]} | every run was disturbed by other load |')
                continue
            r0 = runs[0]
            load_ = (f'{r0["offered_rate"]:g} msgs/s offered' if r0["loop"] == "open"
                     else f'closed, window {r0.get("window")}')
            print(f'| {label} | {n(label, runs, "ack")} | {load_} | {cell(runs, "acked_per_s")} | '
                  f'{cell(runs, "ack_ms.p50", ms, True)} | {cell(runs, "ack_ms.p90", ms, True)} | '
                  f'{cell(runs, "ack_ms.p99", ms, True)} | {cell(runs, "ack_ms.max", ms, True)} | '
                  f'{cell(runs, "lost_on_close")} | {closes(runs)} | {cell(runs, "message_frames_per_s")} | '
                  f'{cell(runs, "server_cpu_pct", pct)} | {cell(runs, "loadgen_cpu_pct", pct)} | '
                  f'{cell(runs, "other_cpu_pct", pct)} |')
        print()
    if fan:
        print("| scenario | runs | subscribers | publish msgs/s | deliveries/s | offered | e2e p50 ms "
              "| e2e p99 ms | e2e max ms | not delivered % | server closes (all runs) | server CPU % "
              "| loadgen CPU % | other CPU % | server RSS MB |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for label, runs in fan:
            if not runs:
                print(f'| {label} | 0/{totals[("fanout", label)]} | every run was disturbed by other load |')
                continue
            r0 = runs[0]
            print(f'| {label} | {n(label, runs, "fanout")} | {r0["subs"]:,} | {r0["offered_rate"]:g} | '
                  f'{cell(runs, "deliveries_per_s")} | {cell(runs, "offered_deliveries_per_s")} | '
                  f'{cell(runs, "e2e_ms.p50", ms, True)} | {cell(runs, "e2e_ms.p99", ms, True)} | '
                  f'{cell(runs, "e2e_ms.max", ms, True)} | {cell(runs, "lost_pct", "{:g}")} | '
                  f'{closes(runs)} | {cell(runs, "server_cpu_pct", pct)} | '
                  f'{cell(runs, "loadgen_cpu_pct", pct)} | {cell(runs, "other_cpu_pct", pct)} | '
                  f'{cell(runs, "server_rss_mb", pct)} |')
        print()
    if agents:
        print("| scenario | runs | load | relayed tokens/s | agents sent tokens/s | events/s "
              "| added p50 ms | p90 ms | p99 ms | max ms | error frames | contract violations "
              "| unfinished events | lost on close | server closes (all runs) | server CPU % "
              "| loadgen CPU % | other CPU % | server RSS MB (end) |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for label, runs in agents:
            if not runs:
                print(f'| {label} | 0/{totals[("agents", label)]} | every run was disturbed by other load |')
                continue
            r0 = runs[0]
            load_ = (f'{r0["offered_rate"]:,.0f} tokens/s offered' if r0["loop"] == "paced" else "saturation")
            load_ += f', {r0["agents"]} agents, {r0["apps"]} apps × {r0["in_flight"]}'
            if r0.get("slow"):
                sl = r0["slow"]
                load_ += (f', {sl["apps"]} slow app ({sl["rate"]:,.0f} tokens/s into it, '
                          f'stalled {sl["stall_for_s"]:g} s)')
            for r in runs:
                r["error_frames"] = sum(r.get("errors", {}).values())
            print(f'| {label} | {n(label, runs, "agents")} | {load_} | {cell(runs, "tokens_per_s")} | '
                  f'{cell(runs, "tokens_sent_per_s")} | {cell(runs, "events_per_s")} | '
                  f'{cell(runs, "token_ms.p50", ms, True)} | {cell(runs, "token_ms.p90", ms, True)} | '
                  f'{cell(runs, "token_ms.p99", ms, True)} | {cell(runs, "token_ms.max", ms, True)} | '
                  f'{cell(runs, "error_frames")} | {cell(runs, "violations_total")} | '
                  f'{cell(runs, "unfinished")} | {cell(runs, "lost_on_close")} | {closes(runs)} | '
                  f'{cell(runs, "server_cpu_pct", pct)} | {cell(runs, "loadgen_cpu_pct", pct)} | '
                  f'{cell(runs, "other_cpu_pct", pct)} | {cell(runs, "server_rss_mb_end", pct)} |')
        slow = [(label, runs) for label, runs in agents if runs and runs[0].get("slow")]
        if slow:
            print()
            print("| scenario | runs | into the slow app tokens/s | stalled at-for s | sent to it | read by it "
                  "| Relay gave up at s | how its socket ended | server RSS MB per second (first run) |")
            print("|---|---:|---:|---|---:|---:|---:|---|---|")
            for label, runs in slow:
                r0 = runs[0]
                sl = r0["slow"]
                ended = "; ".join(sorted({c for r in runs for c in r["slow"].get("close_reasons", [])})) or "open"
                rss = " ".join(f'{t.get("server_rss_mb", 0):g}' for t in r0.get("timeline", []))
                print(f'| {label} | {n(label, runs, "agents")} | {sl["rate"]:,.0f} | '
                      f'{sl["stall_at_s"]:g}-{sl["stall_at_s"] + sl["stall_for_s"]:g} | '
                      f'{cell(runs, "slow.tokens_sent")} | {cell(runs, "slow.tokens_received")} | '
                      f'{cell(runs, "slow.relay_cancelled_at_s", "{:.1f}")} | {ended} | {rss} |')


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
