#!/usr/bin/env bash
# Bench-only Debian packages: the nchan peer (nginx-light + libnginx-mod-nchan),
# gnuplot for the plots and Google Benchmark for the micro-benchmarks. Kept out of
# scripts/deps.sh so `make run`/`make test` stay lean.
set -euo pipefail
need=()
command -v nginx >/dev/null || need+=(nginx-light)
[[ -e /usr/lib/nginx/modules/ngx_nchan_module.so ]] || need+=(libnginx-mod-nchan)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v curl >/dev/null || need+=(curl)
[[ -e /usr/include/benchmark/benchmark.h ]] || need+=(libbenchmark-dev)
((${#need[@]} == 0)) && exit 0
echo "== installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
  { apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; }
