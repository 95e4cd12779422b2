import pytest

from accounts.models import StaffRole
from organizations.models import Membership, Organization
from tests.conftest import assert_error
from tests.factories import COMMUNITY, STREET, OrganizationFactory, StaffFactory, UserFactory, region

pytestmark = pytest.mark.django_db


def _new(region_code=STREET, **extra):
    return {"name": "新成立的互助会", "org_type": "social_group", "registration_status": "filed",
            "region": region_code, "is_community": True, **extra}


def test_anyone_reads_the_public_registry(api):
    org = OrganizationFactory()
    assert api.get("/api/v1/organizations/").json()["results"][0]["id"] == org.id
    assert api.get(f"/api/v1/organizations/{org.id}/").json()["name"] == org.name
    assert_error(api.get("/api/v1/organizations/999999/"), 404)


@pytest.mark.parametrize("role, home, target, allowed", [
    (StaffRole.BUREAU, "4109", STREET, True),
    (StaffRole.STREET, STREET, COMMUNITY, True),
    (StaffRole.STREET, STREET, "410902002", False),
    (StaffRole.COMMUNITY, COMMUNITY, COMMUNITY, True),
    (StaffRole.COMMUNITY, COMMUNITY, STREET, False),
])
def test_staff_add_organizations_only_inside_their_jurisdiction(client_for, role, home, target, allowed):
    staff = StaffFactory(staff_role=role, region=region(home))
    response = client_for(staff).post("/api/v1/organizations/", _new(target), format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert_error(response, 403, "outside_jurisdiction")
        assert not Organization.objects.exists()


def test_residents_cannot_add_organizations(api, client_for):
    assert_error(client_for(UserFactory()).post("/api/v1/organizations/", _new(), format="json"), 403)
    assert_error(api.post("/api/v1/organizations/", _new(), format="json"), 401)
    assert not Organization.objects.exists()


@pytest.mark.parametrize("change, field", [
    ({"region": "000000"}, "region"), ({"org_type": "company"}, "org_type"), ({"name": ""}, "name"),
])
def test_organization_bad_input_is_400(client_for, change, field):
    body = assert_error(client_for(StaffFactory()).post("/api/v1/organizations/", _new(**change), format="json"),
                        400, "invalid")
    assert field in body["fields"]
    assert not Organization.objects.exists()


def test_a_duplicate_name_in_a_region_is_a_conflict(client_for):
    client = client_for(StaffFactory())
    assert client.post("/api/v1/organizations/", _new(), format="json").status_code == 201
    assert_error(client.post("/api/v1/organizations/", _new(), format="json"), 409, "duplicate_name")
    assert Organization.objects.count() == 1


def test_the_organization_admin_edits_their_own_record_only(client_for):
    org, other = OrganizationFactory(), OrganizationFactory()
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    client = client_for(admin)
    assert client.patch(f"/api/v1/organizations/{org.id}/", {"description": "新简介"},
                        format="json").json()["description"] == "新简介"
    assert_error(client.patch(f"/api/v1/organizations/{other.id}/", {"description": "x"}, format="json"), 403)
    other.refresh_from_db()
    assert other.description == ""


def test_stats_count_by_type_registration_and_level_inside_the_asked_region(client_for):
    OrganizationFactory(org_type="social_group", registration_status="registered", authority_level="city")
    OrganizationFactory(org_type="social_group", registration_status="filed", is_community=True)
    OrganizationFactory(org_type="foundation", registration_status="registered", region=region("410922"))
    body = client_for(StaffFactory()).get("/api/v1/organizations/stats/?region=410902").json()
    assert body["total"] == 2 and body["community"] == 1 and body["filed"] == 1
    assert body["by_type"] == {"social_group": {"registered": {"city": 1}, "filed": {"county": 1}}}
    city = client_for(StaffFactory()).get("/api/v1/organizations/stats/").json()
    assert city["region"]["code"] == "4109" and city["total"] == 3


def test_stats_outside_ones_jurisdiction_are_403(client_for):
    street = StaffFactory(staff_role=StaffRole.STREET, region=region(STREET))
    assert_error(client_for(street).get("/api/v1/organizations/stats/?region=410902002"), 403,
                 "outside_jurisdiction")
    assert_error(client_for(UserFactory()).get("/api/v1/organizations/stats/"), 403)


def test_a_ledger_group_is_not_revealed_to_outsiders_by_write_endpoints(client_for):
    ledger = OrganizationFactory(registration_status="ledger")
    outsider = client_for(UserFactory())
    assert_error(outsider.patch(f"/api/v1/organizations/{ledger.id}/", {"description": "x"}, format="json"), 404)
    public = OrganizationFactory()
    assert_error(outsider.patch(f"/api/v1/organizations/{public.id}/", {"description": "x"}, format="json"), 403)
