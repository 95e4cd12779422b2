"""The committee's vote, publishing grades with validity, the public list, appeals
(复核) with grade history, and the reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import Appeal, CommitteeDecision, Evaluation, Grade, IndicatorScore, Round
from evaluation.services.grading import deadline_reminders_send, expiry_reminders_send
from evaluation.tasks import deadline_reminders_send as deadline_task
from evaluation.tasks import expiry_reminders_send as expiry_task
from notifications.models import Notification
from tests.api.test_evaluation_setup import Cast, compute, evaluation_of, open_round, score_all_manual
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
VOTE = {"members_present": ["张委员", "李委员", "王委员"], "votes_for": 2, "votes_against": 1, "votes_abstain": 0,
        "note": "同意评估结果"}


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


def scored_round(cast: Cast, other_overrides: dict | None = None) -> dict:
    """A round with both organizations computed and fully scored (the other one lower)."""
    rnd = open_round(cast)
    for org, expert, overrides in ((cast.org, "expert_user", None),
                                   (cast.other_org, "other_expert_user", other_overrides)):
        evaluation = evaluation_of(rnd["id"], org)
        compute(cast, evaluation)
        score_all_manual(cast, evaluation, expert=expert, overrides=overrides)
    return rnd


def publish(cast: Cast, rnd: dict):
    return cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/publish/")


def test_publishing_before_every_organization_is_scored_is_refused(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    compute(cast, evaluation)
    score_all_manual(cast, evaluation)
    body = assert_error(publish(cast, rnd), 409, "not_all_scored")
    assert body["fields"]["evaluations"] == [cast.other_org.name]
    assert_error(cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE,
                                            format="json"), 409, "not_all_scored")
    assert not Grade.objects.exists() and not CommitteeDecision.objects.exists()
    assert Round.objects.get(id=rnd["id"]).status == Round.Status.OPEN


def test_publishing_needs_an_approved_committee_decision(cast):
    rnd = scored_round(cast)
    assert_error(publish(cast, rnd), 409, "no_committee_decision")
    client = cast.client("bureau")
    url = f"/api/v1/evaluation-rounds/{rnd['id']}/committee/"
    assert_error(client.post(url, {**VOTE, "votes_for": 3}, format="json"), 400, "votes_mismatch")
    assert_error(client.post(url, {**VOTE, "members_present": ["张委员", "张委员", "王委员"]}, format="json"), 400)
    assert not CommitteeDecision.objects.exists()
    rejected = client.post(url, {**VOTE, "votes_for": 1, "votes_against": 1, "votes_abstain": 1}, format="json")
    assert rejected.status_code == 201 and rejected.json()["approved"] is False
    assert Round.objects.get(id=rnd["id"]).status == Round.Status.OPEN
    assert_error(publish(cast, rnd), 409, "no_committee_decision")
    for who in ("street", "org_admin", "expert_user"):
        assert_error(cast.client(who).post(url, VOTE, format="json"), 403)
        assert_error(cast.client(who).post(f"/api/v1/evaluation-rounds/{rnd['id']}/publish/"), 403)
    approved = client.post(url, VOTE, format="json")
    assert approved.status_code == 201 and approved.json()["approved"] is True
    assert approved.json()["members_count"] == 3
    # Once decided, nobody changes a score.
    evaluation = evaluation_of(rnd["id"], cast.org)
    assert_error(cast.client("expert_user").post(f"/api/v1/evaluations/{evaluation.id}/expert-scores/", {
        "scores": [{"indicator": "gov.finance", "score": "1", "comment": "改分"}]}, format="json"), 409,
        "evaluation_final")
    assert_error(client.post(url, VOTE, format="json"), 409, "round_not_open")


def test_published_grades_are_valid_five_years_listed_publicly_and_notified(cast):
    rnd = scored_round(cast, other_overrides={"gov.finance": "0", "gov.bodies": "0", "gov.staff": "0",
                                              "biz.integrity": "0", "biz.outcomes": "0", "rep.internal": "0",
                                              "rep.external": "0", "rep.honors": "0", "party.activities": "0",
                                              "gov.charter": "0", "basic.legal": "0"})
    client = cast.client("bureau")
    client.post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, format="json")
    response = publish(cast, rnd)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    today = timezone.localdate()
    grade = Grade.objects.get(organization=cast.org)
    evaluation = evaluation_of(rnd["id"], cast.org)
    assert grade.grade == evaluation.proposed_grade and grade.total == evaluation.total
    assert (grade.valid_from, grade.valid_until) == (today, today.replace(year=today.year + 5) - timedelta(days=1))
    assert grade.status == Grade.Status.CURRENT and grade.round_id == rnd["id"]
    # The other organization's total is under 500: no grade, but its evaluation is published.
    other = evaluation_of(rnd["id"], cast.other_org)
    assert other.total < 500 and other.proposed_grade == "" and other.status == Evaluation.Status.PUBLISHED
    assert not Grade.objects.filter(organization=cast.other_org).exists()
    public = APIClient().get("/api/v1/grades/")
    assert public.status_code == 200
    assert [(g["organization_name"], g["grade"]) for g in public.json()["results"]] == [(cast.org.name, grade.grade)]
    assert Notification.objects.filter(recipient=cast.org_admin, kind="evaluation_published").count() == 1
    assert_error(publish(cast, rnd), 409, "already_published")


def test_a_new_grade_supersedes_the_current_one_and_history_is_kept(cast):
    rnd = scored_round(cast)
    cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, format="json")
    # An older grade from an earlier round.
    old_round = Round.objects.create(name="2019年度评估", year=2019, region_id=rnd["region"],
                                     cutoff_date=date(2018, 12, 31),
                                     self_assessment_deadline=date(2019, 3, 1), status=Round.Status.PUBLISHED,
                                     published_at=timezone.now() - timedelta(days=2000))
    old_eval = Evaluation.objects.create(round=old_round, organization=cast.org,
                                         template=evaluation_of(rnd["id"], cast.org).template,
                                         status=Evaluation.Status.PUBLISHED, total=720, proposed_grade="3A")
    old = Grade.objects.create(organization=cast.org, grade="3A", total=720, valid_from=date(2019, 7, 1),
                               valid_until=date(2024, 6, 30), round=old_round, evaluation=old_eval)
    publish(cast, rnd)
    old.refresh_from_db()
    new = Grade.objects.get(organization=cast.org, status=Grade.Status.CURRENT)
    assert old.status == Grade.Status.SUPERSEDED and old.superseded_by_id == new.id
    history = APIClient().get("/api/v1/grades/", {"organization": cast.org.id, "history": "1"}).json()["results"]
    assert [g["grade"] for g in history] == [new.grade, "3A"]
    # The database keeps one current grade per organization.
    with pytest.raises(IntegrityError), transaction.atomic():
        Grade.objects.create(organization=cast.org, grade="1A", total=500, valid_from=date(2026, 1, 1),
                             valid_until=date(2030, 12, 31), round=old_round, evaluation=old_eval)


def published_round(cast: Cast) -> dict:
    rnd = scored_round(cast)
    cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, format="json")
    publish(cast, rnd)
    return rnd


def appeal(cast: Cast, evaluation: Evaluation, who: str = "org_admin"):
    return cast.client(who).post(f"/api/v1/evaluations/{evaluation.id}/appeals/",
                                 {"reason": "财务管理指标的审计报告未被采纳，申请复核。"}, format="json")


def test_an_appeal_before_publication_is_refused(cast):
    rnd = open_round(cast)
    assert_error(appeal(cast, evaluation_of(rnd["id"], cast.org)), 409, "not_published")
    assert not Appeal.objects.exists()


def test_appeals_are_filed_by_the_organizations_admin_within_the_window_once(cast):
    rnd = published_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    assert_error(appeal(cast, evaluation, who="other_admin"), 404)
    assert_error(appeal(cast, evaluation, who="bureau"), 403)
    assert_error(cast.client("org_admin").post(f"/api/v1/evaluations/{evaluation.id}/appeals/", {"reason": "短"},
                                               format="json"), 400)
    filed = appeal(cast, evaluation)
    assert filed.status_code == 201, filed.content
    assert filed.json()["old_grade"] == evaluation.proposed_grade
    assert_error(appeal(cast, evaluation), 409, "already_appealed")
    assert Notification.objects.filter(recipient=cast.bureau, kind="evaluation_appeal").count() == 1
    other = evaluation_of(rnd["id"], cast.other_org)
    Round.objects.filter(id=rnd["id"]).update(published_at=timezone.now() - timedelta(days=31))
    assert_error(appeal(cast, other, who="other_admin"), 409, "appeal_window_closed")
    assert Appeal.objects.count() == 1


def test_a_regraded_appeal_changes_scores_grade_and_keeps_history(cast):
    rnd = published_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    before = Grade.objects.get(organization=cast.org, status=Grade.Status.CURRENT)
    appeal_id = appeal(cast, evaluation).json()["id"]
    url = f"/api/v1/evaluation-appeals/{appeal_id}/review/"
    client = cast.client("bureau")
    assert_error(client.post(url, {"decision": "regraded", "note": "复核", "changes": []}, format="json"), 400)
    assert_error(client.post(url, {"decision": "regraded", "note": "复核改分", "changes": [
        {"indicator": "gov.finance", "score": "81"}]}, format="json"), 400, "score_over_points")
    assert_error(cast.client("street").post(url, {"decision": "upheld", "note": "维持"}, format="json"), 403)
    assert_error(cast.client("org_admin").post(url, {"decision": "upheld", "note": "维持"}, format="json"), 403)
    assert Appeal.objects.get(id=appeal_id).status == Appeal.Status.PENDING
    # Lower 财务 by 80 and 业务成效 by 50: the total drops by 130 points.
    response = client.post(url, {"decision": "regraded", "note": "经复核，财务与成效材料不足", "changes": [
        {"indicator": "gov.finance", "score": "0", "comment": "无审计报告"},
        {"indicator": "biz.outcomes", "score": "0", "comment": "无成效评估"}]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert Decimal(body["new_total"]) == before.total - 130
    evaluation.refresh_from_db()
    assert evaluation.total == before.total - 130
    assert evaluation.proposed_grade == evaluation.template.grade_for(evaluation.total) == body["new_grade"]
    assert [c["old"] for c in body["changes"]] == ["80.00", "50.00"]
    # No activity metrics: 610 manual + 120 registry points = 730 (3A); less 130 = 600 (2A).
    assert (before.grade, body["new_total"], body["new_grade"]) == ("3A", "600.00", "2A")
    before.refresh_from_db()
    after = Grade.objects.get(organization=cast.org, status=Grade.Status.CURRENT)
    assert after.grade == "2A" and after.source == Grade.Source.APPEAL and after.total == 600
    assert before.status == Grade.Status.SUPERSEDED and before.superseded_by_id == after.id
    assert (after.valid_from, after.valid_until) == (before.valid_from, before.valid_until)
    assert IndicatorScore.objects.get(evaluation=evaluation, code="gov.finance").score == 0
    assert Notification.objects.filter(recipient=cast.org_admin, kind="evaluation_appeal_reviewed").count() == 1
    assert_error(client.post(url, {"decision": "upheld", "note": "再次"}, format="json"), 409, "appeal_reviewed")
    listed = client.get(f"/api/v1/evaluation-rounds/{rnd['id']}/appeals/").json()["results"]
    assert [a["status"] for a in listed] == ["regraded"]


def test_a_review_that_drops_below_500_revokes_the_grade(cast):
    rnd = published_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    appeal_id = appeal(cast, evaluation).json()["id"]
    response = cast.client("bureau").post(f"/api/v1/evaluation-appeals/{appeal_id}/review/", {
        "decision": "regraded", "note": "材料系伪造", "changes": [
            {"indicator": "gov.finance", "score": "0"}, {"indicator": "gov.bodies", "score": "0"},
            {"indicator": "gov.staff", "score": "0"}, {"indicator": "biz.outcomes", "score": "0"}]}, format="json")
    assert response.json()["new_grade"] == "" and response.json()["new_total"] == "470.00"
    assert Grade.objects.get(organization=cast.org).status == Grade.Status.REVOKED
    listed = APIClient().get("/api/v1/grades/").json()["results"]
    assert [g["organization"] for g in listed] == [cast.other_org.id]


def test_an_upheld_appeal_keeps_the_grade(cast):
    rnd = published_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    before = Grade.objects.get(organization=cast.org, status=Grade.Status.CURRENT)
    appeal_id = appeal(cast, evaluation).json()["id"]
    response = cast.client("bureau").post(f"/api/v1/evaluation-appeals/{appeal_id}/review/",
                                          {"decision": "upheld", "note": "材料已审核，维持原结论"}, format="json")
    assert response.status_code == 200 and response.json()["new_grade"] == before.grade
    assert Grade.objects.get(organization=cast.org, status=Grade.Status.CURRENT).id == before.id


def test_deadline_reminders_go_once_to_organizations_that_have_not_submitted(cast):
    rnd = open_round(cast)
    Round.objects.filter(id=rnd["id"]).update(self_assessment_deadline=timezone.localdate() + timedelta(days=3))
    Evaluation.objects.filter(round_id=rnd["id"], organization=cast.other_org).update(self_submitted_at=timezone.now())
    with_capture = deadline_task.apply().get()
    assert with_capture == 1
    assert deadline_reminders_send() == 0  # once each
    notes = Notification.objects.filter(kind="evaluation_deadline")
    assert [n.recipient_id for n in notes] == [cast.org_admin.id]
    # A far-off deadline reminds nobody.
    Evaluation.objects.update(deadline_reminded_at=None)
    Round.objects.filter(id=rnd["id"]).update(self_assessment_deadline=timezone.localdate() + timedelta(days=30))
    assert deadline_reminders_send() == 0


def test_expiry_reminders_go_once_for_grades_expiring_within_six_months(cast):
    rnd = published_round(cast)
    grade = Grade.objects.get(organization=cast.org)
    assert expiry_reminders_send() == 0  # five years away
    Grade.objects.filter(id=grade.id).update(valid_until=timezone.localdate() + timedelta(days=150))
    assert expiry_task.apply().get() == 1
    assert expiry_reminders_send() == 0
    note = Notification.objects.get(kind="evaluation_grade_expiring")
    assert note.recipient_id == cast.org_admin.id and grade.grade in note.body
    assert rnd["id"]


def test_the_public_list_leaves_out_expired_grades_but_history_keeps_them(cast):
    rnd = published_round(cast)
    today = timezone.localdate()
    Grade.objects.filter(organization=cast.org).update(valid_from=today - timedelta(days=1900),
                                                       valid_until=today - timedelta(days=1))
    listed = APIClient().get("/api/v1/grades/").json()["results"]
    assert [g["organization"] for g in listed] == [cast.other_org.id]
    history = APIClient().get("/api/v1/grades/", {"organization": cast.org.id, "history": "1"}).json()["results"]
    assert len(history) == 1 and history[0]["round"] == rnd["id"]
    assert APIClient().get("/api/v1/grades/", {"grade": "3A"}).status_code == 200
    assert_error(APIClient().post("/api/v1/grades/", {}, format="json"), 405)
