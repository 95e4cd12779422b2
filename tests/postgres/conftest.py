"""Races on PostgreSQL with committed data: real threads, one connection each.

The tests here need row locks (``select_for_update``), which SQLite does not have, so
they are skipped unless the default database is PostgreSQL. Run them with e.g.::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platform_pg \\
        .venv/bin/python -m pytest tests/postgres -m postgres
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from accounts.models import User

HERE = Path(__file__).resolve().parent


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    if _is_postgres():
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, real concurrency): set DATABASE_URL=postgres://…; "
        f"the default database is {settings.DATABASES['default']['ENGINE']}"
    )
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="package", autouse=True)
def _regions_back_after_flush(django_db_blocker):
    """Transactional tests flush every table, the regions imported once per session
    (tests/conftest.py) included. Put them back for the suites that run after ours."""
    yield
    if not _is_postgres():
        return
    from accounts.regions import regions_import

    with django_db_blocker.unblock():
        regions_import(city_code="4109")


@pytest.fixture(autouse=True)
def _regions(transactional_db):
    """Every test here starts from a flushed database: import the demo city's regions."""
    from accounts.regions import regions_import

    regions_import(city_code="4109")


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


# A thread waits for the database pool at most this long (settings: pool timeout 10 s).
_JOIN_TIMEOUT = 120


def concurrency_bound() -> int:
    """How many racing threads may hold a database connection at once.

    With the pool (settings: ``max_size`` 20, ``timeout`` 10 s) a thread beyond the
    pool's size waits in the pool's queue, and gives up after 10 s with
    ``OperationalError: couldn't get a connection``. 200 sign-ups on one shift run one
    after another under the shift's row lock, so on a loaded machine the last ones in
    the queue waited longer than that: a 500 (measured with the timeout cut to 0.3 s:
    196 of 200 failed). The test's own thread keeps one pooled connection, so one less.
    Without a pool every thread opens a server connection; PostgreSQL's default
    ``max_connections`` is 100 and other test runs share the server, so 40."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if pool:
        max_size = pool.get("max_size", 20) if isinstance(pool, dict) else 20
        return max(1, max_size - 1)
    return 40


def run_together(fn: Callable[..., Any], calls: Sequence[tuple]) -> list[Outcome]:
    """Call ``fn(*args)`` for every entry of ``calls``, each on its own thread, all
    released at once by a barrier. Each thread uses (and closes) its own connection.

    Past the barrier the threads take turns through a semaphore sized by
    ``concurrency_bound()``: that many transactions collide on the locks at any moment
    (the race), and nobody waits where a timeout would turn waiting into an error (the
    semaphore has none; row locks have none)."""
    gate = threading.BoundedSemaphore(min(len(calls), concurrency_bound()))
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def worker(index: int, args: tuple) -> None:
        try:
            barrier.wait(timeout=30)
            with gate:
                try:
                    outcomes[index].value = fn(*args)
                finally:
                    connections.close_all()
        except BaseException as exc:  # reported to the test, never swallowed
            outcomes[index].error = exc

    threads = [threading.Thread(target=worker, args=(i, args), name=f"race-{i}")
               for i, args in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return outcomes


def make_volunteers(count: int, prefix: str = "137") -> list[User]:
    """Committed volunteers, created in one statement (the password is irrelevant here)."""
    start = User.objects.count()
    users = [User(phone=f"{prefix}{start + i:08d}", name=f"并发志愿者{start + i}",
                  volunteer_number=f"P{prefix}{start + i:08d}") for i in range(count)]
    User.objects.bulk_create(users)
    return list(User.objects.filter(phone__in=[u.phone for u in users]).order_by("id"))
