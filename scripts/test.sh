#!/usr/bin/env bash
# Runs every suite that this machine can run. With REQUIRE_SERVICES=1 (CI) a missing
# PostgreSQL or Redis fails the run instead of skipping the suites that need them; with
# REQUIRE_BROWSER=1 a missing chromium does the same for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=platform:.
PY=.venv/bin/python
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/platform}
unset REDIS_URL DATABASE_URL

echo "== ruff"
.venv/bin/ruff check .

echo "== unit and API tests on SQLite"
$PY -m pytest -q -m "not integration and not browser and not postgres"

have_services() {
  $PY - "$PG_URL" <<'PY'
import socket, sys
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        sys.exit(1)
PY
}

if have_services; then
  echo "== unit, API, concurrency and integration tests on PostgreSQL, Redis, Celery, Channels"
  DATABASE_URL=$PG_URL $PY -m pytest -q -m "not browser"
elif [ "${REQUIRE_SERVICES:-0}" = "1" ]; then
  echo "PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not running" >&2
  exit 1
else
  echo "== skipped: PostgreSQL and Redis are not running here (see .ci/run for how CI starts them)"
fi

if [ -x /usr/bin/chromium ]; then
  echo "== browser tests (Debian chromium through Playwright)"
  $PY -m pytest -q -m browser
elif [ "${REQUIRE_BROWSER:-0}" = "1" ]; then
  echo "/usr/bin/chromium is missing (apt-get install chromium)" >&2
  exit 1
else
  echo "== skipped: browser tests need /usr/bin/chromium (apt-get install chromium)"
fi
