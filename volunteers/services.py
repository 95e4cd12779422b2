"""Writes for service records (志愿服务记录)."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from projects.models import Attendance
from volunteers.models import ServiceRecord

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")


def attendance_hours(*, checked_in_at, checked_out_at, shift_length: timedelta) -> Decimal:
    """Actual service time: check-out minus check-in, never more than the shift's length."""
    served = min(max(checked_out_at - checked_in_at, timedelta(0)), shift_length)
    return (Decimal(served.total_seconds()) / Decimal(3600)).quantize(_CENT, rounding=ROUND_DOWN)


def service_record_create_from_attendance(*, attendance_id: int) -> ServiceRecord | None:
    """Create the pending record of a checked-out attendance.

    Idempotent: the record is unique per attendance, so a replayed task finds the record
    that exists and sends nothing again. Returns None when there is nothing to record."""
    attendance = (Attendance.objects.select_related("shift__project")
                  .filter(id=attendance_id).first())
    if attendance is None:
        logger.warning("attendance %s vanished before its record was made", attendance_id)
        return None
    if attendance.checked_out_at is None:
        logger.warning("attendance %s is not checked out", attendance_id)
        return None
    shift, project = attendance.shift, attendance.shift.project
    hours = attendance_hours(checked_in_at=attendance.checked_in_at,
                             checked_out_at=attendance.checked_out_at, shift_length=shift.length)
    with transaction.atomic():
        record, created = ServiceRecord.objects.get_or_create(
            attendance=attendance,
            defaults=dict(volunteer_id=attendance.volunteer_id, shift=shift, project=project,
                          organization_id=project.organization_id, hours=hours,
                          started_at=attendance.checked_in_at, ended_at=attendance.checked_out_at),
        )
        if created:
            data = {"record_id": record.id, "project_id": project.id, "shift_id": shift.id,
                    "hours": str(hours)}
            notification_send(recipient_id=record.volunteer_id, kind=Notification.Kind.RECORD_CREATED,
                              title="服务记录已生成",
                              body=f"您在「{project.title}」的服务时长 {hours} 小时已记录，等待社工审核。",
                              data=data)
            notification_send(recipient_id=project.owner_id, kind=Notification.Kind.RECORD_CREATED,
                              title="有新的服务时长待审核",
                              body=f"「{project.title}」有一条 {hours} 小时的服务记录待审核。", data=data)
    return record


def service_records_missing() -> list[int]:
    """Checked-out attendances without a record: a lost task leaves these behind."""
    return list(Attendance.objects.filter(checked_out_at__isnull=False, service_record__isnull=True)
                .values_list("id", flat=True)[:1000])


def service_record_for_reviewer(*, user: User, record_id: int) -> ServiceRecord:
    """Only the project's own social worker reviews; the volunteer sees but cannot
    review (403); anyone else is told it does not exist (404)."""
    record = (ServiceRecord.objects.select_related("project", "volunteer")
              .filter(id=record_id).filter(Q(volunteer=user) | Q(project__owner=user)).first())
    if record is None:
        raise Http404
    if record.project.owner_id != user.id:
        raise Forbidden("permission_denied", "只有项目负责社工可以审核服务时长")
    return record


def _review(*, reviewer: User, record: ServiceRecord, status: str, reason: str = "") -> ServiceRecord:
    now = timezone.now()
    with transaction.atomic():
        changed = ServiceRecord.objects.filter(id=record.id, status=ServiceRecord.Status.PENDING).update(
            status=status, reviewed_by=reviewer, reviewed_at=now, reject_reason=reason)
        if changed != 1:
            raise Conflict("already_reviewed", "该服务记录已审核")
        record.refresh_from_db()
        title = record.project.title
        if status == ServiceRecord.Status.APPROVED:
            notification_send(recipient_id=record.volunteer_id, kind=Notification.Kind.RECORD_APPROVED,
                              title="服务时长已通过",
                              body=f"您在「{title}」的 {record.hours} 小时服务时长已审核通过。",
                              data={"record_id": record.id, "hours": str(record.hours)})
        else:
            notification_send(recipient_id=record.volunteer_id, kind=Notification.Kind.RECORD_REJECTED,
                              title="服务时长被驳回",
                              body=f"您在「{title}」的服务时长未通过审核：{reason}",
                              data={"record_id": record.id, "reason": reason})
    return record


def service_record_amend(*, reviewer: User, record: ServiceRecord, hours: Decimal, reason: str) -> ServiceRecord:
    """Correct the hours of a pending or approved record without editing it: a new,
    approved record carries the hours and points at the old one, which is superseded.
    The old row is locked so that two amendments cannot both succeed."""
    now = timezone.now()
    with transaction.atomic():
        old = ServiceRecord.objects.select_for_update().select_related("shift", "project").get(id=record.id)
        if old.status not in (ServiceRecord.Status.PENDING, ServiceRecord.Status.APPROVED):
            raise Conflict("not_amendable", "只有待审核或已通过的记录可以更正")
        limit = Decimal(old.shift.length.total_seconds()) / Decimal(3600)
        if hours > limit.quantize(_CENT, rounding=ROUND_DOWN):
            raise DomainError("hours_exceed_shift", f"时长不能超过班次时长 {limit:.2f} 小时",
                              fields={"hours": ["超过班次时长"]})
        old.status = ServiceRecord.Status.SUPERSEDED
        if old.reviewed_by_id is None:  # a pending record is reviewed by being amended
            old.reviewed_by, old.reviewed_at = reviewer, now
        old.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        new = ServiceRecord.objects.create(
            volunteer_id=old.volunteer_id, shift=old.shift, project=old.project,
            organization_id=old.organization_id, source=old.source, started_at=old.started_at,
            ended_at=old.ended_at, hours=hours, status=ServiceRecord.Status.APPROVED,
            reviewed_by=reviewer, reviewed_at=now, corrects=old, amend_reason=reason)
        notification_send(recipient_id=new.volunteer_id, kind=Notification.Kind.RECORD_AMENDED,
                          title="服务时长已更正",
                          body=f"您在「{old.project.title}」的服务时长由 {old.hours} 小时更正为 {hours} 小时：{reason}",
                          data={"record_id": new.id, "corrects": old.id, "hours": str(hours)})
    return new


def service_record_approve(*, reviewer: User, record: ServiceRecord) -> ServiceRecord:
    return _review(reviewer=reviewer, record=record, status=ServiceRecord.Status.APPROVED)


def service_record_reject(*, reviewer: User, record: ServiceRecord, reason: str) -> ServiceRecord:
    return _review(reviewer=reviewer, record=record, status=ServiceRecord.Status.REJECTED, reason=reason)
