"""The platform as it runs in production, in separate processes: a fresh PostgreSQL
database, a Celery worker and an ASGI server (uvicorn) on Redis. Tests talk to them only
over HTTP and WebSocket.

Without PostgreSQL or Redis the full-stack tests are skipped (the embedded-mode test needs
neither and always runs); with ``REQUIRE_SERVICES=1`` a missing service fails the run.
Service addresses: ``INTEGRATION_POSTGRES_URL`` (default postgres://postgres@127.0.0.1:5432)
and ``INTEGRATION_REDIS_URL`` (default redis://127.0.0.1:6379); a free Redis database
number is claimed for the run and flushed at the end."""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.wire import SOCIAL_WORKER, Api

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("INTEGRATION_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
CLAIM_KEY = "platform-integration-run"

# Settings that the test process itself carries (pytest-django, settings_test) and that
# must not leak into the servers, which run with production settings.
_SCRUB = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER",
          "CELERY_EMBEDDED_WORKER", "SMS_BACKEND", "SMS_THROTTLE", "CHANNELS_PREFIX", "SECRET_KEY",
          "REAL_NAME_KEY", "DEBUG", "VAR_DIR", "PYTHONPATH", "DB_POOL", "DB_POOL_MIN", "DB_POOL_MAX")


def require_or_skip(reason: str) -> None:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(f"integration tests need PostgreSQL and Redis: {reason} "
                "(set REQUIRE_SERVICES=1 to fail instead of skipping)")


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(PYTHONPATH=f"{REPO / 'platform'}{os.pathsep}{REPO}", DJANGO_SETTINGS_MODULE="config.settings",
               FAST_PASSWORD_HASHER="1", LOG_LEVEL="INFO", PYTHONUNBUFFERED="1",
               SMS_BACKEND="accounts.sms.LocmemBackend", DB_POOL_MAX="8",
               REAL_NAME_KEY="integration-real-name-key-0123456789abcdef")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, stdout=out,
                              stderr=subprocess.STDOUT, timeout=300, check=False)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{tail(log)}"


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class Process:
    """A child process whose output goes to a log file; stopped gently, then firmly."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def assert_alive(self) -> None:
        assert self.proc.poll() is None, f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log)}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The whole session: a prefork worker's children go too.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._out.close()


def wait_until_healthy(server: Process, base_url: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.assert_alive()
        try:
            if httpx.get(f"{base_url}/healthz/", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{server.name} not healthy within {timeout}s:\n{tail(server.log)}")


def wait_for_log(process: Process, needle: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.assert_alive()
        if needle in process.log_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{process.name}: no {needle!r} within {timeout}s:\n{tail(process.log)}")


UVICORN = ["-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
           "--lifespan", "on"]


def start_asgi(env: dict[str, str], log: Path, args: list[str] = UVICORN) -> tuple[Process, str]:
    port = free_port()
    server = Process(args[1], [PYTHON, *(a.format(port=port) for a in args)], env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(server, base_url)
    except BaseException:
        server.stop()
        raise
    return server, base_url


@dataclass
class Stack:
    base_url: str
    ws_url: str
    database_url: str
    redis_url: str
    worker: Process
    server: Process

    def login(self, phone: str) -> Api:
        return Api.login(self.base_url, self.ws_url, phone)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Read (or, for set-up only, adjust) the stack's database directly."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []


def _claim_redis_db():
    import redis

    databases = list(range(1, 16))
    random.shuffle(databases)
    for number in databases:
        client = redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_timeout=3)
        if client.dbsize() == 0 and client.set(CLAIM_KEY, "1", nx=True):
            return number, client
        client.close()
    raise AssertionError(f"no empty Redis database in 1..15 at {REDIS_URL}")


@pytest.fixture(scope="session")
def services_reachable() -> None:
    try:
        import psycopg

        psycopg.connect(f"{POSTGRES_URL}/postgres", connect_timeout=3).close()
    except Exception as exc:
        require_or_skip(f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc})")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        require_or_skip(f"Redis at {REDIS_URL} is not reachable ({exc})")


@pytest.fixture(scope="session")
def stack(services_reachable, tmp_path_factory) -> Iterator[Stack]:
    import psycopg

    logs = tmp_path_factory.mktemp("stack")
    run = secrets.token_hex(4)
    db_name = f"platform_it_{run}"
    admin = psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{db_name}"')
    redis_db, redis_client = _claim_redis_db()
    database_url = f"{POSTGRES_URL}/{db_name}"
    redis_url = f"{REDIS_URL}/{redis_db}"
    env = server_env(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=secrets.token_urlsafe(50),
                     CHANNELS_PREFIX=f"it-{run}", VAR_DIR=str(logs / "var"))
    processes: list[Process] = []
    try:
        manage(env, "migrate", "--noinput", log=logs / "setup.log")
        manage(env, "seed_demo", log=logs / "setup.log")
        worker = Process("celery worker", [
            PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "2", "-Q", "default",
            "-n", f"it-{run}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ], env, logs / "worker.log")
        processes.append(worker)
        server, base_url = start_asgi(env, logs / "uvicorn.log")
        processes.append(server)
        wait_for_log(worker, " ready.")
        yield Stack(base_url=base_url, ws_url=base_url.replace("http://", "ws://") + "/ws/notifications/",
                    database_url=database_url, redis_url=redis_url, worker=worker, server=server)
    finally:
        for process in reversed(processes):
            process.stop()
        redis_client.flushdb()
        redis_client.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def social_worker(stack) -> Iterator[Api]:
    api = stack.login(SOCIAL_WORKER)
    yield api
    api.close()
