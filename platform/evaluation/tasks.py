"""Celery adapters for the evaluation reminders (beat, daily). Each reminder is stamped
by compare-and-set before it is sent, so a repeated or redelivered run sends nothing."""

from celery import shared_task

from evaluation.services import grading

RELIABLE = dict(ignore_result=True, acks_late=True, reject_on_worker_lost=True)


@shared_task(name="evaluation.deadline_reminders_send", **RELIABLE)
def deadline_reminders_send() -> int:
    return grading.deadline_reminders_send()


@shared_task(name="evaluation.expiry_reminders_send", **RELIABLE)
def expiry_reminders_send() -> int:
    return grading.expiry_reminders_send()
