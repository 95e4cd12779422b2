"""Bad input never reaches a 500 and never writes: every evaluation write endpoint is
fed malformed bodies, wrong types, huge numbers, NUL bytes and things that are not
files; each answer is a 4xx with the error shape and the database is as before. Also:
evidence files do not outlive a failed transaction, and the enrolment refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from rest_framework.test import APIClient

from evaluation.models import (
    Appeal,
    Candidate,
    CommitteeDecision,
    Evaluation,
    Evidence,
    Expert,
    ExpertAssignment,
    Grade,
    IndicatorScore,
    Round,
    Sanction,
    Template,
)
from notifications.models import Notification
from tests.api.test_evaluation_grading import VOTE, appeal, published_round
from tests.api.test_evaluation_rounds import template_body
from tests.api.test_evaluation_setup import Cast, evaluation_of, open_round, qualified_org
from tests.conftest import assert_error
from tests.factories import CITY, OTHER_STREET, region

pytestmark = pytest.mark.django_db

HUGE = 10**30
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RAW_BODIES = ["{", "[1, 2]", "null", '"text"', "12", '{"a": '] # not JSON objects, or not JSON at all
ANY_TYPE = [None, [], {}, [None], {"a": [1]}, True]
IDS = [*ANY_TYPE, "x", "", HUGE, -HUGE, -1, 0, 1.5, "²", "\x00", [HUGE]]
TEXTS = [*ANY_TYPE, "\x00", "长" * 5000]
DATES = [*ANY_TYPE, "x", "2025-02-30", "99999-01-01", HUGE, "\x00"]
REGIONS = [*ANY_TYPE, "x", "\x00", "4109\x00", HUGE, "9" * 200, CITY + "99"]


def state() -> tuple:
    """Everything an evaluation write could change."""
    return (
        list(Template.objects.order_by("id").values_list("id", "is_current")),
        list(Round.objects.order_by("id").values_list("id", "status")),
        Candidate.objects.count(),
        list(Evaluation.objects.order_by("id").values_list("id", "status", "total", "self_submitted_at")),
        list(IndicatorScore.objects.order_by("id").values_list("id", "self_score", "expert_score", "score")),
        Evidence.objects.count(), Expert.objects.count(), ExpertAssignment.objects.count(),
        CommitteeDecision.objects.count(), list(Grade.objects.order_by("id").values_list("id", "status")),
        list(Appeal.objects.order_by("id").values_list("id", "status")), Sanction.objects.count(),
        Notification.objects.count(),
    )


def refused(client, url: str, body, fmt: str = "json") -> None:
    before = state()
    response = client.post(url, body, format=fmt)
    assert 400 <= response.status_code < 500, (url, body, response.status_code, response.content[:300])
    assert_error(response, response.status_code)
    assert state() == before, (url, body)


def fuzz(client, url: str, base: dict, values: dict[str, list], fmt: str = "json") -> None:
    for raw in RAW_BODIES:
        before = state()
        response = client.generic("POST", url, raw, content_type="application/json")
        assert_error(response, response.status_code)
        assert 400 <= response.status_code < 500 and state() == before, (url, raw)
    for field, bads in values.items():
        missing = {k: v for k, v in base.items() if k != field}
        if field not in OPTIONAL:
            refused(client, url, missing, fmt)
        for bad in bads:
            refused(client, url, {**base, field: bad}, fmt)


OPTIONAL = {"scope", "title", "note", "appeal_window_days", "eligibility_rules", "templates", "ended_on", "submit",
            "changes"}


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


@pytest.fixture
def running(cast):
    """An open round under the city with both organizations enrolled and the expert
    assigned to the first one."""
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    ExpertAssignment.objects.create(evaluation=evaluation, expert=cast.expert, assigned_by=cast.bureau)
    return rnd, evaluation


def manual_code(evaluation: Evaluation) -> str:
    return evaluation.scores.filter(method=IndicatorScore.Method.MANUAL).values_list("code", flat=True).first()


def score_items(code: str) -> list:
    return [None, {}, "x", HUGE, [1], [{"indicator": code}], [{"indicator": code, "score": "x"}],
            [{"indicator": code, "score": HUGE}], [{"indicator": code, "score": "NaN"}],
            [{"indicator": code, "score": "Infinity"}], [{"indicator": code, "score": "-1"}],
            [{"indicator": code, "score": "1e999"}], [{"indicator": "\x00", "score": "1"}],
            [{"indicator": code, "score": "99999"}], [{"indicator": "nope", "score": "1"}],
            [{"indicator": [code], "score": "1"}]]


def test_bad_template_bodies_are_refused_and_write_nothing(cast):
    tree_bads = [*ANY_TYPE, "x", HUGE, {"categories": "x"}, {"categories": [1]}, {"categories": [{"code": 1}]},
                 {"categories": [{"code": "a", "name": "b", "points": "x", "indicators": "y"}]},
                 {"categories": [{"code": "a", "name": "b", "points": HUGE,
                                  "indicators": [{"code": "a.b", "name": "x", "points": HUGE, "method": "manual"}]}]},
                 {"categories": [{"code": "a", "name": "b", "points": 1000, "indicators": [
                     {"code": "a.b", "name": "x", "points": 1000, "method": "auto",
                      "rule": {"source": "projects_run", "type": "ratio", "target": 0}}]}]}]
    fuzz(cast.client("bureau"), "/api/v1/evaluation-templates/", template_body(), {
        "kind": [*ANY_TYPE, "x", "\x00", HUGE], "region": REGIONS, "name": TEXTS,
        "total_points": [*ANY_TYPE, "x", HUGE, -1, 0, 1.5, "1000"],
        "grade_bands": [*ANY_TYPE, "x", HUGE, [{"grade": "5A"}], [{"grade": "9Z", "min": 1}], ["x"],
                        [{"grade": "5A", "min": "x"}], [{"grade": "5A", "min": HUGE}]],
        "tree": tree_bads,
    })


def test_bad_round_bodies_are_refused_and_write_nothing(cast):
    base = {"year": 2027, "region": CITY, "scope": "general", "cutoff_date": "2026-12-31",
            "self_assessment_deadline": "2030-01-01"}
    fuzz(cast.client("bureau"), "/api/v1/evaluation-rounds/", base, {
        "year": [*IDS, 1999, 2101], "region": REGIONS, "scope": [*ANY_TYPE, "x", "\x00"],
        "cutoff_date": DATES, "self_assessment_deadline": [*DATES, "2000-01-01"],
        "appeal_window_days": [*IDS, 366],
        "eligibility_rules": [*ANY_TYPE[:2], "x", HUGE, {"x": 1}, {"min_years": "x"}, {"min_years": -1},
                              {"min_years": True}, {"exclude_sanctioned": "yes"}],
        "templates": [*ANY_TYPE[:2], "x", {"non_enterprise": HUGE}, {"non_enterprise": "x"},
                      {"non_enterprise": 999999}, {"non_enterprise": None}],
    })


def test_bad_enrolment_assignment_committee_expert_and_sanction_bodies_write_nothing(cast, running):
    rnd, evaluation = running
    client = cast.client("bureau")
    newcomer = qualified_org(name="后来更正记录的机构")
    fuzz(client, "/api/v1/evaluations/", {"round": rnd["id"], "organization": newcomer.id},
         {"round": IDS, "organization": IDS})
    fuzz(client, f"/api/v1/evaluation-rounds/{rnd['id']}/assignments/",
         {"expert": cast.other_expert.id, "evaluations": [evaluation.id]},
         {"expert": IDS, "evaluations": [*ANY_TYPE[:3], "x", HUGE, [HUGE], ["x"], [-1], ["²"], [999999],
                                         list(range(501))]})
    fuzz(client, f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, {
        "members_present": [*ANY_TYPE[:3], "x", HUGE, [""], ["\x00"], ["长" * 40], [HUGE] * 3, ["甲"] * 51],
        "votes_for": IDS, "votes_against": IDS, "votes_abstain": IDS, "note": TEXTS})
    fuzz(client, "/api/v1/evaluation-experts/", {"phone": cast.resident.phone, "title": "教授"},
         {"phone": [*ANY_TYPE, "x", HUGE, "\x00", "1391234567\x00", "139123456789"], "title": TEXTS})
    fuzz(client, "/api/v1/evaluation-sanctions/",
         {"organization": cast.org.id, "kind": "penalty", "started_on": "2025-01-01"},
         {"organization": IDS, "kind": [*ANY_TYPE, "x", "\x00"], "started_on": DATES,
          "ended_on": [[], {}, "x", HUGE, "2024-12-31"], "note": TEXTS})


def test_bad_self_assessment_evidence_and_expert_score_bodies_write_nothing(cast, running):
    _rnd, evaluation = running
    code = manual_code(evaluation)
    fuzz(cast.client("org_admin"), f"/api/v1/evaluations/{evaluation.id}/self-assessment/",
         {"scores": [{"indicator": code, "score": "1"}], "submit": False},
         {"scores": score_items(code), "submit": [None, [], {}, "x", HUGE]})
    fuzz(cast.client("expert_user"), f"/api/v1/evaluations/{evaluation.id}/expert-scores/",
         {"scores": [{"indicator": code, "score": "1", "comment": "材料齐全"}]},
         {"scores": [*score_items(code), [], [{"indicator": code, "score": "1", "comment": "\x00\x00"}]]})
    url = f"/api/v1/evaluations/{evaluation.id}/evidence/"
    client = cast.client("org_admin")
    for body in ({}, {"indicator": code}, {"indicator": code, "file": "not a file"}, {"indicator": code, "file": ""},
                 {"indicator": code, "file": SimpleUploadedFile("empty.png", b"")},
                 {"indicator": code, "file": SimpleUploadedFile("a.png", b"GIF89a" + b"\x00" * 20)},
                 {"indicator": code, "file": SimpleUploadedFile("noext", PNG)},
                 {"indicator": "\x00", "file": SimpleUploadedFile("a.png", PNG)},
                 {"indicator": "长" * 50, "file": SimpleUploadedFile("a.png", PNG)},
                 {"indicator": "nope", "file": SimpleUploadedFile("a.png", PNG)}):
        refused(client, url, body, fmt="multipart")
    before = state()
    assert_error(client.post(url, {"indicator": code, "file": "x"}, format="json"), 415)
    assert state() == before


def test_bad_appeal_and_review_bodies_write_nothing(cast):
    rnd = published_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    fuzz(cast.client("org_admin"), f"/api/v1/evaluations/{evaluation.id}/appeals/", {"reason": "评分有误，申请复核"},
         {"reason": [*TEXTS, "短"]})
    assert appeal(cast, evaluation).status_code == 201
    appeal_id = Appeal.objects.get(evaluation=evaluation).id
    code = evaluation.scores.values_list("code", flat=True).first()
    fuzz(cast.client("bureau"), f"/api/v1/evaluation-appeals/{appeal_id}/review/",
         {"decision": "regraded", "note": "复核改定", "changes": [{"indicator": code, "score": "1"}]},
         {"decision": [*ANY_TYPE, "x", "pending", "\x00"], "note": [*TEXTS, "短"],
          "changes": [{}, "x", HUGE, [None], [{"indicator": code}], [{"indicator": code, "score": HUGE}],
                      [{"indicator": code, "score": "NaN"}], [{"indicator": "nope", "score": "1"}],
                      [{"indicator": code, "score": "99999"}]]})


def test_ids_and_filters_that_are_not_plain_numbers_or_hold_nul_bytes_are_not_a_500(cast, running):
    rnd, _evaluation = running
    client = cast.client("bureau")
    for params in ({"round": str(HUGE)}, {"round": "²"}, {"organization": str(HUGE)}, {"organization": "½"}):
        # Not a plain number: the filter is ignored, as any other unusable value is.
        assert client.get("/api/v1/evaluations/", params).status_code == 200
    assert client.get("/api/v1/evaluations/", {"round": str(rnd["id"] + 1)}).json()["count"] == 0
    for params in ({"year": str(HUGE)}, {"year": "²"}):
        assert client.get("/api/v1/evaluation-rounds/", params).status_code == 200
    public = APIClient()
    for params in ({"organization": str(HUGE), "history": "1"}, {"organization": "²"}):
        assert public.get("/api/v1/grades/", params).status_code == 200
    for params in ({"region": "41\x00"}, {"search": "\x00"}, {"grade": "\x00"}, {"org_type": "\x00"}):
        assert_error(public.get("/api/v1/grades/", params), 400, "invalid")
    for params in ({"region": "\x00"}, {"kind": "\x00"}):
        assert_error(client.get("/api/v1/evaluation-templates/", params), 400, "invalid")
    for url in (f"/api/v1/evaluations/{HUGE}/", f"/api/v1/evaluation-rounds/{HUGE}/",
                f"/api/v1/evaluation-templates/{HUGE}/", f"/api/v1/evaluation-evidence/{HUGE}/"):
        assert_error(client.get(url), 404)
    refused(client, f"/api/v1/evaluations/{HUGE}/compute/", {})
    refused(client, f"/api/v1/evaluation-appeals/{HUGE}/review/", {"decision": "upheld", "note": "维持原结论"})


def test_an_evidence_file_does_not_outlive_a_failed_insert(cast, running, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    _rnd, evaluation = running
    code = manual_code(evaluation)

    def broken_insert(*args, **kwargs):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(Evidence, "_do_insert", broken_insert)
    with pytest.raises(DatabaseError):
        cast.client("org_admin").post(f"/api/v1/evaluations/{evaluation.id}/evidence/",
                                      {"indicator": code, "file": SimpleUploadedFile("audit.png", PNG)},
                                      format="multipart")
    assert not Evidence.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    # The same upload, with the database working, is stored once and kept.
    response = cast.client("org_admin").post(f"/api/v1/evaluations/{evaluation.id}/evidence/",
                                             {"indicator": code, "file": SimpleUploadedFile("audit.png", PNG)},
                                             format="multipart")
    assert response.status_code == 201, response.content
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_an_organization_outside_the_rounds_scope_is_not_enrolled(cast, running):
    rnd, _evaluation = running
    # A community organization is evaluated in its street's round, not the city's.
    community_org = qualified_org(name="社区文体队", is_community=True, region=region(OTHER_STREET))
    before = state()
    assert_error(cast.client("bureau").post("/api/v1/evaluations/", {"round": rnd["id"],
                                                                     "organization": community_org.id},
                                            format="json"), 400, "out_of_scope")
    assert state() == before


def test_a_decided_round_takes_no_new_organization_or_expert(cast, running):
    rnd, evaluation = running
    newcomer = qualified_org(name="记录更正后的机构")
    Round.objects.filter(id=rnd["id"]).update(status=Round.Status.DECIDED)
    client = cast.client("bureau")
    before = state()
    assert_error(client.post("/api/v1/evaluations/", {"round": rnd["id"], "organization": newcomer.id},
                             format="json"), 409, "round_closed")
    assert_error(client.post(f"/api/v1/evaluation-rounds/{rnd['id']}/assignments/",
                             {"expert": cast.other_expert.id, "evaluations": [evaluation.id]}, format="json"),
                 409, "round_closed")
    assert state() == before


def test_evidence_whose_file_is_gone_is_a_404_not_a_500(cast, running, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _rnd, evaluation = running
    response = cast.client("org_admin").post(f"/api/v1/evaluations/{evaluation.id}/evidence/",
                                             {"indicator": manual_code(evaluation),
                                              "file": SimpleUploadedFile("audit.png", PNG)}, format="multipart")
    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert cast.client("org_admin").get(f"/api/v1/evaluation-evidence/{item.id}/").status_code == 200
    item.file.storage.delete(item.file.name)
    assert_error(cast.client("org_admin").get(f"/api/v1/evaluation-evidence/{item.id}/"), 404)


@pytest.mark.parametrize("total, points", [
    (3_000_000_000, 3_000_000_000),  # past the column's integer
    (100_000, 100_000),              # a score of 100000.00 does not fit the score columns
    (1000, 999.999),                 # points are kept to the cent: the sums would no longer add up
])
def test_a_template_whose_points_the_scores_cannot_hold_is_refused(cast, total, points):
    tree = {"categories": [{"code": "a", "name": "基础", "points": total, "indicators": [
        {"code": "a.one", "name": "一", "points": points, "method": "manual"},
        *([{"code": "a.two", "name": "二", "points": round(total - points, 3), "method": "manual"}]
          if total != points else [])]}]}
    body = template_body(total_points=total, grade_bands=[{"grade": "5A", "min": 1}], tree=tree)
    refused(cast.client("bureau"), "/api/v1/evaluation-templates/", body)
