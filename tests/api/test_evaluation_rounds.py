"""Templates as versioned data, opening rounds with eligibility and reasons, who may
see and run what."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.default_templates import default_templates_load
from evaluation.models import Candidate, Evaluation, ExpertAssignment, Grade, IndicatorScore, Round, Sanction, Template
from organizations.models import Inspection, Membership, Organization
from tests.api.test_evaluation_setup import YEAR, Cast, evaluation_of, open_round, qualified_org
from tests.conftest import assert_error
from tests.factories import CITY, COMMUNITY, STREET, UserFactory, region

pytestmark = pytest.mark.django_db
DEFAULTS = Path(__file__).resolve().parents[2] / "platform" / "evaluation" / "defaults"


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


def default(kind: str) -> Template:
    return Template.objects.get(kind=kind, region__isnull=True, is_current=True)


def test_default_templates_are_shipped_as_data_with_points_adding_up(db):
    # The data migration's loader (run again on a flushed table: tests that flush exist).
    Template.objects.filter(region__isnull=True).delete()
    assert default_templates_load(Template) == 4
    assert default_templates_load(Template) == 0  # idempotent
    expected = {
        "social_group": {"基础条件", "内部治理", "工作绩效", "社会评价", "党建"},
        "foundation": {"基础条件", "内部治理", "工作绩效", "社会评价", "党建"},
        "non_enterprise": {"基础条件", "内部治理", "业务活动和诚信建设", "社会评价", "党建"},
        "community": {"基础条件", "内部管理", "服务成效", "社会评价", "党建"},
    }
    for kind, categories in expected.items():
        template = default(kind)
        assert template.version == 1 and template.total_points == 1000
        assert {c["name"] for c in template.tree["categories"]} == categories
        assert sum(c["points"] for c in template.tree["categories"]) == 1000
        for cat in template.tree["categories"]:
            assert sum(i["points"] for i in cat["indicators"]) == cat["points"]
        assert template.grade_bands == [{"grade": "5A", "min": 900}, {"grade": "4A", "min": 800},
                                        {"grade": "3A", "min": 700}, {"grade": "2A", "min": 600},
                                        {"grade": "1A", "min": 500}]
        assert template.tree == json.loads((DEFAULTS / f"{kind}.json").read_text())["tree"]
    names = {i["name"] for i in default("community").indicators()}
    assert {"居民满意度", "社区居（村）民委员会评价"} <= names
    sources = {i["rule"]["source"] for i in default("social_group").indicators() if i["method"] == "auto"}
    assert {"hours_per_member", "projects_run", "average_rating", "no_show_rate", "charter_party_clause",
            "party_organization", "inspection_result"} <= sources


def template_body(**changes) -> dict:
    base = default("non_enterprise")
    body = {"kind": "non_enterprise", "region": CITY, "name": "濮阳市社会服务机构评估指标（2026）",
            "total_points": base.total_points, "grade_bands": base.grade_bands, "tree": copy.deepcopy(base.tree),
            "note": "增加志愿服务权重"}
    body.update(changes)
    return body


def test_bureau_saves_a_new_version_and_a_running_round_keeps_its_own(cast):
    rnd = open_round(cast)
    started_with = Evaluation.objects.get(round_id=rnd["id"], organization=cast.org).template_id
    body = template_body()
    cats = body["tree"]["categories"]
    # Move 10 points from 内部治理/gov.staff to 业务活动/biz.hours: still adds up.
    gov = next(c for c in cats if c["code"] == "governance")
    biz = next(c for c in cats if c["code"] == "business")
    next(i for i in gov["indicators"] if i["code"] == "gov.staff")["points"] -= 10
    gov["points"] -= 10
    next(i for i in biz["indicators"] if i["code"] == "biz.hours")["points"] += 10
    biz["points"] += 10
    client = cast.client("bureau")
    first = client.post("/api/v1/evaluation-templates/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["version"] == 1 and first.json()["region"] == CITY and first.json()["is_current"]
    second = client.post("/api/v1/evaluation-templates/", {**body, "note": "再次修订"}, format="json")
    assert second.json()["version"] == 2
    assert Template.objects.get(id=first.json()["id"]).is_current is False
    # The running round still scores with the version it opened with.
    assert Evaluation.objects.get(round_id=rnd["id"], organization=cast.org).template_id == started_with
    assert IndicatorScore.objects.get(evaluation__round_id=rnd["id"], evaluation__organization=cast.org,
                                      code="biz.hours").points == 60
    # A new round under the city takes the city's current version.
    Inspection.objects.create(organization=cast.org, year=YEAR, result=Inspection.Result.QUALIFIED)
    later = open_round(cast, year=YEAR + 1)
    assert Evaluation.objects.get(round_id=later["id"], organization=cast.org).template_id == second.json()["id"]
    assert IndicatorScore.objects.get(evaluation__round_id=later["id"], evaluation__organization=cast.org,
                                      code="biz.hours").points == 70


def test_a_template_whose_points_do_not_add_up_is_refused_and_nothing_written(cast):
    client = cast.client("bureau")
    body = template_body()
    body["tree"]["categories"][0]["indicators"][0]["points"] += 5  # indicators ≠ category
    response = assert_error(client.post("/api/v1/evaluation-templates/", body, format="json"), 400, "points_mismatch")
    assert "不一致" in response["detail"]
    body = template_body()
    body["tree"]["categories"][0]["points"] += 5
    body["tree"]["categories"][0]["indicators"][0]["points"] += 5  # categories ≠ total
    assert_error(client.post("/api/v1/evaluation-templates/", body, format="json"), 400, "points_mismatch")
    body = template_body(grade_bands=[{"grade": "5A", "min": 700}, {"grade": "4A", "min": 800}])
    assert_error(client.post("/api/v1/evaluation-templates/", body, format="json"), 400, "invalid_template")
    body = template_body()
    body["tree"]["categories"][2]["indicators"][0]["rule"] = {"source": "moon_phase", "type": "ratio", "target": 1}
    assert_error(client.post("/api/v1/evaluation-templates/", body, format="json"), 400, "invalid_template")
    assert not Template.objects.filter(region__isnull=False).exists()


def test_only_bureau_staff_edit_templates_but_staff_and_experts_read_them(cast):
    body = template_body()
    for who in ("street", "community", "org_admin", "expert_user", "resident"):
        assert_error(cast.client(who).post("/api/v1/evaluation-templates/", body, format="json"), 403)
    assert_error(APIClient().post("/api/v1/evaluation-templates/", body, format="json"), 401)
    assert_error(APIClient().get("/api/v1/evaluation-templates/"), 401)
    listed = cast.client("expert_user").get("/api/v1/evaluation-templates/", {"current": "1"})
    assert listed.status_code == 200 and listed.json()["count"] == 4
    assert not Template.objects.filter(region__isnull=False).exists()


def test_opening_a_round_shows_every_organizations_eligibility_with_reasons(cast):
    young = qualified_org(name="新成立的机构", founded_on=timezone.localdate() - timedelta(days=400))
    no_inspection = qualified_org(name="未年检的机构")
    Inspection.objects.filter(organization=no_inspection).delete()
    unqualified = qualified_org(name="年检不合格的机构")
    Inspection.objects.filter(organization=unqualified).update(result=Inspection.Result.UNQUALIFIED)
    twice = qualified_org(name="连续基本合格的机构")
    Inspection.objects.filter(organization=twice).update(result=Inspection.Result.BASICALLY_QUALIFIED)
    Inspection.objects.create(organization=twice, year=YEAR - 2, result=Inspection.Result.BASICALLY_QUALIFIED)
    punished = qualified_org(name="受处罚的机构")
    Sanction.objects.create(organization=punished, kind=Sanction.Kind.PENALTY, started_on=date(2026, 1, 1))
    graded = qualified_org(name="已有等级的机构")
    expired = qualified_org(name="等级过期的机构")
    old_round = Round.objects.create(name="旧轮次", year=2019, region=region(CITY), cutoff_date=date(2018, 12, 31),
                                     self_assessment_deadline=date(2019, 3, 1), status=Round.Status.PUBLISHED,
                                     published_at=timezone.now())
    for org, until in ((graded, timezone.localdate() + timedelta(days=400)), (expired, date(2024, 6, 30))):
        ev = Evaluation.objects.create(round=old_round, organization=org, template=default("non_enterprise"),
                                       status=Evaluation.Status.PUBLISHED, total=850, proposed_grade="4A")
        Grade.objects.create(organization=org, grade="4A", total=850, valid_from=date(2019, 7, 1), valid_until=until,
                             round=old_round, evaluation=ev)
    community_org = qualified_org(name="社区组织", is_community=True)
    rnd = open_round(cast)
    response = cast.client("bureau").get(f"/api/v1/evaluation-rounds/{rnd['id']}/eligibility/", {"page_size": 50})
    assert response.status_code == 200
    rows = {r["organization_name"]: r for r in response.json()["results"]}
    assert community_org.name not in rows  # evaluated in the street's round

    def failed(name: str) -> set[str]:
        return {r["code"] for r in rows[name]["reasons"] if not r["passed"]}

    assert rows[cast.org.name]["eligible"] and rows[cast.org.name]["evaluation"]
    assert failed(young.name) == {"years"}
    assert failed(no_inspection.name) == {"inspection_missing"}
    assert failed(unqualified.name) == {"inspection_unqualified"}
    assert failed(twice.name) == {"basically_qualified_twice"}
    assert failed(punished.name) == {"sanction_penalty"}
    assert failed(graded.name) == {"grade_valid"}
    assert rows[expired.name]["eligible"]
    assert "grade_expired" in {r["code"] for r in rows[expired.name]["reasons"]}
    enrolled = set(Evaluation.objects.filter(round_id=rnd["id"]).values_list("organization__name", flat=True))
    assert enrolled == {cast.org.name, cast.other_org.name, expired.name}
    assert rnd["counts"] == {"candidates": 9, "eligible": 3, "evaluations": 3, "scored": 0, "self_submitted": 0}
    # Each enrolled organization has one empty score row per indicator of its template.
    assert IndicatorScore.objects.filter(evaluation__organization=cast.org).count() == len(
        default("non_enterprise").indicators())


def test_eligibility_rules_are_configurable_per_round(cast):
    lax = qualified_org(name="未年检的机构")
    Inspection.objects.filter(organization=lax).delete()
    rnd = open_round(cast, eligibility_rules={"require_last_inspection": False})
    assert Candidate.objects.get(round_id=rnd["id"], organization=lax).eligible
    assert_error(cast.client("bureau").post("/api/v1/evaluation-rounds/", {
        "year": YEAR + 1, "region": CITY, "cutoff_date": "2026-12-31", "self_assessment_deadline": "2099-01-01",
        "eligibility_rules": {"min_years": "two"}}, format="json"), 400)
    assert not Round.objects.filter(year=YEAR + 1).exists()


def test_an_ineligible_organization_cannot_be_added_and_an_eligible_one_can(cast):
    rnd = open_round(cast)
    late = qualified_org(name="开启后补录的机构")
    young = qualified_org(name="新机构", founded_on=timezone.localdate() - timedelta(days=30))
    client = cast.client("bureau")
    body = assert_error(client.post("/api/v1/evaluations/", {"round": rnd["id"], "organization": young.id},
                                    format="json"), 400, "not_eligible")
    assert "不足" in body["detail"]
    added = client.post("/api/v1/evaluations/", {"round": rnd["id"], "organization": late.id}, format="json")
    assert added.status_code == 201, added.content
    assert added.json()["indicators"] and added.json()["grade"] == ""
    assert_error(client.post("/api/v1/evaluations/", {"round": rnd["id"], "organization": late.id}, format="json"),
                 409, "already_enrolled")
    assert_error(cast.client("street").post("/api/v1/evaluations/", {"round": rnd["id"], "organization": late.id},
                                            format="json"), 403)
    assert not Evaluation.objects.filter(organization=young).exists()


def test_community_organizations_are_evaluated_in_their_streets_round_run_by_street_staff(cast):
    member = qualified_org(name="京东社区邻里互助会", is_community=True, region=region(COMMUNITY),
                           registration_status=Organization.Registration.FILED, credit_code=None,
                           founded_on=date(2023, 5, 1))
    Inspection.objects.filter(organization=member).delete()  # filed groups have no annual inspection
    body = {"year": YEAR, "region": STREET, "scope": "community", "cutoff_date": "2025-12-31",
            "self_assessment_deadline": (timezone.localdate() + timedelta(days=5)).isoformat()}
    assert_error(cast.client("bureau").post("/api/v1/evaluation-rounds/", body, format="json"), 403)
    assert_error(cast.client("community").post("/api/v1/evaluation-rounds/", body, format="json"), 403)
    assert_error(cast.client("other_street").post("/api/v1/evaluation-rounds/", body, format="json"), 403)
    assert_error(cast.client("street").post("/api/v1/evaluation-rounds/", {**body, "region": COMMUNITY},
                                            format="json"), 400)
    response = cast.client("street").post("/api/v1/evaluation-rounds/", body, format="json")
    assert response.status_code == 201, response.content
    rnd = response.json()
    assert [t["kind"] for t in rnd["templates"]] == ["community"]
    evaluation = evaluation_of(rnd["id"], member)
    assert evaluation.template.kind == "community"
    assert not Evaluation.objects.filter(round_id=rnd["id"], organization=cast.org).exists()
    # Community staff read their community's evaluation; the bureau reads, but the street runs it.
    assert cast.client("community").get(f"/api/v1/evaluations/{evaluation.id}/").json()["capacities"] == ["staff"]
    assert "manager" not in cast.client("bureau").get(f"/api/v1/evaluations/{evaluation.id}/").json()["capacities"]
    assert_error(cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/compute/"), 403)
    assert cast.client("street").post(f"/api/v1/evaluation-rounds/{rnd['id']}/compute/").status_code == 200
    # Street staff cannot open a general round.
    assert_error(cast.client("street").post("/api/v1/evaluation-rounds/", {**body, "scope": "general"},
                                            format="json"), 403)


def test_one_round_per_year_region_and_scope(cast):
    open_round(cast)
    body = {"year": YEAR, "region": CITY, "cutoff_date": "2025-12-31", "self_assessment_deadline": "2099-01-01"}
    assert_error(cast.client("bureau").post("/api/v1/evaluation-rounds/", body, format="json"), 409, "round_exists")
    assert Round.objects.count() == 1


def test_round_input_is_checked(cast):
    client = cast.client("bureau")
    base = {"year": YEAR, "region": CITY, "cutoff_date": "2025-12-31", "self_assessment_deadline": "2099-01-01"}
    assert_error(client.post("/api/v1/evaluation-rounds/", {**base, "self_assessment_deadline": "2020-01-01"},
                             format="json"), 400)
    assert_error(client.post("/api/v1/evaluation-rounds/", {**base, "region": STREET}, format="json"), 400)
    assert_error(client.post("/api/v1/evaluation-rounds/", {**base, "year": 1900}, format="json"), 400)
    assert_error(client.post("/api/v1/evaluation-rounds/", {**base, "region": "999999"}, format="json"), 400)
    assert not Round.objects.exists()


def test_who_sees_rounds_and_evaluation_lists(cast, django_assert_max_num_queries):
    rnd = open_round(cast)
    for who in ("bureau", "street", "community"):
        response = cast.client(who).get("/api/v1/evaluation-rounds/")
        assert [r["id"] for r in response.json()["results"]] == [rnd["id"]], who
    assert cast.client("street").get(f"/api/v1/evaluation-rounds/{rnd['id']}/").json()["can_manage"] is False
    assert cast.client("bureau").get(f"/api/v1/evaluation-rounds/{rnd['id']}/").json()["can_manage"] is True
    for who in ("org_admin", "expert_user", "resident"):
        assert_error(cast.client(who).get("/api/v1/evaluation-rounds/"), 403)
        assert_error(cast.client(who).get(f"/api/v1/evaluation-rounds/{rnd['id']}/"), 403)
    assert_error(APIClient().get("/api/v1/evaluation-rounds/"), 401)
    assert_error(APIClient().get("/api/v1/evaluations/"), 401)
    assert_error(cast.client("bureau").delete(f"/api/v1/evaluation-rounds/{rnd['id']}/"), 405)

    def listed(who: str) -> set[int]:
        return {e["organization"] for e in cast.client(who).get("/api/v1/evaluations/").json()["results"]}

    assert listed("bureau") == listed("street") == {cast.org.id, cast.other_org.id}
    assert listed("community") == set()
    assert listed("org_admin") == {cast.org.id}
    assert listed("resident") == set() and listed("expert_user") == set()
    for extra in range(5):
        Membership.objects.create(user=cast.org_admin, organization=qualified_org(name=f"机构{extra}"),
                                  role=Membership.Role.ADMIN)
    with django_assert_max_num_queries(8):
        cast.client("bureau").get("/api/v1/evaluations/")
    # Rounds list in a fixed number of queries, whatever the number of rounds.
    for year in (YEAR + 1, YEAR + 2, YEAR + 3):
        open_round(cast, year=year)
    with django_assert_max_num_queries(8):
        listed_rounds = cast.client("bureau").get("/api/v1/evaluation-rounds/").json()["results"]
    assert len(listed_rounds) == 4 and listed_rounds[-1]["counts"]["evaluations"] == 2


def test_experts_are_registered_by_staff_and_get_the_expert_role(cast):
    person = UserFactory(name="王教授")
    client = cast.client("bureau")
    response = client.post("/api/v1/evaluation-experts/", {"phone": person.phone, "title": "社会工作系"},
                           format="json")
    assert response.status_code == 201, response.content
    from tests.conftest import as_user
    assert "expert" in as_user(person).get("/api/v1/me/").json()["roles"]
    assert "expert" not in cast.client("resident").get("/api/v1/me/").json()["roles"]
    assert_error(client.post("/api/v1/evaluation-experts/", {"phone": person.phone}, format="json"), 409,
                 "already_expert")
    assert_error(client.post("/api/v1/evaluation-experts/", {"phone": "13999999999"}, format="json"), 400,
                 "user_not_found")
    assert_error(client.post("/api/v1/evaluation-experts/", {"phone": cast.street.phone}, format="json"), 400)
    for who in ("community", "org_admin", "resident", "expert_user"):
        assert_error(cast.client(who).post("/api/v1/evaluation-experts/", {"phone": cast.resident.phone},
                                           format="json"), 403)
    assert_error(cast.client("resident").get("/api/v1/evaluation-experts/"), 403)
    assert cast.client("street").get("/api/v1/evaluation-experts/").json()["count"] == 3


def test_sanctions_are_recorded_by_governing_staff(cast):
    body = {"organization": cast.org.id, "kind": "investigation", "started_on": "2026-01-05", "note": "立案调查"}
    assert_error(cast.client("community").post("/api/v1/evaluation-sanctions/", body, format="json"), 403)
    assert_error(cast.client("org_admin").post("/api/v1/evaluation-sanctions/", body, format="json"), 403)
    assert_error(cast.client("bureau").post("/api/v1/evaluation-sanctions/", {**body, "ended_on": "2025-01-01"},
                                            format="json"), 400)
    assert not Sanction.objects.exists()
    assert cast.client("street").post("/api/v1/evaluation-sanctions/", body, format="json").status_code == 201
    rnd = open_round(cast)
    assert not Candidate.objects.get(round_id=rnd["id"], organization=cast.org).eligible


def test_an_ended_sanction_no_longer_excludes_and_an_investigation_does(cast):
    from evaluation.models import Sanction as S

    S.objects.create(organization=cast.org, kind=S.Kind.PENALTY, started_on=date(2024, 1, 1),
                     ended_on=date(2024, 6, 30))
    S.objects.create(organization=cast.other_org, kind=S.Kind.INVESTIGATION, started_on=date(2026, 1, 1))
    rnd = open_round(cast)
    assert Candidate.objects.get(round_id=rnd["id"], organization=cast.org).eligible
    other = Candidate.objects.get(round_id=rnd["id"], organization=cast.other_org)
    assert not other.eligible and [r["code"] for r in other.reasons if not r["passed"]] == ["sanction_investigation"]
    # Configurable: a round may choose not to exclude them.
    later = open_round(cast, year=YEAR + 1, eligibility_rules={"exclude_sanctioned": False,
                                                              "require_last_inspection": False})
    assert Candidate.objects.get(round_id=later["id"], organization=cast.other_org).eligible


def test_staff_who_do_not_run_the_round_see_only_the_rows_of_organizations_they_govern(cast):
    rnd = open_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    ExpertAssignment.objects.create(evaluation=evaluation, expert=cast.expert, assigned_by=cast.bureau)

    def rows(who: str, what: str) -> list[str]:
        response = cast.client(who).get(f"/api/v1/evaluation-rounds/{rnd['id']}/{what}/")
        assert response.status_code == 200, response.content
        return [r.get("organization_name") for r in response.json()["results"]]

    everyone = rows("bureau", "eligibility")
    assert len(everyone) >= 2 and rows("bureau", "assignments") == [cast.org.name]
    # The street the organizations are registered in sees them; another street and a
    # community below the city see the round, but not other organizations' reasons.
    assert sorted(rows("street", "eligibility")) == sorted(everyone)
    assert rows("street", "assignments") == [cast.org.name]
    for who in ("other_street", "community"):
        assert rows(who, "eligibility") == [] and rows(who, "assignments") == [] and rows(who, "appeals") == []


def test_a_rounds_eligibility_and_assignment_lists_take_a_fixed_number_of_queries(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(round_id: int) -> dict[str, int]:
        counts = {}
        for what in ("eligibility", "assignments", "appeals"):
            with CaptureQueriesContext(connection) as captured:
                response = cast.client("bureau").get(f"/api/v1/evaluation-rounds/{round_id}/{what}/")
            assert response.status_code == 200
            counts[what] = len(captured)
        return counts

    def assign_all(round_id: int) -> int:
        rows = Evaluation.objects.filter(round_id=round_id)
        for evaluation in rows:
            ExpertAssignment.objects.create(evaluation=evaluation, expert=cast.expert)
        return rows.count()

    small = open_round(cast)
    assert assign_all(small["id"]) == 2
    for n in range(6):
        qualified_org(name=f"新增机构{n}")
    large = open_round(cast, year=YEAR + 1, eligibility_rules={"require_last_inspection": False})
    assert assign_all(large["id"]) == 8
    assert queries(large["id"]) == queries(small["id"])
