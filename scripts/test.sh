#!/usr/bin/env bash
# `make test`: install what is missing, build under ASan+UBSan, start throwaway Redis
# and Postgres on loopback, run every test, stop them (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
npm ci --no-audit --no-fund --loglevel=error
scripts/web.sh
scripts/build.sh build-asan -DRELAY_SANITIZE=address,undefined -DRELAY_BUILD_BENCHMARKS=OFF

tmp=$(mktemp -d /tmp/relay-test.XXXXXX)
chmod 755 "$tmp"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
redis_port=$(free_port)
pg_port=$(free_port)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

cleanup() {
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  [ -d "$tmp/pg" ] && as_pg "$pg_bin/pg_ctl -D $tmp/pg -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" >/dev/null
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg"
as_pg "$pg_bin/initdb -D $tmp/pg -A trust -U relay" >/dev/null
as_pg "$pg_bin/pg_ctl -D $tmp/pg -w -l $tmp/pg/log -o '-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1'" start >/dev/null

export RELAY_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export RELAY_TEST_POSTGRES_URL="postgresql://relay@127.0.0.1:$pg_port/postgres"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/ubsan.supp"
ctest --test-dir build-asan --output-on-failure -j2 "$@"

# The libFuzzer targets (docs/fuzzing.md) in their own clang tree: each replays its seed
# corpus, so a fixed crash that comes back fails here, then fuzzes for a few seconds.
CC=clang CXX=clang++ scripts/build.sh build-fuzz -DRELAY_FUZZ=ON -DRELAY_BUILD_TESTS=OFF \
  -DRELAY_BUILD_BENCHMARKS=OFF -DRELAY_SANITIZE=address,undefined
ctest --test-dir build-fuzz --output-on-failure -j2 "$@"

# The concurrency-heavy paths (actors, I/O shards, the store writer and its committer)
# once more, under ThreadSanitizer: the real server with real WebSocket clients, and the
# webhook pool's own I/O thread answering its actor. A TSan build needs a few seconds
# more to stop after heavy traffic (the release build stops in about the 1 s grace), so
# the harness waits longer for it.
TARGETS="relay store_writer_test archive_test" scripts/build.sh build-tsan -DRELAY_SANITIZE=thread -DRELAY_BUILD_BENCHMARKS=OFF
RELAY_UNDER_TSAN=1 RELAY_STOP_MS=30000 RELAY_IO_THREADS=2 TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build-tsan --output-on-failure -R 'unit\.(store_writer|archive)|integration\.(ws|sse|durability|access|agents|agent_resume|halls|cluster|webhooks_pool)' "$@"
