#!/usr/bin/env bash
# `make run`: install what is missing, build, start Relay on the embedded default
# (SQLite under ./var). Extra arguments go to relay, e.g. make run ARGS="--listen 0.0.0.0:8080".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
TARGETS=relay scripts/build.sh build -DRELAY_BUILD_TESTS=OFF -DRELAY_BUILD_BENCHMARKS=OFF
# Local trial: dev sign-in on (it stays off anyway when listening beyond loopback or
# behind a proxy). RELAY_DEV_LOGIN=off make run turns it off.
export RELAY_DEV_LOGIN="${RELAY_DEV_LOGIN:-on}"
exec build/relay "$@"
