"""Writes for service records (志愿服务记录): creation, review, back-entry, corrections,
public notice and finalization, disputes, star levels."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from organizations.models import Membership
from projects.models import Attendance, Shift
from volunteers.models import QualityRatingChange, RecordDispute, ServiceRecord, VolunteerStanding
from volunteers.selectors import STAFF_ROLES, star_level

logger = logging.getLogger(__name__)

_CENT = Decimal("0.01")


def attendance_hours(*, checked_in_at, checked_out_at, shift_length: timedelta) -> Decimal:
    """Actual service time: check-out minus check-in, never more than the shift's length."""
    served = min(max(checked_out_at - checked_in_at, timedelta(0)), shift_length)
    return (Decimal(served.total_seconds()) / Decimal(3600)).quantize(_CENT, rounding=ROUND_DOWN)


def shift_hours(shift: Shift) -> Decimal:
    return (Decimal(shift.length.total_seconds()) / Decimal(3600)).quantize(_CENT, rounding=ROUND_DOWN)


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday, local time). Public
    holidays are not modelled: a notice period may end on one."""
    moment = timezone.localtime(start)
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def is_org_staff(*, user: User, organization_id: int) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id, role__in=STAFF_ROLES).exists()


def _after_final_change(record: ServiceRecord) -> None:
    """Hours became final or stopped counting: refresh the star level and the
    organization's metrics once the transaction commits (both are recomputations,
    so running them twice is harmless)."""
    from dashboard.tasks import rollup_apply as dashboard_rollup_apply
    from volunteers import tasks

    tasks.volunteer_standing_refresh.delay_on_commit(record.volunteer_id)
    tasks.organization_metrics_refresh.delay_on_commit(
        record.organization_id, timezone.localtime(record.shift.starts_at).date().replace(day=1).isoformat())
    # The dashboard's rollups: this record and the one it corrects (which stops counting).
    dashboard_rollup_apply.delay_on_commit([record.id] + ([record.corrects_id] if record.corrects_id else []))


def _notice_fields(now: datetime) -> dict:
    """An approved entry is published for ``SERVICE_RECORD_NOTICE_WORKING_DAYS`` working
    days; with 0 (the default) approval makes it final at once."""
    days = settings.SERVICE_RECORD_NOTICE_WORKING_DAYS
    return {"notice_ends_at": add_working_days(now, days) if days else now,
            "finalized_at": None if days else now}


# --- creation -------------------------------------------------------------------------

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
                          started_at=attendance.checked_in_at, ended_at=attendance.checked_out_at,
                          place=project.address, content=project.title),
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


def shift_for_back_entry(*, user: User, shift_id: int) -> Shift:
    """Only the project's social worker back-enters; organization staff see the shift
    but may not (403); anyone else is told it does not exist (404)."""
    shift = Shift.objects.select_related("project").filter(id=shift_id).first()
    if shift is None:
        raise Http404
    if shift.project.owner_id != user.id:
        if is_org_staff(user=user, organization_id=shift.project.organization_id):
            raise Forbidden("permission_denied", "只有项目负责社工可以补录服务时长")
        raise Http404
    return shift


def service_record_back_enter(*, entered_by: User, shift: Shift, volunteer: User, hours: Decimal, reason: str,
                              evidence: UploadedFile, content: str = "", place: str = "",
                              people_served: int = 0) -> ServiceRecord:
    """Back-enter (补录) hours the check-in did not capture. Precondition: ``shift``
    came from ``shift_for_back_entry``. The entry stays pending until a second member of
    the organization approves it."""
    now = timezone.now()
    if now < shift.ends_at:
        raise DomainError("shift_not_over", "班次结束后才能补录")
    window = timedelta(days=settings.BACK_ENTRY_WINDOW_DAYS)
    if now > shift.ends_at + window:
        raise DomainError("back_entry_window_closed",
                          f"补录须在班次结束后 {settings.BACK_ENTRY_WINDOW_DAYS} 天内提出")
    limit = shift_hours(shift)
    if hours > limit:
        raise DomainError("hours_exceed_shift", f"时长不能超过班次时长 {limit} 小时",
                          fields={"hours": ["超过班次时长"]})
    project = shift.project
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                volunteer=volunteer, shift=shift, project=project, organization_id=project.organization_id,
                source=ServiceRecord.Source.BACK_ENTRY, started_at=shift.starts_at,
                ended_at=shift.starts_at + timedelta(hours=float(hours)), hours=hours,
                place=place or project.address, content=content or project.title, people_served=people_served,
                entered_by=entered_by, recorded_by=entered_by, back_entry_reason=reason, evidence=evidence)
            data = {"record_id": record.id, "shift_id": shift.id, "hours": str(hours)}
            notification_send(recipient_id=volunteer.id, kind="record_back_entered", title="服务时长已补录",
                              body=f"社工为您补录了「{project.title}」的 {hours} 小时服务时长，等待复核。", data=data)
            colleagues = (Membership.objects.filter(organization_id=project.organization_id, role__in=STAFF_ROLES)
                          .exclude(user=entered_by).values_list("user_id", flat=True).distinct())
            for user_id in colleagues:
                notification_send(recipient_id=user_id, kind="back_entry_pending", title="有补录时长待复核",
                                  body=f"「{project.title}」有一条 {hours} 小时的补录记录需要第二人复核。", data=data)
    except IntegrityError:
        raise Conflict("record_exists", "该志愿者在此班次已有服务记录")
    return record


# --- review ---------------------------------------------------------------------------

def service_record_for_reviewer(*, user: User, record_id: int) -> ServiceRecord:
    """Who reviews: a check-in record, the project's own social worker; a back-entry,
    a member of the organization other than the one who entered it. The volunteer sees
    but cannot review (403); anyone else is told it does not exist (404)."""
    record = (ServiceRecord.objects.select_related("project", "volunteer", "shift")
              .filter(id=record_id).first())
    if record is None:
        raise Http404
    if record.source == ServiceRecord.Source.BACK_ENTRY:
        if is_org_staff(user=user, organization_id=record.organization_id):
            return record
    elif record.project.owner_id == user.id:
        return record
    if record.volunteer_id == user.id:
        raise Forbidden("permission_denied", "只有项目负责社工可以审核服务时长")
    raise Http404


def service_record_for_viewer(*, user: User, record_id: int) -> ServiceRecord:
    """The volunteer, the project's social worker and the organization's staff see a
    record; anyone else gets 404."""
    record = (ServiceRecord.objects.select_related("project__owner", "volunteer", "shift", "organization",
                                                   "reviewed_by", "recorded_by", "entered_by")
              .filter(id=record_id).first())
    if record is None or not (record.volunteer_id == user.id or record.project.owner_id == user.id
                              or is_org_staff(user=user, organization_id=record.organization_id)):
        raise Http404
    return record


def _review(*, reviewer: User, record: ServiceRecord, status: str, reason: str = "",
            quality_rating: int | None = None) -> ServiceRecord:
    now = timezone.now()
    if record.volunteer_id == reviewer.id:
        raise Forbidden("second_approver_required", "不能审核自己的服务时长，请由其他社工审核")
    if record.source == ServiceRecord.Source.BACK_ENTRY and record.entered_by_id == reviewer.id:
        raise Forbidden("second_approver_required", "补录的记录须由录入人以外的人员复核")
    fields: dict = dict(status=status, reviewed_by=reviewer, reviewed_at=now, reject_reason=reason)
    if status == ServiceRecord.Status.APPROVED:
        fields.update(_notice_fields(now))
        if record.recorded_by_id is None:
            fields["recorded_by"] = reviewer
        if quality_rating is not None:
            fields["quality_rating"] = quality_rating
    with transaction.atomic():
        changed = ServiceRecord.objects.filter(id=record.id, status=ServiceRecord.Status.PENDING).update(**fields)
        if changed != 1:
            raise Conflict("already_reviewed", "该服务记录已审核")
        record.refresh_from_db()
        if "quality_rating" in fields:
            # The rating given with the approval starts the record's rating trail, like any later change.
            QualityRatingChange.objects.create(record=record, previous=None, rating=quality_rating,
                                               rated_by=reviewer, note="审核通过时评价")
        title = record.project.title
        if status == ServiceRecord.Status.APPROVED:
            notice = "" if record.is_final else f"，公示至 {timezone.localtime(record.notice_ends_at):%Y-%m-%d %H:%M}"
            notification_send(recipient_id=record.volunteer_id, kind=Notification.Kind.RECORD_APPROVED,
                              title="服务时长已通过",
                              body=f"您在「{title}」的 {record.hours} 小时服务时长已审核通过{notice}。",
                              data={"record_id": record.id, "hours": str(record.hours)})
            if record.is_final:
                _after_final_change(record)
        else:
            notification_send(recipient_id=record.volunteer_id, kind=Notification.Kind.RECORD_REJECTED,
                              title="服务时长被驳回",
                              body=f"您在「{title}」的服务时长未通过审核：{reason}",
                              data={"record_id": record.id, "reason": reason})
    return record


def service_record_approve(*, reviewer: User, record: ServiceRecord,
                           quality_rating: int | None = None) -> ServiceRecord:
    return _review(reviewer=reviewer, record=record, status=ServiceRecord.Status.APPROVED,
                   quality_rating=quality_rating)


def service_record_reject(*, reviewer: User, record: ServiceRecord, reason: str) -> ServiceRecord:
    return _review(reviewer=reviewer, record=record, status=ServiceRecord.Status.REJECTED, reason=reason)


def service_record_amend(*, reviewer: User, record: ServiceRecord, hours: Decimal, reason: str) -> ServiceRecord:
    """Correct the hours of a pending or approved (possibly final) record without
    editing it: a new, approved record carries the hours and points at the old one,
    which is superseded; the correction goes through the public notice like any
    approval. The old row is locked so that two amendments cannot both succeed."""
    now = timezone.now()
    if record.volunteer_id == reviewer.id:
        raise Forbidden("second_approver_required", "不能更正自己的服务时长，请由其他社工处理")
    with transaction.atomic():
        old = ServiceRecord.objects.select_for_update().select_related("shift", "project").get(id=record.id)
        if old.status not in (ServiceRecord.Status.PENDING, ServiceRecord.Status.APPROVED):
            raise Conflict("not_amendable", "只有待审核或已通过的记录可以更正")
        limit = shift_hours(old.shift)
        if hours > limit:
            raise DomainError("hours_exceed_shift", f"时长不能超过班次时长 {limit:.2f} 小时",
                              fields={"hours": ["超过班次时长"]})
        was_final = old.is_final
        old.status = ServiceRecord.Status.SUPERSEDED
        if old.reviewed_by_id is None:  # a pending record is reviewed by being amended
            old.reviewed_by, old.reviewed_at = reviewer, now
        old.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        new = ServiceRecord(
            volunteer_id=old.volunteer_id, shift=old.shift, project=old.project,
            organization_id=old.organization_id, source=old.source, started_at=old.started_at,
            ended_at=old.ended_at, hours=hours, status=ServiceRecord.Status.APPROVED,
            reviewed_by=reviewer, reviewed_at=now, corrects=old, amend_reason=reason, place=old.place,
            people_served=old.people_served, content=old.content, quality_rating=old.quality_rating,
            recorded_by=reviewer, entered_by=old.entered_by, back_entry_reason=old.back_entry_reason,
            evidence=old.evidence.name, **_notice_fields(now))
        if new.source == ServiceRecord.Source.BACK_ENTRY and new.entered_by_id == reviewer.id:
            raise Forbidden("second_approver_required", "补录的记录须由录入人以外的人员更正")
        new.save()
        notification_send(recipient_id=new.volunteer_id, kind=Notification.Kind.RECORD_AMENDED,
                          title="服务时长已更正",
                          body=f"您在「{old.project.title}」的服务时长由 {old.hours} 小时更正为 {hours} 小时：{reason}",
                          data={"record_id": new.id, "corrects": old.id, "hours": str(hours)})
        if was_final or new.is_final:
            _after_final_change(new)
    return new


def service_record_refuse_edit(*, record: ServiceRecord) -> None:
    """Records are append-only: an edit in place is always refused, with a code that
    says what to do instead."""
    if record.is_final:
        raise Conflict("record_final", "已确定的服务记录不能直接修改，请提交更正（生成新记录）")
    raise Conflict("append_only", "服务记录不能直接修改，请使用审核或更正")


# --- public notice ----------------------------------------------------------------------

def _open_objection():
    return RecordDispute.objects.filter(record=OuterRef("pk"), kind=RecordDispute.Kind.OBJECTION,
                                        status=RecordDispute.Status.OPEN)


def service_records_due() -> list[int]:
    """Approved records whose notice has ended without an open objection."""
    return list(ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED, finalized_at__isnull=True,
                                             notice_ends_at__lte=timezone.now())
                .exclude(Exists(_open_objection())).order_by("id").values_list("id", flat=True)[:5000])


def service_record_finalize(*, record_id: int) -> bool:
    """Make one approved record final if its notice is over and nobody's objection is
    open. Compare-and-set: a replay, or a record superseded meanwhile, changes nothing.

    A replay of a record that is already final enqueues the (idempotent) refreshes
    again: a worker killed between the commit and sending them must not leave the star
    level and the metrics behind. Returns whether this call made it final."""
    now = timezone.now()
    with transaction.atomic():
        changed = (ServiceRecord.objects.filter(id=record_id, status=ServiceRecord.Status.APPROVED,
                                                finalized_at__isnull=True, notice_ends_at__lte=now)
                   .exclude(Exists(_open_objection())).update(finalized_at=now))
        record = ServiceRecord.objects.select_related("shift").filter(id=record_id).first()
        if record is not None and record.is_final:
            _after_final_change(record)
    return bool(changed)


# --- star levels -------------------------------------------------------------------------

def final_hours(*, volunteer_id: int) -> Decimal:
    total = ServiceRecord.objects.filter(volunteer_id=volunteer_id, status=ServiceRecord.Status.APPROVED,
                                         finalized_at__isnull=False).aggregate(total=Sum("hours"))["total"]
    return total or Decimal("0.00")


def volunteer_standing_refresh(*, volunteer_id: int) -> VolunteerStanding:
    """Recompute a volunteer's final hours and star level from the records, under the
    standing row's lock; notify only when the level changes, so a replay is silent."""
    with transaction.atomic():
        VolunteerStanding.objects.get_or_create(volunteer_id=volunteer_id)
        standing = VolunteerStanding.objects.select_for_update().get(volunteer_id=volunteer_id)
        hours = final_hours(volunteer_id=volunteer_id)
        level, to_next = star_level(hours)
        previous = standing.star_level
        standing.final_hours, standing.star_level, standing.updated_at = hours, level, timezone.now()
        standing.save(update_fields=["final_hours", "star_level", "updated_at"])
        data = {"star_level": level, "previous_level": previous, "final_hours": str(hours)}
        if level > previous:
            more = f"，距下一星级还差 {to_next} 小时" if to_next is not None else ""
            notification_send(recipient_id=volunteer_id, kind="star_level_up", title=f"恭喜成为{level}星志愿者",
                              body=f"您的累计服务时长已达 {hours} 小时，星级提升为 {level} 星{more}。", data=data)
        elif level < previous:
            notification_send(recipient_id=volunteer_id, kind="star_level_down", title="星级已调整",
                              body=f"服务时长更正后，您的累计时长为 {hours} 小时，星级调整为 {level} 星。", data=data)
    return standing


# --- disputes ----------------------------------------------------------------------------

def dispute_raise(*, user: User, record: ServiceRecord, reason: str) -> RecordDispute:
    """The volunteer appeals (申诉) any entry of theirs; a member of the organization
    objects (异议) to an entry while it is on public notice. Precondition: ``record``
    came from ``service_record_for_viewer``."""
    if record.volunteer_id == user.id:
        kind = RecordDispute.Kind.APPEAL
    else:
        if not is_org_staff(user=user, organization_id=record.organization_id):
            raise Http404
        if record.status != ServiceRecord.Status.APPROVED or record.finalized_at is not None:
            raise Conflict("not_in_notice", "只能对公示期内的记录提出异议")
        kind = RecordDispute.Kind.OBJECTION
    try:
        with transaction.atomic():
            dispute = RecordDispute.objects.create(record=record, kind=kind, raised_by=user, reason=reason)
            notification_send(recipient_id=record.project.owner_id, kind="dispute_raised",
                              title="服务记录收到申诉" if kind == RecordDispute.Kind.APPEAL else "公示记录收到异议",
                              body=f"「{record.project.title}」的一条 {record.hours} 小时记录：{reason}",
                              data={"dispute_id": dispute.id, "record_id": record.id, "kind": kind})
    except IntegrityError:
        raise Conflict("dispute_open", "您对该记录的申诉尚未答复，请勿重复提交")
    return dispute


def dispute_for_answerer(*, user: User, dispute_id: int) -> RecordDispute:
    """The organization answers: its staff or the project's social worker. The one who
    raised it sees it but cannot answer it (403); anyone else gets 404."""
    dispute = (RecordDispute.objects.select_related("record__project", "record__shift")
               .filter(id=dispute_id).first())
    if dispute is None:
        raise Http404
    record = dispute.record
    staff = record.project.owner_id == user.id or is_org_staff(user=user, organization_id=record.organization_id)
    if dispute.raised_by_id == user.id:
        raise Forbidden("permission_denied", "不能答复自己提出的申诉或异议")
    if not staff:
        raise Http404
    return dispute


def dispute_answer(*, user: User, dispute: RecordDispute, answer: str) -> RecordDispute:
    """Answer an open dispute once (compare-and-set). An answered objection lets the
    record's notice end: the record is finalized if it is due."""
    now = timezone.now()
    with transaction.atomic():
        changed = RecordDispute.objects.filter(id=dispute.id, status=RecordDispute.Status.OPEN).update(
            status=RecordDispute.Status.ANSWERED, answer=answer, answered_by=user, answered_at=now)
        if changed != 1:
            raise Conflict("already_answered", "该申诉已答复")
        dispute.refresh_from_db()
        notification_send(recipient_id=dispute.raised_by_id, kind="dispute_answered", title="申诉已答复",
                          body=f"您对「{dispute.record.project.title}」记录的{dispute.get_kind_display()}已答复：{answer}",
                          data={"dispute_id": dispute.id, "record_id": dispute.record_id})
    if dispute.kind == RecordDispute.Kind.OBJECTION:
        from volunteers import tasks

        tasks.service_record_finalize.delay_on_commit(dispute.record_id)
    return dispute


# --- training and awards -------------------------------------------------------------------

def volunteer_by_number(volunteer_number: str) -> User:
    volunteer = User.objects.filter(volunteer_number=volunteer_number).first()
    if volunteer is None:
        raise DomainError("unknown_volunteer", "找不到该志愿者编号",
                          fields={"volunteer_number": ["找不到该志愿者编号"]})
    return volunteer


def organization_for_staff(*, user: User, organization_id: int):
    """The organization, if ``user`` is its admin or social worker: 404 otherwise (an
    outsider learns nothing about which organizations exist)."""
    from organizations.models import Organization

    if not is_org_staff(user=user, organization_id=organization_id):
        raise Http404
    return Organization.objects.get(id=organization_id)


def training_record_create(*, recorded_by: User, organization, volunteer: User, title: str, held_on, hours: Decimal,
                           content: str = ""):
    from volunteers.models import TrainingRecord

    try:
        with transaction.atomic():
            row = TrainingRecord.objects.create(volunteer=volunteer, organization=organization, title=title,
                                                content=content, held_on=held_on, hours=hours, recorded_by=recorded_by)
            notification_send(recipient_id=volunteer.id, kind="training_recorded", title="培训记录已登记",
                              body=f"{organization.name} 为您登记了培训「{title}」（{hours} 小时）。",
                              data={"training_id": row.id})
    except IntegrityError:
        raise Conflict("already_recorded", "该培训已登记")
    return row


def award_record_create(*, recorded_by: User, organization, volunteer: User, title: str, issuer: str, awarded_on,
                        level: str = ""):
    from volunteers.models import AwardRecord

    try:
        with transaction.atomic():
            row = AwardRecord.objects.create(volunteer=volunteer, organization=organization, title=title, level=level,
                                             issuer=issuer, awarded_on=awarded_on, recorded_by=recorded_by)
            notification_send(recipient_id=volunteer.id, kind="award_recorded", title="表彰奖励已登记",
                              body=f"{organization.name} 为您登记了表彰「{title}」。", data={"award_id": row.id})
    except IntegrityError:
        raise Conflict("already_recorded", "该表彰已登记")
    return row
