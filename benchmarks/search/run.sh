#!/usr/bin/env bash
# Search (issue 25) on one node: query latency over 1,000,000 messages, and what
# indexing costs the write path (the same store with --search-index on and off).
#   1. builds the store FAST: the schema from `relay user add` (which migrates), rooms
#      and public channels over REST, then the messages straight into SQLite with
#      sqlite3's .import (gen.mjs: Zipf-like words, a year of history), the index off;
#      then `relay search-index rebuild` indexes them (its time and the index size);
#   2. GET /api/search one request at a time: p50/p99 for a common word, a rare word, a
#      phrase, from: filters (the most and the least active author), a channel filter;
#   3. A/B on that store: WebSocket sends (ack.mjs) with the index on, then off, then on
#      again (the restart re-indexes what the off run missed): ack latency at one send in
#      flight, and durable throughput with CONNS x WINDOW in flight.
# Results: JSON lines in benchmarks/results/<UTC date-time>-search.jsonl.
#
#   benchmarks/search/run.sh
#   SKIP_BUILD=1 MESSAGES=200000 ACK_SECONDS=5 benchmarks/search/run.sh
#
# Knobs [defaults]: MESSAGES [1000000], ROOMS [10], CHANNELS_PER_ROOM [10], AUTHORS [200],
# REQS [200] per query, ACK_SECONDS [15], ACK_CONNS [10], ACK_WINDOW [32],
# AB ["on off on"], RELAY_BIN, SKIP_BUILD, KEEP_TMP.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
HERE=$ROOT/benchmarks/search
MESSAGES=${MESSAGES:-1000000}
ROOMS=${ROOMS:-10}
CHANNELS_PER_ROOM=${CHANNELS_PER_ROOM:-10}
AUTHORS=${AUTHORS:-200}
REQS=${REQS:-200}
ACK_SECONDS=${ACK_SECONDS:-15}
ACK_CONNS=${ACK_CONNS:-10}
ACK_WINDOW=${ACK_WINDOW:-32}
AB=${AB:-on off on}

if [[ -z ${SKIP_BUILD:-} && -z ${RELAY_BIN:-} ]]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build build-bench -j2 --target relay >&2
fi
RELAY=${RELAY_BIN:-$ROOT/build-bench/relay}
[[ -x $RELAY ]] || { echo "missing $RELAY" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 CLI" >&2; exit 1; }

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=$ROOT/benchmarks/results/$STAMP-search.jsonl
mkdir -p "$ROOT/benchmarks/results"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-search.XXXXXX")
D=$tmp/data
SERVER_PID=
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
cleanup() {
  stop_server
  [[ -n ${KEEP_TMP:-} ]] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
FAST=(--send-rate 100000 --send-burst 100000 --user-send-rate 100000 --user-send-burst 100000)
# start_server LOG ARGS…: returns once it listens (a start after an off run re-indexes).
start_server() {
  local log=$1
  shift
  "$RELAY" --data-dir "$D" --listen "127.0.0.1:$PORT" "${FAST[@]}" "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    grep -q 'listening on' "$log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.25
  done
  echo "server did not start" >&2
  exit 1
}
now_ms() { date +%s%3N; }
emit() { echo "$1" | tee -a "$OUT"; }

emit "$(printf '{"kind":"machine","nproc":%s,"cpu":"%s","loadavg_start":"%s","messages":%s,"rooms":%s,"channels":%s,"authors":%s}' \
  "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$MESSAGES" "$ROOMS" "$((ROOMS * CHANNELS_PER_ROOM))" "$AUTHORS")"

# -- 1. the store ------------------------------------------------------------------
t=$(now_ms)
"$RELAY" --data-dir "$D" user add bench >/dev/null
TOKEN=$("$RELAY" --data-dir "$D" token create bench)
start_server "$tmp/setup.log" --search-index off
node "$HERE/setup.mjs" "$URL" "$TOKEN" "$ROOMS" "$CHANNELS_PER_ROOM" >"$tmp/channels.json"
stop_server
# Authors, most active first (gen.mjs draws them Zipf-like).
for i in $(seq 0 $((AUTHORS - 1))); do
  echo "INSERT INTO users (id, login, name, created_at) VALUES ('usr_bench$i', 'author_$i', 'Author $i', 0);"
done | sqlite3 "$D/relay.db"
node -e 'console.log(JSON.stringify(Array.from({length: +process.argv[1]}, (_, i) => `usr_bench${i}`)))' \
  "$AUTHORS" >"$tmp/authors.json"
node -e 'const c=require(process.argv[1]); console.log(JSON.stringify(c.map(x=>[x[0],x[1]])))' \
  "$tmp/channels.json" >"$tmp/pairs.json"
node "$HERE/gen.mjs" "$tmp/messages.tsv" "$MESSAGES" "$tmp/pairs.json" "$tmp/authors.json" >"$tmp/queries.json"
t_gen=$(($(now_ms) - t))
t=$(now_ms)
sqlite3 "$D/relay.db" <<SQL
PRAGMA synchronous = OFF;
CREATE TEMP TABLE bench_import (id TEXT, room_id TEXT, channel_id TEXT, seq INTEGER,
  author_id TEXT, content TEXT, created_at INTEGER);
.mode tabs
.import --schema temp $tmp/messages.tsv bench_import
BEGIN;
INSERT INTO messages (id, room_id, channel_id, seq, author_id, content, created_at)
  SELECT id, room_id, channel_id, seq, author_id, content, created_at FROM bench_import;
INSERT INTO channel_seqs (room_id, channel_id, last_seq, reserved)
  SELECT room_id, channel_id, max(seq), max(seq) FROM bench_import GROUP BY room_id, channel_id
  ON CONFLICT (room_id, channel_id) DO UPDATE SET last_seq = excluded.last_seq,
    reserved = excluded.reserved;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
rm -f "$tmp/messages.tsv"
t_import=$(($(now_ms) - t))
t=$(now_ms)
"$RELAY" --data-dir "$D" search-index rebuild | tee "$tmp/rebuild.txt" >&2
t_rebuild=$(($(now_ms) - t))
idx_bytes=$(sed -n 's/^index size: \([0-9]*\) bytes.*/\1/p' "$tmp/rebuild.txt")
db_bytes=$(sed -n 's/^database size: \([0-9]*\) bytes.*/\1/p' "$tmp/rebuild.txt")
docs=$(sed -n 's/^indexed: \([0-9]*\) .*/\1/p' "$tmp/rebuild.txt")
emit "$(printf '{"kind":"build","generate_ms":%s,"import_ms":%s,"rebuild_ms":%s,"indexed":%s,"index_bytes":%s,"db_bytes":%s,"index_share":%s}' \
  "$t_gen" "$t_import" "$t_rebuild" "$docs" "$idx_bytes" "$db_bytes" \
  "$(python3 -c "print(round($idx_bytes / $db_bytes, 4))")")"

# -- 2. queries ------------------------------------------------------------------------
q() { python3 -c "import json,sys; print(eval(sys.argv[1], {'q': json.load(open('$tmp/queries.json'))}))" "$1"; }
echo "queries: $(python3 -c "import json; d=json.load(open('$tmp/queries.json')); d.pop('seqs'); print(d)")" >&2
start_server "$tmp/search.log"
node "$HERE/query.mjs" "$URL" "$TOKEN" "$REQS" \
  "common=$(q "q['common']['word']")" \
  "rare=$(q "q['rare']['word']")" \
  "phrase=\"$(q "q['phrase']['text']")\"" \
  "from-top=from:author_0" \
  "from-rare=from:author_$((AUTHORS - 1))" \
  "in-channel=in:bench-3/topic-4" \
  "common+from-rare=$(q "q['common']['word']") from:author_$((AUTHORS - 1))" |
  while read -r line; do emit "$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['kind']='query'; print(json.dumps(d))" "$line")"; done
stop_server

# -- 3. the write path, index on and off -------------------------------------------
for mode in $AB; do
  t=$(now_ms)
  start_server "$tmp/ab-$mode.log" --search-index "$mode"
  start_ms=$(($(now_ms) - t))
  for shape in "1 1" "$ACK_CONNS $ACK_WINDOW"; do
    read -r c w <<<"$shape"
    line=$(node "$HERE/ack.mjs" "ws://127.0.0.1:$PORT" "$TOKEN" "$tmp/channels.json" "$c" "$w" "$ACK_SECONDS")
    emit "$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d.update(kind='ack', index=sys.argv[2], server_start_ms=int(sys.argv[3]), loadavg=open('/proc/loadavg').read().split()[:3]); print(json.dumps(d))" "$line" "$mode" "$start_ms")"
  done
  stop_server
done
"$RELAY" --data-dir "$D" search-index status >&2
echo "results: $OUT" >&2
