#!/usr/bin/env bash
# make bench: run bench/ at several fleet sizes, a mixed fleet of every
# driven family at the largest, then the fault matrix, keep the raw output in
# bench/results/ (the mixed fleet's in mixed-N.txt), write the "## Scale"
# section of BENCHMARKS.md and the table of its "## Fault matrix" section,
# and draw docs/bench-scale.svg; `go test ./bench/` then checks BENCHMARKS.md's
# summary against the new raw output, so a changed number is a failing
# test until the summary says it. Knobs (environment):
#   SCALES="250 500 1000 2000"    panels per run (contracts: 50 per panel)
#   YARDSYNC_BENCH_CONCURRENCY    reconcile.concurrency (default 128)
#   YARDSYNC_BENCH_LATENCY_MS     panelsim latency per request (default 20)
#   YARDSYNC_BENCH_WATCH_MS, YARDSYNC_BENCH_WATCH_CHANGES, YARDSYNC_BENCH_BURST
#                                 BenchmarkSeconds: watch interval (5000), revocations
#                                 timed through it (50), keys_add calls of the burst (1000)
#   PROFILE=1                     CPU-profile the first sync, the no-op and the one-each run at the largest scale
#   YARDSYNC_BENCH_FAULT_TIMEOUT_MS, YARDSYNC_BENCH_FAULT_EVERY_MS, YARDSYNC_BENCH_FAULT_LIMIT_S
#                                 BenchmarkFaultMatrix: panel_timeout (1000), full-run interval
#                                 (5000), give up after (120)
#   FAULTS=0                      skip the fault matrix
set -euo pipefail
cd "$(dirname "$0")/.."

SCALES=${SCALES:-"250 500 1000 2000"}
OUT=bench/results
PROF=${PROFILE_DIR:-/tmp/yardsync-bench-prof}
mkdir -p "$OUT" docs

# Every panel of the fleet is a listener, and each in-flight request holds
# two sockets: raise the open-file limit as far as we are allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "bench: open-file limit $(ulimit -n)"

largest=$(printf '%s\n' $SCALES | sort -n | tail -1)
scaled='^Benchmark(Yardsync|Seconds|FirstSyncRequests)$'
# YARDSYNC_BENCH_* knobs set in the environment go into each recorded command, so the
# report shows what the runs were made with.
mapfile -t knobs < <(env | grep -E '^YARDSYNC_BENCH_[A-Z_]+=' | grep -vE '^YARDSYNC_BENCH_(PANELS|PROFILE)=' | sort)
for p in $SCALES; do
  skip='Yardsync/naive'
  envs=(YARDSYNC_BENCH_PANELS="$p" "${knobs[@]}")
  if [ "$p" = "$largest" ]; then
    skip='^$'
    if [ "${PROFILE:-0}" = 1 ]; then mkdir -p "$PROF"; envs+=(YARDSYNC_BENCH_PROFILE="$PROF"); fi
  fi
  # The fault matrix does not depend on the scale: it runs once, below.
  cmd="go test -bench '$scaled' -benchtime 1x -run '^\$' -skip '$skip' -timeout 60m ./bench/"
  echo "bench: ${envs[*]} $cmd"
  {
    echo "# ${envs[*]} $cmd"
    env "${envs[@]}" go test -bench "$scaled" -benchtime 1x -run '^$' -skip "$skip" -timeout 60m ./bench/
  } 2>&1 | tee "$OUT/panels-$p.txt"
done

# A mixed fleet (every family the bench drives, in turn) at the largest
# scale: first sync against the transport floor, and the no-op run.
envs=(YARDSYNC_BENCH_PANELS="$largest" "${knobs[@]}")
cmd="go test -bench '^BenchmarkYardsyncMixed\$' -benchtime 1x -run '^\$' -timeout 60m ./bench/"
echo "bench: ${envs[*]} $cmd"
{
  echo "# ${envs[*]} $cmd"
  env "${envs[@]}" go test -bench '^BenchmarkYardsyncMixed$' -benchtime 1x -run '^$' -timeout 60m ./bench/
} 2>&1 | tee "$OUT/mixed-$largest.txt"

# First-sync requests per panel family: a few seconds, latency 0, any scale.
cmd="go test -run '^\$' -bench FirstSyncFamilies -benchtime 1x ./bench/"
echo "bench: $cmd"
{
  echo "# $cmd"
  go test -run '^$' -bench FirstSyncFamilies -benchtime 1x ./bench/
} 2>&1 | tee "$OUT/first-sync-families.txt"

if [ "${FAULTS:-1}" != 0 ]; then
  cmd="go test -run '^\$' -bench FaultMatrix -benchtime 1x -timeout 60m ./bench/"
  echo "bench: ${knobs[*]} $cmd"
  {
    echo "# ${knobs[*]}${knobs[*]:+ }$cmd"
    env "${knobs[@]}" go test -run '^$' -bench FaultMatrix -benchtime 1x -timeout 60m ./bench/
  } 2>&1 | tee "$OUT/faults-matrix.txt"
fi

if [ "${PROFILE:-0}" = 1 ]; then
  for run in first-sync noop one-each; do
    f="$PROF/$run-$largest.cpu.pprof"
    [ -f "$f" ] && go tool pprof -top -nodecount=40 "$f" > "$OUT/pprof-$run-$largest.txt" 2>&1 || true
  done
fi

{
  echo "cores: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "go: $(go version)"
  echo "postgres: $(psql -h 127.0.0.1 -U postgres -Atc 'show server_version' 2>/dev/null || echo unknown)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
} > "$OUT/machine.txt"

python3 scripts/bench_report.py "$OUT" BENCHMARKS.md docs/bench-scale.svg $SCALES
echo "bench: wrote BENCHMARKS.md (## Scale) and docs/bench-scale.svg"
if [ -f "$OUT/faults-matrix.txt" ]; then
  python3 scripts/bench_report.py faults "$OUT" BENCHMARKS.md
  echo "bench: wrote the table of BENCHMARKS.md's ## Fault matrix"
fi
