from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from organizations.models import Membership
from volunteers.models import AwardRecord, RecordDispute, ServiceRecord, TrainingRecord

STAFF_ROLES = (Membership.Role.ADMIN, Membership.Role.SOCIAL_WORKER)

RECORD_RELATED = ("volunteer", "project__owner", "shift", "organization", "reviewed_by", "recorded_by",
                  "entered_by")


def staff_organization_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, role__in=STAFF_ROLES).values("organization_id")


def service_record_list(*, user: User, status: str | None = None, source: str | None = None,
                        awaiting_me: bool = False) -> QuerySet[ServiceRecord]:
    """A volunteer's own records, those of projects the user leads, and the back-entries
    of the user's organizations (which need a second approver). ``awaiting_me``: the
    review queue, pending records this user may approve."""
    back_entries = Q(source=ServiceRecord.Source.BACK_ENTRY, organization_id__in=staff_organization_ids(user))
    if awaiting_me:
        qs = ServiceRecord.objects.filter(status=ServiceRecord.Status.PENDING).filter(
            Q(source=ServiceRecord.Source.CHECKIN, project__owner=user) | (back_entries & ~Q(entered_by=user)))
    else:
        qs = ServiceRecord.objects.filter(Q(volunteer=user) | Q(project__owner=user) | back_entries)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    return qs.select_related(*RECORD_RELATED).order_by("-id")


def service_record_trail(record: ServiceRecord) -> list[ServiceRecord]:
    """The whole chain of corrections the record belongs to, oldest first."""
    root = record
    while root.corrects_id is not None:
        root = ServiceRecord.objects.select_related(*RECORD_RELATED).get(id=root.corrects_id)
    chain = [root]
    while True:
        nxt = ServiceRecord.objects.select_related(*RECORD_RELATED).filter(corrects_id=chain[-1].id).first()
        if nxt is None:
            return chain
        chain.append(nxt)


def dispute_list(*, user: User, status: str | None = None) -> QuerySet[RecordDispute]:
    """Disputes the user raised, and those on records of the user's projects and
    organizations (which the user must answer)."""
    qs = RecordDispute.objects.filter(
        Q(raised_by=user) | Q(record__project__owner=user)
        | Q(record__organization_id__in=staff_organization_ids(user)))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("record__project", "raised_by", "answered_by").order_by("-id")


def training_list(*, user: User) -> QuerySet[TrainingRecord]:
    return (TrainingRecord.objects.filter(Q(volunteer=user) | Q(organization_id__in=staff_organization_ids(user)))
            .select_related("volunteer", "organization", "recorded_by"))


def award_list(*, user: User) -> QuerySet[AwardRecord]:
    return (AwardRecord.objects.filter(Q(volunteer=user) | Q(organization_id__in=staff_organization_ids(user)))
            .select_related("volunteer", "organization", "recorded_by"))


def star_level(hours: Decimal) -> tuple[int, Decimal | None]:
    """The star level for ``hours`` and the hours still needed for the next one."""
    level = 0
    for threshold in settings.VOLUNTEER_STAR_THRESHOLDS:
        if hours >= threshold:
            level += 1
        else:
            return level, Decimal(threshold) - hours
    return level, None


def volunteer_summary(*, user: User) -> dict:
    """``approved_hours`` counts FINAL hours only (approved and past their public
    notice); hours still on notice are shown apart."""
    approved = Q(status=ServiceRecord.Status.APPROVED)
    sums = ServiceRecord.objects.filter(volunteer=user).aggregate(
        final=Sum("hours", filter=approved & Q(finalized_at__isnull=False)),
        notice=Sum("hours", filter=approved & Q(finalized_at__isnull=True)),
        pending=Sum("hours", filter=Q(status=ServiceRecord.Status.PENDING)),
    )
    final = sums["final"] or Decimal("0.00")
    level, to_next = star_level(final)
    return {
        "approved_hours": final,
        "pending_hours": sums["pending"] or Decimal("0.00"),
        "star_level": level,
        "next_level_hours": to_next,
        "in_notice_hours": sums["notice"] or Decimal("0.00"),
        "star_thresholds": list(settings.VOLUNTEER_STAR_THRESHOLDS),
    }
