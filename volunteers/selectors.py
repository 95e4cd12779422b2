from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from volunteers.models import ServiceRecord


def service_record_list(*, user: User, status: str | None = None) -> QuerySet[ServiceRecord]:
    """A volunteer's own records and those of projects the user leads."""
    qs = (ServiceRecord.objects.filter(Q(volunteer=user) | Q(project__owner=user))
          .select_related("volunteer", "project", "shift", "reviewed_by"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


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
    sums = ServiceRecord.objects.filter(volunteer=user).aggregate(
        approved=Sum("hours", filter=Q(status=ServiceRecord.Status.APPROVED)),
        pending=Sum("hours", filter=Q(status=ServiceRecord.Status.PENDING)),
    )
    approved = sums["approved"] or Decimal("0.00")
    level, to_next = star_level(approved)
    return {
        "approved_hours": approved,
        "pending_hours": sums["pending"] or Decimal("0.00"),
        "star_level": level,
        "next_level_hours": to_next,
    }
