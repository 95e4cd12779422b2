"""Today's check-in counter: bumped and pushed after each check-in/out commits.

``live_checkin``/``live_checkout`` are the one helper the attendance services call; they
register an on-commit callback, so a rolled-back check-in neither counts nor pushes.
Each region of the project's chain (city → community) has its own counter and its own
group, so a user watching a street sees the street's figures."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dashboard.models import RegionLive
from dashboard.periods import region_chain
from dashboard.rollups import live_bump
from dashboard.selectors import live_frame
from notifications.delivery import group_send

logger = logging.getLogger(__name__)


def live_group(region_code: str) -> str:
    return f"dashboard.live.{region_code}"


def _bump_and_push(*, region_code: str, checkins: int = 0, checkouts: int = 0, hours: Decimal = Decimal("0")) -> None:
    day = timezone.localdate()
    try:
        with transaction.atomic():
            live_bump(region_code=region_code, day=day, checkins=checkins, checkouts=checkouts, hours=hours)
        chain = region_chain(region_code)
        rows = {r.region_code: r for r in RegionLive.objects.filter(region_code__in=chain, day=day)}
        for code in chain:
            group_send(live_group(code), {"type": "live.push",
                                          "frame": live_frame(region_code=code, day=day, row=rows.get(code))})
    except Exception:
        # The attendance is committed; the beat recompute repairs the counter.
        logger.exception("live counter update failed for %s", region_code)


def _attendance_facts(attendance_id: int) -> tuple[str, Decimal] | None:
    from projects.models import Attendance
    from volunteers.services import attendance_hours

    row = (Attendance.objects.filter(id=attendance_id)
           .values_list("shift__project__region_id", "checked_in_at", "checked_out_at", "shift__starts_at",
                        "shift__ends_at").first())
    if row is None:
        return None
    region, checked_in, checked_out, starts, ends = row
    hours = (attendance_hours(checked_in_at=checked_in, checked_out_at=checked_out, shift_length=ends - starts)
             if checked_out else Decimal("0"))
    return region, hours


def _after_commit(attendance_id: int, *, checkin: bool) -> None:
    facts = _attendance_facts(attendance_id)
    if facts is None:
        return
    region, hours = facts
    if checkin:
        _bump_and_push(region_code=region, checkins=1)
    else:
        _bump_and_push(region_code=region, checkouts=1, hours=hours)


def live_checkin(*, attendance_id: int) -> None:
    """Call inside the check-in transaction: counts and pushes once it commits."""
    transaction.on_commit(lambda: _after_commit(attendance_id, checkin=True))


def live_checkout(*, attendance_id: int) -> None:
    """Call inside the check-out transaction: adds the hours served once it commits."""
    transaction.on_commit(lambda: _after_commit(attendance_id, checkin=False))
