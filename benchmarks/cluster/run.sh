#!/usr/bin/env bash
# Cluster benchmarks (benchmarks/cluster/run.mjs says what is measured): builds Release
# relay into build-bench/ (SKIP_BUILD=1 or RELAY_BIN=… to skip), starts a throwaway Redis
# and Postgres on loopback, runs the three parts and writes the JSON result to
# benchmarks/results/<UTC date-time>-cluster.json. Everything started here stops on exit.
#
#   benchmarks/cluster/run.sh
#   PARTS=a CROSS_SECONDS=10 SKIP_BUILD=1 benchmarks/cluster/run.sh
#
# REDIS_PORT / PG_PORT pick the ports (default: free ones); the knobs of run.mjs pass
# through the environment.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

if [[ -z ${RELAY_BIN:-} && -z ${SKIP_BUILD:-} ]]; then
  launcher=()
  command -v ccache >/dev/null &&
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF \
    -DRELAY_BUILD_BENCHMARKS=OFF "${launcher[@]}" >/dev/null
  cmake --build build-bench -j"$(nproc)" --target relay
fi
export RELAY_BIN=${RELAY_BIN:-$ROOT/build-bench/relay}
[[ -x $RELAY_BIN ]] || { echo "no relay binary at $RELAY_BIN" >&2; exit 1; }
[[ -d node_modules/ws ]] || npm ci --no-audit --no-fund --loglevel=error

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
REDIS_PORT=${REDIS_PORT:-$(free_port)}
PG_PORT=${PG_PORT:-$(free_port)}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

# On the disk the data directories of the nodes use too (the harness's temp dir), so
# SQLite's fsync and Postgres's commit flush land on the same device.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench-cluster.XXXXXX")
chmod 755 "$tmp"
cleanup() {
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
# Postgres as installed (synchronous_commit on, fsync on): an ack is as durable as
# SQLite's with sqlite_synchronous = full.
as_pg "$pg_bin/pg_ctl -D $tmp/pg -w -l $tmp/pg/log -o '-p $PG_PORT -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=200'" start >/dev/null

mkdir -p benchmarks/results
export OUT=${OUT:-$ROOT/benchmarks/results/$(date -u +%Y-%m-%dT%H%M%SZ)-cluster.json}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PG_URL=postgresql://relay@127.0.0.1:$PG_PORT/postgres REDIS_URL=redis://127.0.0.1:$REDIS_PORT \
  node benchmarks/cluster/run.mjs
echo "result: $OUT" >&2
