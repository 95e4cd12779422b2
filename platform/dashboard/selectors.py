"""Reads behind the dashboard. Every figure has two sources:

* ``rollup`` (the default): the rollup tables, a fixed handful of queries whatever the
  size of the region or the number of its children;
* ``raw``: the same figures straight from the raw tables (service records, shifts,
  sign-ups, profiles), kept for checking the rollups; slow on a city's volume.

A calendar month, quarter or year is one rollup row per region. Other whole-month
ranges add month rows; the distinct count of active volunteers then comes from the
ledger (``RecordFact``), as do all record figures for a range that is not whole months.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from accounts.models import Region
from dashboard.models import (
    OrganizationPeriod,
    ProjectPeriod,
    RecordFact,
    RegionLive,
    RegionPeriod,
    RegionSchedule,
    RegionVolunteers,
)
from dashboard.periods import Period, months_between, next_month
from dashboard.rollups import _need_model, _need_served_field
from organizations.models import Organization
from projects.models import ServiceProject, Shift, Signup
from volunteers.models import ServiceRecord

ZERO = Decimal("0.00")
STAR_LEVELS = range(0, len(settings.VOLUNTEER_STAR_THRESHOLDS) + 1)
SCHEDULE_FIELDS = ("projects", "shifts", "seats", "filled", "ended_filled", "no_shows", "needs_posted",
                   "needs_served")


def benchmark_hours_per_year() -> Decimal:
    """The civilised-city benchmark: hours of service per registered volunteer a year."""
    return Decimal(str(getattr(settings, "DASHBOARD_BENCHMARK_HOURS_PER_YEAR", 25)))


def _children(region: Region) -> list[tuple[str, str]]:
    return list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name"))


def _width(region: Region, children: list[tuple[str, str]]) -> int:
    return len(children[0][0]) if children else len(region.code)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(period.first, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(period.last + timedelta(days=1), datetime.min.time()))


def _num(value) -> float:
    return float(value or 0)


def _ratio(part, whole, digits: int = 4) -> float | None:
    return round(float(part) / float(whole), digits) if whole else None


def _prefix_filters(codes: list[str], field: str) -> list[tuple[int, Q]]:
    """One (width, filter) per prefix width (two at most: the region and its children),
    so that each width is one grouped query over ``field``."""
    by_width: dict[int, list[str]] = defaultdict(list)
    for code in codes:
        by_width[len(code)].append(code)
    out = []
    for width, group in by_width.items():
        q = Q()
        for code in group:
            q |= Q(**{f"{field}__startswith": code})
        out.append((width, q))
    return out


# --- records: hours, records, active volunteers -------------------------------------------

def _records_rollup(codes: list[str], period: Period) -> dict[str, list]:
    """code → [hours, records, active volunteers] from the rollups."""
    out: dict[str, list] = {c: [ZERO, 0, 0] for c in codes}
    if period.kind:
        rows = RegionPeriod.objects.filter(region_code__in=codes, kind=period.kind, start=period.first)
    else:
        rows = RegionPeriod.objects.filter(region_code__in=codes, kind="m", start__in=period.months)
    for code, hours, records, volunteers in rows.values_list("region_code", "hours", "records", "volunteers"):
        cell = out[code]
        cell[0] += hours
        cell[1] += records
        cell[2] += volunteers  # only right for a single row; replaced below otherwise
    if not period.kind:
        for code in codes:
            out[code][2] = 0
        _distinct_from_ledger(out, codes, period)
    return out


def _distinct_from_ledger(out: dict[str, list], codes: list[str], period: Period) -> None:
    """Active volunteers of a range that is not a calendar period: a distinct count over
    the ledger, one query per prefix width (two at most: the region and its children)."""
    for width, q in _prefix_filters(codes, "region_code"):
        rows = (RecordFact.objects.filter(q, day__range=(period.first, period.last))
                .annotate(prefix=Substr("region_code", 1, width)).values("prefix")
                .annotate(n=Count("volunteer_id", distinct=True)))
        for row in rows:
            if row["prefix"] in out:
                out[row["prefix"]][2] = row["n"]


def _records_ledger(codes: list[str], period: Period) -> dict[str, list]:
    """Everything from the ledger: ranges that do not cover whole months."""
    out: dict[str, list] = {c: [ZERO, 0, 0] for c in codes}
    for width, q in _prefix_filters(codes, "region_code"):
        rows = (RecordFact.objects.filter(q, day__range=(period.first, period.last))
                .annotate(prefix=Substr("region_code", 1, width)).values("prefix")
                .annotate(h=Sum("hours"), n=Count("record_id"), v=Count("volunteer_id", distinct=True)))
        for row in rows:
            if row["prefix"] in out:
                out[row["prefix"]] = [row["h"] or ZERO, row["n"], row["v"]]
    return out


def _records_raw(codes: list[str], period: Period) -> dict[str, list]:
    out: dict[str, list] = {c: [ZERO, 0, 0] for c in codes}
    start, end = _bounds(period)
    for width, q in _prefix_filters(codes, "project__region__code"):
        rows = (ServiceRecord.objects.filter(q, status=ServiceRecord.Status.APPROVED, finalized_at__isnull=False,
                                             started_at__gte=start, started_at__lt=end)
                .annotate(prefix=Substr("project__region_id", 1, width)).values("prefix")
                .annotate(h=Sum("hours"), n=Count("id"), v=Count("volunteer_id", distinct=True)))
        for row in rows:
            if row["prefix"] in out:
                out[row["prefix"]] = [row["h"] or ZERO, row["n"], row["v"]]
    return out


# --- schedule: projects, shifts, seats, no-shows, needs ------------------------------------

def _schedule_rollup(codes: list[str], period: Period) -> dict[str, dict]:
    out = {c: dict.fromkeys(SCHEDULE_FIELDS, 0) for c in codes}
    if period.kind:
        rows = RegionSchedule.objects.filter(region_code__in=codes, kind=period.kind, start=period.first)
    else:
        rows = RegionSchedule.objects.filter(region_code__in=codes, kind="m",
                                             start__in=months_between(period.first, period.last))
    for row in rows.values("region_code", *SCHEDULE_FIELDS):
        cell = out[row["region_code"]]
        for field in SCHEDULE_FIELDS:
            cell[field] += row[field]
    return out


def _schedule_raw(codes: list[str], period: Period, width_of_children: int) -> dict[str, dict]:
    """From the raw tables, grouped by child prefix: additive, so the region's own total
    is the sum over every prefix under it (projects placed at the region itself
    included)."""
    region_code = min(codes, key=len)
    start, end = _bounds(period)
    now = timezone.now()
    out = {c: dict.fromkeys(SCHEDULE_FIELDS, 0) for c in codes}

    def add(rows, mapping):
        for row in rows:
            prefix = row["prefix"]
            for target in {region_code, prefix}:
                if target in out:
                    for key, field in mapping.items():
                        out[target][field] += row[key] or 0

    w = width_of_children
    add(Shift.objects.filter(project__region__code__startswith=region_code, starts_at__gte=start, starts_at__lt=end)
        .annotate(prefix=Substr("project__region_id", 1, w)).values("prefix")
        .annotate(n=Count("id"), seats=Sum("capacity"), filled=Sum("confirmed_count"),
                  ended=Coalesce(Sum("confirmed_count", filter=Q(ends_at__lte=now)), 0)),
        {"n": "shifts", "seats": "seats", "filled": "filled", "ended": "ended_filled"})
    add(Signup.objects.filter(shift__project__region__code__startswith=region_code, no_show_at__isnull=False,
                              shift__starts_at__gte=start, shift__starts_at__lt=end)
        .annotate(prefix=Substr("shift__project__region_id", 1, w)).values("prefix").annotate(n=Count("id")),
        {"n": "no_shows"})
    add(ServiceProject.objects.filter(region__code__startswith=region_code, published_at__gte=start,
                                      published_at__lt=end)
        .annotate(prefix=Substr("region_id", 1, w)).values("prefix").annotate(n=Count("id")), {"n": "projects"})
    need = _need_model()
    if need is not None:
        add(need.objects.filter(region__code__startswith=region_code, created_at__gte=start, created_at__lt=end)
            .annotate(prefix=Substr("region_id", 1, w)).values("prefix").annotate(n=Count("id")),
            {"n": "needs_posted"})
        served = _need_served_field(need)
        if served:
            add(need.objects.filter(**{"region__code__startswith": region_code, f"{served}__gte": start,
                                       f"{served}__lt": end})
                .annotate(prefix=Substr("region_id", 1, w)).values("prefix").annotate(n=Count("id")),
                {"n": "needs_served"})
    return out


# --- volunteers: registered and star levels ---------------------------------------------------

def _volunteers_rollup(codes: list[str], period: Period, region_code: str) -> tuple[dict, dict, dict]:
    """(registered by the end of the period, registered during it, star distribution)."""
    rows = (RegionVolunteers.objects.filter(region_code__in=codes, month__isnull=False, month__lte=period.last)
            .values("region_code")
            .annotate(total=Sum("volunteers"),
                      new=Coalesce(Sum("volunteers", filter=Q(month__gte=period.first.replace(day=1))), 0)))
    total = dict.fromkeys(codes, 0)
    new = dict.fromkeys(codes, 0)
    for row in rows:
        total[row["region_code"]] = row["total"]
        new[row["region_code"]] = row["new"]
    stars = dict.fromkeys(STAR_LEVELS, 0)
    for level, n in RegionVolunteers.objects.filter(region_code=region_code, star_level__isnull=False).values_list(
            "star_level", "volunteers"):
        stars[level] = n
    return total, new, stars


def registered_volunteers():
    """Registered volunteers (a volunteer number, no government role) with their home
    region: the profile's, else the community they registered in (``User.region``)."""
    from accounts.models import User

    return (User.objects.filter(volunteer_number__isnull=False, staff_role="")
            .annotate(home=Coalesce("volunteer_profile__home_region_id", "region_id"))
            .filter(home__isnull=False))


def _volunteers_raw(codes: list[str], period: Period, region_code: str, width: int) -> tuple[dict, dict, dict]:
    month_start = timezone.make_aware(datetime.combine(period.first.replace(day=1), datetime.min.time()))
    # Registrations are counted per whole month (as the rollup is): from the first of the
    # period's first month to the end of its last month.
    total = dict.fromkeys(codes, 0)
    new = dict.fromkeys(codes, 0)
    rows = (registered_volunteers().filter(home__startswith=region_code, date_joined__lt=_month_after(period.last))
            .annotate(prefix=Substr("home", 1, width)).values("prefix")
            .annotate(total=Count("pk"), new=Count("pk", filter=Q(date_joined__gte=month_start))))
    for row in rows:
        for target in {region_code, row["prefix"]}:
            if target in total:
                total[target] += row["total"]
                new[target] += row["new"]
    stars = dict.fromkeys(STAR_LEVELS, 0)
    for row in (registered_volunteers().filter(home__startswith=region_code)
                .annotate(level=Coalesce("standing__star_level", 0)).values("level").annotate(n=Count("pk"))):
        stars[row["level"]] += row["n"]
    return total, new, stars


def _month_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(next_month(day), datetime.min.time()))


# --- the participation figures ------------------------------------------------------------

def participation(*, region: Region, period: Period, source: str = "rollup") -> dict:
    """The dashboard's headline figures for a region and a period, and the same figures
    for each child region side by side. A fixed number of queries (about eight)."""
    children = _children(region)
    width = _width(region, children)
    codes = [region.code] + [code for code, _ in children]
    if source == "raw":
        records = _records_raw(codes, period)
        schedule = _schedule_raw(codes, period, width)
        registered, new, stars = _volunteers_raw(codes, period, region.code, width)
    else:
        records = (_records_rollup(codes, period) if period.whole_months else _records_ledger(codes, period))
        schedule = (_schedule_rollup(codes, period) if period.whole_months
                    else _schedule_raw(codes, period, width))
        registered, new, stars = _volunteers_rollup(codes, period, region.code)
    benchmark = benchmark_hours_per_year()

    def figures(code: str) -> dict:
        hours, count, active = records[code]
        sched = schedule[code]
        per_capita = (hours / registered[code]) if registered[code] else None
        annual = (per_capita * Decimal(365) / Decimal(period.days)) if per_capita is not None else None
        return {
            "volunteers": registered[code],
            "new_volunteers": new[code],
            "active_volunteers": active,
            "approved_hours": _num(hours),
            "records": count,
            "hours_per_capita": round(float(per_capita), 2) if per_capita is not None else None,
            "hours_per_capita_annualized": round(float(annual), 2) if annual is not None else None,
            "benchmark_met": bool(annual is not None and annual >= benchmark),
            "projects": sched["projects"],
            "shifts": sched["shifts"],
            "seats_offered": sched["seats"],
            "seats_filled": sched["filled"],
            "fill_rate": _ratio(sched["filled"], sched["seats"]),
            "no_shows": sched["no_shows"],
            "no_show_rate": _ratio(sched["no_shows"], sched["ended_filled"]),
            "needs_posted": sched["needs_posted"],
            "needs_served": sched["needs_served"],
        }

    head = figures(region.code)
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "kind": period.kind},
        "source": source,
        **head,
        "benchmark_hours_per_year": float(benchmark),
        "needs_available": _need_model() is not None,
        "star_levels": [{"level": level, "volunteers": n} for level, n in sorted(stars.items())],
        "by_child_region": [{"code": code, "name": name, **figures(code)} for code, name in children],
    }


def trends(*, region: Region, period: Period) -> dict:
    """Month by month over the period: hours, records, active volunteers, new
    registrations, shifts, seats and fill rate. Three queries."""
    months = months_between(period.first, period.last)
    series = {m: {"month": m.strftime("%Y-%m"), "approved_hours": 0.0, "records": 0, "active_volunteers": 0,
                  "new_volunteers": 0, "shifts": 0, "seats_offered": 0, "seats_filled": 0, "projects": 0}
              for m in months}
    for start, hours, records, volunteers in RegionPeriod.objects.filter(
            region_code=region.code, kind="m", start__in=months).values_list("start", "hours", "records",
                                                                             "volunteers"):
        series[start].update(approved_hours=_num(hours), records=records, active_volunteers=volunteers)
    for start, shifts, seats, filled, projects in RegionSchedule.objects.filter(
            region_code=region.code, kind="m", start__in=months).values_list("start", "shifts", "seats", "filled",
                                                                             "projects"):
        series[start].update(shifts=shifts, seats_offered=seats, seats_filled=filled, projects=projects)
    for month, n in RegionVolunteers.objects.filter(region_code=region.code, month__in=months).values_list(
            "month", "volunteers"):
        series[month]["new_volunteers"] = n
    rows = list(series.values())
    for row in rows:
        row["fill_rate"] = _ratio(row["seats_filled"], row["seats_offered"])
    return {"region": {"code": region.code, "name": region.name, "level": region.level},
            "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "kind": period.kind},
            "months": rows}


def top(*, region: Region, period: Period, limit: int = 10) -> dict:
    """The most active organizations (by their own region) and projects (by the
    project's region) under ``region`` in the period, by final hours. Four queries."""

    def ranked(model, key: str) -> list[tuple[int, Decimal, int]]:
        prefix = Q(region_code__startswith=region.code)
        if period.kind:
            rows = (model.objects.filter(prefix, kind=period.kind, start=period.first)
                    .order_by("-hours", key).values_list(key, "hours", "records")[:limit])
            return list(rows)
        if period.whole_months:
            qs = model.objects.filter(prefix, kind="m", start__in=period.months)
            return list(qs.values(key).annotate(h=Sum("hours"), n=Sum("records")).order_by("-h", key)
                        .values_list(key, "h", "n")[:limit])
        within = RecordFact.objects.filter(day__range=(period.first, period.last))
        if key == "organization_id":
            within = within.filter(organization_id__in=Organization.objects.filter(
                region__code__startswith=region.code).values("id"))
        else:
            within = within.filter(region_code__startswith=region.code)
        return list(within.values(key).annotate(h=Sum("hours"), n=Count("record_id")).order_by("-h", key)
                    .values_list(key, "h", "n")[:limit])

    orgs = ranked(OrganizationPeriod, "organization_id")
    projects = ranked(ProjectPeriod, "project_id")
    org_names = dict(Organization.objects.filter(id__in=[o for o, _, _ in orgs])
                     .values_list("id", "name"))
    project_rows = {p.id: p for p in ServiceProject.objects.filter(id__in=[p for p, _, _ in projects])
                    .select_related("organization").only("id", "title", "organization__name")}
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "kind": period.kind},
        "organizations": [{"id": oid, "name": org_names.get(oid, ""), "approved_hours": _num(h), "records": n}
                          for oid, h, n in orgs],
        "projects": [{"id": pid, "title": project_rows[pid].title if pid in project_rows else "",
                      "organization": project_rows[pid].organization.name if pid in project_rows else "",
                      "approved_hours": _num(h), "records": n} for pid, h, n in projects],
    }


def live(*, region: Region, day: date | None = None) -> dict:
    day = day or timezone.localdate()
    row = RegionLive.objects.filter(region_code=region.code, day=day).first()
    return live_frame(region_code=region.code, day=day, row=row)


def live_frame(*, region_code: str, day: date, row: RegionLive | None) -> dict:
    return {"type": "live", "region": region_code, "day": day.isoformat(),
            "checkins": row.checkins if row else 0, "checkouts": row.checkouts if row else 0,
            "hours": _num(row.hours) if row else 0.0}


def grades(*, region: Region) -> dict | None:
    """Current, valid evaluation grades of the organizations under the region (from
    ``evaluation.Grade``), and how many current grades have expired; None when the
    evaluation app provides no grades."""
    try:
        from evaluation.models import Grade
    except ImportError:
        return None
    today = timezone.localdate()
    current = Grade.objects.filter(status=Grade.Status.CURRENT,
                                   organization__region__code__startswith=region.code)
    rows = dict(current.filter(valid_from__lte=today, valid_until__gte=today).values("grade")
                .annotate(n=Count("id")).values_list("grade", "n"))
    expired = current.filter(valid_until__lt=today).count()
    return {"by_grade": [{"grade": g, "organizations": rows.get(g, 0)} for g in ("5A", "4A", "3A", "2A", "1A")],
            "graded": sum(rows.values()), "expired": expired}
