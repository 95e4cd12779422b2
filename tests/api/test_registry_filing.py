"""Filing (备案): apply → community review → street decision, every step recorded and
notified; charters (versioned, party-building clause) and party-building history."""

from __future__ import annotations

import pytest

from accounts.models import StaffRole
from notifications.models import Notification
from organizations.charter_template import charter_template
from organizations.models import Charter, FilingApplication, FilingStep, Membership, Organization, PartyBuildingChange
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, OTHER_STREET, STREET, StaffFactory, UserFactory, region
from tests.registry_factories import cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "applicant": UserFactory(),
        "community": StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY)),
        "other_community": StaffFactory(staff_role=StaffRole.COMMUNITY, region=region("410902001002")),
        "street": StaffFactory(staff_role=StaffRole.STREET, region=region(STREET)),
        "other_street": StaffFactory(staff_role=StaffRole.STREET, region=region(OTHER_STREET)),
        "bureau": StaffFactory(staff_role=StaffRole.BUREAU, region=region("4109")),
        "resident": UserFactory(),
    }


def _application(count: int = 22, **extra) -> dict:
    return {"name": "京东社区银龄互助队", "region": COMMUNITY, "person_in_charge": "王阿姨",
            "contact_phone": "13912340000",
            "members": [{"name": f"成员{i}", "kind": "individual"} for i in range(count)]
            + [{"name": "京东社区卫生站", "kind": "unit"}],
            "charter_sections": charter_template(name="京东社区银龄互助队"), "service_domains": ["elderly"],
            **extra}


def _submit(people, **extra) -> dict:
    response = as_user(people["applicant"]).post("/api/v1/filings/", _application(**extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def test_the_whole_filing_walk_records_and_notifies_every_step(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        filing = _submit(people)
    assert filing["status"] == "submitted" and filing["individual_members"] == 22 and filing["unit_members"] == 1
    assert _kinds(people["community"]) == ["filing_review"] and _kinds(people["other_community"]) == []
    url = f"/api/v1/filings/{filing['id']}/"
    body = as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json").json()
    assert body["status"] == "community_approved"
    assert _kinds(people["street"]) == ["filing_review"] and _kinds(people["other_street"]) == []
    body = as_user(people["street"]).post(url + "street-decision/", {"approve": True}, format="json").json()
    assert body["status"] == "filed"
    assert [s["action"] for s in body["steps"]] == ["submit", "community_approve", "street_file"]
    assert body["steps"][2]["actor"] == people["street"].id
    assert _kinds(people["applicant"]) == ["filing_result", "filing_result"]
    org = Organization.objects.get(id=body["organization"])
    assert (org.registration_status, org.is_community, org.source, org.tier) == (
        "filed", True, "filing", "street_managed")
    assert org.ready_to_register is True  # 22 individual members ≥ 20
    assert org.charter_version == 1 and org.charter_has_party_clause is True
    assert Membership.objects.filter(user=people["applicant"], organization=org, role="org_admin").exists()
    assert org.events.filter(kind="filed", actor=people["street"]).exists()
    # The applicant now administers the new organization's record.
    assert as_user(people["applicant"]).get(f"/api/v1/organizations/{org.id}/").json()["ready_to_register"] is True


def test_a_small_group_is_guided_by_the_community_and_not_ready_to_register(people):
    filing = _submit(people, count=3)
    url = f"/api/v1/filings/{filing['id']}/"
    as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json")
    body = as_user(people["street"]).post(url + "street-decision/", {"approve": True}, format="json").json()
    org = Organization.objects.get(id=body["organization"])
    assert org.tier == "community_guided" and org.ready_to_register is False


def test_the_registration_thresholds_are_configurable(people, settings):
    settings.ORGANIZATIONS = {"REGISTRATION_MIN_INDIVIDUAL_MEMBERS": 50, "REGISTRATION_MIN_UNIT_MEMBERS": 1}
    filing = _submit(people, count=22)
    url = f"/api/v1/filings/{filing['id']}/"
    as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json")
    body = as_user(people["street"]).post(url + "street-decision/", {"approve": True}, format="json").json()
    assert Organization.objects.get(id=body["organization"]).ready_to_register is True  # 1 unit ≥ 1


@pytest.mark.parametrize("stage", ["community", "street"])
def test_a_return_needs_a_reason_is_recorded_and_the_applicant_can_resubmit(people, stage,
                                                                           django_capture_on_commit_callbacks):
    filing = _submit(people)
    url = f"/api/v1/filings/{filing['id']}/"
    if stage == "street":
        as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json")
    action = url + ("community-review/" if stage == "community" else "street-decision/")
    assert "reason" in assert_error(as_user(people[stage]).post(action, {"approve": False}, format="json"),
                                    400)["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        body = as_user(people[stage]).post(action, {"approve": False, "reason": "章程缺少活动场地说明"},
                                           format="json").json()
    assert body["status"] == "returned" and body["return_reason"] == "章程缺少活动场地说明"
    assert body["steps"][-1]["action"] == f"{stage}_return"
    assert Notification.objects.filter(recipient=people["applicant"], kind="filing_result",
                                       body__contains="章程缺少").exists()
    assert not Organization.objects.exists()
    # Only the applicant resubmits, with an amended charter.
    assert_error(as_user(people["resident"]).post(url + "resubmit/", {}, format="json"), 404)
    body = as_user(people["applicant"]).post(url + "resubmit/", {"members": [{"name": "新成员"}]},
                                             format="json").json()
    assert body["status"] == "submitted" and body["individual_members"] == 1
    assert body["steps"][-1]["action"] == "resubmit"


@pytest.mark.parametrize("actor, step, status", [
    ("resident", "community-review/", 404), ("applicant", "community-review/", 404),
    ("other_community", "community-review/", 404), ("street", "community-review/", 403),
    ("bureau", "community-review/", 403), ("community", "street-decision/", 403),
    ("other_street", "community-review/", 404),
])
def test_each_step_belongs_to_its_reviewer(people, actor, step, status):
    filing = _submit(people)
    url = f"/api/v1/filings/{filing['id']}/{step}"
    assert_error(as_user(people[actor]).post(url, {"approve": True}, format="json"), status)
    assert FilingApplication.objects.get().status == "submitted" and FilingStep.objects.count() == 1


def test_steps_out_of_order_are_conflicts(people):
    filing = _submit(people)
    url = f"/api/v1/filings/{filing['id']}/"
    assert_error(as_user(people["street"]).post(url + "street-decision/", {"approve": True}, format="json"), 409,
                 "invalid_transition")
    as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json")
    assert_error(as_user(people["community"]).post(url + "community-review/", {"approve": True}, format="json"),
                 409, "invalid_transition")
    assert_error(as_user(people["applicant"]).post(url + "resubmit/", {}, format="json"), 409)
    assert FilingStep.objects.count() == 2


def test_who_sees_which_applications(people, api):
    filing = _submit(people)
    for actor, visible in (("applicant", True), ("community", True), ("street", True), ("bureau", True),
                           ("other_community", False), ("other_street", False), ("resident", False)):
        ids = [f["id"] for f in as_user(people[actor]).get("/api/v1/filings/").json()["results"]]
        assert (filing["id"] in ids) is visible, actor
        response = as_user(people[actor]).get(f"/api/v1/filings/{filing['id']}/")
        assert response.status_code == (200 if visible else 404), actor
    assert_error(api.get("/api/v1/filings/"), 401)
    assert_error(api.post("/api/v1/filings/", _application(), format="json"), 401)


@pytest.mark.parametrize("change, field", [
    ({"region": STREET}, "region"), ({"region": "999999999999"}, "region"), ({"members": []}, "members"),
    ({"contact_phone": "12345"}, "contact_phone"), ({"name": ""}, "name"),
    ({"charter_sections": {"general": "总则"}}, "sections"), ({"charter_sections": "章程"}, "sections"),
])
def test_bad_applications_are_400_naming_the_field_and_write_nothing(people, change, field):
    body = assert_error(as_user(people["applicant"]).post("/api/v1/filings/", _application(**change),
                                                          format="json"), 400)
    assert field in body["fields"], body
    assert not FilingApplication.objects.exists() and not Notification.objects.exists()


def test_a_charter_missing_a_section_names_it(people):
    sections = charter_template(name="x")
    del sections["purpose"]
    body = assert_error(as_user(people["applicant"]).post("/api/v1/filings/", _application(charter_sections=sections),
                                                          format="json"), 400, "invalid_charter")
    assert body["fields"] == {"sections": {"purpose": ["缺少必备章节「宗旨和业务范围」"]}}


def test_a_second_pending_application_with_the_same_name_is_a_conflict(people):
    _submit(people)
    assert_error(as_user(people["applicant"]).post("/api/v1/filings/", _application(), format="json"), 409)
    assert FilingApplication.objects.count() == 1


# --- charters ------------------------------------------------------------------------

def test_the_model_charter_is_public_and_has_the_party_building_chapter(api):
    body = api.get("/api/v1/organizations/charter-template/?name=测试队").json()
    assert "party_building" in body["sections"] and "测试队" in body["sections"]["general"]
    assert "purpose" in body["required"] and "party_building" not in body["required"]


@pytest.mark.parametrize("role, status", [
    ("anonymous", 401), ("resident", 403), ("other_admin", 403), ("other_community", 403),
    ("admin", 201), ("community", 201), ("bureau", 201),
])
def test_charters_are_versioned_by_the_admin_and_governing_staff(role, status):
    c = cast()
    from tests.api.test_registry_record import client

    sections = charter_template(name=c.org.name)
    response = client(c, role).post(f"/api/v1/organizations/{c.org.id}/charters/", {"sections": sections},
                                    format="json")
    c.org.refresh_from_db()
    if status == 201:
        assert response.status_code == 201 and response.json()["version"] == 1
        assert c.org.charter_version == 1 and c.org.charter_has_party_clause is True
    else:
        assert_error(response, status)
        assert not Charter.objects.exists() and c.org.charter_version == 0


def test_a_new_version_without_the_party_clause_shows_on_the_record():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/charters/"
    sections = charter_template(name=c.org.name)
    as_user(c.admin).post(url, {"sections": sections}, format="json")
    del sections["party_building"]
    body = as_user(c.admin).post(url, {"sections": sections, "note": "删去党建章"}, format="json").json()
    assert body["version"] == 2 and body["has_party_clause"] is False
    record = as_user(c.admin).get(f"/api/v1/organizations/{c.org.id}/").json()
    assert record["charter_version"] == 2 and record["charter_has_party_clause"] is False
    assert [v["version"] for v in as_user(c.admin).get(url).json()] == [2, 1]
    assert_error(as_user(c.resident).get(url), 403)


def test_a_charter_without_required_sections_is_refused_and_nothing_written():
    c = cast()
    body = assert_error(as_user(c.admin).post(f"/api/v1/organizations/{c.org.id}/charters/",
                                              {"sections": {"general": "总则", "x": "y"}}, format="json"),
                        400, "invalid_charter")
    assert {"purpose", "members", "x"} <= set(body["fields"]["sections"])
    assert not Charter.objects.exists()


# --- party building ---------------------------------------------------------------------

def test_party_building_changes_are_kept_with_who_and_why():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/party-building/"
    body = as_user(c.community).put(url, {"mode": "instructor", "instructor_name": "赵书记",
                                          "instructor_contact": "13900001111", "reason": "派驻"},
                                    format="json").json()
    assert body["party_building"] == "instructor" and body["party_instructor_name"] == "赵书记"
    as_user(c.admin).put(url, {"mode": "standalone", "reason": "党员达到三人"}, format="json")
    history = as_user(c.admin).get(url).json()
    assert [(h["mode"], h["previous_mode"], h["changed_by"]) for h in history] == [
        ("standalone", "instructor", c.admin.id), ("instructor", "none", c.community.id)]
    c.org.refresh_from_db()
    assert c.org.party_instructor_name == "" and c.org.party_building == "standalone"


def test_an_instructor_needs_a_name_and_contact_and_outsiders_cannot_change_it():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/party-building/"
    body = assert_error(as_user(c.admin).put(url, {"mode": "instructor"}, format="json"), 400)
    assert set(body["fields"]) == {"instructor_name", "instructor_contact"}
    assert_error(as_user(c.admin).put(url, {"mode": "branch"}, format="json"), 400)
    assert_error(as_user(c.other_admin).put(url, {"mode": "joint"}, format="json"), 403)
    assert_error(as_user(c.resident).get(url), 403)
    assert not PartyBuildingChange.objects.exists()


@pytest.mark.parametrize("bad", [123, None, ["党建"]])
def test_a_charter_section_that_is_not_text_is_a_400_not_a_500(bad):
    c = cast()
    sections = charter_template(name=c.org.name)
    sections["party_building"] = bad
    body = assert_error(as_user(c.admin).post(f"/api/v1/organizations/{c.org.id}/charters/",
                                              {"sections": sections}, format="json"), 400, "invalid_charter")
    assert "party_building" in body["fields"]["sections"]
    assert not Charter.objects.exists()
