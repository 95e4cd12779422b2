"""Celery adapters for projects: thin, idempotent, safe to run twice."""

import logging

from celery import shared_task

from projects import recurrence
from projects.services import reminders

logger = logging.getLogger(__name__)


@shared_task(name="projects.signups_mark_no_shows", ignore_result=True)
def signups_mark_no_shows() -> int:
    marked = reminders.signups_mark_no_shows()
    if marked:
        logger.info("marked %d no-shows", marked)
    return marked


@shared_task(name="projects.shift_reminders_send", ignore_result=True)
def shift_reminders_send() -> int:
    return reminders.shift_reminders_send()


@shared_task(name="projects.shifts_short_notify", ignore_result=True)
def shifts_short_notify() -> int:
    return reminders.shifts_short_notify()


@shared_task(name="projects.shift_rules_generate", ignore_result=True)
def shift_rules_generate() -> int:
    """Occurrences of weekly rules, a few weeks ahead; idempotent (unique rule slot)."""
    created = recurrence.shift_rules_generate()
    if created:
        logger.info("generated %d shift occurrences", created)
    return created


@shared_task(name="projects.needs_sync_projects", ignore_result=True)
def needs_sync_projects() -> dict:
    """Needs follow their linked projects: closed → served, cancelled → back to triaged
    (compare-and-set per need, so a replay changes nothing)."""
    from projects.needs import needs_sync_projects as sync

    moved = sync()
    if any(moved.values()):
        logger.info("needs following their projects: %s", moved)
    return moved
