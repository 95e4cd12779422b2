#!/usr/bin/env bash
# The dashboard benchmarks on the large data set, end to end (see docs/benchmarks.md).
#   BENCH_DB=platform_large bench/dashboard_run.sh            # data set must exist already
#   SEED=1 BENCH_DB=platform_large bench/dashboard_run.sh     # DROP + CREATE + seed_demo + seed_large first
# Steps: exactness check, one day's refresh, exactness check again, in-process latency,
# HTTP load (50 clients with think time, then 50 clients closed-loop) against uvicorn x2.
set -euo pipefail
export BENCH_DB="${BENCH_DB:-platform_large}"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"
PORT="${PORT:-8150}"
DUR="${DUR:-30}"

if [[ "${SEED:-0}" == "1" ]]; then
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
  $PY manage.py migrate -v0
  $PY manage.py seed_demo > /dev/null
  /usr/bin/time -f "seed_large: %e s wall, %U s user" $PY manage.py seed_large --fraction "${FRACTION:-1}"
fi

$PY bench/dashboard_bench.py check
$PY bench/dashboard_bench.py refresh
$PY bench/dashboard_bench.py check
$PY bench/dashboard_bench.py inproc --repeat 5

DB_POOL_MAX="${DB_POOL_MAX:-20}" $PY bench/serve.py uvicorn "$PORT" 2 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
$PY bench/serve.py --wait "$PORT"
$PY bench/dashboard_bench.py load --url "http://127.0.0.1:$PORT" --clients 50 --duration "$DUR" --think 1.0 \
  --label "50 users, think 1 s"
$PY bench/dashboard_bench.py load --url "http://127.0.0.1:$PORT" --clients 50 --duration "$DUR" --think 0 \
  --label "50 clients closed loop"
