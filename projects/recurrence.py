"""Weekly shift rules (每周重复班次) and the generation of their occurrences.

An occurrence is an ordinary shift remembering its rule and the slot it was generated
for (``rule_slot``); the unique constraint on (rule, rule_slot) makes generation
idempotent, and an occurrence edited one by one (moved, resized) is never generated
again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import DomainError
from projects.models import ServiceProject, Shift, ShiftRule
from projects.services.shared import MAX_CAPACITY, MAX_SHIFT_HOURS

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = "一二三四五六日"


MAX_RULE_DAYS = 2 * 366


def _slots(*, weekdays: list[int], start_time: time, first: date, last: date) -> Iterator[datetime]:
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            yield timezone.make_aware(datetime.combine(day, start_time))
        day += timedelta(days=1)


def shift_rule_create(*, user: User, project: ServiceProject, weekdays: list[int], start_time: time,
                      duration_minutes: int, capacity: int, starts_on: date, until: date) -> ShiftRule:
    """Add a weekly rule to a project (checked by ``project_for_manager``) and generate its
    first occurrences. A rule whose future occurrences number none, or more than
    ``SHIFT_RULE_MAX_OCCURRENCES``, is refused with nothing written."""
    now = timezone.now()
    limit = settings.SHIFT_RULE_MAX_OCCURRENCES
    errors: dict[str, list[str]] = {}
    if project.status in (ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED):
        errors["project"] = ["项目已结束或已取消"]
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays) or len(set(weekdays)) != len(weekdays):
        errors["weekdays"] = ["请选择星期（0 表示周一，6 表示周日），不能重复"]
    if not 1 <= duration_minutes <= MAX_SHIFT_HOURS * 60:
        errors["duration_minutes"] = [f"时长须在 1 分钟到 {MAX_SHIFT_HOURS} 小时之间"]
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"名额须在 1 到 {MAX_CAPACITY} 之间"]
    if until < starts_on:
        errors["until"] = ["截止日期不能早于起始日期"]
    elif until > starts_on + timedelta(days=MAX_RULE_DAYS):
        # Also keeps the date arithmetic below far from date.max.
        errors["until"] = [f"规则最长 {MAX_RULE_DAYS} 天"]
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    count = 0
    for slot in _slots(weekdays=weekdays, start_time=start_time, first=starts_on, last=until):
        if slot > now:
            count += 1
            if count > limit:
                raise DomainError("rule_too_many_dates", f"该规则会生成超过 {limit} 个班次，请缩短日期范围",
                                  fields={"until": [f"最多生成 {limit} 个班次"]})
    if count == 0:
        raise DomainError("rule_no_dates", "该规则在日期范围内不会生成任何班次",
                          fields={"weekdays": ["日期范围内没有符合的日期"]})
    with transaction.atomic():
        rule = ShiftRule.objects.create(project=project, weekdays=sorted(weekdays), start_time=start_time,
                                        duration_minutes=duration_minutes, capacity=capacity,
                                        starts_on=starts_on, until=until, created_by=user)
        rule.generated = shift_rule_generate(rule=rule, now=now)
    return rule


def shift_rule_generate(*, rule: ShiftRule, now: datetime | None = None) -> int:
    """Create the rule's missing occurrences from now up to the horizon
    (``SHIFT_RULE_HORIZON_DAYS``). Idempotent: an existing slot is skipped, in the
    database too (``ignore_conflicts`` on the unique (rule, rule_slot)). Returns how many
    were created."""
    now = now or timezone.now()
    project = rule.project
    if project.status in (ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED):
        return 0
    horizon = timezone.localdate(now) + timedelta(days=settings.SHIFT_RULE_HORIZON_DAYS)
    first = max(rule.starts_on, timezone.localdate(now))
    last = min(rule.until, horizon)
    slots = [s for s in _slots(weekdays=rule.weekdays, start_time=rule.start_time, first=first, last=last)
             if s > now]
    existing = set(Shift.objects.filter(rule=rule, rule_slot__in=slots).values_list("rule_slot", flat=True))
    length = timedelta(minutes=rule.duration_minutes)
    missing = [Shift(project=project, rule=rule, rule_slot=slot, starts_at=slot, ends_at=slot + length,
                     capacity=rule.capacity) for slot in slots if slot not in existing]
    Shift.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def shift_rules_generate(*, now: datetime | None = None) -> int:
    """The beat task's work: every rule still running gets its occurrences ahead."""
    now = now or timezone.now()
    created = 0
    rules = (ShiftRule.objects.filter(until__gte=timezone.localdate(now))
             .exclude(project__status__in=[ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED])
             .select_related("project").order_by("id"))
    for rule in rules:
        with transaction.atomic():
            created += shift_rule_generate(rule=rule, now=now)
    return created
