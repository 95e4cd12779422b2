"""Celery adapters for the dashboard rollups. Every task is a compare-and-apply
(``facts_apply``) or a recomputation, so ``acks_late`` redelivery is safe."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from dashboard import rollups

logger = logging.getLogger(__name__)

RELIABLE = dict(ignore_result=True, acks_late=True, reject_on_worker_lost=True)


@shared_task(name="dashboard.rollup_apply", **RELIABLE)
def rollup_apply(record_ids: list[int]) -> int:
    """Apply these records' current state to the rollups (no-op on a replay)."""
    return rollups.facts_apply(record_ids=record_ids)


@shared_task(name="dashboard.rollup_sweep", **RELIABLE)
def rollup_sweep(hours: int = 48) -> int:
    """Beat: records reviewed or finalized lately whose ledger row disagrees (a lost
    task) are applied now."""
    ids = rollups.records_to_apply(since=timezone.now() - timedelta(hours=hours))
    if ids:
        logger.warning("dashboard sweep applies %d records a task missed", len(ids))
        for i in range(0, len(ids), 2000):
            rollups.facts_apply(record_ids=ids[i:i + 2000])
    return len(ids)


@shared_task(name="dashboard.schedule_refresh", **RELIABLE)
def schedule_refresh() -> int:
    """Beat: recompute the shifts, seats, no-shows and needs of the current year (and
    the previous one during January, when December's no-shows still settle)."""
    today = timezone.localdate()
    years = {today.year, (today - timedelta(days=31)).year, (today + timedelta(days=62)).year}
    return sum(rollups.schedule_refresh(year=y) for y in sorted(years))


@shared_task(name="dashboard.volunteers_refresh", **RELIABLE)
def volunteers_refresh() -> int:
    """Beat: registrations per month and star levels per home region."""
    return rollups.volunteers_refresh()


@shared_task(name="dashboard.live_recompute", **RELIABLE)
def live_recompute() -> int:
    """Beat: today's live counters from the attendances (repairs a lost bump)."""
    return rollups.live_recompute(day=timezone.localdate())
