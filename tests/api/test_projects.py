from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import Membership
from projects.models import ServiceProject, Shift
from tests.conftest import assert_error
from tests.factories import (
    OrganizationFactory,
    ProjectFactory,
    ShiftFactory,
    StaffFactory,
    UserFactory,
    social_worker,
)

pytestmark = pytest.mark.django_db


def _payload(org, **extra):
    return {"organization": org.id, "title": "关爱独居老人", "description": "探访", "region": "410902001",
            "address": "京东社区", "lat": "35.76", "lng": "115.03", "skills": ["陪伴"], **extra}


def test_a_social_worker_drafts_publishes_and_adds_shifts(client_for):
    org = OrganizationFactory()
    worker = social_worker(org)
    client = client_for(worker)
    response = client.post("/api/v1/projects/", _payload(org), format="json")
    assert response.status_code == 201, response.content
    project = response.json()
    assert project["status"] == "draft" and project["owner"]["id"] == worker.id
    assert project["organization"] == {"id": org.id, "name": org.name}

    # The organization's admin reviews by default: the owner's publish submits for review.
    submitted = client.post(f"/api/v1/projects/{project['id']}/publish/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    published = client_for(admin).post(f"/api/v1/projects/{project['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert_error(client.post(f"/api/v1/projects/{project['id']}/publish/"), 409, "not_draft")

    starts = timezone.now() + timedelta(days=2)
    shift = client.post(f"/api/v1/projects/{project['id']}/shifts/", {
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(), "capacity": 10,
    }, format="json")
    assert shift.status_code == 201, shift.content
    assert shift.json()["seats_left"] == 10


def test_only_a_social_worker_of_the_organization_can_create_projects(client_for):
    org = OrganizationFactory()
    other = social_worker()  # a social worker of another organization
    assert_error(client_for(other).post("/api/v1/projects/", _payload(org), format="json"), 403,
                 "not_social_worker")
    assert_error(client_for(UserFactory()).post("/api/v1/projects/", _payload(org), format="json"), 403)
    assert not ServiceProject.objects.exists()


def test_creating_a_project_needs_a_login(api):
    org = OrganizationFactory()
    assert_error(api.post("/api/v1/projects/", _payload(org), format="json"), 401)


@pytest.mark.parametrize("change, field", [
    ({"region": "999999"}, "region"),
    ({"organization": 999999}, "organization"),
    ({"title": ""}, "title"),
    ({"lat": "123"}, "lat"),
    ({"skills": "陪伴"}, "skills"),
])
def test_project_bad_input_is_400_and_writes_nothing(client_for, change, field):
    org = OrganizationFactory()
    body = assert_error(client_for(social_worker(org)).post("/api/v1/projects/", _payload(org, **change),
                                                            format="json"), 400, "invalid")
    assert field in body["fields"]
    assert not ServiceProject.objects.exists()


def test_drafts_are_hidden_from_everyone_but_their_managers(api, client_for):
    draft = ProjectFactory(status=ServiceProject.Status.DRAFT)
    assert_error(api.get(f"/api/v1/projects/{draft.id}/"), 404)
    assert_error(client_for(UserFactory()).get(f"/api/v1/projects/{draft.id}/"), 404)
    assert client_for(draft.owner).get(f"/api/v1/projects/{draft.id}/").status_code == 200
    assert draft.id not in [p["id"] for p in api.get("/api/v1/projects/").json()["results"]]
    mine = client_for(draft.owner).get("/api/v1/projects/?mine=1").json()["results"]
    assert [p["id"] for p in mine] == [draft.id]


def test_another_social_worker_cannot_publish_or_add_shifts(client_for):
    draft = ProjectFactory(status=ServiceProject.Status.DRAFT)
    intruder = client_for(social_worker())
    assert_error(intruder.post(f"/api/v1/projects/{draft.id}/publish/"), 404)
    published = ProjectFactory()
    starts = timezone.now() + timedelta(days=1)
    assert_error(intruder.post(f"/api/v1/projects/{published.id}/shifts/", {
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(), "capacity": 3,
    }, format="json"), 403)
    assert not Shift.objects.exists()


def test_the_organization_admin_manages_its_projects(client_for):
    project = ProjectFactory(status=ServiceProject.Status.DRAFT)
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=project.organization, role=Membership.Role.ADMIN)
    assert client_for(admin).post(f"/api/v1/projects/{project.id}/publish/").status_code == 200


@pytest.mark.parametrize("starts_in, hours, capacity, field", [
    (timedelta(hours=-1), 2, 5, "starts_at"),
    (timedelta(days=1), -1, 5, "ends_at"),
    (timedelta(days=1), 30, 5, "ends_at"),
    (timedelta(days=1), 2, 0, "capacity"),
])
def test_shift_bad_input_is_400_and_writes_nothing(client_for, starts_in, hours, capacity, field):
    project = ProjectFactory()
    starts = timezone.now() + starts_in
    body = assert_error(client_for(project.owner).post(f"/api/v1/projects/{project.id}/shifts/", {
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "capacity": capacity,
    }, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert not Shift.objects.exists()


def test_project_list_filters_by_region_skill_and_distance(api):
    near = ProjectFactory(title="近", lat="35.760000", lng="115.030000", skills=["陪伴"])
    far = ProjectFactory(title="远", lat="35.900000", lng="115.300000", skills=["体力"])
    by_distance = api.get("/api/v1/projects/?near=35.761,115.031").json()["results"]
    assert [p["id"] for p in by_distance] == [near.id, far.id]
    assert [p["id"] for p in api.get("/api/v1/projects/?skill=体力").json()["results"]] == [far.id]
    assert api.get("/api/v1/projects/?region=410922").json()["count"] == 0
    assert api.get("/api/v1/projects/?region=4109").json()["count"] == 2
    assert_error(api.get("/api/v1/projects/?near=abc"), 400, "invalid")
    assert_error(api.get("/api/v1/projects/?starts_after=yesterday"), 400, "invalid")


def test_project_list_query_count_does_not_grow_with_projects(api, django_assert_max_num_queries):
    for _ in range(15):
        ShiftFactory()
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/projects/").json()["count"] == 15


def test_shift_list_shows_seats_and_my_signup(client_for, django_assert_max_num_queries):
    shift = ShiftFactory(capacity=2)
    ShiftFactory(project=shift.project, starts_at=timezone.now() + timedelta(days=3))
    me = UserFactory()
    client = client_for(me)
    assert client.post(f"/api/v1/shifts/{shift.id}/signups/").status_code == 201
    with django_assert_max_num_queries(5):  # token, project, count, page, my sign-ups
        rows = client.get(f"/api/v1/projects/{shift.project_id}/shifts/").json()["results"]
    first = next(r for r in rows if r["id"] == shift.id)
    assert first["seats_left"] == 1 and first["confirmed_count"] == 1
    assert first["my_signup"]["status"] == "confirmed"
    assert len(rows) == 2


def test_past_shifts_are_listed_only_on_request(api):
    shift = ShiftFactory()
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(days=2),
                                             ends_at=timezone.now() - timedelta(days=2, hours=-2))
    assert api.get(f"/api/v1/projects/{shift.project_id}/shifts/").json()["count"] == 0
    assert api.get(f"/api/v1/projects/{shift.project_id}/shifts/?when=past").json()["count"] == 1
    assert_error(api.get(f"/api/v1/projects/{shift.project_id}/shifts/?when=soon"), 400, "invalid")


def test_staff_roles_do_not_grant_project_management(client_for):
    project = ProjectFactory(status=ServiceProject.Status.DRAFT)
    assert_error(client_for(StaffFactory()).post(f"/api/v1/projects/{project.id}/publish/"), 404)


def test_recommendations_rank_by_closeness_then_time_and_skip_conflicts(client_for):
    from tests.factories import region

    me = UserFactory(region=region("410902001001"))  # 京东社区, 中原路街道
    now = timezone.now()
    in_street = ShiftFactory(starts_at=now + timedelta(days=3))  # project in 中原路街道
    far = ShiftFactory(starts_at=now + timedelta(days=1), project__region=region("410922"))
    later_in_street = ShiftFactory(starts_at=now + timedelta(days=4), project=in_street.project)
    full = ShiftFactory(starts_at=now + timedelta(days=2), capacity=1)
    Shift.objects.filter(id=full.id).update(confirmed_count=1)
    taken = ShiftFactory(starts_at=now + timedelta(days=5))
    clash = ShiftFactory(starts_at=taken.starts_at + timedelta(hours=1))
    client = client_for(me)
    assert client.post(f"/api/v1/shifts/{taken.id}/signups/").status_code == 201
    body = client.get("/api/v1/projects/recommended/").json()
    order = [item["shift"]["id"] for item in body["results"]]
    assert order == [in_street.id, later_in_street.id, far.id]
    assert clash.id not in order and full.id not in order and taken.id not in order
    first = body["results"][0]
    assert "在您所在的街道" in first["reasons"] and first["project"]["id"] == in_street.project_id


def test_recommendations_need_a_login(api):
    assert_error(api.get("/api/v1/projects/recommended/"), 401)
