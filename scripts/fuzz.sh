#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (docs/fuzzing.md) in the clang tree build-fuzz.
#
#   scripts/fuzz.sh --runs 10000000 --record       the long campaign, recorded in docs/fuzzing.md
#   scripts/fuzz.sh --seconds 60 ws_frame         one target for a minute
#   scripts/fuzz.sh                                every target briefly (10 s each)
#
# Options: --runs N | --seconds S (per target), --jobs J (targets at once; default 1, the
# machines are shared), --record (append the results to docs/fuzzing.md), --no-build.
# New inputs go to build-fuzz/tests/fuzz/work/<target> (shared with the CTest entries),
# crashes to build-fuzz/tests/fuzz/artifacts/, logs to build-fuzz/tests/fuzz/logs/. Exits
# non-zero when any target found something; minimise it with the target's -minimize_crash=1
# and add it to tests/fuzz/corpus/<target>/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

args="$*"
limit=(-max_total_time=10)
limit_text="10 s"
jobs=1
record=0
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) limit=(-runs="$2"); limit_text="$2 runs"; shift 2 ;;
    --seconds) limit=(-max_total_time="$2"); limit_text="$2 s"; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --record) record=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

dir=build-fuzz
if [ "$build" = 1 ]; then
  CC=clang CXX=clang++ scripts/build.sh "$dir" -DRELAY_FUZZ=ON -DRELAY_BUILD_TESTS=OFF \
    -DRELAY_BUILD_BENCHMARKS=OFF -DRELAY_SANITIZE=address,undefined
fi
fz=$dir/tests/fuzz
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cpp; do
    t=$(basename "$f" _fuzz.cpp)
    [ -x "$fz/${t}_fuzz" ] && targets+=("$t")
  done
fi
mkdir -p "$fz/logs" "$fz/artifacts"

stamp=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg) at start"
header="| target | executions | time (s) | exec/s | coverage (cov/ft) | corpus | peak RSS (MB) | findings |"
rule="|---|---:|---:|---:|---|---|---:|---|"

if [ "$record" = 1 ]; then
  {
    echo
    echo "### $stamp: $limit_text per target"
    echo
    tree=$(git rev-parse --short HEAD)
    git diff --quiet HEAD -- core config auth protocol tests/fuzz || tree="$tree with uncommitted changes"
    echo "Machine: $machine. Tree: $tree. Command: \`scripts/fuzz.sh $args\` (each target under \`nice -n 10\`)."
    echo
    echo "$header"
    echo "$rule"
  } >> docs/fuzzing.md
fi
echo "$header"
echo "$rule"

# One target: run, then print (and record) a table row. Rows of parallel jobs are
# appended under a lock so they never interleave.
run_one() {
  local t=$1 log=$fz/logs/$1.log start end rc dict=()
  mkdir -p "$fz/work/$t"
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  local before
  before=$(ls "$fz/artifacts" | grep -c "^$t-" || true)
  start=$(date +%s)
  set +e
  # ASan's allocator keeps what it freed, so RSS creeps up over millions of inputs; a
  # smaller quarantine and a 4 GiB ceiling keep a long run from ending as an OOM that is
  # not one. A single allocation over 2 GiB is still a finding.
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=64" \
  nice -n 10 "$fz/${t}_fuzz" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$fz/artifacts/$t-" "${dict[@]}" "$fz/work/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  end=$(date +%s)
  local execs rate cov corp rss findings
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  rss=$(awk '/stat::peak_rss_mb/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 | awk '{print $2 "/" $4}')
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[bKM]*' "$log" | tail -n 1 | awk '{print $2}')
  findings=none
  if [ "$rc" -ne 0 ] || [ "$(ls "$fz/artifacts" | grep -c "^$t-" || true)" -gt "$before" ]; then
    local what
    what=$(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|runtime error: .{0,80}|fuzz invariant failed: .{0,80}' "$log" || echo "exit $rc")
    findings="**$what** (log $log; artifacts $fz/artifacts/$t-*)"
  fi
  local row="| $t | ${execs:-?} | $((end - start)) | ${rate:-?} | ${cov:-?} | ${corp:-?} | ${rss:-?} | $findings |"
  (
    flock 9
    echo "$row"
    if [ "$record" = 1 ]; then echo "$row" >> docs/fuzzing.md; fi
  ) 9>"$fz/logs/.lock"
  [ "$findings" = none ]
}

failed=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
