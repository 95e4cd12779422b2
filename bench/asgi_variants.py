"""Bench-only ASGI entry points that switch one thing off, to measure what it costs
without editing the application. Not for production.

    BENCH_VARIANT=nopush  -> notifications are stored but not pushed to the channel layer
    BENCH_VARIANT=nowaitcount -> the shift list without the per-shift waitlisted COUNT join

    uvicorn bench.asgi_variants:application ...   (PYTHONPATH=platform:.)
"""

from __future__ import annotations

import os

from config.asgi import application  # noqa: F401  (sets Django up)

variant = os.environ.get("BENCH_VARIANT", "")
if "nopush" in variant:
    import notifications.services

    notifications.services.group_send = lambda group, message: None
if "nowaitcount" in variant:
    from django.db.models import Value
    from django.utils import timezone

    import projects.api

    def shift_list(*, user, project, when="upcoming"):
        qs = project.shifts.all()
        now = timezone.now()
        if when == "upcoming":
            qs = qs.filter(ends_at__gt=now)
        elif when == "past":
            qs = qs.filter(ends_at__lte=now)
        return qs.annotate(waitlisted_count=Value(0)).order_by("starts_at", "id")

    projects.api.selectors.shift_list = shift_list
