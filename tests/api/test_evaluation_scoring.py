"""Scores of one organization's evaluation: automatic indicators from the metrics as of
the cut-off (frozen), self-assessment with evidence, expert scores, the total and grade."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation.models import Evaluation, Evidence, IndicatorScore, Round
from tests.api.test_evaluation_setup import (
    Cast,
    compute,
    evaluation_of,
    manual_codes,
    metric,
    open_round,
    score_all_manual,
)
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db) -> Cast:
    return Cast()

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def hand_built_metrics(org) -> None:
    # ``service_rating`` is what the people served gave; ``average_rating`` (the social
    # workers' quality rating of volunteers) must not count as their rating.
    metric(org, date(2025, 3, 1), projects_run=2, shifts_held=4, volunteers=10, final_hours=Decimal("300"),
           service_rating=Decimal("4.50"), average_rating=Decimal("1.00"),
           confirmed_signups=20, no_shows=2, needs_served=3)
    metric(org, date(2025, 6, 1), projects_run=2, shifts_held=3, volunteers=8, final_hours=Decimal("200"),
           service_rating=Decimal("4.00"), average_rating=Decimal("1.00"),
           confirmed_signups=10, no_shows=1, needs_served=2)
    metric(org, date(2025, 12, 1), projects_run=1, shifts_held=2, volunteers=6, final_hours=Decimal("100"),
           service_rating=None, average_rating=Decimal("5.00"), confirmed_signups=10, no_shows=0, needs_served=0)
    # Outside the twelve months that end on the cut-off: neither may count.
    metric(org, date(2024, 12, 1), projects_run=9, final_hours=Decimal("5000"), volunteers=50)
    metric(org, date(2026, 1, 1), projects_run=9, final_hours=Decimal("5000"), volunteers=50)


def test_hand_built_organization_gets_the_expected_total_and_grade(cast):
    hand_built_metrics(cast.org)
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    body = compute(cast, evaluation)
    auto = {i["code"]: Decimal(i["score"]) for i in body["indicators"] if i["method"] == "auto"}
    assert auto == {
        "basic.registered_years": Decimal("20.00"),  # founded 2020-01-01: 6 years at the cut-off, ≥5 → 20
        "gov.inspection": Decimal("40.00"),          # 2025 qualified
        "biz.projects": Decimal("40.00"),            # 2+2+1 = 5 projects: ≥3 → 40
        "biz.hours": Decimal("18.00"),               # 600 h ÷ 2000 × 60
        "biz.volunteers": Decimal("2.67"),           # (10+8+6)/12 = 2.00 a month ÷ 30 × 40
        "biz.rating": Decimal("42.80"),              # (4.5×10 + 4.0×8)/18 = 4.28 ÷ 5 × 50
        "biz.no_show": Decimal("22.50"),             # 3/40 = 7.5 %: 30 × (1 − 0.075/0.3)
        "biz.needs": Decimal("15.00"),               # 5 ÷ 10 × 30
        "party.organization": Decimal("40.00"),      # standalone branch
        "party.charter": Decimal("20.00"),
    }
    assert body["total"] is None and body["status"] == "in_progress"  # manual ones still open
    body = score_all_manual(cast, evaluation, overrides={"gov.finance": "60", "rep.honors": "10",
                                                         "biz.outcomes": "45"})
    # Manual: 610 points less 20 + 20 + 5 = 565; automatic 260.97.
    assert Decimal(body["total"]) == Decimal("825.97")
    assert body["grade"] == "4A" and body["status"] == "scored"
    hours = next(i for i in body["indicators"] if i["code"] == "biz.hours")
    assert hours["source_value"] == "600小时"
    assert "÷ 2000 × 60" in hours["rule_text"] and hours["source"].startswith("平台数据：600小时")
    assert hours["source_detail"]["window"] == {"from": "2025-01", "to": "2025-12", "months_with_data": 3}
    finance = next(i for i in body["indicators"] if i["code"] == "gov.finance")
    assert finance["expert_name"] == "陈专家" and finance["expert_comment"] == "材料齐全，符合要求"
    assert finance["source"].startswith("专家 陈专家 评分")


def test_grade_bands_follow_the_total(cast):
    evaluation_template = open_round(cast)
    evaluation = evaluation_of(evaluation_template["id"], cast.org)
    bands = evaluation.template
    assert [bands.grade_for(Decimal(t)) for t in ("1000", "900", "899.99", "800", "700", "600", "500", "499.99")] \
        == ["5A", "5A", "4A", "4A", "3A", "2A", "1A", ""]


def test_automatic_scores_are_a_snapshot_that_later_activity_does_not_move(cast):
    hand_built_metrics(cast.org)
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    first = compute(cast, evaluation)
    # Activity after the cut-off changes nothing, even when computed again.
    metric(cast.org, date(2026, 2, 1), projects_run=20, final_hours=Decimal("9000"), volunteers=80)
    again = compute(cast, evaluation)
    assert [i["score"] for i in again["indicators"]] == [i["score"] for i in first["indicators"]]
    score_all_manual(cast, evaluation)
    other = evaluation_of(rnd["id"], cast.other_org)
    compute(cast, other)
    score_all_manual(cast, other, expert="other_expert_user")
    client = cast.client("bureau")
    decided = client.post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", {
        "members_present": ["甲", "乙", "丙"], "votes_for": 3, "votes_against": 0, "votes_abstain": 0}, format="json")
    assert decided.status_code == 201, decided.content
    total = Evaluation.objects.get(id=evaluation.id).total
    # Corrections to the window's own metrics after the decision do not move the score either.
    from volunteers.models import OrganizationMetric
    OrganizationMetric.objects.filter(organization=cast.org, period=date(2025, 3, 1)).update(
        final_hours=Decimal("3000"))
    assert_error(client.post(f"/api/v1/evaluations/{evaluation.id}/compute/"), 409, "evaluation_final")
    assert Evaluation.objects.get(id=evaluation.id).total == total


def test_compute_before_the_cutoff_is_refused(cast):
    rnd = open_round(cast, cutoff_date=(timezone.localdate() + timedelta(days=5)).isoformat())
    evaluation = evaluation_of(rnd["id"], cast.org)
    assert_error(cast.client("bureau").post(f"/api/v1/evaluations/{evaluation.id}/compute/"), 409, "before_cutoff")
    assert not IndicatorScore.objects.filter(evaluation=evaluation, score__isnull=False).exists()


def test_only_the_rounds_manager_computes(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    url = f"/api/v1/evaluations/{evaluation.id}/compute/"
    assert_error(cast.client("street").post(url), 403)
    assert_error(cast.client("org_admin").post(url), 403)
    assert_error(cast.client("resident").post(url), 404)
    from rest_framework.test import APIClient
    assert_error(APIClient().post(url), 401)
    assert Evaluation.objects.get(id=evaluation.id).computed_at is None


def test_round_compute_computes_every_evaluation(cast):
    rnd = open_round(cast)
    response = cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/compute/")
    assert response.status_code == 200 and response.json() == {"computed": 2}
    assert Evaluation.objects.filter(round_id=rnd["id"], computed_at__isnull=False).count() == 2


def self_assess(cast: Cast, evaluation, who="org_admin", **body):
    return cast.client(who).post(f"/api/v1/evaluations/{evaluation.id}/self-assessment/", body, format="json")


def test_org_admin_self_assesses_with_evidence_and_submits(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    upload = cast.client("org_admin").post(
        f"/api/v1/evaluations/{evaluation.id}/evidence/",
        {"indicator": "gov.finance", "file": _file("审计报告.png", PNG)}, format="multipart")
    assert upload.status_code == 201, upload.content
    codes = manual_codes(evaluation)
    partial = self_assess(cast, evaluation, scores=[{"indicator": "gov.finance", "score": "70", "note": "见审计报告"}])
    assert partial.status_code == 200
    finance = next(i for i in partial.json()["indicators"] if i["code"] == "gov.finance")
    assert finance["self_score"] == "70.00" and finance["self_note"] == "见审计报告"
    assert partial.json()["evidence"][0]["original_name"] == "审计报告.png"
    # Submitting with indicators left out is refused, and nothing is stamped.
    assert_error(self_assess(cast, evaluation, scores=[], submit=True), 400, "self_assessment_incomplete")
    done = self_assess(cast, evaluation, submit=True,
                       scores=[{"indicator": c, "score": str(p)} for c, p in codes.items()])
    assert done.status_code == 200 and done.json()["self_submitted_at"]
    assert_error(self_assess(cast, evaluation, scores=[{"indicator": "gov.finance", "score": "1"}]), 409,
                 "already_submitted")
    # The evidence is downloadable by those who see the evaluation, not by others.
    evidence = Evidence.objects.get(evaluation=evaluation)
    assert cast.client("bureau").get(f"/api/v1/evaluation-evidence/{evidence.id}/").status_code == 200
    assert_error(cast.client("other_admin").get(f"/api/v1/evaluation-evidence/{evidence.id}/"), 404)


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, content)


def test_self_assessment_after_the_deadline_is_refused_and_nothing_written(cast):
    rnd = open_round(cast)
    Round.objects.filter(id=rnd["id"]).update(self_assessment_deadline=timezone.localdate() - timedelta(days=1))
    evaluation = evaluation_of(rnd["id"], cast.org)
    assert_error(self_assess(cast, evaluation, scores=[{"indicator": "gov.finance", "score": "70"}]), 409,
                 "deadline_passed")
    assert_error(cast.client("org_admin").post(f"/api/v1/evaluations/{evaluation.id}/evidence/",
                                               {"indicator": "gov.finance", "file": _file("a.png", PNG)},
                                               format="multipart"), 409, "deadline_passed")
    assert not IndicatorScore.objects.filter(evaluation=evaluation, self_score__isnull=False).exists()
    assert not Evidence.objects.exists()


def test_self_scores_over_points_or_on_automatic_indicators_are_refused_whole(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    body = assert_error(self_assess(cast, evaluation, scores=[{"indicator": "gov.charter", "score": "10"},
                                                              {"indicator": "gov.finance", "score": "80.01"}]),
                        400, "score_over_points")
    assert "gov.finance" in body["fields"]
    assert_error(self_assess(cast, evaluation, scores=[{"indicator": "biz.hours", "score": "1"}]), 400, "invalid")
    assert_error(self_assess(cast, evaluation, scores=[{"indicator": "gov.finance", "score": "-1"}]), 400)
    assert not IndicatorScore.objects.filter(evaluation=evaluation, self_score__isnull=False).exists()


def test_only_the_organizations_admin_self_assesses(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    item = [{"indicator": "gov.finance", "score": "70"}]
    assert_error(self_assess(cast, evaluation, who="other_admin", scores=item), 404)
    assert_error(self_assess(cast, evaluation, who="bureau", scores=item), 403)
    assert_error(self_assess(cast, evaluation, who="resident", scores=item), 404)


def test_evidence_must_be_a_pdf_or_image_on_a_manual_indicator(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    url = f"/api/v1/evaluations/{evaluation.id}/evidence/"
    client = cast.client("org_admin")
    assert_error(client.post(url, {"indicator": "gov.finance", "file": _file("x.exe", b"MZ....")},
                             format="multipart"), 400)
    assert_error(client.post(url, {"indicator": "gov.finance", "file": _file("fake.pdf", b"hello")},
                             format="multipart"), 400)
    assert_error(client.post(url, {"indicator": "biz.hours", "file": _file("a.png", PNG)}, format="multipart"), 400)
    assert not Evidence.objects.exists()


def expert_scores(cast: Cast, evaluation, who, scores):
    return cast.client(who).post(f"/api/v1/evaluations/{evaluation.id}/expert-scores/", {"scores": scores},
                                 format="json")


def test_expert_scoring_an_unassigned_organization_is_refused(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    other = evaluation_of(rnd["id"], cast.other_org)
    cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/assignments/",
                               {"expert": cast.expert.id, "evaluations": [other.id]}, format="json")
    item = [{"indicator": "gov.finance", "score": "70", "comment": "规范"}]
    assert_error(expert_scores(cast, evaluation, "expert_user", item), 403, "not_assigned")
    assert_error(expert_scores(cast, evaluation, "org_admin", item), 403)
    assert_error(expert_scores(cast, evaluation, "resident", item), 404)
    assert not IndicatorScore.objects.filter(evaluation=evaluation, expert_score__isnull=False).exists()
    # The expert sees only what is assigned to them.
    listed = cast.client("expert_user").get("/api/v1/evaluations/").json()
    assert [e["id"] for e in listed["results"]] == [other.id]
    assert_error(cast.client("expert_user").get(f"/api/v1/evaluations/{evaluation.id}/"), 404)


def test_expert_scores_need_comments_and_stay_within_points(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/assignments/",
                               {"expert": cast.expert.id, "evaluations": [evaluation.id]}, format="json")
    assert_error(expert_scores(cast, evaluation, "expert_user", [{"indicator": "gov.finance", "score": "81",
                                                                  "comment": "超过"}]), 400, "score_over_points")
    assert_error(expert_scores(cast, evaluation, "expert_user", [{"indicator": "gov.finance", "score": "70"}]), 400)
    assert_error(expert_scores(cast, evaluation, "expert_user", [{"indicator": "party.charter", "score": "10",
                                                                  "comment": "自动指标"}]), 400)
    assert not IndicatorScore.objects.filter(evaluation=evaluation, expert_score__isnull=False).exists()
    ok = expert_scores(cast, evaluation, "expert_user", [{"indicator": "gov.finance", "score": "72.5",
                                                         "comment": "账目清楚"}])
    assert ok.status_code == 200
    row = IndicatorScore.objects.get(evaluation=evaluation, code="gov.finance")
    assert (row.expert_score, row.score, row.expert_id) == (Decimal("72.50"), Decimal("72.50"), cast.expert.id)


def test_an_expert_who_belongs_to_the_organization_is_not_assigned(cast):
    from organizations.models import Membership
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    Membership.objects.create(user=cast.expert_user, organization=cast.org, role=Membership.Role.SOCIAL_WORKER)
    body = assert_error(cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/assignments/",
                                                   {"expert": cast.expert.id, "evaluations": [evaluation.id]},
                                                   format="json"), 400, "conflict_of_interest")
    assert cast.org.name in body["detail"]
    assert not evaluation.assignments.exists()


def test_detail_shows_scores_total_and_grade_to_each_party(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    url = f"/api/v1/evaluations/{evaluation.id}/"
    for who, caps in (("bureau", ["manager", "staff"]), ("street", ["staff"]), ("org_admin", ["org_admin"])):
        response = cast.client(who).get(url)
        assert response.status_code == 200, (who, response.content)
        body = response.json()
        assert body["capacities"] == caps, who
        assert {"indicators", "total", "grade", "categories"} <= set(body)
    # Community staff govern their community, and this organization sits in the street.
    for who in ("other_admin", "resident", "expert_user", "other_street", "community"):
        assert_error(cast.client(who).get(url), 404)
    from rest_framework.test import APIClient
    assert_error(APIClient().get(url), 401)
    assert_error(cast.client("bureau").put(url, {}, format="json"), 405)
