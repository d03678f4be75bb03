#!/usr/bin/env bash
# Relay benchmark suite, side by side with nchan.
#
# Builds Release into build-bench/, then for every scenario starts a fresh server on a
# fresh data directory (loopback, raised fd limit), creates users and tokens, runs
# relay_loadgen against it, appends the JSON result line to
# benchmarks/results/<UTC date-time>.jsonl and finally prints markdown tables and
# draws the plots (benchmarks/plots/). Fan-out and idle scenarios run once against
# Relay and once against nchan (nginx + nchan from Debian, config in
# benchmarks/peers/nchan.conf, started here on a free loopback port), with the same
# load generator, message size and subscriber counts.
#
# Groups (BENCH_GROUPS, all by default): ack fanout idle slow reactions agents micro
#
# Environment knobs (defaults in brackets):
#   SYNC=full|normal        --sqlite-synchronous of the server [full]
#   ACK_DURATION=S          seconds per ack scenario [10]
#   FANOUT_DURATION=S       seconds of publishing per fan-out scenario [10]
#   ACK_WINDOW=W            closed-loop outstanding sends per connection [32]
#   AGENT_DURATION=S        seconds per agent relay scenario [10]
#   AGENTS=N APPS=M         agents and apps of the agent relay scenarios [100 100]
#   AGENT_TOKENS=K          tokens an agent streams per event [50]
#   AGENT_IN_FLIGHT=E       events each app keeps in flight [4]
#   AGENT_RATE=R            offered tokens/s of the paced agent scenario [10000]
#   AGENT_ARGS="…"          extra relay_loadgen flags for the agent scenarios, e.g.
#                           "--pace-tick-us 100"
#   SERVER_CPUS, LOADGEN_CPUS  CPU lists for `taskset -c` (e.g. 1 and 0), to keep the
#                           server and the load generator off each other's cores
#   RELAY_BIN=PATH          server binary to test instead of build-bench/relay (e.g. one
#                           built from a clean export of a commit); only relay_loadgen is
#                           built then
#   BENCH_GROUPS="fanout idle"    run only these groups [ack fanout idle slow reactions agents micro]
#   SCENARIOS="a b …"       run only these scenario labels (see `scenarios` below)
#   PEERS="relay nchan"     targets of the fan-out and idle scenarios [relay nchan]
#   MAX_CONNS=N             the largest subscriber/idle count [19000]: the sandbox's hard
#                           RLIMIT_NOFILE is 20,000 per process and cannot be raised
#   PLOTS=0                 skip the gnuplot PNGs
#   SKIP_BUILD=1            use the existing build-bench binaries
#   SERVER_ARGS="…"         extra server flags, e.g. "--actor-threads 2"
#   LOADGEN_ARGS="…"        extra relay_loadgen flags for every scenario, e.g.
#                           "--threads 2" (they come after the scenario's own and win)
#   IDLE_WAIT=S             max seconds to wait for an idle machine per scenario [600]
#   IDLE_MAX_PCT=P          "idle" = at most P% of one core busy [25]
#   DATA_ROOT=DIR           where the temporary data directories go [$TMPDIR or /tmp];
#                           must be a real disk for `full` to mean an fsync
#
# Bench-only packages: nginx-light, libnginx-mod-nchan (the peer) and gnuplot-nox
# (plots) are installed here when missing (benchmarks/deps.sh), not by `make`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
RESULTS_DIR=$ROOT/benchmarks/results
SYNC=${SYNC:-full}
ACK_DURATION=${ACK_DURATION:-10}
FANOUT_DURATION=${FANOUT_DURATION:-10}
ACK_WINDOW=${ACK_WINDOW:-32}
AGENT_DURATION=${AGENT_DURATION:-10}
AGENTS=${AGENTS:-100}
APPS=${APPS:-100}
AGENT_TOKENS=${AGENT_TOKENS:-50}
AGENT_IN_FLIGHT=${AGENT_IN_FLIGHT:-4}
AGENT_RATE=${AGENT_RATE:-10000}
SERVER_ARGS=${SERVER_ARGS:-}
LOADGEN_ARGS=${LOADGEN_ARGS:-}
# The agent relay scenarios send far more events than the default per-app rate limit
# (50/s, burst 100) allows; they measure the relay, not the limiter.
AGENT_SERVER_ARGS="--app-event-rate 1000000 --app-event-burst 1000000"
# Likewise the chat scenarios: the per-connection and per-user send limits (10/s and
# 20/s) and the 32 connections per user came after the first baseline; 10,000
# subscribers over 10 users and 5,000 msgs/s from one sender need them out of the way.
# The slow-consumer scenarios send 8,000-character messages (limit: 4,000).
CHAT_SERVER_ARGS="--send-rate 100000 --send-burst 100000 --user-send-rate 100000 --user-send-burst 100000 --max-connections-per-user 100000 --max-content-chars 10000"
USERS=10  # subscribers are spread round-robin over this many users' tokens
BENCH_GROUPS=${BENCH_GROUPS:-ack fanout idle slow reactions agents micro}
PEERS=${PEERS:-relay nchan}
MAX_CONNS=${MAX_CONNS:-19000}

"$ROOT/benchmarks/deps.sh"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  echo "== building Release into $BUILD" >&2
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRELAY_BUILD_TESTS=OFF >/dev/null
  if [[ -n "${RELAY_BIN:-}" ]]; then
    cmake --build "$BUILD" -j2 --target relay_loadgen >&2
  else
    cmake --build "$BUILD" -j2 --target relay relay_loadgen >&2
  fi
  if group micro && grep -q '^benchmark_DIR:PATH=/' "$BUILD/CMakeCache.txt"; then
    cmake --build "$BUILD" -j2 --target relay_micro >&2
  fi
fi
RELAY=${RELAY_BIN:-$BUILD/relay}
LOADGEN=$BUILD/benchmarks/relay_loadgen
[[ -x $RELAY && -x $LOADGEN ]] || { echo "missing $RELAY or $LOADGEN" >&2; exit 1; }

# 10,000 subscribers need 10,000 descriptors in the server and in the load generator.
# The hard limit is the ceiling: raising it needs CAP_SYS_RESOURCE, which the sandbox
# does not grant (then 20,000, so MAX_CONNS stays below it).
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
echo "== RLIMIT_NOFILE $(ulimit -n)" >&2

mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=$RESULTS_DIR/$STAMP.jsonl
WORK=$(mktemp -d "${DATA_ROOT:-${TMPDIR:-/tmp}}/relay-bench.XXXXXX")
SERVER_PID=
SERVER_PIDS=()
PORT=

# stop_server: SIGTERM, then SIGKILL after 10 s. Returns 1 when SIGKILL was needed.
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  local hung=0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    hung=1
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  SERVER_PIDS=()
  return $hung
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_nchan LABEL: nginx + nchan on a free port, its own prefix (pid, logs, temp
# dirs) under $WORK. SERVER_PID is the master (SIGTERM stops it like Relay);
# SERVER_PIDS the master and workers, whose CPU and memory the load generator sums.
start_nchan() {
  local label=$1 dir=$WORK/$1
  mkdir -p "$dir"
  PORT=$(free_port)
  sed -e "s|@PREFIX@|$dir|g" -e "s|@PORT@|$PORT|g" "$ROOT/benchmarks/peers/nchan.conf" >"$dir/nginx.conf"
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} nginx -p "$dir" -c "$dir/nginx.conf" \
    >"$dir/server.out" 2>"$dir/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/pub/probe"; then
      mapfile -t SERVER_PIDS < <(echo "$SERVER_PID"; pgrep -P "$SERVER_PID")
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "nchan for $label did not start:" >&2
  cat "$dir/server.log" "$dir/error.log" >&2 2>/dev/null || true
  exit 1
}
cleanup() { stop_server || true; rm -rf "$WORK"; }
trap cleanup EXIT

# start_server LABEL [KIND]: fresh data dir and a server on a free port. KIND `users`
# (default): $USERS users with one token each (tokens in $dir/tokens). KIND `agents`:
# $AGENTS agents a0… (lines "a<i> rla_…" in $dir/agent_tokens) and $APPS apps p0…
# (rlk_ tokens in $dir/app_tokens), every app allowed to use every agent, and the
# per-app event rate limit raised out of the way.
start_server() {
  local label=$1 kind=${2:-users} dir=$WORK/$1 extra=
  mkdir -p "$dir"
  if [[ $kind == agents ]]; then
    : >"$dir/agent_tokens"
    : >"$dir/app_tokens"
    local allow=
    for i in $(seq 0 $((AGENTS - 1))); do
      echo "a$i $("$RELAY" --data-dir "$dir/data" agent add "a$i")" >>"$dir/agent_tokens"
      allow+=${allow:+,}a$i
    done
    for i in $(seq 0 $((APPS - 1))); do
      "$RELAY" --data-dir "$dir/data" app add "p$i" --allow "$allow" >>"$dir/app_tokens"
    done
    extra=$AGENT_SERVER_ARGS
  else
    extra=$CHAT_SERVER_ARGS
    : >"$dir/tokens"
    for i in $(seq 0 $((USERS - 1))); do
      "$RELAY" --data-dir "$dir/data" user add "bench$i" >/dev/null
      "$RELAY" --data-dir "$dir/data" token create "bench$i" >>"$dir/tokens"
    done
  fi
  # shellcheck disable=SC2086  # SERVER_ARGS and extra are lists of flags
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$RELAY" --data-dir "$dir/data" --listen 127.0.0.1:0 --sqlite-synchronous "$SYNC" $extra $SERVER_ARGS \
    >"$dir/server.out" 2>"$dir/server.log" &
  SERVER_PID=$!
  SERVER_PIDS=("$SERVER_PID")
  for _ in $(seq 100); do
    PORT=$(sed -n 's|^relay: listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$dir/server.out")
    [[ -n $PORT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server for $label did not start:" >&2
  cat "$dir/server.log" >&2
  exit 1
}

# Busy CPU (percent of one core) of the whole machine over one second.
machine_busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat)
  echo $(((b - a) * 100 / $(getconf CLK_TCK)))
}

# The suite shares the machine: wait (up to IDLE_WAIT seconds) until nothing else is
# busy, so a neighbour's compile does not end up in the numbers. Each result also
# carries other_cpu_pct, measured during the run itself.
wait_idle() {
  local waited=0 busy
  while busy=$(machine_busy_pct); ((busy > ${IDLE_MAX_PCT:-25})); do
    if ((waited >= ${IDLE_WAIT:-600})); then
      echo "!! machine still busy (${busy}% of a core); running anyway" >&2
      return 0
    fi
    ((waited == 0)) && echo "   waiting for the machine to go idle (${busy}% of a core busy)" >&2
    sleep 4
    waited=$((waited + 5))
  done
}

# run LABEL MODE LOADGEN-ARGS…: one scenario on its own server; PEER=nchan runs it
# against nchan instead of Relay (fanout and idle only).
run() {
  local label=$1 mode=$2 peer=${PEER:-relay}
  shift
  if [[ -n ${SCENARIOS:-} && " $SCENARIOS " != *" $label "* ]]; then return 0; fi
  echo "== $label ($peer)" >&2
  wait_idle
  local dir=$WORK/$label-$peer status=0 server_exit=clean server_args=$SERVER_ARGS log
  local creds=() pids=()
  if [[ $peer == nchan ]]; then
    start_nchan "$label-$peer"
    creds=(--peer nchan)
    server_args="nginx: benchmarks/peers/nchan.conf"
    log=$dir/error.log
  elif [[ $mode == agents ]]; then
    start_server "$label-$peer" agents
    creds=(--agent-tokens-file "$dir/agent_tokens" --app-tokens-file "$dir/app_tokens")
    server_args="$AGENT_SERVER_ARGS${SERVER_ARGS:+ $SERVER_ARGS}"
    log=$dir/server.log
  else
    start_server "$label-$peer"
    creds=(--tokens-file "$dir/tokens")
    server_args="$CHAT_SERVER_ARGS${SERVER_ARGS:+ $SERVER_ARGS}"
    log=$dir/server.log
  fi
  for p in "${SERVER_PIDS[@]}"; do pids+=(--server-pid "$p"); done
  # shellcheck disable=SC2086  # LOADGEN_ARGS is a list of flags
  ${LOADGEN_CPUS:+taskset -c "$LOADGEN_CPUS"} "$LOADGEN" "$@" $LOADGEN_ARGS --port "$PORT" "${creds[@]}" "${pids[@]}" \
    --label "$label" --tag "sqlite_synchronous=$SYNC" --tag "server_args=$server_args" \
    ${SERVER_CPUS:+--tag "server_cpus=$SERVER_CPUS"} ${LOADGEN_CPUS:+--tag "loadgen_cpus=$LOADGEN_CPUS"} \
    >"$dir/result.json" || status=$?
  # Group commit, seen from the server: /metrics' store batch size and commit time.
  local metrics_file=$dir/metrics.txt
  : >"$metrics_file"
  if [[ $peer == relay ]]; then
    curl -fsS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$metrics_file" 2>/dev/null || true
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "!! server died during $label; its log is kept in $RESULTS_DIR/$STAMP-$label-$peer.server.log" >&2
    cp "$log" "$RESULTS_DIR/$STAMP-$label-$peer.server.log"
    wait "$SERVER_PID" 2>/dev/null || echo "!! server exit status $?" >&2
    SERVER_PID=
    server_exit=died
  elif ! stop_server; then
    echo "!! server did not exit within 10 s of SIGTERM after $label; killed" >&2
    server_exit=killed_after_sigterm
  fi
  # The result line gets how the server ended and how many slow consumers the server
  # says it closed (Relay logs each one), next to the numbers it produced.
  local slow_logged
  slow_logged=$(grep -c 'closing slow consumer' "$log" 2>/dev/null || true)
  python3 -c 'import json, sys
m, pages = {}, {}
for line in open(sys.argv[4]):
    if line.startswith("relay_store_") and " " in line:
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
    if line.startswith("relay_resume_pages_total{source=\"") and " " in line:
        k, v = line.rsplit(" ", 1)
        pages[k.split("\"")[1]] = int(float(v))
for line in open(sys.argv[1]):
    r = json.loads(line); r["server_exit"] = sys.argv[2]
    if pages: r["resume_pages"] = pages
    if r.get("peer") == "relay": r["server_slow_closes_logged"] = int(sys.argv[3] or 0)
    n = m.get("relay_store_batch_size_count", 0)
    if n:
        r["store_commits"] = int(n)
        r["store_batch_mean"] = m["relay_store_batch_size_sum"] / n
        r["store_commit_ms_mean"] = 1000 * m.get("relay_store_commit_seconds_sum", 0) / max(1, m.get("relay_store_commit_seconds_count", 0))
    print(json.dumps(r, separators=(",", ":")))' \
    "$dir/result.json" "$server_exit" "$slow_logged" "$metrics_file" >>"$OUT"
  # Anything the server logged at warn or above is worth keeping next to the numbers,
  # and so are its slow-consumer closes (logged at info).
  if grep -qE ' (warning|error|critical) |closing slow consumer|\[(warn|error|crit|alert|emerg)\]' "$log" 2>/dev/null; then
    cp "$log" "$RESULTS_DIR/$STAMP-$label-$peer.server.log"
    echo "!! server logged warnings/errors; see $RESULTS_DIR/$STAMP-$label-$peer.server.log" >&2
  fi
  [[ $status -eq 0 ]] || echo "!! loadgen exited with status $status" >&2
}

# pair LABEL MODE ARGS…: the same scenario against every target in $PEERS, back to back.
pair() {
  local peer
  for peer in $PEERS; do PEER=$peer run "$@"; done
}

group() { [[ " $BENCH_GROUPS " == *" $1 "* ]]; }

# -- scenarios ---------------------------------------------------------------------
D=$ACK_DURATION W=$ACK_WINDOW
# (a) ack latency: one sender with a single outstanding send (pure round trip incl.
# one commit), closed loop with W outstanding per sender (max throughput), and a
# fixed offered 5,000 msgs/s spread over the senders. Relay only: nchan has no
# durable store to compare with.
if group ack; then
  run ack-c1-w1       ack --conns 1   --window 1    --duration "$D"
  for c in 1 10 100; do
    run "ack-c$c-w$W" ack --conns "$c" --window "$W" --duration "$D"
  done
  for c in 1 10 100; do
    run "ack-c$c-r5000" ack --conns "$c" --rate 5000 --duration "$D"
  done
fi
# (b) fan-out: one publisher at a fixed rate, S subscribers, on Relay and on nchan.
# On the 2-core reference machine about 100,000 deliveries/s is Relay's ceiling, so
# each size gets rates inside it and at it, and a saturation run offering ~400,000
# deliveries/s (shorter) whose delivered rate is the throughput. MAX_CONNS is the
# largest count one process may hold here (see the fd limit above).
F=$FANOUT_DURATION M=$MAX_CONNS
if group fanout; then
  pair fanout-s1000-r10    fanout --subs 1000  --rate 10  --duration "$F" --drain 15
  pair fanout-s1000-r50    fanout --subs 1000  --rate 50  --duration "$F" --drain 15
  pair fanout-s1000-r100   fanout --subs 1000  --rate 100 --duration "$F" --drain 15
  pair fanout-s10000-r5    fanout --subs 10000 --rate 5   --duration "$F" --drain 15
  pair fanout-s10000-r10   fanout --subs 10000 --rate 10  --duration "$F" --drain 15
  pair "fanout-s$M-r2"     fanout --subs "$M"  --rate 2   --duration "$F" --drain 15 --conns-per-source 10000
  pair "fanout-s$M-r5"     fanout --subs "$M"  --rate 5   --duration "$F" --drain 15 --conns-per-source 10000
  pair fanout-s1000-sat    fanout --subs 1000  --rate 400 --duration "$((F / 2))" --drain 20
  # 400,000/s no longer saturates Relay with 1,000 subscribers: offer twice that.
  pair fanout-s1000-sat800 fanout --subs 1000  --rate 800 --duration "$((F / 2))" --drain 20
  # The same with two load generator threads: one reading thread tops out near
  # 450,000 frames/s on the reference machine and then measures itself.
  pair fanout-s1000-sat800-t2 fanout --subs 1000 --rate 800 --duration "$((F / 2))" --drain 20 --threads 2
  pair fanout-s10000-sat   fanout --subs 10000 --rate 40  --duration "$((F / 2))" --drain 20
  pair "fanout-s$M-sat"    fanout --subs "$M"  --rate 20  --duration "$((F / 2))" --drain 20 --conns-per-source 10000
fi
# (c) idle connections: MAX_CONNS WebSockets (Relay: authenticated, joined to the
# lobby and synced; nchan: subscribed), held 10 s; server memory per connection.
if group idle; then
  pair "idle-c$M" idle --conns "$M" --duration 10 --conns-per-source 10000
fi
# (d) slow consumers: 10 % of SLOW_SUBS subscribers stop reading 3 s in for SLOW_STALL
# s, then read again, find Relay's close and reconnect with ?resume=. Relay's queue
# only fills once the kernel's socket buffers are full (the server's send buffer
# autotunes up to 4 MiB on loopback; the slow ones fix their receive buffer at 64 KiB),
# so they must be sent well over 5 MiB during the stall: 8,000-character messages at
# 50 msgs/s (≈ 420 KB/s each; the server's content limit is raised for it). The same
# run without slow subscribers is the baseline for the fast ones' p99.
SLOW_SUBS=${SLOW_SUBS:-400} SLOW_RATE=${SLOW_RATE:-50} SLOW_CONTENT=${SLOW_CONTENT:-8000} SLOW_STALL=${SLOW_STALL:-25}
if group slow; then
  S=(fanout --subs "$SLOW_SUBS" --rate "$SLOW_RATE" --content-bytes "$SLOW_CONTENT" --duration 35 --drain 30
    --stall-at 3 --stall-for "$SLOW_STALL" --slow-rcvbuf 65536)
  pair slow-base     "${S[@]}" --slow-subs 0
  pair slow-10pct    "${S[@]}" --slow-subs "$((SLOW_SUBS / 10))"
fi
# (e) reactions: 1,000 subscribers of the lobby; messages at 100/s over the publisher's
# socket (the baseline), then 100 reactions/s over REST (PUT, then DELETE, of :+1: on
# each of those messages) to the same subscribers: delivery p50/p99 of both and the
# p99 ratio reactions/messages. Relay only (nchan has no reactions).
if group reactions; then
  run reactions-s1000-r100 reactions --subs 1000 --rate 100 --duration "$FANOUT_DURATION" --drain 15 --http-conns 32
fi
# (f) agent relay: $AGENTS agents, $APPS apps (each allowed every agent), each app keeps
# $AGENT_IN_FLIGHT events in flight, each event streams $AGENT_TOKENS tokens + a reply.
# Saturation (agents stream as fast as Relay reads) -> relayed tokens/s; a fixed
# offered rate (paced at the agents) -> the latency Relay adds per token; and one app
# that stops reading for 10 s while its agents stream into it (server RSS per second).
# shellcheck disable=SC2206  # AGENT_ARGS is a list of flags
A=(--agents "$AGENTS" --apps "$APPS" --tokens-per-event "$AGENT_TOKENS" --in-flight "$AGENT_IN_FLIGHT" ${AGENT_ARGS:-})
if group agents; then
  run agents-saturation       agents "${A[@]}" --rate 0 --duration "$AGENT_DURATION" --drain 15
  run "agents-r$AGENT_RATE"   agents "${A[@]}" --rate "$AGENT_RATE" --duration "$AGENT_DURATION" --drain 15
  # The slow app (p0) asks its $AGENT_IN_FLIGHT agents for endless events ("tokens":
  # 1,000,000) streamed at 400 tokens/s in total (about an LLM's speed per event) or at
  # 10,000 tokens/s, stops reading 3 s in and reads again 10 s later; the other apps
  # keep the paced $AGENT_RATE tokens/s going. The result's timeline has the server's
  # RSS every second.
  for sr in 400 10000; do
    run "agents-slow-app-s$sr" agents "${A[@]}" --rate "$AGENT_RATE" --duration 20 --drain 15 \
      --slow-apps 1 --stall-at 3 --stall-for 10 --slow-tokens 1000000 --slow-rate "$sr"
  done
fi
# (g) micro-benchmarks (Google Benchmark): the CPU of one step of a hot path, e.g. the
# store append every message makes before its fan-out. Output next to the run's JSONL.
if group micro; then
  MICRO=$BUILD/benchmarks/relay_micro
  if [[ -x $MICRO ]]; then
    echo "== micro-benchmarks" >&2
    "$MICRO" --benchmark_min_time=2 --benchmark_out="${OUT%.jsonl}-micro.json" \
      --benchmark_out_format=json >&2
  else
    echo "== no $MICRO (libbenchmark-dev missing?): micro-benchmarks skipped" >&2
  fi
fi

echo "== results in $OUT" >&2

# -- markdown tables and plots -------------------------------------------------------
python3 "$ROOT/benchmarks/summarize.py" "$OUT"
if [[ ${PLOTS:-1} != 0 ]]; then
  python3 "$ROOT/benchmarks/plot.py" --out "$ROOT/benchmarks/plots" "$OUT"
fi
