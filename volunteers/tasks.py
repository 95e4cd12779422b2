"""Celery adapters: take ids, call services, stay idempotent."""

import logging

from celery import shared_task

from volunteers import services

logger = logging.getLogger(__name__)


@shared_task(name="volunteers.service_record_from_attendance", ignore_result=True,
             acks_late=True, reject_on_worker_lost=True)
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
