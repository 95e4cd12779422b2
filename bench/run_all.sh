#!/usr/bin/env bash
# End-to-end benchmark run, bounded (about 7-9 minutes on the 2-core bench machine).
#   bench/run_all.sh            # full: fresh DB, server matrix, pool on/off, race, single
#   QUICK=1 bench/run_all.sh    # shorter windows (5 s), fewer configurations
# Results: bench/var/results.jsonl (one JSON line per measurement) and a table from
# bench/report.py. Ports 8100-8199 only. Every server started here is stopped on exit.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"
VAR="$BENCH_DIR/var"; mkdir -p "$VAR"
DUR="${DUR:-10}"; [[ "${QUICK:-0}" == 1 ]] && DUR=5
PORT=8100
RUN_ID="run-$(date +%Y%m%dT%H%M%S)"
SERVER_PID=""
LOAD="$PY $BENCH_DIR/load.py"

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

start_server() {  # kind workers [extra env...]
  local kind=$1 workers=$2; shift 2
  PORT=$((PORT + 1))
  env "$@" timeout 900 "$PY" "$BENCH_DIR/serve.py" "$kind" "$PORT" "$workers" >>"$VAR/server.log" 2>&1 &
  SERVER_PID=$!
  "$PY" "$BENCH_DIR/serve.py" --wait "$PORT"
  sleep 1
}

measure() {  # label: shiftlist then signups on a fresh pool, against the running server
  local label=$1
  $LOAD shiftlist --url "http://127.0.0.1:$PORT" --clients 50 --duration "$DUR" --warmup 2 \
        --server-pid "$SERVER_PID" --label "$RUN_ID $label"
  $PY "$BENCH_DIR/setup.py" pool --shifts 100 --capacity 400 --out "$VAR/pool.json" >/dev/null
  $LOAD signups --url "http://127.0.0.1:$PORT" --clients 200 --duration "$DUR" --warmup 2 \
        --pool "$VAR/pool.json" --server-pid "$SERVER_PID" --label "$RUN_ID $label"
}

echo "== setup (fresh database $BENCH_DB, 400 volunteers)"
$PY "$BENCH_DIR/setup.py" init --volunteers 400
$PY "$BENCH_DIR/setup.py" listing --shifts 60 --out "$VAR/listing.json"

# PostgreSQL allows 100 connections on the bench machine (others share it): keep
# workers x DB_POOL_MAX at 40.
CONFIGS=("uvicorn 1 40" "uvicorn 2 20" "uvicorn 3 13" "uvicorn 4 10" "gunicorn 2 20" "daphne 1 40" "daphne 2 20")
[[ "${QUICK:-0}" == 1 ]] && CONFIGS=("uvicorn 2 20" "daphne 1 40")
for cfg in "${CONFIGS[@]}"; do
  read -r kind workers poolmax <<<"$cfg"
  echo "== $kind x$workers (DB_POOL_MAX=$poolmax)"
  start_server "$kind" "$workers" DB_POOL=1 DB_POOL_MAX="$poolmax"
  measure "$kind w$workers pool$poolmax"
  stop_server
done

BEST_KIND="${BEST_KIND:-uvicorn}"; BEST_WORKERS="${BEST_WORKERS:-2}"; BEST_POOL="${BEST_POOL:-20}"
echo "== $BEST_KIND x$BEST_WORKERS without the pool (DB_POOL=0: a new connection per request)"
start_server "$BEST_KIND" "$BEST_WORKERS" DB_POOL=0
measure "$BEST_KIND w$BEST_WORKERS nopool"
stop_server

echo "== race and single on $BEST_KIND x$BEST_WORKERS (DB_POOL_MAX=$BEST_POOL)"
start_server "$BEST_KIND" "$BEST_WORKERS" DB_POOL=1 DB_POOL_MAX="$BEST_POOL"
$PY "$BENCH_DIR/setup.py" race --rounds 10 --capacity 50 --out "$VAR/race.json" >/dev/null
$LOAD race --url "http://127.0.0.1:$PORT" --race "$VAR/race.json" --clients 200 --rounds 10 \
      --token-offset 200 --duration 60 --server-pid "$SERVER_PID" --label "$RUN_ID $BEST_KIND w$BEST_WORKERS"
$PY "$BENCH_DIR/setup.py" pool --shifts 100 --capacity 400 --out "$VAR/pool_single.json" >/dev/null
$LOAD single --url "http://127.0.0.1:$PORT" --pool "$VAR/pool_single.json" --max-requests 300 --skip 20 \
      --duration 60 --server-pid "$SERVER_PID" --label "$RUN_ID $BEST_KIND w$BEST_WORKERS"
stop_server

$PY "$BENCH_DIR/report.py" --run "$RUN_ID"
