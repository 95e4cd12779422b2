"""Who may take part in a round, and why (参评条件).

Each check yields ``{"code", "text", "passed"}`` so the page can show every reason, not
only the first failure. The rules are the round's own copy (see ``evaluation.conf``)."""

from __future__ import annotations

from datetime import date

from evaluation.models import Grade, Round, Sanction
from organizations.models import Inspection, Organization


def _years_between(start: date, end: date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def eligibility_check(*, organization: Organization, rnd: Round, today: date) -> tuple[bool, list[dict]]:
    rules = rnd.eligibility_rules
    reasons: list[dict] = []

    def add(code: str, text: str, passed: bool) -> None:
        reasons.append({"code": code, "text": text, "passed": passed})

    min_years = int(rules.get("min_years", 2))
    if organization.founded_on is None:
        add("founded_unknown", "未登记成立日期，无法确认成立年限", False)
    else:
        years = _years_between(organization.founded_on, rnd.cutoff_date)
        add("years", f"成立于 {organization.founded_on:%Y-%m-%d}，至截止日期满 {years} 年"
            + ("" if years >= min_years else f"（不足 {min_years} 年）"), years >= min_years)
    # Read through the relations (prefetched by ``round_scope_organizations``) so that
    # opening a round costs the same queries for 5 organizations or 500.
    grade = max((g for g in organization.evaluation_grades.all() if g.status == Grade.Status.CURRENT),
                key=lambda g: g.valid_until, default=None)
    if grade is None:
        add("not_graded", "未参加过评估或无有效等级", True)
    elif grade.valid_until < today:
        add("grade_expired", f"原等级 {grade.grade} 已于 {grade.valid_until:%Y-%m-%d} 到期", True)
    else:
        add("grade_valid", f"已有评估等级 {grade.grade}，有效期至 {grade.valid_until:%Y-%m-%d}", False)
    if rules.get("require_last_inspection", True):
        last = {i.year: i.result for i in organization.inspections.all() if i.year >= rnd.year - 2}
        result = last.get(rnd.year - 1)
        if result is None:
            add("inspection_missing", f"{rnd.year - 1} 年度未参加年检", False)
        elif result == Inspection.Result.UNQUALIFIED:
            add("inspection_unqualified", f"{rnd.year - 1} 年度年检不合格", False)
        else:
            add("inspection_ok", f"{rnd.year - 1} 年度年检{Inspection.Result(result).label}", True)
        if rules.get("exclude_basically_qualified_twice", True):
            twice = result == last.get(rnd.year - 2) == Inspection.Result.BASICALLY_QUALIFIED
            if twice:
                add("basically_qualified_twice", f"{rnd.year - 2}、{rnd.year - 1} 年度连续两年年检基本合格", False)
    if rules.get("exclude_sanctioned", True):
        active = [s for s in organization.evaluation_sanctions.all() if s.active_on(today)]
        for sanction in active:
            label = Sanction.Kind(sanction.kind).label
            add(f"sanction_{sanction.kind}", f"正在{label}中（自 {sanction.started_on:%Y-%m-%d}）", False)
        if organization.status == Organization.Status.SUSPENDED:
            add("suspended", "组织处于暂停活动状态", False)
    return all(r["passed"] for r in reasons), reasons


def round_scope_organizations(*, rnd: Round):
    """Organizations a round considers: general rounds the registered, non-community ones
    under its region; community rounds the street's community organizations."""
    qs = (Organization.objects.filter(region__code__startswith=rnd.region_id)
          .exclude(status=Organization.Status.DEREGISTERED)
          .prefetch_related("inspections", "evaluation_sanctions", "evaluation_grades"))
    if rnd.scope == Round.Scope.COMMUNITY:
        return qs.filter(is_community=True, registration_status__in=[
            Organization.Registration.REGISTERED, Organization.Registration.FILED])
    return qs.filter(is_community=False, registration_status=Organization.Registration.REGISTERED)


def template_kind_for(*, organization: Organization, rnd: Round) -> str:
    return "community" if rnd.scope == Round.Scope.COMMUNITY else organization.org_type
