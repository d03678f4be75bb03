#!/usr/bin/env bash
# Presence at scale, in cluster mode (presence lives in Redis sorted sets there): a
# throwaway Redis and Postgres on loopback, one Relay node on them with
# --presence-ttl-seconds $TTL, $USERS users with a token each (bulk-inserted with psql:
# 10,000 `relay user add` + `token create` runs would take minutes), and
# `relay_loadgen presence` once per entry of $VIAS:
#   heartbeat  every user POSTs /api/rooms/lobby/presence every $INTERVAL s (REST only)
#   sockets    every user holds a socket on the lobby ($SOCKET_USERS of them)
# A watcher socket (its own user) times each leaver's `offline`. Results, one JSON line
# per variant: benchmarks/results/<UTC date-time>-presence.jsonl.
#
#   benchmarks/presence/run.sh
#   SKIP_BUILD=1 VIAS=heartbeat USERS=10000 TTL=10 INTERVAL=4 benchmarks/presence/run.sh
#
# Knobs [defaults]: USERS [10000], SOCKET_USERS [$USERS], TTL [10], INTERVAL [4: TTL/2.5,
# the web client's 30 s against the default 75], DURATION (the measured window) [30],
# LEAVERS [100], HTTP_CONNS [500: many clients, as browsers are], VIAS ["heartbeat sockets"], REDIS_PORT / PG_PORT
# [free ones], SERVER_CPUS / LOADGEN_CPUS (taskset lists), RELAY_BIN, SKIP_BUILD.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
USERS=${USERS:-10000}
SOCKET_USERS=${SOCKET_USERS:-$USERS}
TTL=${TTL:-10}
INTERVAL=${INTERVAL:-4}
DURATION=${DURATION:-30}
LEAVERS=${LEAVERS:-100}
HTTP_CONNS=${HTTP_CONNS:-500}
VIAS=${VIAS:-heartbeat sockets}

if [[ -z ${SKIP_BUILD:-} ]]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  targets=(relay_loadgen)
  [[ -z ${RELAY_BIN:-} ]] && targets+=(relay)
  cmake --build build-bench -j2 --target "${targets[@]}" >&2
fi
RELAY=${RELAY_BIN:-$ROOT/build-bench/relay}
LOADGEN=$ROOT/build-bench/benchmarks/relay_loadgen
[[ -x $RELAY && -x $LOADGEN ]] || { echo "missing $RELAY or $LOADGEN" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=${REDIS_PORT:-$(free_port)}
PG_PORT=${PG_PORT:-$(free_port)}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-presence.XXXXXX")
chmod 755 "$tmp"
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  [[ -f $tmp/pg/PG_VERSION ]] && as_pg "$pg_bin/pg_ctl -D $tmp/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" >/dev/null
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg"
as_pg "$pg_bin/initdb -D $tmp/pg -A trust -U relay" >/dev/null
as_pg "$pg_bin/pg_ctl -D $tmp/pg -w -l $tmp/pg/log -o '-p $PG_PORT -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=200'" start >/dev/null
PG_URL=postgresql://relay@127.0.0.1:$PG_PORT/postgres
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
CLUSTER=(--redis-url "$REDIS_URL" --postgres-url "$PG_URL")

# The watcher through the CLI (this also migrates the schema), the users in bulk. A
# token is "rlt_" + 64 hex digits; only its SHA-256 is stored, as `token create` does.
"$RELAY" --data-dir "$tmp/cli" "${CLUSTER[@]}" user add pwatch >/dev/null
WATCHER_TOKEN=$("$RELAY" --data-dir "$tmp/cli" "${CLUSTER[@]}" token create pwatch)
psql -q -h 127.0.0.1 -p "$PG_PORT" -U relay -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO users (id, login, name, created_at)
  SELECT 'usr_bench' || i, 'p' || i, 'p' || i, 0 FROM generate_series(0, $USERS - 1) i;
INSERT INTO tokens (id, user_id, name, hash, created_at, kind)
  SELECT 'tok_bench' || i, 'usr_bench' || i, 'bench',
         encode(sha256(convert_to('rlt_' || md5('a' || i) || md5('b' || i), 'UTF8')), 'hex'), 0, 'api'
  FROM generate_series(0, $USERS - 1) i;
SQL
psql -At -h 127.0.0.1 -p "$PG_PORT" -U relay -d postgres \
  -c "SELECT 'p' || i || ' rlt_' || md5('a' || i) || md5('b' || i) FROM generate_series(0, $USERS - 1) i" \
  >"$tmp/users"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p benchmarks/results
OUT=${OUT:-$ROOT/benchmarks/results/$(date -u +%Y-%m-%dT%H%M%SZ)-presence.jsonl}
SERVER_ARGS="--presence-ttl-seconds $TTL --max-connections-per-user 100000"
for via in $VIAS; do
  n=$USERS
  [[ $via == sockets ]] && n=$SOCKET_USERS
  head -n "$n" "$tmp/users" >"$tmp/users-$via"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  echo "== presence-$via-u$n (ttl $TTL s)" >&2
  # shellcheck disable=SC2086  # SERVER_ARGS is a list of flags
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$RELAY" --data-dir "$tmp/node-$via" --listen 127.0.0.1:0 \
    "${CLUSTER[@]}" $SERVER_ARGS >"$tmp/server-$via.out" 2>"$tmp/server-$via.log" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's|^relay: listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$tmp/server-$via.out")
    [[ -n $PORT ]] && break
    sleep 0.1
  done
  [[ -n $PORT ]] || { cat "$tmp/server-$via.log" >&2; exit 1; }
  ${LOADGEN_CPUS:+taskset -c "$LOADGEN_CPUS"} "$LOADGEN" presence --port "$PORT" \
    --users-file "$tmp/users-$via" --watcher-token "$WATCHER_TOKEN" --via "$via" \
    --heartbeat-interval "$INTERVAL" --presence-ttl "$TTL" --leavers "$LEAVERS" \
    --duration "$DURATION" --http-conns "$HTTP_CONNS" --redis-port "$REDIS_PORT" \
    --conns-per-source 10000 --server-pid "$SERVER_PID" --label "presence-$via-u$n" \
    --tag "server_args=$SERVER_ARGS (cluster: 1 node, Redis, Postgres)" \
    --tag "redis_version=$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
    ${SERVER_CPUS:+--tag "server_cpus=$SERVER_CPUS"} ${LOADGEN_CPUS:+--tag "loadgen_cpus=$LOADGEN_CPUS"} \
    >>"$OUT" || echo "!! loadgen exited with status $?" >&2
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || echo "!! server exit status $?" >&2
  SERVER_PID=
  if grep -qE ' (warning|error|critical) ' "$tmp/server-$via.log"; then
    cp "$tmp/server-$via.log" "${OUT%.jsonl}-$via.server.log"
    echo "!! server logged warnings/errors; see ${OUT%.jsonl}-$via.server.log" >&2
  fi
done
echo "result: $OUT" >&2
