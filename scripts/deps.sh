#!/usr/bin/env bash
# Installs the Debian packages Relay needs, only those missing (no apt run when
# everything is present). Usage: scripts/deps.sh run|test|cluster
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config libcaf-dev libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libsqlite3-dev libssl-dev libspdlog-dev libtomlplusplus-dev libcli11-dev
  libhiredis-dev libpqxx-dev libvips-dev)
test_pkgs=(libgtest-dev libbenchmark-dev redis-server
  postgresql clang-format python3-websockets clang libclang-rt-14-dev sqlite3 chromium nginx
  libvips-tools)
# `make run` builds the browser client too (scripts/web.sh); the browser suite drives
# Debian's chromium (tests/browser/), never a browser downloaded at run time.
build_pkgs+=(nodejs npm)
# `make cluster` (scripts/cluster.sh): the store, the event bus and the load balancer;
# the test command runs it too (integration.cluster_script), hence nginx above.
cluster_pkgs=(redis-server postgresql nginx)

want=("${build_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")
[ "${1:-run}" = cluster ] && want+=("${cluster_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  # npm/nodejs may come from outside apt on developer machines; accept the binaries.
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
    # Any of Debian's nginx flavours (nginx, nginx-light, …) serves as the balancer.
    nginx) command -v nginx >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "relay: installing missing packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
