#!/usr/bin/env bash
# Configures and builds one build tree. Usage: [TARGETS="a b"] scripts/build.sh DIR [cmake args…]
set -euo pipefail
dir=$1
shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
