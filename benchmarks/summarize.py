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
                    # Fan-out and idle scenarios run against Relay and nchan under one
                    # label; nchan's rows are labelled "<label> (nchan)".
                    label = r["label"] if r.get("peer", "relay") == "relay" else f'{r["label"]} ({r["peer"]})'
                    r["label"] = label
                    key = (r["mode"], label)
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
    idle = [(k[1], v) for k, v in data.items() if k[0] == "idle"]
    reactions = [(k[1], v) for k, v in data.items() if k[0] == "reactions"]
    presence = [(k[1], v) for k, v in data.items() if k[0] == "presence"]
    if ack:
        print("| scenario | runs | load | acked msgs/s | ack p50 ms | p90 ms | p99 ms | max ms "
              "| lost on server close | server closes (all runs) | fan-out frames/s | server CPU % "
              "| loadgen CPU % | other CPU % | messages per commit (mean) | commit ms (mean) |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
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
                  f'{cell(runs, "other_cpu_pct", pct)} | {cell(runs, "store_batch_mean", "{:,.1f}")} | '
                  f'{cell(runs, "store_commit_ms_mean", "{:,.2f}")} |')
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

    if reactions:
        print()
        print("| scenario | runs | subscribers | rate /s | messages p50 / p99 ms | reactions p50 / p99 ms "
              "| p99 ratio reactions/messages | REST p50 / p99 ms | reactions delivered / expected "
              "| server CPU % messages / reactions | other CPU % |")
        print("|---|---:|---:|---:|---|---|---:|---|---|---|---:|")
        for label, runs in reactions:
            if not runs:
                continue
            r0 = runs[0]
            two = lambda path: " / ".join(cell(runs, f"{path}.{q}", ms, True) for q in ("p50", "p99"))
            print(f'| {label} | {n(label, runs, "reactions")} | {r0["subs"]:,} | {r0["offered_rate"]:g} | '
                  f'{two("msg_e2e_ms")} | {two("reaction_e2e_ms")} | '
                  f'{cell(runs, "p99_ratio_reactions_over_messages", "{:.2f}")} | {two("reaction_http_ms")} | '
                  f'{cell(runs, "reaction_received")} / {cell(runs, "reaction_expected")} | '
                  f'{cell(runs, "messages_phase.server_cpu_pct", pct)} / {cell(runs, "reactions_phase.server_cpu_pct", pct)} | '
                  f'{cell(runs, "other_cpu_pct", pct)} |')
    if presence:
        print()
        print("| scenario | runs | users | kept online by | server CPU % | Redis ops/s | Redis CPU % "
              "| offline delay p50 / p99 / max ms | later than TTL+1 s | unseen | false offline "
              "| heartbeat REST p99 ms | other CPU % |")
        print("|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
        for label, runs in presence:
            if not runs:
                continue
            r0 = runs[0]
            how = (f'heartbeat every {r0["users"] / r0["heartbeats_per_s"]:g} s' if r0.get("heartbeats_per_s")
                   else "a room socket each")
            d = " / ".join(cell(runs, f"offline_delay_ms.{q}", "{:,.0f}", True) for q in ("p50", "p99", "max"))
            print(f'| {label} | {n(label, runs, "presence")} | {r0["users"]:,} | {how} (TTL {r0["presence_ttl_s"]:g} s) | '
                  f'{cell(runs, "server_cpu_pct", pct)} | {cell(runs, "redis_ops_per_s")} | '
                  f'{cell(runs, "redis_cpu_pct", pct)} | {d} | {cell(runs, "offline_later_than_ttl_plus_1s")} | '
                  f'{cell(runs, "offline_unseen")} | {cell(runs, "false_offline_users")} | '
                  f'{cell(runs, "heartbeat_http_ms.p99", ms, True)} | {cell(runs, "other_cpu_pct", pct)} |')

    if fan:
        compare(fan, n)
    if idle:
        print()
        print("| scenario | runs | connections | connect s | server MB empty (PSS) | loaded (PSS) "
              "| KB per connection (PSS) | KB per connection (RSS) | 2 s after close MB | 10 s after close MB | server closes |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for label, runs in idle:
            if not runs:
                continue
            r0 = runs[0]
            print(f'| {label} | {n(label, runs, "idle")} | {cell(runs, "conns_synced")} | '
                  f'{cell(runs, "connect_s", "{:.1f}")} | {cell(runs, "server_pss_mb_empty", "{:.1f}")} | '
                  f'{cell(runs, "server_pss_mb_loaded", "{:.1f}")} | {cell(runs, "kb_per_conn_pss", "{:.2f}")} | '
                  f'{cell(runs, "kb_per_conn_rss", "{:.2f}")} | {cell(runs, "server_pss_mb_after_close", "{:.1f}")} | '
                  f'{cell(runs, "server_pss_mb_after_close_10s", "{:.1f}")} | {closes(runs)} |')


def compare(fan, n):
    """Relay beside nchan for every fan-out label run against both, with ratios."""
    by = dict(fan)
    pairs = [(l, by[l], by.get(f"{l} (nchan)")) for l, _ in fan if not l.endswith(")") and by.get(f"{l} (nchan)")]
    if not pairs:
        return
    med = lambda runs, path: statistics.median(v for v in (get(r, path) for r in runs) if isinstance(v, (int, float)))
    print()
    print("| scenario | subscribers | offered deliveries/s | Relay deliveries/s | nchan deliveries/s "
          "| Relay/nchan deliveries | Relay p50 / p99 / max ms | nchan p50 / p99 / max ms | Relay/nchan p99 "
          "| Relay not delivered % (4008 closes) | nchan not delivered % | server CPU % Relay / nchan |")
    print("|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|")
    for label, rel, nch in pairs:
        if not rel or not nch:
            continue
        try:
            rd, nd = med(rel, "deliveries_per_s"), med(nch, "deliveries_per_s")
            rp, np_ = med(rel, "e2e_ms.p99"), med(nch, "e2e_ms.p99")
        except statistics.StatisticsError:
            continue
        lat = lambda runs: " / ".join(f'{med(runs, "e2e_ms." + q):.1f}' for q in ("p50", "p99", "max"))
        c4008 = sum(r.get("server_closes", {}).get("4008", 0) for r in rel)
        r0 = rel[0]
        print(f'| {label} | {r0["subs"]:,} | {med(rel, "offered_deliveries_per_s"):,.0f} | {rd:,.0f} | {nd:,.0f} | '
              f'{rd / nd if nd else float("nan"):.2f} | {lat(rel)} | {lat(nch)} | '
              f'{rp / np_ if np_ else float("nan"):.2f} | {med(rel, "lost_pct"):g} ({c4008}) | '
              f'{med(nch, "lost_pct"):g} | {med(rel, "server_cpu_pct"):.0f} / {med(nch, "server_cpu_pct"):.0f} |')
    slow = [(l, runs) for l, runs in fan if l.startswith("slow-") and runs]
    if slow:
        print()
        # The stall window of the runs with slow subscribers, applied to the baseline too.
        win = next(((r["slow"]["stall_at_s"], r["slow"]["stall_at_s"] + r["slow"]["stall_for_s"])
                    for _, runs in slow for r in runs if r.get("slow")), (0, 0))
        print(f"Fast subscribers' p99 per second inside the stall window ({win[0]:g}-{win[1]:g} s) and over "
              "the whole run (which includes the slow ones' resume):")
        print()
        print("| scenario | runs | slow subs | fast p99 per s in stall: median / max ms | fast p50 / p99 / max ms (all) "
              "| fast not delivered % | server MB max (PSS) "
              "| slow: closes seen by client | closes Relay logged | resumed | complete after resume | missing |")
        print("|---|---:|---:|---|---|---:|---:|---|---:|---:|---:|---:|")
        for label, runs in slow:
            r0 = runs[0]
            sl = r0.get("slow", {})
            inwin = [t["p99"] for t in r0.get("fast_e2e_per_s", []) if win[0] <= t["t"] < win[1]]
            stall = f"{statistics.median(inwin):.1f} / {max(inwin):.1f}" if inwin else "n/a"
            lat = " / ".join(cell(runs, "e2e_ms." + q, "{:.1f}", True) for q in ("p50", "p99", "max"))
            mx = max(t.get("server_pss_mb", 0) for t in r0.get("timeline", [{}]))
            sc = ", ".join(f"{k}: {v}" for k, v in sl.get("closes", {}).items()) or "-"
            print(f'| {label} | {n(label, runs, "fanout")} | {r0.get("slow_subs", 0)} | {stall} | {lat} | '
                  f'{cell(runs, "lost_pct", "{:g}")} | {mx:.0f} | {sc} | '
                  f'{r0.get("server_slow_closes_logged", "-")} | {sl.get("resumed", "-")} | '
                  f'{sl.get("complete", "-")} | {sl.get("missing", "-")} |')


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
