#!/usr/bin/env bash
# The chosen configuration only (uvicorn x2, pool 20): list, sign-ups, race, single.
# About 2.5 minutes; the figures of "Latest figures" in docs/benchmarks.md.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"; VAR="$BENCH_DIR/var"; RUN_ID="final-$(date +%Y%m%dT%H%M%S)"; PORT=8160
$PY bench/setup.py init --volunteers 400 >/dev/null
$PY bench/setup.py listing --shifts 60 --out "$VAR/listing.json" >/dev/null
DB_POOL=1 DB_POOL_MAX=20 timeout 600 $PY bench/serve.py uvicorn $PORT 2 >>"$VAR/server.log" 2>&1 &
SP=$!; $PY bench/serve.py --wait $PORT; sleep 1
L="$PY bench/load.py"
$L shiftlist --url http://127.0.0.1:$PORT --clients 50 --duration 10 --warmup 2 --server-pid $SP --label "$RUN_ID uvicorn w2 pool20"
$PY bench/setup.py pool --shifts 100 --capacity 400 --out "$VAR/pool.json" >/dev/null
$L signups --url http://127.0.0.1:$PORT --clients 200 --duration 10 --warmup 2 --pool "$VAR/pool.json" --server-pid $SP --label "$RUN_ID uvicorn w2 pool20"
$PY bench/setup.py race --rounds 10 --capacity 50 --out "$VAR/race.json" >/dev/null
$L race --url http://127.0.0.1:$PORT --race "$VAR/race.json" --clients 200 --rounds 10 --token-offset 200 --duration 60 --server-pid $SP --label "$RUN_ID uvicorn w2"
$PY bench/setup.py pool --shifts 100 --capacity 400 --out "$VAR/pool_single.json" >/dev/null
$L single --url http://127.0.0.1:$PORT --pool "$VAR/pool_single.json" --max-requests 300 --skip 20 --duration 60 --server-pid $SP --label "$RUN_ID uvicorn w2"
kill $SP; wait $SP 2>/dev/null || true
$PY bench/report.py --run "$RUN_ID"
