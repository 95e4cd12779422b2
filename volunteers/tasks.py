"""Celery adapters: take ids, call services, stay idempotent (every service they call
is a compare-and-set or a recomputation), so ``acks_late`` redelivery is safe."""

import logging
from datetime import date

from celery import shared_task

from volunteers import metrics, services

logger = logging.getLogger(__name__)

RELIABLE = dict(ignore_result=True, acks_late=True, reject_on_worker_lost=True)


@shared_task(name="volunteers.service_record_from_attendance", **RELIABLE)
def service_record_from_attendance(attendance_id: int) -> int | None:
    """Turn a checked-out attendance into one pending service record (safe to repeat)."""
    record = services.service_record_create_from_attendance(attendance_id=attendance_id)
    return record.id if record else None


@shared_task(name="volunteers.service_records_sweep", ignore_result=True)
def service_records_sweep() -> int:
    """Redis is never the only copy: re-enqueue attendances whose task was lost."""
    missing = services.service_records_missing()
    for attendance_id in missing:
        service_record_from_attendance.delay(attendance_id)
    if missing:
        logger.warning("re-enqueued %d attendances without a service record", len(missing))
    return len(missing)


@shared_task(name="volunteers.service_record_finalize", **RELIABLE)
def service_record_finalize(record_id: int) -> bool:
    """End one record's public notice (no-op unless due and not yet final)."""
    return services.service_record_finalize(record_id=record_id)


@shared_task(name="volunteers.service_records_finalize_due", **RELIABLE)
def service_records_finalize_due() -> int:
    """Beat: enqueue every record whose notice period is over."""
    due = services.service_records_due()
    for record_id in due:
        service_record_finalize.delay(record_id)
    return len(due)


@shared_task(name="volunteers.volunteer_standing_refresh", **RELIABLE)
def volunteer_standing_refresh(volunteer_id: int) -> int:
    """Recompute a volunteer's final hours and star level."""
    return services.volunteer_standing_refresh(volunteer_id=volunteer_id).star_level


@shared_task(name="volunteers.organization_metrics_refresh", **RELIABLE)
def organization_metrics_refresh(organization_id: int, period: str) -> None:
    """Recompute one organization's metrics for one month (``period``: ISO date)."""
    metrics.organization_metric_refresh(organization_id=organization_id, period=date.fromisoformat(period))


@shared_task(name="volunteers.organization_metrics_nightly", **RELIABLE)
def organization_metrics_nightly() -> int:
    """Beat, nightly: recompute every metric and every standing from the records,
    repair what drifted and report it in the log."""
    drift = metrics.organization_metrics_recompute_all()
    drift += metrics.volunteer_standings_recompute_all()
    if drift:
        logger.warning("nightly recompute repaired %d drifted rows", drift)
    return drift
