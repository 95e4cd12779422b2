"""GET /api/v1/projects/?review=1: the submitted projects waiting for the current user."""

import pytest

from accounts.models import StaffRole
from organizations.models import Membership
from projects.models import ServiceProject
from projects.selectors import is_project_reviewer, project_review_queue
from tests.factories import (
    COMMUNITY,
    OTHER_STREET,
    STREET,
    OrganizationFactory,
    ProjectFactory,
    StaffFactory,
    UserFactory,
    region,
)

pytestmark = pytest.mark.django_db

SUBMITTED = {"status": ServiceProject.Status.SUBMITTED, "published_at": None}


def _admin_of(org):
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    return admin


def _queue_ids(client) -> list[int]:
    response = client.get("/api/v1/projects/?review=1")
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["results"]]


@pytest.mark.parametrize("rules", [
    {"410902": "street"},
    # A longer prefix wins: 胜利路街道 goes back to its organizations' admins.
    {"410902": "street", OTHER_STREET: "org_admin"},
])
def test_the_queue_is_exactly_the_projects_is_project_reviewer_allows(settings, client_for, rules):
    settings.PROJECT_REVIEWERS = rules
    org, other_org = OrganizationFactory(), OrganizationFactory()
    projects = [
        ProjectFactory(organization=org, region=region(STREET), **SUBMITTED),
        ProjectFactory(organization=org, region=region(COMMUNITY), **SUBMITTED),
        ProjectFactory(organization=org, region=region(OTHER_STREET), **SUBMITTED),
        ProjectFactory(organization=org, region=region("410922"), **SUBMITTED),  # another district
        ProjectFactory(organization=other_org, region=region("410922"), **SUBMITTED),
        ProjectFactory(organization=other_org, region=region(STREET), **SUBMITTED),
        # Not waiting for review: never in anyone's queue.
        ProjectFactory(organization=org, region=region(STREET)),
        ProjectFactory(organization=org, region=region("410922"), status=ServiceProject.Status.DRAFT,
                       published_at=None),
    ]
    users = {
        "org_admin": _admin_of(org),
        "street_staff": StaffFactory(staff_role=StaffRole.STREET, region=region(STREET)),
        "other_street_staff": StaffFactory(staff_role=StaffRole.STREET, region=region(OTHER_STREET)),
        "community_staff": StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY)),
        "volunteer": UserFactory(),
        "owner": projects[0].owner,
    }
    seen = {}
    for name, user in users.items():
        expected = {p.id for p in projects
                    if p.status == ServiceProject.Status.SUBMITTED and is_project_reviewer(user=user, project=p)}
        assert {p.id for p in project_review_queue(user=user)} == expected, name
        assert set(_queue_ids(client_for(user))) == expected, name
        seen[name] = expected
    # Guard against a vacuous comparison: the rules do split the projects between reviewers.
    by_id = {p.id: i for i, p in enumerate(projects)}
    assert sorted(by_id[i] for i in seen["street_staff"]) == [0, 1, 5]
    assert sorted(by_id[i] for i in seen["org_admin"]) == ([3] if len(rules) == 1 else [2, 3])
    assert sorted(by_id[i] for i in seen["other_street_staff"]) == ([2] if len(rules) == 1 else [])
    assert seen["community_staff"] == seen["volunteer"] == seen["owner"] == set()


def test_without_street_rules_org_admins_review_everything_of_their_organizations(settings, client_for):
    settings.PROJECT_REVIEWERS = {}
    org = OrganizationFactory()
    mine = [ProjectFactory(organization=org, region=region(r), **SUBMITTED) for r in (STREET, "410922")]
    ProjectFactory(**SUBMITTED)  # another organization's
    street = StaffFactory(staff_role=StaffRole.STREET, region=region(STREET))
    assert _queue_ids(client_for(_admin_of(org))) == [p.id for p in mine]  # oldest submission first
    assert _queue_ids(client_for(street)) == []


def test_anonymous_gets_an_empty_queue_not_an_error(api):
    ProjectFactory(**SUBMITTED)
    response = api.get("/api/v1/projects/?review=1")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_queue_leaves_after_publishing_or_sending_back(client_for):
    org = OrganizationFactory()
    admin = client_for(_admin_of(org))
    first, second = (ProjectFactory(organization=org, **SUBMITTED) for _ in range(2))
    assert _queue_ids(admin) == [first.id, second.id]
    assert admin.post(f"/api/v1/projects/{first.id}/publish/").status_code == 200
    assert admin.post(f"/api/v1/projects/{second.id}/reject/", {"reason": "请补充"}, format="json").status_code == 200
    assert _queue_ids(admin) == []


@pytest.mark.parametrize("n", [1, 5])
def test_the_queue_query_count_does_not_grow_with_projects(settings, client_for, django_assert_max_num_queries, n):
    settings.PROJECT_REVIEWERS = {"410902": "street"}
    street = StaffFactory(staff_role=StaffRole.STREET, region=region(STREET))
    for _ in range(n):
        ProjectFactory(**SUBMITTED)
    client = client_for(street)
    with django_assert_max_num_queries(3):  # token, count, page
        ids = _queue_ids(client)
    assert len(ids) == n
