"""The registry record: fields, credit codes, and every role against every endpoint."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from organizations.credit_code import check_character, credit_code_errors, credit_code_make
from organizations.models import Inspection, Organization, OrganizationEvent
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, STREET, OrganizationFactory, StaffFactory, region
from tests.registry_factories import ROLES, cast, valid_code

pytestmark = pytest.mark.django_db


def client(c, role) -> APIClient:
    user = c.actor(role)
    return APIClient() if user is None else as_user(user)


def _new(**extra):
    return {"name": "京东社区志愿服务中心", "org_type": "non_enterprise", "registration_status": "registered",
            "credit_code": valid_code(), "region": COMMUNITY, "is_community": True,
            "service_domains": ["elderly", "disability"], "founded_on": "2020-05-01",
            "person_in_charge": "张三", "contact_phone": "13912345678", "individual_members": 25,
            "unit_members": 2, **extra}


# --- credit codes (GB 32100) -----------------------------------------------------------

def test_a_published_credit_code_passes_the_check_character():
    # 中国扶贫基金会's code as printed on its registration certificate.
    assert check_character("53100000500021676") == "K"
    assert credit_code_errors("53100000500021676K", org_type="foundation") == []


@pytest.mark.parametrize("code, why", [
    ("53100000500021676", "18 位"), ("53100000500021676J", "校验位"), ("5310000050002167IK", "非法字符"),
    ("91110000802100433B", "以 5"),
])
def test_malformed_credit_codes_say_why(code, why):
    assert why in credit_code_errors(code)[0]


def test_the_category_character_must_match_the_type():
    code = credit_code_make(org_type="social_group", region_code="410902", serial=7)
    assert credit_code_errors(code, org_type="social_group") == []
    assert "类别" in credit_code_errors(code, org_type="non_enterprise")[0]


# --- create ----------------------------------------------------------------------------

def test_staff_create_a_full_record_and_it_is_recorded_in_the_history():
    c = cast()
    response = as_user(c.community).post("/api/v1/organizations/", _new(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tier"] == "civil_affairs" and body["status"] == "active"
    assert body["service_domains"] == ["elderly", "disability"] and body["ready_to_register"] is False
    org = Organization.objects.get(id=body["id"])
    assert org.events.get().kind == OrganizationEvent.Kind.CREATED and org.events.get().actor == c.community


def test_a_filed_organization_may_have_no_credit_code_and_is_street_managed():
    c = cast()
    body = as_user(c.street).post("/api/v1/organizations/", _new(registration_status="filed", credit_code=None,
                                                                 org_type="social_group"), format="json").json()
    assert body["credit_code"] is None and body["tier"] == "street_managed"
    assert body["ready_to_register"] is True  # 25 individual members ≥ 20


@pytest.mark.parametrize("change, status, code, field", [
    ({"credit_code": "53410902000000001X"}, 400, "invalid", "credit_code"),
    ({"credit_code": ""}, 400, "invalid", "credit_code"),  # registered needs one
    ({"credit_code": valid_code("social_group")}, 400, "invalid", "credit_code"),  # category ≠ type
    ({"region": "410902999999"}, 400, "invalid", "region"),
    ({"service_domains": ["astrology"]}, 400, "invalid", "service_domains"),
    ({"founded_on": "2999-01-01"}, 400, "invalid", "founded_on"),
    ({"individual_members": -1}, 400, "invalid", "individual_members"),
    ({"region": "410902002"}, 403, "outside_jurisdiction", "region"),
])
def test_bad_records_are_refused_with_the_field_named_and_nothing_written(change, status, code, field):
    c = cast()
    before = Organization.objects.count()
    body = assert_error(as_user(c.street).post("/api/v1/organizations/", _new(**change), format="json"),
                        status, code)
    assert field in body["fields"]
    assert Organization.objects.count() == before and not OrganizationEvent.objects.exists()


def test_a_credit_code_is_unique_across_the_registry():
    c = cast()
    code = valid_code(serial=99)
    OrganizationFactory(credit_code=code, region=region(STREET))
    body = assert_error(as_user(c.bureau).post("/api/v1/organizations/", _new(credit_code=code), format="json"),
                        409, "duplicate_credit_code")
    assert body["fields"] == {"credit_code": ["信用代码重复"]}
    assert Organization.objects.filter(credit_code=code).count() == 1


def test_lowercase_credit_codes_are_normalised():
    c = cast()
    body = as_user(c.bureau).post("/api/v1/organizations/", _new(credit_code=valid_code(serial=31).lower()),
                                  format="json").json()
    assert body["credit_code"] == valid_code(serial=31)


# --- who sees what ---------------------------------------------------------------------

FULL_ONLY = {"person_in_charge", "contact_phone", "individual_members", "tier"}


@pytest.mark.parametrize("role, full", [
    ("anonymous", False), ("resident", False), ("other_admin", False), ("other_community", False),
    ("other_street", False), ("admin", True), ("community", True), ("street", True), ("bureau", True),
])
def test_the_detail_shows_private_fields_only_to_governing_staff_and_the_own_admin(role, full):
    c = cast(person_in_charge="李四", contact_phone="13900000000")
    body = client(c, role).get(f"/api/v1/organizations/{c.org.id}/").json()
    assert body["name"] == c.org.name
    assert (set(body) >= FULL_ONLY) is full
    if not full:
        assert not FULL_ONLY & set(body)


@pytest.mark.parametrize("role", ["anonymous", "resident", "admin"])
def test_ledger_groups_are_hidden_from_the_public(role):
    c = cast(registration_status="ledger")
    if role == "admin":
        assert client(c, role).get(f"/api/v1/organizations/{c.org.id}/").status_code == 200
        return
    assert_error(client(c, role).get(f"/api/v1/organizations/{c.org.id}/"), 404)
    ids = [o["id"] for o in client(c, role).get("/api/v1/organizations/").json()["results"]]
    assert c.org.id not in ids


@pytest.mark.parametrize("role, sees_own, sees_other", [
    ("community", True, False), ("other_community", False, False), ("street", True, False),
    ("other_street", False, True), ("bureau", True, True), ("resident", True, True), ("anonymous", True, True),
])
def test_staff_list_their_jurisdiction_and_everyone_else_the_public_registry(role, sees_own, sees_other):
    c = cast()
    results = client(c, role).get("/api/v1/organizations/?page_size=100").json()["results"]
    ids = {o["id"] for o in results}
    assert (c.org.id in ids) is sees_own
    other = c.other_admin.memberships.get().organization_id
    assert (other in ids) is sees_other
    if results:
        private = any(set(o) >= FULL_ONLY for o in results)
        assert private is role.endswith(("community", "street", "bureau"))


def test_staff_listing_a_region_outside_their_jurisdiction_is_403():
    c = cast()
    assert_error(as_user(c.street).get("/api/v1/organizations/?region=410902002"), 403, "outside_jurisdiction")


def test_the_list_filters_and_keeps_its_query_count(django_assert_max_num_queries):
    c = cast(individual_members=30, registration_status="filed")
    for _ in range(15):
        OrganizationFactory(region=region(COMMUNITY), registration_status="filed", individual_members=3)
    bureau = as_user(c.bureau)
    with django_assert_max_num_queries(4):
        body = bureau.get("/api/v1/organizations/?ready_to_register=1&page_size=100").json()
    assert [o["id"] for o in body["results"]] == [c.org.id]
    assert bureau.get("/api/v1/organizations/?registration_status=filed&org_type=non_enterprise").json()["count"] == 16
    assert bureau.get("/api/v1/organizations/?registration_status=filed&org_type=social_group").json()["count"] == 0


# --- edit ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [
    ("anonymous", 401), ("resident", 403), ("other_admin", 403), ("other_community", 403), ("other_street", 403),
    ("admin", 200), ("community", 200), ("street", 200), ("bureau", 200),
])
def test_each_role_edits_the_record_only_where_allowed(role, status):
    c = cast()
    response = client(c, role).patch(f"/api/v1/organizations/{c.org.id}/", {"contact_phone": "13911112222"},
                                     format="json")
    c.org.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert c.org.contact_phone == "13911112222"
        event = c.org.events.get()
        assert event.actor == c.actor(role) and event.changes == {"contact_phone": ["", "13911112222"]}
    else:
        assert_error(response, status)
        assert c.org.contact_phone == "" and not c.org.events.exists()


def test_the_organization_admin_cannot_change_legal_fields():
    c = cast()
    body = assert_error(as_user(c.admin).patch(f"/api/v1/organizations/{c.org.id}/",
                                               {"registration_status": "filed", "name": "改名"}, format="json"),
                        403, "field_not_editable")
    assert set(body["fields"]) == {"registration_status", "name"}
    c.org.refresh_from_db()
    assert c.org.registration_status == "registered"


def test_an_edit_to_another_organizations_credit_code_is_a_conflict():
    c = cast(credit_code=valid_code(serial=5))
    other = OrganizationFactory(region=region(COMMUNITY), name="另一家", credit_code=valid_code(serial=6))
    assert_error(as_user(c.street).patch(f"/api/v1/organizations/{other.id}/", {"credit_code": valid_code(serial=5)},
                                         format="json"), 409, "duplicate_credit_code")
    other.refresh_from_db()
    assert other.credit_code == valid_code(serial=6)


def test_put_is_not_allowed():
    c = cast()
    assert_error(as_user(c.bureau).put(f"/api/v1/organizations/{c.org.id}/", {}, format="json"), 405)


# --- tier, status, inspections, history ------------------------------------------------

SENIOR = {"street": True, "bureau": True}


@pytest.mark.parametrize("role", ROLES)
def test_only_street_and_bureau_staff_change_the_tier_and_it_is_recorded(role):
    c = cast()
    response = client(c, role).post(f"/api/v1/organizations/{c.org.id}/tier/",
                                    {"tier": "street_managed", "reason": "规模扩大"}, format="json")
    c.org.refresh_from_db()
    if role in SENIOR:
        assert response.status_code == 200, response.content
        event = c.org.events.get(kind="tier_changed")
        assert (event.actor, event.reason, event.changes) == (c.actor(role), "规模扩大",
                                                              {"tier": ["civil_affairs", "street_managed"]})
    else:
        assert_error(response, 401 if role == "anonymous" else 403)
        assert c.org.tier == "civil_affairs" and not c.org.events.exists()


def test_a_tier_change_needs_a_reason_and_a_real_change():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/tier/"
    assert "reason" in assert_error(as_user(c.street).post(url, {"tier": "street_managed"}, format="json"),
                                    400)["fields"]
    assert_error(as_user(c.street).post(url, {"tier": "civil_affairs", "reason": "x"}, format="json"), 409,
                 "unchanged")
    assert not c.org.events.exists()


@pytest.mark.parametrize("role", ROLES)
def test_suspension_is_for_street_and_bureau_staff_and_notifies_the_admin(role, django_capture_on_commit_callbacks):
    c = cast()
    with django_capture_on_commit_callbacks(execute=True):
        response = client(c, role).post(f"/api/v1/organizations/{c.org.id}/status/",
                                        {"status": "suspended", "reason": "年检不合格"}, format="json")
    c.org.refresh_from_db()
    if role in SENIOR:
        assert response.status_code == 200 and c.org.status == "suspended" and c.org.status_changed_at
        assert c.admin.notifications.get().kind == "organization_status"
    else:
        assert_error(response, 401 if role == "anonymous" else 403)
        assert c.org.status == "active" and not c.admin.notifications.exists()


def test_deregistration_is_final():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/status/"
    response = as_user(c.bureau).post(url, {"status": "deregistered", "reason": "自行解散"}, format="json")
    assert response.status_code == 200
    assert_error(as_user(c.bureau).post(url, {"status": "active", "reason": "x"}, format="json"), 409,
                 "invalid_transition")
    assert_error(as_user(c.bureau).post(url, {"status": "gone", "reason": "x"}, format="json"), 400)
    c.org.refresh_from_db()
    assert c.org.status == "deregistered" and c.org.events.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_annual_inspections_are_recorded_by_street_and_bureau_staff(role):
    c = cast()
    response = client(c, role).post(f"/api/v1/organizations/{c.org.id}/inspections/",
                                    {"year": 2024, "result": "basically_qualified"}, format="json")
    if role in SENIOR:
        assert response.status_code == 201
        body = as_user(c.admin).get(f"/api/v1/organizations/{c.org.id}/").json()
        assert body["inspections"][0]["year"] == 2024 and body["inspections"][0]["result"] == "basically_qualified"
    else:
        assert_error(response, 401 if role == "anonymous" else 403)
        assert not Inspection.objects.exists()


def test_one_inspection_result_per_year_and_only_for_registered_organizations():
    c = cast()
    url = f"/api/v1/organizations/{c.org.id}/inspections/"
    assert as_user(c.bureau).post(url, {"year": 2023, "result": "qualified"}, format="json").status_code == 201
    assert_error(as_user(c.bureau).post(url, {"year": 2023, "result": "unqualified"}, format="json"), 409)
    assert_error(as_user(c.bureau).post(url, {"year": 2023, "result": "excellent"}, format="json"), 400)
    filed = OrganizationFactory(region=region(COMMUNITY), registration_status="filed")
    assert_error(as_user(c.bureau).post(f"/api/v1/organizations/{filed.id}/inspections/",
                                        {"year": 2023, "result": "qualified"}, format="json"), 400, "not_registered")
    assert Inspection.objects.count() == 1


@pytest.mark.parametrize("role, status", [
    ("anonymous", 401), ("resident", 403), ("other_admin", 403), ("other_street", 403),
    ("admin", 200), ("community", 200), ("bureau", 200),
])
def test_the_history_is_for_governing_staff_and_the_own_admin(role, status):
    c = cast()
    as_user(c.bureau).post(f"/api/v1/organizations/{c.org.id}/tier/", {"tier": "street_managed", "reason": "r"},
                           format="json")
    response = client(c, role).get(f"/api/v1/organizations/{c.org.id}/history/")
    if status == 200:
        assert response.json()["results"][0]["kind"] == "tier_changed"
    else:
        assert_error(response, status)


def test_unknown_organizations_are_404_for_every_endpoint():
    staff = StaffFactory()
    for path in ("", "history/"):
        assert_error(as_user(staff).get(f"/api/v1/organizations/999999/{path}"), 404)
    for path, body in (("tier/", {"tier": "street_managed", "reason": "r"}),
                       ("status/", {"status": "suspended", "reason": "r"}),
                       ("inspections/", {"year": 2020, "result": "qualified"})):
        assert_error(as_user(staff).post(f"/api/v1/organizations/999999/{path}", body, format="json"), 404)
