"""The rules that turn a platform figure into an indicator score, the twelve-month
window before the cut-off, and the checks a template must pass."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from evaluation.indicators import rule_score, rule_text, template_errors, window_months

DEFAULTS = Path(__file__).resolve().parents[2] / "platform" / "evaluation" / "defaults"


def ind(points, **rule):
    return {"code": "x", "name": "x", "points": points, "method": "auto", "rule": rule}


@pytest.mark.parametrize(("cutoff", "window"), [
    (date(2025, 12, 31), (date(2025, 1, 1), date(2025, 12, 1))),
    (date(2025, 12, 30), (date(2024, 12, 1), date(2025, 11, 1))),  # December is not whole yet
    (date(2024, 2, 29), (date(2023, 3, 1), date(2024, 2, 1))),
    (date(2026, 1, 15), (date(2025, 1, 1), date(2025, 12, 1))),
])
def test_the_window_is_the_twelve_whole_months_ending_by_the_cutoff(cutoff, window):
    assert window_months(cutoff) == window


def test_ratio_rule_is_proportional_and_capped():
    rule = ind(60, source="final_hours", type="ratio", target=2000)
    assert rule_score(rule, Decimal("600")) == Decimal("18.00")
    assert rule_score(rule, Decimal("5000")) == Decimal("60.00")
    assert rule_score(rule, None) == Decimal("0.00")
    assert rule_text(rule) == "近12个月已公示的志愿服务时长 ÷ 2000 × 60 分，最高 60 分"


def test_inverse_rule_rewards_a_low_no_show_rate_and_never_goes_negative():
    rule = ind(30, source="no_show_rate", type="inverse", worst=0.3)
    assert rule_score(rule, Decimal("0")) == Decimal("30.00")
    assert rule_score(rule, Decimal("0.075")) == Decimal("22.50")
    assert rule_score(rule, Decimal("0.9")) == Decimal("0.00")
    assert rule_score(rule, None) == Decimal("0.00")  # no sign-ups at all: nothing to reward


def test_steps_boolean_and_choice_rules():
    steps = ind(60, source="projects_run", type="steps", steps=[[1, 20], [3, 40], [6, 60]])
    assert [rule_score(steps, Decimal(n)) for n in (0, 1, 2, 3, 5, 6, 40)] == [
        Decimal(v) for v in ("0.00", "20.00", "20.00", "40.00", "40.00", "60.00", "60.00")]
    flag = ind(40, source="party_organization", type="boolean")
    assert (rule_score(flag, True), rule_score(flag, False)) == (Decimal("40.00"), Decimal("0.00"))
    choice = ind(40, source="inspection_result", type="choice",
                 scores={"qualified": 40, "basically_qualified": 20, "unqualified": 0})
    assert rule_score(choice, "basically_qualified") == Decimal("20.00")
    assert rule_score(choice, None) == Decimal("0.00")
    assert "合格 40 分；基本合格 20 分" in rule_text(choice)


def default(kind: str) -> dict:
    return json.loads((DEFAULTS / f"{kind}.json").read_text())


@pytest.mark.parametrize("kind", ["social_group", "foundation", "non_enterprise", "community"])
def test_every_shipped_default_passes_the_template_checks(kind):
    doc = default(kind)
    assert template_errors(total_points=doc["total_points"], grade_bands=doc["grade_bands"], tree=doc["tree"]) == {}


def test_points_that_do_not_add_up_are_named():
    doc = default("community")
    tree = copy.deepcopy(doc["tree"])
    tree["categories"][0]["indicators"][2]["points"] = 45  # 活动场所, a manual one
    errors = template_errors(total_points=1000, grade_bands=doc["grade_bands"], tree=tree)
    assert errors["tree"] == ["类别“基础条件”：各指标分值合计 145，与类别分值 150 不一致"]
    tree = copy.deepcopy(doc["tree"])
    tree["categories"][0]["points"] = 140
    assert "total_points" in template_errors(total_points=1000, grade_bands=doc["grade_bands"], tree=tree)


def test_malformed_templates_are_refused_with_reasons():
    doc = default("community")
    bad = copy.deepcopy(doc["tree"])
    bad["categories"][0]["indicators"][1]["code"] = bad["categories"][0]["indicators"][0]["code"]
    assert any("重复" in m for m in template_errors(total_points=1000, grade_bands=doc["grade_bands"],
                                                    tree=bad)["tree"])
    bad = copy.deepcopy(doc["tree"])
    bad["categories"][0]["indicators"][0]["rule"] = {"source": "members", "type": "boolean"}
    assert template_errors(total_points=1000, grade_bands=doc["grade_bands"], tree=bad)["tree"]
    bad = copy.deepcopy(doc["tree"])
    bad["categories"][0]["indicators"][0]["rule"]["steps"] = [[1, 80]]  # more than its 50 points
    assert template_errors(total_points=1000, grade_bands=doc["grade_bands"], tree=bad)["tree"]
    assert template_errors(total_points=1000, grade_bands=[{"grade": "5A", "min": 1200}],
                           tree=doc["tree"])["grade_bands"]
    assert template_errors(total_points=True, grade_bands=doc["grade_bands"], tree=doc["tree"])["total_points"]
    assert template_errors(total_points=1000, grade_bands=doc["grade_bands"], tree={})["tree"]
