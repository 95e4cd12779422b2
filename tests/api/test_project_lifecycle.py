"""Project fields, review before publishing, closing and cancelling."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import StaffRole
from notifications.models import Notification
from organizations.models import Membership
from projects.models import ServiceProject, Shift, Signup
from tests.conftest import assert_error
from tests.factories import (
    STREET,
    OrganizationFactory,
    ProjectFactory,
    ShiftFactory,
    StaffFactory,
    UserFactory,
    region,
    social_worker,
)

pytestmark = pytest.mark.django_db


def _payload(org, **extra):
    return {"organization": org.id, "title": "关爱独居老人", "region": "410902001", "address": "京东社区",
            **extra}


def _admin_of(org):
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    return admin


def test_a_project_carries_funding_risk_age_and_approval_settings(client_for):
    org = OrganizationFactory()
    client = client_for(social_worker(org))
    body = client.post("/api/v1/projects/", _payload(
        org, domain="elderly", targets=["elderly"], funding_source="government_purchase",
        funding_contract_ref="HLQ-2025-017", funding_amount="50000.00", risk_disclosure="入户探访须两人同行",
        accident_insurance=True, min_age=16, guardian_required_for_minors=True, requires_approval=True,
    ), format="json")
    assert body.status_code == 201, body.content
    detail = client.get(f"/api/v1/projects/{body.json()['id']}/").json()
    assert {k: detail[k] for k in ("domain", "funding_source", "funding_contract_ref", "funding_amount",
                                   "accident_insurance", "min_age", "guardian_required_for_minors",
                                   "requires_approval")} == {
        "domain": "elderly", "funding_source": "government_purchase", "funding_contract_ref": "HLQ-2025-017",
        "funding_amount": "50000.00", "accident_insurance": True, "min_age": 16,
        "guardian_required_for_minors": True, "requires_approval": True}
    assert detail["risk_disclosure"] == "入户探访须两人同行"


def test_project_defaults_are_self_funded_without_approval(client_for):
    org = OrganizationFactory()
    body = client_for(social_worker(org)).post("/api/v1/projects/", _payload(org), format="json").json()
    assert (body["funding_source"], body["requires_approval"], body["min_age"]) == ("self_funded", False, None)


@pytest.mark.parametrize("change, field", [
    ({"funding_source": "government_purchase", "funding_amount": "100"}, "funding_contract_ref"),
    ({"funding_source": "government_purchase", "funding_contract_ref": "X-1"}, "funding_amount"),
    ({"funding_source": "lottery"}, "funding_source"),
    ({"funding_amount": "-1"}, "funding_amount"),
    ({"min_age": 0}, "min_age"),
    ({"min_age": 150}, "min_age"),
    ({"domain": "astrology"}, "domain"),
    ({"requires_approval": "maybe"}, "requires_approval"),
])
def test_bad_project_fields_are_400_and_write_nothing(client_for, change, field):
    org = OrganizationFactory()
    body = assert_error(client_for(social_worker(org)).post("/api/v1/projects/", _payload(org, **change),
                                                            format="json"), 400, "invalid")
    assert field in body["fields"]
    assert not ServiceProject.objects.exists()


def test_the_database_refuses_a_government_purchase_without_a_contract():
    from django.db import IntegrityError, transaction

    project = ProjectFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceProject.objects.filter(id=project.id).update(funding_source="government_purchase")


def test_the_owner_submits_and_the_organization_admin_publishes(client_for):
    project = ProjectFactory(status=ServiceProject.Status.DRAFT, published_at=None)
    admin = _admin_of(project.organization)
    owner = client_for(project.owner)
    body = owner.post(f"/api/v1/projects/{project.id}/submit/").json()
    assert body["status"] == "submitted"
    assert Notification.objects.filter(recipient=admin, kind="project_submitted").count() == 1
    assert_error(owner.post(f"/api/v1/projects/{project.id}/publish/"), 409, "already_submitted")
    assert_error(owner.post(f"/api/v1/projects/{project.id}/reject/", {"reason": "x"}), 403, "not_reviewer")
    # The reviewer sees the submitted project; the public does not.
    assert client_for(admin).get(f"/api/v1/projects/{project.id}/").status_code == 200
    assert_error(client_for(UserFactory()).get(f"/api/v1/projects/{project.id}/"), 404)
    published = client_for(admin).post(f"/api/v1/projects/{project.id}/publish/").json()
    assert published["status"] == "published" and published["published_at"]
    assert Notification.objects.filter(recipient=project.owner, kind="project_published").count() == 1


def test_a_reviewer_sends_a_project_back_with_a_reason(client_for):
    project = ProjectFactory(status=ServiceProject.Status.SUBMITTED, published_at=None)
    admin = client_for(_admin_of(project.organization))
    assert_error(admin.post(f"/api/v1/projects/{project.id}/reject/", {}, format="json"), 400, "invalid")
    body = admin.post(f"/api/v1/projects/{project.id}/reject/", {"reason": "请补充风险告知"}, format="json").json()
    assert body["status"] == "draft" and body["review_note"] == "请补充风险告知"
    assert Notification.objects.get(recipient=project.owner, kind="project_rejected").data["reason"] == "请补充风险告知"
    assert_error(admin.post(f"/api/v1/projects/{project.id}/reject/", {"reason": "x"}, format="json"), 409,
                 "not_submitted")


@override_settings(PROJECT_REVIEWERS={"410902": "street"})
def test_where_configured_the_street_office_reviews_instead(client_for):
    project = ProjectFactory(status=ServiceProject.Status.DRAFT, published_at=None)  # in 中原路街道
    street = StaffFactory(staff_role=StaffRole.STREET, region=region(STREET))
    other_street = StaffFactory(staff_role=StaffRole.STREET, region=region("410902002"))
    admin = _admin_of(project.organization)
    # The organization admin now only submits, like the owner.
    assert client_for(admin).post(f"/api/v1/projects/{project.id}/publish/").json()["status"] == "submitted"
    assert Notification.objects.filter(kind="project_submitted", recipient=street).count() == 1
    assert not Notification.objects.filter(kind="project_submitted", recipient=other_street).exists()
    assert_error(client_for(other_street).post(f"/api/v1/projects/{project.id}/publish/"), 404)
    assert client_for(street).post(f"/api/v1/projects/{project.id}/publish/").json()["status"] == "published"


def test_lifecycle_endpoints_need_a_login_and_the_right_person(api, client_for):
    project = ProjectFactory(status=ServiceProject.Status.DRAFT, published_at=None)
    for action in ("submit", "publish", "close", "cancel", "reject"):
        assert_error(api.post(f"/api/v1/projects/{project.id}/{action}/"), 401)
        assert_error(client_for(social_worker()).post(f"/api/v1/projects/{project.id}/{action}/",
                                                      {"reason": "x"}, format="json"), 404)
        assert_error(client_for(project.owner).get(f"/api/v1/projects/{project.id}/{action}/"), 405)
    project.refresh_from_db()
    assert project.status == "draft"


def test_closing_keeps_sign_ups_and_stops_new_ones(client_for):
    shift = ShiftFactory()
    seat = client_for(UserFactory()).post(f"/api/v1/shifts/{shift.id}/signups/").json()
    owner = client_for(shift.project.owner)
    assert owner.post(f"/api/v1/projects/{shift.project_id}/close/").json()["status"] == "closed"
    assert Signup.objects.get(id=seat["id"]).status == "confirmed"
    assert_error(client_for(UserFactory()).post(f"/api/v1/shifts/{shift.id}/signups/"), 409, "project_not_published")
    assert_error(owner.post(f"/api/v1/projects/{shift.project_id}/close/"), 409, "not_published")
    assert_error(owner.post(f"/api/v1/projects/{shift.project_id}/cancel/", {"reason": "x"}, format="json"),
                 409, "not_cancellable")


def test_cancelling_a_project_cancels_every_upcoming_sign_up_and_tells_each_volunteer(client_for):
    shift = ShiftFactory(capacity=1)
    later = ShiftFactory(project=shift.project, starts_at=shift.starts_at + timedelta(days=2))
    past = ShiftFactory(project=shift.project)
    volunteers = [UserFactory() for _ in range(3)]
    for v in volunteers[:2]:
        client_for(v).post(f"/api/v1/shifts/{shift.id}/signups/")  # confirmed, waitlisted
    client_for(volunteers[0]).post(f"/api/v1/shifts/{later.id}/signups/")
    kept = client_for(volunteers[2]).post(f"/api/v1/shifts/{past.id}/signups/").json()
    Shift.objects.filter(id=past.id).update(starts_at=timezone.now() - timedelta(hours=1))
    owner = client_for(shift.project.owner)
    assert_error(owner.post(f"/api/v1/projects/{shift.project_id}/cancel/", {}, format="json"), 400, "invalid")
    body = owner.post(f"/api/v1/projects/{shift.project_id}/cancel/", {"reason": "场地临时关闭"}, format="json")
    assert body.status_code == 200 and body.json()["status"] == "cancelled"
    assert set(Signup.objects.exclude(id=kept["id"]).values_list("status", flat=True)) == {"cancelled"}
    assert Signup.objects.get(id=kept["id"]).status == "confirmed"  # a started shift keeps its roster
    notes = Notification.objects.filter(kind="project_cancelled")
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(v.id for v in volunteers[:2])
    assert len(notes.get(recipient=volunteers[0]).data["signup_ids"]) == 2
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (0, 0)
    assert_error(owner.post(f"/api/v1/projects/{shift.project_id}/shifts/", {
        "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "ends_at": (timezone.now() + timedelta(days=1, hours=1)).isoformat(), "capacity": 2}, format="json"),
        400, "invalid")
