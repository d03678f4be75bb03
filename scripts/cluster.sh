#!/usr/bin/env bash
# `make cluster`: a throwaway local cluster (docs/operations.md, "Running a cluster in
# production", has the same layout for real machines). Builds a Release relay into
# build-release/ and the browser client if needed, then starts on loopback:
#
#   Postgres  the store of record (fresh initdb, free port)
#   Redis     room events between the nodes (no persistence, free port)
#   3 nodes   relay on PORT+1 … PORT+N, each with its own data directory
#   nginx     the load balancer on PORT (WebSocket upgrades, unbuffered SSE)
#
# and prints the URL to open and how to create users and tokens on the shared store.
# Ctrl-C stops everything and removes the temporary directory (logs included; KEEP=1
# keeps it).
#
# Environment: PORT (8080), NODES (3), REDIS_PORT / PG_PORT (free ones), RELAY_BIN (use
# this binary, build nothing), SKIP_BUILD=1 (use build-release/relay and web/dist as
# they are), RELAY_ARGS (extra flags for every node, e.g. "--log-level debug").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PORT=${PORT:-8080}
NODES=${NODES:-3}
[[ $PORT =~ ^[0-9]+$ && $NODES =~ ^[0-9]+$ && $NODES -ge 1 && $((PORT + NODES)) -le 65535 ]] ||
  { echo "relay cluster: PORT=$PORT NODES=$NODES: need a port and 1+ nodes whose ports fit below 65536" >&2; exit 2; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $(seq "$PORT" $((PORT + NODES))); do
  port_busy "$p" && { echo "relay cluster: port $p is in use (PORT=$PORT uses $PORT..$((PORT + NODES)))" >&2; exit 1; }
done

if [[ -z ${RELAY_BIN:-} && -z ${SKIP_BUILD:-} ]]; then
  scripts/deps.sh cluster
  scripts/web.sh
  launcher=()
  command -v ccache >/dev/null &&
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  TARGETS=relay scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release \
    -DRELAY_BUILD_TESTS=OFF -DRELAY_BUILD_BENCHMARKS=OFF "${launcher[@]}"
fi
RELAY=${RELAY_BIN:-$ROOT/build-release/relay}
[[ -x $RELAY ]] || { echo "relay cluster: no relay binary at $RELAY" >&2; exit 1; }
for tool in redis-server redis-cli nginx; do
  command -v "$tool" >/dev/null || { echo "relay cluster: $tool is missing (scripts/deps.sh cluster installs it)" >&2; exit 1; }
done
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $pg_bin/initdb ]] || { echo "relay cluster: PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
REDIS_PORT=${REDIS_PORT:-$(free_port)}
PG_PORT=${PG_PORT:-$(free_port)}

tmp=$(mktemp -d /tmp/relay-cluster.XXXXXX)
# The postgres user (initdb refuses root) must reach its directory below this one.
chmod 755 "$tmp"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

node_pids=()
nginx_pid=
cleanup() {
  trap - EXIT INT TERM
  echo >&2
  echo "relay cluster: stopping" >&2
  [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${node_pids[@]}" $nginx_pid; do wait "$pid" 2>/dev/null; done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  [[ -f $tmp/pg/PG_VERSION ]] && as_pg "$pg_bin/pg_ctl -D $tmp/pg -m fast stop" >/dev/null 2>&1
  if [[ -n ${KEEP:-} ]]; then echo "relay cluster: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "relay cluster: Redis on $REDIS_PORT, Postgres on $PG_PORT, in $tmp" >&2
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" >/dev/null
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg"
as_pg "$pg_bin/initdb -D $tmp/pg -A trust -U relay" >/dev/null
as_pg "$pg_bin/pg_ctl -D $tmp/pg -w -l $tmp/pg/log -o '-p $PG_PORT -k $tmp/pg -c listen_addresses=127.0.0.1' start" >/dev/null

REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PG_URL=postgresql://relay@127.0.0.1:$PG_PORT/postgres
PUBLIC=http://127.0.0.1:$PORT

# What every node must share (docs/operations.md): the store, the event bus, the
# cookie-signing secret (a cookie signed by one node is checked by another) and the
# public URL the browser's Origin is checked against. Passed in the environment, so
# the secret is not in `ps`.
export RELAY_REDIS_URL=$REDIS_URL RELAY_POSTGRES_URL=$PG_URL
export RELAY_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export RELAY_PUBLIC_URL=$PUBLIC RELAY_ALLOWED_ORIGINS="$PUBLIC,http://localhost:$PORT"
export RELAY_WEB_ROOT=${RELAY_WEB_ROOT:-$ROOT/web/dist}
# Local trial only: /auth/dev?login=NAME. The nodes listen on loopback and nginx below
# adds no proxy headers, so the sign-in works through it (see the nginx config).
export RELAY_DEV_LOGIN=${RELAY_DEV_LOGIN:-on}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

upstreams=
for i in $(seq 1 "$NODES"); do
  port=$((PORT + i))
  mkdir -p "$tmp/node$i"
  # shellcheck disable=SC2086 # RELAY_ARGS is a list of flags
  "$RELAY" --listen "127.0.0.1:$port" --data-dir "$tmp/node$i" ${RELAY_ARGS:-} \
    >"$tmp/node$i/stdout" 2>"$tmp/node$i/log" &
  node_pids+=($!)
  upstreams+="    server 127.0.0.1:$port;"$'\n'
done
# Serially would migrate the schema once anyway (advisory lock); in parallel is faster.
for i in $(seq 1 "$NODES"); do
  for _ in $(seq 300); do
    grep -q '^relay: listening on' "$tmp/node$i/stdout" && break
    kill -0 "${node_pids[$((i - 1))]}" 2>/dev/null ||
      { echo "relay cluster: node $i exited:" >&2; tail -n 20 "$tmp/node$i/log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '^relay: listening on' "$tmp/node$i/stdout" ||
    { echo "relay cluster: node $i did not start in 30 s:" >&2; tail -n 20 "$tmp/node$i/log" >&2; exit 1; }
done

# nginx as an unprivileged foreground process: everything (pid, logs, temp files) under
# $tmp, nothing of the system's nginx configuration. As root its workers would switch
# to "nobody", who cannot write the temp directories here; a loopback trial runs them as
# root instead.
mkdir -p "$tmp/nginx"
nginx_user=
[ "$(id -u)" -eq 0 ] && nginx_user="user root;"
cat >"$tmp/nginx/nginx.conf" <<EOF
# Generated by scripts/cluster.sh; docs/operations.md shows the production version.
daemon off;
$nginx_user
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log $tmp/nginx/access.log;
  client_body_temp_path $tmp/nginx/client_body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;

  # A WebSocket handshake carries "Upgrade"; every other request keeps the upstream
  # connection alive (Connection "").
  map \$http_upgrade \$connection_upgrade {
    default upgrade;
    ''      '';
  }

  upstream relay {
    least_conn;
$upstreams    keepalive 32;
  }

  server {
    listen 127.0.0.1:$PORT;
    # Larger than Relay's own limit (max_body_bytes), so Relay answers 413 itself.
    client_max_body_size 32m;

    location / {
      proxy_pass http://relay;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      # SSE (/api/rooms/:slug/stream): each event goes out as it comes.
      proxy_buffering off;
      # WebSockets and SSE streams live for hours; Relay's pings (every 45 s on a
      # WebSocket, 20 s on SSE) keep them busy well within these.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      # No X-Forwarded-For / X-Real-IP here: Relay refuses dev sign-in through a proxy
      # that sends them, and this trial wants it. Production adds them (the docs' config).
    }
  }
}
EOF
nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do port_busy "$PORT" && break; sleep 0.1; done
port_busy "$PORT" || { echo "relay cluster: nginx did not start:" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }

cli="$RELAY --redis-url $REDIS_URL --postgres-url $PG_URL"
cat <<EOF

relay cluster: $NODES nodes (127.0.0.1:$((PORT + 1))..$((PORT + NODES))) behind nginx

  open      $PUBLIC/auth/dev?login=alice      (dev sign-in, then $PUBLIC/)
  nodes     $(for i in $(seq 1 "$NODES"); do printf 'http://127.0.0.1:%s ' $((PORT + i)); done)
  users and tokens on the shared store, from any shell:
    $cli user add bob
    $cli token create bob
  psql      psql $PG_URL
  logs      $tmp/node*/log, $tmp/nginx/error.log

Ctrl-C stops the cluster and removes $tmp.
EOF

# Runs until Ctrl-C, or until a node or nginx dies (then everything stops).
set +e
wait -n "${node_pids[@]}" "$nginx_pid"
echo "relay cluster: a process exited; see the logs above" >&2
for i in $(seq 1 "$NODES"); do
  kill -0 "${node_pids[$((i - 1))]}" 2>/dev/null || { echo "node $i:" >&2; tail -n 20 "$tmp/node$i/log" >&2; }
done
exit 1
