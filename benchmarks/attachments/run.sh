#!/usr/bin/env bash
# Attachments (issue 23): how long Relay takes to accept a 12-megapixel JPEG (decode with
# libvips, re-encode to WebP under 70 KB, store), and how much memory 8 concurrent
# uploads cost. One node on a throwaway data directory (SQLite; the bytes under
# <data>/attachments), a Release build, curl as the client over loopback.
#   1. SEQ uploads one after another: p50/p99/max of curl's total time per upload;
#   2. ROUNDS rounds of 8 uploads at once: the server's peak RSS over those rounds (VmHWM
#      of /proc/<pid>/status, reset before them) against its RSS after a first upload, and how many of the
#      8 were accepted (201) or turned away (503: past the 8 the server queues).
# The JPEG is generated here with libvips (vips, Debian's libvips-tools): 4000 × 3000,
# blurred noise, quality 90 — a camera photo's size (about 3–5 MB) and entropy.
# Results: one JSON line appended to benchmarks/results/<UTC date-time>-attachments.jsonl.
#
#   benchmarks/attachments/run.sh
#   SKIP_BUILD=1 SEQ=50 ROUNDS=5 benchmarks/attachments/run.sh
#
# Knobs [defaults]: SEQ [50], ROUNDS [5], CONCURRENCY [8], RELAY_BIN, SKIP_BUILD,
# SERVER_CPUS (a taskset list for the server).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SEQ=${SEQ:-50}
ROUNDS=${ROUNDS:-5}
CONCURRENCY=${CONCURRENCY:-8}

if [[ -z ${SKIP_BUILD:-} && -z ${RELAY_BIN:-} ]]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build build-bench -j2 --target relay >&2
fi
RELAY=${RELAY_BIN:-$ROOT/build-bench/relay}
[[ -x $RELAY ]] || { echo "missing $RELAY" >&2; exit 1; }
command -v vips >/dev/null || { echo "needs vips (Debian libvips-tools)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-attach.XXXXXX")
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n ${KEEP_TMP:-} ]] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vips gaussnoise "$tmp/noise.v" 4000 3000 --sigma 60 --mean 128
vips bandjoin "$tmp/noise.v $tmp/noise.v $tmp/noise.v" "$tmp/rgb.v"
vips gaussblur "$tmp/rgb.v" "$tmp/photo.v" 1.2
vips cast "$tmp/photo.v" "$tmp/photo-u8.v" uchar
vips jpegsave "$tmp/photo-u8.v" "$tmp/photo.jpg" --Q 90
rm -f "$tmp"/*.v
JPEG_BYTES=$(stat -c %s "$tmp/photo.jpg")

"$RELAY" --data-dir "$tmp/data" user add bench >/dev/null
TOKEN=$("$RELAY" --data-dir "$tmp/data" token create bench)
pin=()
[[ -n ${SERVER_CPUS:-} ]] && pin=(taskset -c "$SERVER_CPUS")
"${pin[@]}" "$RELAY" --data-dir "$tmp/data" --listen "127.0.0.1:$PORT" >"$tmp/server.log" 2>&1 &
SERVER_PID=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/api/health" >/dev/null && break; sleep 0.1; done
AUTH=(-H "Authorization: Bearer $TOKEN")
message_id() {
  curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' \
    -d '{"content":"a photo"}' "$URL/api/rooms/lobby/messages" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# One upload: prints "<status> <seconds> <answer size>".
upload() {
  curl -s -o "$tmp/answer.$1" -w '%{http_code} %{time_total}\n' "${AUTH[@]}" \
    -F "file=@$tmp/photo.jpg;type=image/jpeg" -F entityType=message -F "entityId=$2" \
    "$URL/api/attachments"
}
rss_kb() { awk "/^$1:/ {print \$2}" "/proc/$SERVER_PID/status"; }

MID=$(message_id)
upload warm "$MID" >/dev/null  # libvips' first load (its operation cache, codecs)
BASE_RSS=$(rss_kb VmRSS)

: >"$tmp/seq.txt"
for i in $(seq "$SEQ"); do upload "s$i" "$MID" >>"$tmp/seq.txt"; done
WEBP_BYTES=$(python3 -c "import json; print(json.load(open('$tmp/answer.s1'))['size'])")

: >"$tmp/conc.txt"
# Peak RSS from here on only: "5" resets VmHWM to the current RSS (proc(5), clear_refs).
echo 5 >"/proc/$SERVER_PID/clear_refs"
for r in $(seq "$ROUNDS"); do
  for i in $(seq "$CONCURRENCY"); do upload "c$r.$i" "$MID" >>"$tmp/conc.txt" & done
  wait $(jobs -p | grep -v "^$SERVER_PID$") 2>/dev/null || true
done
PEAK_RSS=$(rss_kb VmHWM)

mkdir -p benchmarks/results
out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-attachments.jsonl
python3 - "$tmp/seq.txt" "$tmp/conc.txt" >>"$out" <<PY
import json, sys
seq = [l.split() for l in open(sys.argv[1]) if l.strip()]
conc = [l.split() for l in open(sys.argv[2]) if l.strip()]
ok = sorted(float(t) * 1000 for s, t in seq if s == "201")
def pct(p): return round(ok[min(len(ok) - 1, int(p / 100 * len(ok)))], 1) if ok else None
print(json.dumps({
  "bench": "attachments", "jpeg_bytes": $JPEG_BYTES, "pixels": 12000000,
  "webp_bytes": $WEBP_BYTES, "seq_uploads": len(seq),
  "seq_accepted": len(ok), "accept_ms_p50": pct(50), "accept_ms_p99": pct(99),
  "accept_ms_max": round(ok[-1], 1) if ok else None,
  "concurrency": $CONCURRENCY, "rounds": $ROUNDS,
  "concurrent_201": sum(1 for s, _ in conc if s == "201"),
  "concurrent_503": sum(1 for s, _ in conc if s == "503"),
  "concurrent_other": sorted({s for s, _ in conc if s not in ("201", "503")}),
  "rss_before_kb": $BASE_RSS, "peak_rss_kb": $PEAK_RSS,
  "peak_over_base_mb": round(($PEAK_RSS - $BASE_RSS) / 1024, 1),
  "nproc": $(nproc), "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -1)",
}))
PY
tail -n 1 "$out"
