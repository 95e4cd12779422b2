#!/usr/bin/env bash
# The processes of docker-compose.yml, run directly against local PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=platform:.
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/platform}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export SECRET_KEY=${SECRET_KEY:-local-full-stack-$(hostname)-not-for-production}
export REAL_NAME_KEY=${REAL_NAME_KEY:-local-full-stack-real-name-key-$(hostname)-not-for-production}
export SECURE_COOKIES=${SECURE_COOKIES:-0}
PY=.venv/bin/python
WEB_WORKERS=${WEB_WORKERS:-2}

psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='platform'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE platform"
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0
$PY manage.py seed_demo

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
$PY -m celery -A config worker -l info -Q default --concurrency 2 & pids+=($!)
$PY -m celery -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler & pids+=($!)
$PY -m uvicorn config.asgi:application --host 127.0.0.1 --port 8000 --workers "$WEB_WORKERS" \
  --lifespan on --no-access-log & pids+=($!)
wait -n
