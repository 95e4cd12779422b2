"""Organization activity metrics (组织活动指标), the input of evaluation.

Each (organization, month) row is a pure function of the records, recomputed whole:
refreshing twice, or replaying an event, changes nothing. The nightly recompute
compares what is stored with what the records say, repairs and reports the drift."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from projects.models import ActivityFeedback, Need, ServiceFeedback, Shift, Signup
from volunteers.models import OrganizationMetric, ServiceRecord, VolunteerStanding

logger = logging.getLogger(__name__)

FIELDS = ("projects_run", "shifts_held", "volunteers", "final_hours", "hours_per_volunteer", "average_rating",
          "service_rating", "activity_rating", "needs_served", "confirmed_signups", "no_shows", "no_show_rate")


def month_bounds(period: date) -> tuple[datetime, datetime]:
    start = period.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end, time.min), tz))


def _two_places(value) -> Decimal | None:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP) if value is not None else None


def organization_metric_compute(*, organization_id: int, period: date) -> dict:
    start, end = month_bounds(period)
    now = timezone.now()
    shifts = Shift.objects.filter(project__organization_id=organization_id, starts_at__gte=start, starts_at__lt=end)
    held = shifts.filter(ends_at__lte=now)
    final = ServiceRecord.objects.filter(organization_id=organization_id, status=ServiceRecord.Status.APPROVED,
                                         finalized_at__isnull=False, shift__starts_at__gte=start,
                                         shift__starts_at__lt=end)
    agg = final.aggregate(hours=Sum("hours"), volunteers=Count("volunteer", distinct=True),
                          rating=Avg("quality_rating"))
    hours = agg["hours"] or Decimal("0.00")
    volunteers = agg["volunteers"] or 0
    confirmed = Signup.objects.filter(shift__in=held, status=Signup.Status.CONFIRMED)
    confirmed_count = confirmed.count()
    no_shows = confirmed.filter(attendance__isnull=True).count()
    rating = agg["rating"]
    # Feedback belongs to the month of its shift, like the hours.
    service_rating = ServiceFeedback.objects.filter(shift__in=shifts).aggregate(r=Avg("rating"))["r"]
    activity_rating = ActivityFeedback.objects.filter(shift__in=shifts).aggregate(r=Avg("rating"))["r"]
    # A need counts in the month it was served, for the organization whose project took it
    # up; a need later confirmed (closed) by the resident still counts.
    needs_served = Need.objects.filter(project__organization_id=organization_id, served_at__gte=start,
                                       served_at__lt=end, status__in=[Need.Status.SERVED, Need.Status.CLOSED]).count()
    return {
        "projects_run": shifts.values("project_id").distinct().count(),
        "shifts_held": held.count(),
        "volunteers": volunteers,
        "final_hours": hours.quantize(Decimal("0.01")),
        "hours_per_volunteer": (hours / volunteers).quantize(Decimal("0.01"), ROUND_HALF_UP) if volunteers
        else Decimal("0.00"),
        "average_rating": _two_places(rating),
        "service_rating": _two_places(service_rating),
        "activity_rating": _two_places(activity_rating),
        "needs_served": needs_served,
        "confirmed_signups": confirmed_count,
        "no_shows": no_shows,
        "no_show_rate": (Decimal(no_shows) / Decimal(confirmed_count)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        if confirmed_count else Decimal("0.0000"),
    }


def organization_metric_refresh(*, organization_id: int, period: date) -> tuple[OrganizationMetric, bool]:
    """Store the recomputed month under the row's lock. Returns the row and whether any
    figure differed from what was stored (drift, when nothing should have changed)."""
    period = period.replace(day=1)
    with transaction.atomic():
        OrganizationMetric.objects.get_or_create(organization_id=organization_id, period=period)
        row = OrganizationMetric.objects.select_for_update().get(organization_id=organization_id, period=period)
        # Computed under the lock, so two refreshes of the same month cannot interleave.
        values = organization_metric_compute(organization_id=organization_id, period=period)
        changed = [name for name in FIELDS if getattr(row, name) != values[name]]
        for name, value in values.items():
            setattr(row, name, value)
        row.computed_at = timezone.now()
        row.save(update_fields=[*FIELDS, "computed_at"])
    return row, bool(changed)


def organization_metrics_recompute_all() -> int:
    """Every (organization, month) that has shifts, needs served or a stored row;
    returns how many stored rows were wrong."""
    pairs = {(org, d.date() if isinstance(d, datetime) else d) for org, d in
             Shift.objects.annotate(month=TruncMonth("starts_at")).values_list("project__organization_id", "month")}
    pairs |= {(org, d.date() if isinstance(d, datetime) else d) for org, d in
              Need.objects.filter(served_at__isnull=False, project__isnull=False)
              .annotate(month=TruncMonth("served_at")).values_list("project__organization_id", "month")}
    pairs |= set(OrganizationMetric.objects.values_list("organization_id", "period"))
    drift = 0
    for organization_id, period in sorted(pairs):
        _row, changed = organization_metric_refresh(organization_id=organization_id, period=period)
        if changed:
            drift += 1
            logger.warning("metrics drift repaired: organization %s, %s", organization_id, f"{period:%Y-%m}")
    return drift


def volunteer_standings_recompute_all() -> int:
    from volunteers.services import final_hours, volunteer_standing_refresh

    volunteer_ids = set(ServiceRecord.objects.filter(finalized_at__isnull=False)
                        .values_list("volunteer_id", flat=True).distinct())
    volunteer_ids |= set(VolunteerStanding.objects.values_list("volunteer_id", flat=True))
    drift = 0
    for volunteer_id in sorted(volunteer_ids):
        stored = (VolunteerStanding.objects.filter(volunteer_id=volunteer_id)
                  .values_list("final_hours", flat=True).first())
        if (stored or 0) != final_hours(volunteer_id=volunteer_id):
            drift += 1
            logger.warning("standing drift repaired: volunteer %s", volunteer_id)
            volunteer_standing_refresh(volunteer_id=volunteer_id)
    return drift


def organization_metric_list(*, user, organization: int, period: str | None = None):
    """404 unless the user is the organization's staff or governs its region."""
    from organizations.models import Organization
    from organizations.selectors import governs
    from volunteers.services import is_org_staff

    org = Organization.objects.filter(id=organization).first()
    if org is None or not (is_org_staff(user=user, organization_id=org.id)
                           or governs(user=user, region_code=org.region_id)):
        raise Http404
    rows = OrganizationMetric.objects.filter(organization=org)
    if period:
        rows = rows.filter(period=date.fromisoformat(f"{period}-01"))
    return rows.order_by("-period")
