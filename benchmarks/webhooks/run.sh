#!/usr/bin/env bash
# Outbound webhooks (issue 24): delivery latency from a WebSocket send to a local receiver
# (p50/p99) and deliveries/s, with 10 hooks on message.created in one busy room — first a
# steady rate, then as fast as the clients can send — and every message × hook checked
# to arrive (lost and duplicates counted); then the steady rate again beside an 11th hook
# whose receiver never answers (the healthy hooks' latency: head-of-line blocking). One
# node on a throwaway data directory (SQLite), a Release build; the driver and receiver are benchmarks/webhooks/run.mjs.
# With BASELINE_BIN (e.g. a build of the previous commit) both binaries run, turn about,
# ROUNDS times each, and the ratios new/baseline of the medians over rounds are printed.
# Results: one JSON line per run appended to
# benchmarks/results/<UTC date-time>-webhooks.jsonl.
#
#   benchmarks/webhooks/run.sh
#   SKIP_BUILD=1 BASELINE_BIN=/tmp/relay-before ROUNDS=2 benchmarks/webhooks/run.sh
#
# Knobs [defaults]: RELAY_BIN [build-bench/relay], BASELINE_BIN, ROUNDS [1], SKIP_BUILD,
# and the driver's: HOOKS [10], CLIENTS [5], RATE [20 messages/s], STEADY_S [20],
# MAX_MSGS [1000], WINDOW [8], DRAIN_S [30], BLACKHOLE_S [10] (0: no black-holed hook phase).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-1}

if [[ -z ${SKIP_BUILD:-} && -z ${RELAY_BIN:-} ]]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build build-bench -j2 --target relay >&2
fi
RELAY=${RELAY_BIN:-$ROOT/build-bench/relay}
[[ -x $RELAY ]] || { echo "missing $RELAY" >&2; exit 1; }

mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-webhooks.jsonl
for _ in $(seq "$ROUNDS"); do
  if [[ -n ${BASELINE_BIN:-} ]]; then
    RELAY_BIN=$BASELINE_BIN node benchmarks/webhooks/run.mjs | sed 's/^{/{"role":"baseline",/' >>"$out"
  fi
  RELAY_BIN=$RELAY node benchmarks/webhooks/run.mjs | sed 's/^{/{"role":"new",/' >>"$out"
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(role, phase, *path):
    xs = []
    for r in runs:
        if r["role"] != role: continue
        v = r["results"].get(phase)
        for p in path: v = v[p] if v else None
        if v is not None: xs.append(v)
    return statistics.median(xs) if xs else None
rows = []
for phase in ("steady", "max", "blackhole"):
    for label, path in (("p50 ms", ("latencyFromSendMs", "p50")), ("p99 ms", ("latencyFromSendMs", "p99")),
                        ("deliveries/s", ("deliveriesPerS",)), ("lost", ("lost",)), ("duplicates", ("duplicates",))):
        new, base = med("new", phase, *path), med("baseline", phase, *path)
        ratio = round(new / base, 2) if new is not None and base else None
        rows.append(f"{phase:7} {label:13} new {new}" + (f"  baseline {base}  new/baseline {ratio}" if base is not None else ""))
print("\n".join(rows))
print(f"({len(runs)} runs in {sys.argv[1]})")
PY
