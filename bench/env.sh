# Sourced by the bench scripts: full-mode environment for the benchmark database.
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
export BENCH_DB="${BENCH_DB:-platform_bench}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$BENCH_DB}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/9}"
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz}"
export REAL_NAME_KEY="${REAL_NAME_KEY:-bench-only-real-name-key-0123456789abcdefghijklmnop}"
export FAST_PASSWORD_HASHER="${FAST_PASSWORD_HASHER:-1}"
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export DJANGO_SETTINGS_MODULE=config.settings
export PYTHONPATH="$REPO/platform:$REPO"
PY="$REPO/.venv/bin/python"
VENV_BIN="$REPO/.venv/bin"
