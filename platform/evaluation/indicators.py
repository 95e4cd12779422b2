"""Automatic indicators: what platform data each reads, how a value becomes a score,
and the checks a template must pass before a version is saved.

Activity figures come from the monthly ``OrganizationMetric`` rows of the twelve whole
months that end on or before the round's cut-off date (a month ending after the cut-off
is left out entirely, so activity after the cut-off never counts); registry figures
(charter, party building, inspections, members, founding date) from the registry record.
Every computed score is stored with its value and rule text (the snapshot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Sum

from evaluation.models.templates import GRADES
from organizations.models import Inspection, Organization
from volunteers.models import OrganizationMetric

TWO = Decimal("0.01")
INSPECTION_LABELS = dict(Inspection.Result.choices)


@dataclass(frozen=True)
class Source:
    label: str
    unit: str
    kind: str  # "number" | "bool" | "choice"


SOURCES: dict[str, Source] = {
    "projects_run": Source("近12个月开展服务项目数（各月项目数合计）", "个", "number"),
    "shifts_held": Source("近12个月完成的服务班次", "个", "number"),
    "final_hours": Source("近12个月已公示的志愿服务时长", "小时", "number"),
    "hours_per_member": Source("近12个月人均志愿服务时长（时长 ÷ 个人会员数）", "小时/人", "number"),
    "volunteers": Source("近12个月月均参与志愿者人数", "人", "number"),
    # The people served (服务对象) rate the service: ``OrganizationMetric.service_rating``.
    # The metric's ``average_rating`` is the social workers' quality rating of their own
    # volunteers, not what the people served think; the source keeps its name because
    # the shipped templates refer to it.
    "average_rating": Source("近12个月服务对象平均评分（1–5 分，按志愿者人数加权）", "分", "number"),
    "no_show_rate": Source("近12个月爽约率（未到岗 ÷ 已确认报名）", "", "number"),
    "needs_served": Source("近12个月回应的居民需求", "项", "number"),
    "charter_party_clause": Source("章程含党建工作条款", "", "bool"),
    "party_organization": Source("建立党组织（单独建、联合建）或派驻党建指导员", "", "bool"),
    "inspection_result": Source("上一年度年检结论", "", "choice"),
    "members": Source("会员数（个人会员 + 单位会员）", "个", "number"),
    "registered_years": Source("成立年限（至截止日期）", "年", "number"),
}

RULE_TYPES = ("ratio", "inverse", "steps", "boolean", "choice")


def window_months(cutoff: date) -> tuple[date, date]:
    """First and last month start of the twelve whole months ending by ``cutoff``."""
    this_month = cutoff.replace(day=1)
    last = this_month if _month_end(cutoff) == cutoff else _add_months(this_month, -1)
    return _add_months(last, -11), last


def _month_end(day: date) -> date:
    nxt = _add_months(day.replace(day=1), 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def source_values(*, organization: Organization, cutoff: date, year: int) -> dict[str, Any]:
    """Every source's value for one organization as of ``cutoff``, plus ``_window``."""
    first, last = window_months(cutoff)
    rows = list(OrganizationMetric.objects.filter(organization=organization, period__gte=first, period__lte=last))
    sums = OrganizationMetric.objects.filter(id__in=[r.id for r in rows]).aggregate(
        projects=Sum("projects_run"), shifts=Sum("shifts_held"), hours=Sum("final_hours"),
        volunteers=Sum("volunteers"), needs=Sum("needs_served"), confirmed=Sum("confirmed_signups"),
        no_shows=Sum("no_shows"))
    hours = sums["hours"] or Decimal("0")
    rated = [(r.service_rating, r.volunteers) for r in rows if r.service_rating is not None and r.volunteers]
    weight = sum(v for _, v in rated)
    confirmed = sums["confirmed"] or 0
    inspection = organization.inspections.filter(year=year - 1).first()
    founded = organization.founded_on
    return {
        "projects_run": Decimal(sums["projects"] or 0),
        "shifts_held": Decimal(sums["shifts"] or 0),
        "final_hours": hours.quantize(TWO),
        "hours_per_member": (hours / organization.individual_members).quantize(TWO, ROUND_HALF_UP)
        if organization.individual_members else Decimal("0.00"),
        "volunteers": (Decimal(sums["volunteers"] or 0) / 12).quantize(TWO, ROUND_HALF_UP),
        "average_rating": (sum(r * v for r, v in rated) / weight).quantize(TWO, ROUND_HALF_UP) if weight else None,
        "no_show_rate": (Decimal(sums["no_shows"] or 0) / confirmed).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        if confirmed else None,
        "needs_served": Decimal(sums["needs"] or 0),
        "charter_party_clause": organization.charter_has_party_clause,
        "party_organization": organization.party_building != Organization.PartyBuilding.NONE,
        "inspection_result": inspection.result if inspection else None,
        "members": Decimal(organization.individual_members + organization.unit_members),
        "registered_years": Decimal((cutoff - founded).days // 365) if founded else None,
        "_window": {"from": first.isoformat()[:7], "to": last.isoformat()[:7], "months_with_data": len(rows)},
    }


def display_value(source: str, value: Any) -> str:
    if value is None:
        return "无数据"
    spec = SOURCES[source]
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "choice":
        return INSPECTION_LABELS.get(value, str(value))
    if source == "no_show_rate":
        return f"{(value * 100).quantize(Decimal('0.1'))}%"
    return f"{value.normalize():f}{spec.unit}"


def rule_text(indicator: dict) -> str:
    """The stated rule, as the evaluation page shows it."""
    rule, points = indicator["rule"], _d(indicator["points"])
    label = SOURCES[rule["source"]].label
    kind = rule["type"]
    if kind == "ratio":
        return f"{label} ÷ {rule['target']} × {points:f} 分，最高 {points:f} 分"
    if kind == "inverse":
        return f"{points:f} 分 ×（1 − {label} ÷ {rule['worst']}），不低于 0 分；无数据 0 分"
    if kind == "steps":
        steps = "；".join(f"≥{s[0]} 得 {s[1]} 分" for s in sorted(rule["steps"], key=lambda s: s[0]))
        return f"{label}：{steps}；不足 0 分"
    if kind == "boolean":
        return f"{label}：是得 {points:f} 分，否 0 分"
    scores = "；".join(f"{INSPECTION_LABELS.get(k, k)} {v} 分" for k, v in rule["scores"].items())
    return f"{label}：{scores}；无记录 0 分"


def rule_score(indicator: dict, value: Any) -> Decimal:
    """The score an automatic indicator earns for ``value`` (never above its points)."""
    rule, points = indicator["rule"], _d(indicator["points"])
    kind = rule["type"]
    if value is None:
        return Decimal("0.00")
    if kind == "ratio":
        score = points * min(Decimal(value) / _d(rule["target"]), Decimal(1))
    elif kind == "inverse":
        score = points * max(Decimal(1) - Decimal(value) / _d(rule["worst"]), Decimal(0))
    elif kind == "steps":
        reached = [_d(s[1]) for s in rule["steps"] if Decimal(value) >= _d(s[0])]
        score = max(reached, default=Decimal(0))
    elif kind == "boolean":
        score = points if value else Decimal(0)
    else:
        score = _d(rule["scores"].get(value, 0))
    return min(score, points).quantize(TWO, ROUND_HALF_UP)


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


# Scores and totals are stored as DECIMAL(7, 2): at most 99999.99, kept to the cent.
MAX_POINTS = 99999


def _points(value: Any) -> bool:
    """Points a score column can hold exactly: positive, at most ``MAX_POINTS``, cents."""
    return (_number(value) and 0 < value <= MAX_POINTS
            and _d(value) == _d(value).quantize(TWO))


def template_errors(*, total_points: Any, grade_bands: Any, tree: Any) -> dict[str, list[str]]:
    """Everything wrong with a template, by field; empty when it may be saved.

    The points must add up: indicators to their category, categories to the total."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if (not isinstance(total_points, int) or isinstance(total_points, bool) or total_points <= 0
            or total_points > MAX_POINTS):
        add("total_points", f"总分须为不超过 {MAX_POINTS} 的正整数")
        total_points = None
    categories = tree.get("categories") if isinstance(tree, dict) else None
    if not isinstance(categories, list) or not categories:
        add("tree", "至少需要一个指标类别")
        categories = []
    codes: set[str] = set()
    category_sum = Decimal(0)
    for ci, cat in enumerate(categories):
        where = f"类别 {ci + 1}"
        if not isinstance(cat, dict) or not str(cat.get("name", "")).strip() or not str(cat.get("code", "")).strip():
            add("tree", f"{where}：须有编码和名称")
            continue
        where = f"类别“{cat['name']}”"
        if not _points(cat.get("points")):
            add("tree", f"{where}：分值须为不超过 {MAX_POINTS} 的正数，最多两位小数")
            continue
        category_sum += _d(cat["points"])
        indicators = cat.get("indicators")
        if not isinstance(indicators, list) or not indicators:
            add("tree", f"{where}：至少需要一个指标")
            continue
        indicator_sum = Decimal(0)
        for ii, ind in enumerate(indicators):
            label = f"{where} 指标 {ii + 1}"
            if not isinstance(ind, dict):
                add("tree", f"{label}：格式不正确")
                continue
            code, name = str(ind.get("code", "")).strip(), str(ind.get("name", "")).strip()
            if not code or not name or len(code) > 40 or len(name) > 100:
                add("tree", f"{label}：须有编码（≤40 字）和名称（≤100 字）")
                continue
            label = f"指标“{name}”"
            if code in codes or code == cat["code"]:
                add("tree", f"{label}：编码 {code} 重复")
            codes.add(code)
            if not _points(ind.get("points")):
                add("tree", f"{label}：分值须为不超过 {MAX_POINTS} 的正数，最多两位小数")
                continue
            indicator_sum += _d(ind["points"])
            method = ind.get("method")
            if method == "manual":
                if "rule" in ind and ind["rule"] not in (None, {}):
                    add("tree", f"{label}：人工评分指标不设计算规则")
            elif method == "auto":
                for problem in _rule_errors(ind.get("rule"), _d(ind["points"])):
                    add("tree", f"{label}：{problem}")
            else:
                add("tree", f"{label}：评分方式须为 auto 或 manual")
        if indicator_sum != _d(cat["points"]):
            add("tree", f"{where}：各指标分值合计 {indicator_sum:f}，与类别分值 {cat['points']} 不一致")
    codes_of_categories = [c.get("code") for c in categories if isinstance(c, dict)]
    if len(set(codes_of_categories)) != len(codes_of_categories):
        add("tree", "类别编码重复")
    if total_points is not None and categories and category_sum != total_points:
        add("total_points", f"各类别分值合计 {category_sum:f}，与总分 {total_points} 不一致")
    for problem in _band_errors(grade_bands, total_points):
        add("grade_bands", problem)
    return errors


def _rule_errors(rule: Any, points: Decimal) -> list[str]:
    if not isinstance(rule, dict) or rule.get("source") not in SOURCES or rule.get("type") not in RULE_TYPES:
        return [f"自动指标须指明数据来源（{', '.join(SOURCES)}）和规则类型（{', '.join(RULE_TYPES)}）"]
    kind, spec = rule["type"], SOURCES[rule["source"]]
    if kind in ("ratio", "inverse", "steps") and spec.kind != "number":
        return [f"规则 {kind} 只适用于数值来源"]
    if kind == "boolean" and spec.kind != "bool":
        return ["规则 boolean 只适用于是/否来源"]
    if kind == "choice" and spec.kind != "choice":
        return ["规则 choice 只适用于年检结论"]
    if kind == "ratio" and (not _number(rule.get("target")) or rule["target"] <= 0):
        return ["ratio 规则须有正数 target"]
    if kind == "inverse" and (not _number(rule.get("worst")) or rule["worst"] <= 0):
        return ["inverse 规则须有正数 worst"]
    if kind == "steps":
        steps = rule.get("steps")
        if (not isinstance(steps, list) or not steps
                or not all(isinstance(s, list) and len(s) == 2 and _number(s[0]) and _number(s[1]) for s in steps)):
            return ["steps 规则须为 [[阈值, 得分], …]"]
        if any(_d(s[1]) > points for s in steps):
            return ["steps 的得分不能超过指标分值"]
    if kind == "choice":
        scores = rule.get("scores")
        if not isinstance(scores, dict) or not all(k in INSPECTION_LABELS and _number(v) for k, v in scores.items()):
            return ["choice 规则须为 {年检结论: 得分}"]
        if any(_d(v) > points for v in scores.values()):
            return ["choice 的得分不能超过指标分值"]
    return []


def _band_errors(bands: Any, total_points: int | None) -> list[str]:
    if not isinstance(bands, list) or not bands:
        return ["须设置等级分数线"]
    if not all(isinstance(b, dict) and b.get("grade") in GRADES and _number(b.get("min")) for b in bands):
        return [f"每条分数线须为 {{grade: {'/'.join(GRADES)}, min: 分数}}"]
    grades = [b["grade"] for b in bands]
    if len(set(grades)) != len(grades):
        return ["等级重复"]
    ordered = sorted(bands, key=lambda b: GRADES.index(b["grade"]))
    mins = [b["min"] for b in ordered]
    if any(a <= b for a, b in pairwise(mins)):
        return ["等级越高，分数线须越高"]
    if total_points is not None and mins[0] > total_points:
        return ["最高等级的分数线不能超过总分"]
    return []
