"""The Celery application.

In full mode tasks go through Redis to separate worker and beat processes. In
embedded mode (no ``REDIS_URL``) the same tasks, called through the same API
(``delay_on_commit``), run on a worker thread inside the web process
(``config.embedded``), so one command shows the whole flow.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("platform", task_cls="config.embedded:PlatformTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
