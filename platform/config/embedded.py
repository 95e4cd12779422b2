"""Embedded mode: Celery's API without Celery's processes.

With no Redis the web process itself plays worker and beat:

* ``PlatformTask.apply_async`` hands the call to one worker thread, which runs it
  through ``Task.apply`` (the eager path: same retries, same signals). Requests do not
  wait for tasks, exactly as with a real broker.
* ``EmbeddedBeat`` ticks the ``CELERY_BEAT_SCHEDULE`` on another thread.
* The server's event loop is remembered, because Channels' in-memory layer belongs to
  that loop: a ``group_send`` from a worker thread must be scheduled on it or it is not
  noticed until the loop wakes for some other reason (measured: seconds later).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from celery import Task
from celery.contrib.django.task import DjangoTask
from celery.result import AsyncResult
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_worker: EmbeddedWorker | None = None
_beat: EmbeddedBeat | None = None
_start_lock = threading.Lock()


def remember_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    loop = _server_loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


class EmbeddedWorker(threading.Thread):
    """Runs queued task calls one at a time, like a Celery worker with concurrency 1."""

    def __init__(self) -> None:
        super().__init__(name="embedded-celery-worker", daemon=True)
        self.calls: queue.Queue[tuple[Task, tuple, dict, str]] = queue.Queue()

    def submit(self, task: Task, args: tuple, kwargs: dict) -> str:
        task_id = str(uuid.uuid4())
        self.calls.put((task, args, kwargs, task_id))
        return task_id

    def run(self) -> None:
        while True:
            task, args, kwargs, task_id = self.calls.get()
            close_old_connections()
            try:
                task.apply(args=args, kwargs=kwargs, task_id=task_id, throw=True)
            except Exception:
                logger.exception("embedded task %s failed", task.name)
            finally:
                close_old_connections()
                self.calls.task_done()


class EmbeddedBeat(threading.Thread):
    """Sends the entries of ``CELERY_BEAT_SCHEDULE`` when they are due."""

    def __init__(self, tick_seconds: float = 1.0) -> None:
        super().__init__(name="embedded-celery-beat", daemon=True)
        self.tick_seconds = tick_seconds
        self.last_run: dict[str, Any] = {}

    def run(self) -> None:
        from config.celery import app

        app.loader.import_default_modules()  # autodiscovery is lazy; beat needs every task
        while True:
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
                sched = entry["schedule"]
                if isinstance(sched, (int, float)):
                    sched = interval_schedule(timedelta(seconds=sched))
                last = self.last_run.get(name, timezone.now() - timedelta(days=365))
                due, _next = sched.is_due(last)
                if due:
                    self.last_run[name] = timezone.now()
                    app.tasks[entry["task"]].apply_async(
                        args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
                    )
            time.sleep(self.tick_seconds)


def worker() -> EmbeddedWorker:
    global _worker
    with _start_lock:
        if _worker is None:
            _worker = EmbeddedWorker()
            _worker.start()
    return _worker


def start_beat() -> None:
    global _beat
    with _start_lock:
        if _beat is None and settings.CELERY_EMBEDDED_WORKER:
            _beat = EmbeddedBeat()
            _beat.start()


def embedded_enabled() -> bool:
    return settings.CELERY_EMBEDDED_WORKER and not settings.CELERY_TASK_ALWAYS_EAGER


class PlatformTask(DjangoTask):
    """Base task (with ``delay_on_commit``): in embedded mode calls go to the in-process
    worker thread."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None,
                    link=None, link_error=None, shadow=None, **options):
        if embedded_enabled():
            call_id = worker().submit(self, tuple(args or ()), dict(kwargs or {}))
            return AsyncResult(call_id, app=self.app)
        return super().apply_async(args=args, kwargs=kwargs, task_id=task_id,
                                   producer=producer, link=link, link_error=link_error,
                                   shadow=shadow, **options)
