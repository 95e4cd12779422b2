# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := platform:.

.PHONY: run test full-stack frontend lint seed clean

$(VENV)/.installed: requirements-dev.lock requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $@

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(shell find frontend/src frontend/index.html frontend/vite.config.ts -type f 2>/dev/null)
	cd frontend && npm run build

frontend: frontend/dist/index.html

## Embedded mode: SQLite, in-memory channel layer, Celery inside the web process, demo data.
run: $(VENV)/.installed frontend
	env -u REDIS_URL -u DATABASE_URL $(PY) manage.py migrate --noinput -v 0
	env -u REDIS_URL -u DATABASE_URL $(PY) manage.py seed_demo
	@echo "平台已启动：http://127.0.0.1:8000  （API 文档 http://127.0.0.1:8000/api/docs/）"
	env -u REDIS_URL -u DATABASE_URL $(PY) -m uvicorn config.asgi:application \
		--host 127.0.0.1 --port 8000 --lifespan on --no-access-log

## The whole test suite: lint, SQLite, PostgreSQL + integration (real services), browser.
test: $(VENV)/.installed frontend
	bash scripts/test.sh

## Full mode without Docker: web, worker and beat against local PostgreSQL and Redis.
full-stack: $(VENV)/.installed frontend
	bash scripts/full-stack.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf var frontend/dist test-artifacts
