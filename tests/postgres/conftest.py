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


def run_together(fn: Callable[..., Any], calls: Sequence[tuple]) -> list[Outcome]:
    """Call ``fn(*args)`` for every entry of ``calls``, each on its own thread, all
    released at once by a barrier. Each thread uses (and closes) its own connection.

    Without a connection pool every thread holds a server connection; PostgreSQL's
    default ``max_connections`` is 100, so the threads then take turns through a
    semaphore once they have passed the barrier together."""
    pooled = "pool" in settings.DATABASES["default"].get("OPTIONS", {})
    gate = threading.BoundedSemaphore(len(calls) if pooled else 40)
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
