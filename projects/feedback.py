"""Feedback after a shift (服务评价): volunteers rate the activity, the people served
(or staff on their behalf) rate the service, the social worker rates each volunteer's
service quality on their service record. All three feed the organization's monthly
metrics (``volunteers.metrics``), refreshed after commit by an idempotent task.

Ratings are 1–5, given only once the shift has ended; "once" is a unique constraint,
so two concurrent submissions cannot both land (the loser gets 409)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.selectors import governs
from projects.models import ActivityFeedback, Attendance, Need, ServiceFeedback, ServiceProject, Shift, Signup
from projects.selectors import is_project_manager
from volunteers.models import QualityRatingChange, ServiceRecord

LIVE_RECORD = (ServiceRecord.Status.PENDING, ServiceRecord.Status.APPROVED)
# How far back the console lists shifts open for feedback entry.
FEEDBACK_WINDOW = timedelta(days=60)


def _check_rating(rating: int) -> None:
    # The serializers check this too; services are also called from tasks and the shell.
    if not 1 <= rating <= 5:
        raise DomainError("invalid_rating", "评分须为 1 到 5 分", fields={"rating": ["评分须为 1 到 5 分"]})


def _refresh_metrics(shift: Shift) -> None:
    from volunteers import tasks

    period = timezone.localtime(shift.starts_at).date().replace(day=1).isoformat()
    tasks.organization_metrics_refresh.delay_on_commit(shift.project.organization_id, period)


def _ended_shift(shift_id: int) -> Shift:
    shift = Shift.objects.select_related("project__organization").filter(id=shift_id).first()
    if shift is None:
        raise Http404
    return shift


def _require_ended(shift: Shift) -> None:
    if timezone.now() < shift.ends_at:
        raise DomainError("shift_not_ended", "班次结束后才能评价", status_code=409)


# --- volunteers rate the activity ---------------------------------------------------------

def activity_feedback_create(*, volunteer: User, shift_id: int, rating: int, comment: str = "") -> ActivityFeedback:
    """A volunteer who attended (checked in to) the shift rates it, once, after it ended."""
    _check_rating(rating)
    shift = _ended_shift(shift_id)
    if not Attendance.objects.filter(shift=shift, volunteer=volunteer).exists():
        raise Forbidden("not_attended", "只有参加了该班次的志愿者可以评价活动")
    _require_ended(shift)
    try:
        with transaction.atomic():
            feedback = ActivityFeedback.objects.create(shift=shift, volunteer=volunteer, rating=rating,
                                                       comment=comment)
            _refresh_metrics(shift)
    except IntegrityError:
        raise Conflict("already_rated", "您已评价过该班次") from None
    return feedback


def activity_feedback_mine(*, user: User) -> QuerySet[Attendance]:
    """The shifts the user attended that have ended, newest first, each with the user's
    rating if given (``my_rating``, ``my_comment``)."""
    mine = ActivityFeedback.objects.filter(shift_id=OuterRef("shift_id"), volunteer=user)
    return (Attendance.objects.filter(volunteer=user, shift__ends_at__lte=timezone.now())
            .select_related("shift__project__organization")
            .annotate(rated=Exists(mine))
            .order_by("-shift__starts_at", "-id"))


def activity_feedback_by_shift(*, user: User, shift_ids: list[int]) -> dict[int, ActivityFeedback]:
    return {f.shift_id: f for f in ActivityFeedback.objects.filter(volunteer=user, shift_id__in=shift_ids)}


# --- the people served rate the service -----------------------------------------------------

def is_served_resident(*, user: User, project: ServiceProject) -> bool:
    """A resident counts as served by a project when a need they posted was taken up by
    it. Anyone else's rating goes through staff, on the served person's behalf."""
    return Need.objects.filter(reporter=user, project=project).exists()


def rateable_shifts_for_reporter(*, user: User, project_id: int) -> list[dict]:
    """The ended shifts of a project that took up the user's need, each with the rating
    the user gave it (None if not yet)."""
    mine = dict(ServiceFeedback.objects.filter(shift__project_id=project_id, rated_by=user, on_behalf=False)
                .values_list("shift_id", "rating"))
    shifts = (Shift.objects.filter(project_id=project_id, ends_at__lte=timezone.now())
              .order_by("-starts_at", "-id")[:20])
    return [{"id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at, "my_rating": mine.get(s.id)} for s in shifts]


def can_enter_on_behalf(*, user: User, project: ServiceProject) -> bool:
    return is_project_manager(user=user, project=project) or governs(user=user, region_code=project.region_id)


def service_feedback_create(*, user: User, shift_id: int, rating: int, comment: str = "",
                            served_person_name: str = "") -> ServiceFeedback:
    """Rate a shift's service. With ``served_person_name``: staff (the project's managers
    or government staff governing its region) enter the rating of that person. Without:
    a resident served by the project (see ``is_served_resident``) rates it themself; a
    volunteer on the shift never rates the service they gave."""
    _check_rating(rating)
    shift = _ended_shift(shift_id)
    project = shift.project
    on_behalf = bool(served_person_name.strip())
    if on_behalf:
        if not can_enter_on_behalf(user=user, project=project):
            raise Forbidden("not_project_staff", "只有项目社工或辖区工作人员可以代服务对象录入评价")
    else:
        if Signup.objects.filter(shift=shift, volunteer=user).exclude(status=Signup.Status.CANCELLED).exists():
            raise Forbidden("volunteer_cannot_rate_service", "参与服务的志愿者不能评价自己提供的服务")
        if not is_served_resident(user=user, project=project):
            if can_enter_on_behalf(user=user, project=project):
                raise DomainError("invalid", "代录评价须填写服务对象姓名",
                                  fields={"served_person_name": ["请填写服务对象姓名"]})
            raise Forbidden("not_served", "只有该项目的服务对象可以评价服务")
    _require_ended(shift)
    try:
        with transaction.atomic():
            feedback = ServiceFeedback.objects.create(
                shift=shift, rated_by=user, on_behalf=on_behalf, served_person_name=served_person_name.strip(),
                rating=rating, comment=comment)
            if project.owner_id != user.id:
                notification_send(recipient_id=project.owner_id, kind="service_feedback", title="收到服务评价",
                                  body=f"「{project.title}」收到一条 {rating} 分的服务对象评价。",
                                  data={"shift_id": shift.id, "project_id": project.id, "rating": rating})
            _refresh_metrics(shift)
    except IntegrityError:
        who = f"「{served_person_name.strip()}」" if on_behalf else "您"
        raise Conflict("already_rated", f"{who}已评价过该班次的服务") from None
    return feedback


def feedback_shifts(*, user: User) -> QuerySet[Shift]:
    """Ended shifts (last ``FEEDBACK_WINDOW``) whose ratings ``user`` may look at and
    enter: shifts of projects they manage, or, for government staff, of projects in
    their jurisdiction."""
    from accounts.selectors import staff_region
    from organizations.models import Membership

    now = timezone.now()
    qs = Shift.objects.filter(ends_at__lte=now, ends_at__gte=now - FEEDBACK_WINDOW)
    admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("organization_id")
    scope = Q(project__owner=user) | Q(project__organization_id__in=admin_of)
    own = staff_region(user=user)
    if own is not None:
        scope |= Q(project__region__code__startswith=own.code)
    return (qs.filter(scope).select_related("project__organization")
            .annotate(service_rating=Avg("service_feedback__rating"))
            .order_by("-starts_at", "-id"))


def shift_for_feedback_staff(*, user: User, shift_id: int) -> Shift:
    """The shift's project managers and governing staff; anyone else gets 404."""
    shift = _ended_shift(shift_id)
    if not can_enter_on_behalf(user=user, project=shift.project):
        raise Http404
    return shift


def shift_ratings(*, shift: Shift) -> dict:
    """Per volunteer of the shift: attendance, the live service record with its quality
    rating, and their activity rating; then the service ratings and the averages."""
    signups = list(shift.signups.filter(Q(status=Signup.Status.CONFIRMED) | Q(attendance__isnull=False))
                   .select_related("volunteer", "attendance").order_by("id"))
    records = {r.volunteer_id: r for r in ServiceRecord.objects.filter(shift=shift, status__in=LIVE_RECORD)}
    activity = {f.volunteer_id: f for f in ActivityFeedback.objects.filter(shift=shift)}
    service = list(ServiceFeedback.objects.filter(shift=shift).select_related("rated_by").order_by("id"))
    rows = []
    for signup in signups:
        attendance = getattr(signup, "attendance", None)
        rows.append({"signup": signup, "volunteer": signup.volunteer, "attendance": attendance,
                     "record": records.get(signup.volunteer_id), "activity": activity.get(signup.volunteer_id)})

    def avg(values):
        values = [v for v in values if v is not None]
        return round(sum(values) / len(values), 2) if values else None

    return {
        "shift": shift, "volunteers": rows, "service_feedback": service,
        "averages": {"quality": avg([r.quality_rating for r in records.values()]),
                     "activity": avg([f.rating for f in activity.values()]),
                     "service": avg([f.rating for f in service])},
    }


# --- the social worker rates each volunteer's service quality -----------------------------------

def record_for_quality_rater(*, user: User, record_id: int) -> ServiceRecord:
    """The project's managers rate; the volunteer sees their record but may not rate it
    (403); anyone else gets 404."""
    record = ServiceRecord.objects.select_related("project", "shift").filter(id=record_id).first()
    if record is None:
        raise Http404
    if record.volunteer_id == user.id:
        raise Forbidden("own_record", "不能评价自己的服务质量")
    if not is_project_manager(user=user, project=record.project):
        raise Http404
    return record


def service_record_rate_quality(*, user: User, record: ServiceRecord, rating: int, note: str = "") -> ServiceRecord:
    """Set the quality rating of a live (pending or approved) record.

    Hours are append-only (a correction is a new record); a rating is an assessment,
    not hours, so it is written on the live record, with the record row locked, and
    every value given is appended to ``QualityRatingChange`` (who, when, what before).
    A superseded or rejected record refuses (409): rate the record that replaced it.
    A rating on a final record changes the organization's average: refresh it."""
    _check_rating(rating)
    with transaction.atomic():
        locked = ServiceRecord.objects.select_for_update().select_related("shift__project").get(id=record.id)
        if locked.status not in LIVE_RECORD:
            raise Conflict("record_not_live", "该记录已被更正或驳回，请评价当前有效的记录")
        QualityRatingChange.objects.create(record=locked, previous=locked.quality_rating, rating=rating,
                                           rated_by=user, note=note)
        locked.quality_rating = rating
        locked.save(update_fields=["quality_rating"])
        if locked.is_final:
            _refresh_metrics(locked.shift)
    return locked
