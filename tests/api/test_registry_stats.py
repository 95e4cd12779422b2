"""Registry statistics, coverage per community, and the city-scale demo figures."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Region, StaffRole
from organizations.models import Organization
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, STREET, OrganizationFactory, StaffFactory, UserFactory, region

pytestmark = pytest.mark.django_db

URBAN = "410902001001"  # 京东社区居民委员会


def _rural() -> Region:
    return Region.objects.filter(level=Region.Level.COMMUNITY, is_urban=False).order_by("code").first()


def _community_orgs(code: str, n: int, **extra) -> None:
    for _ in range(n):
        OrganizationFactory(region=region(code), is_community=True, registration_status="filed", **extra)


def test_stats_keep_the_original_keys_and_add_registered_level_and_community_breakdowns():
    OrganizationFactory(org_type="social_group", authority_level="city")
    OrganizationFactory(org_type="non_enterprise", is_community=True, region=region(COMMUNITY))
    OrganizationFactory(org_type="social_group", registration_status="filed", is_community=True,
                        region=region(COMMUNITY), individual_members=20)
    OrganizationFactory(org_type="social_group", registration_status="ledger", is_community=True)
    OrganizationFactory(status="deregistered")
    body = as_user(StaffFactory()).get("/api/v1/organizations/stats/?region=410902").json()
    assert {"region", "total", "community", "filed", "by_type"} <= set(body)
    assert (body["total"], body["community"], body["filed"], body["ledger"]) == (4, 3, 1, 1)
    assert body["registered"] == 2 and body["registered_by_type"] == {"social_group": 1, "non_enterprise": 1}
    assert body["by_authority"]["city"] == {"total": 1, "by_type": {"social_group": 1}}
    assert body["community_registered"] == {"total": 1, "by_type": {"non_enterprise": 1}}
    assert body["community_filed"] == 1 and body["ready_to_register"] == 1 and body["deregistered"] == 1


def test_coverage_counts_community_organizations_against_urban_and_rural_targets():
    rural = _rural()
    _community_orgs(URBAN, 10)
    _community_orgs("410902001002", 9)
    _community_orgs(rural.code, 5)
    OrganizationFactory(region=region(URBAN), is_community=False)  # not a community organization
    bureau = as_user(StaffFactory())
    street = bureau.get(f"/api/v1/organizations/stats/?region={STREET}").json()["coverage"]
    assert (street["target_urban"], street["target_rural"]) == (10, 5)
    rows = {row["code"]: row for row in street["by_community"]}
    assert rows[URBAN] == {"code": URBAN, "name": "京东社区居民委员会", "is_urban": True, "organizations": 10,
                           "target": 10, "met": True}
    assert rows["410902001002"]["met"] is False and rows["410902001002"]["organizations"] == 9
    assert street["covered"] == 1 and street["communities"] == len(rows)
    city = bureau.get("/api/v1/organizations/stats/").json()["coverage"]
    assert city["covered"] == 2 and city["rural"]["covered"] == 1 and city["by_community"] == []
    district = next(row for row in city["by_child"] if row["code"] == rural.code[:6])
    assert district["covered"] == 2 and district["organizations"] == 24  # 华龙区 holds all three


def test_coverage_targets_are_configurable(settings):
    settings.ORGANIZATIONS = {"COVERAGE_TARGET_URBAN": 2}
    _community_orgs(URBAN, 2)
    body = as_user(StaffFactory()).get(f"/api/v1/organizations/stats/?region={COMMUNITY}").json()["coverage"]
    assert body["target_urban"] == 2 and body["covered"] == 1 and body["rate"] == 1.0


def test_the_query_count_does_not_grow_with_the_number_of_communities(django_assert_num_queries):
    _community_orgs(URBAN, 3)
    bureau = as_user(StaffFactory())
    bureau.get("/api/v1/organizations/stats/")  # warm the token
    with django_assert_num_queries(7) as street:
        bureau.get(f"/api/v1/organizations/stats/?region={STREET}")
    with django_assert_num_queries(len(street.captured_queries)):
        bureau.get("/api/v1/organizations/stats/?region=4109")


@pytest.mark.parametrize("role, code, status", [
    (StaffRole.COMMUNITY, COMMUNITY, 200), (StaffRole.COMMUNITY, STREET, 403), (StaffRole.STREET, STREET, 200),
    (StaffRole.STREET, "410902002", 403), (StaffRole.BUREAU, "410902002", 200), (StaffRole.BUREAU, "9999", 403),
])
def test_stats_are_for_staff_inside_their_jurisdiction(role, code, status):
    staff = StaffFactory(staff_role=role, region=region({StaffRole.COMMUNITY: COMMUNITY, StaffRole.STREET: STREET,
                                                         StaffRole.BUREAU: "4109"}[role]))
    response = as_user(staff).get(f"/api/v1/organizations/stats/?region={code}")
    if status == 200:
        assert response.json()["region"]["code"] == code
    else:
        assert_error(response, status)


def test_residents_and_anonymous_users_get_no_stats(api):
    assert_error(api.get("/api/v1/organizations/stats/"), 401)
    assert_error(as_user(UserFactory()).get("/api/v1/organizations/stats/"), 403)
    assert_error(as_user(StaffFactory()).post("/api/v1/organizations/stats/", {}), 405)


FIGURES = {
    "registered": 2024,
    "registered_by_type": {"social_group": 534, "non_enterprise": 1489, "foundation": 1},
    "city_level": {"total": 473, "by_type": {"social_group": 252, "non_enterprise": 220, "foundation": 1}},
    "community_registered": {"total": 82 + 913, "by_type": {"social_group": 82, "non_enterprise": 913}},
    "community_filed": 16663,
}


def _assert_figures(body: dict) -> None:
    assert body["registered"] == FIGURES["registered"]
    assert body["registered_by_type"] == FIGURES["registered_by_type"]
    assert body["by_authority"]["city"] == FIGURES["city_level"]
    assert body["community_registered"] == FIGURES["community_registered"]
    assert body["community_filed"] == body["filed"] == 16663
    assert body["community"] == 82 + 913 + 16663 and body["total"] == 2024 + 16663
    assert body["by_type"]["social_group"]["registered"] == {"city": 252, "county": 282}
    assert body["by_type"]["non_enterprise"]["registered"] == {"city": 220, "county": 1269}
    assert body["by_type"]["foundation"] == {"registered": {"city": 1}}


def test_the_city_scale_demo_reproduces_the_source_figures_exactly_and_idempotently():
    call_command("seed_demo", scale="city", volunteers=2, stdout=StringIO())
    bureau = as_user(StaffFactory(staff_role=StaffRole.BUREAU, region=region("4109")))
    _assert_figures(bureau.get("/api/v1/organizations/stats/?region=4109").json())
    ids = set(Organization.objects.values_list("id", flat=True))
    call_command("seed_demo", scale="city", volunteers=5, stdout=StringIO())
    _assert_figures(bureau.get("/api/v1/organizations/stats/").json())
    assert set(Organization.objects.values_list("id", flat=True)) == ids  # nothing duplicated or replaced
    # Someone registers one more 民非 by hand: the next seed still lands on the figures.
    OrganizationFactory(org_type="non_enterprise", region=region("410902"))
    call_command("seed_demo", scale="city", volunteers=0, stdout=StringIO())
    _assert_figures(bureau.get("/api/v1/organizations/stats/").json())
    assert Organization.objects.filter(credit_code__isnull=False).count() == 2024 - 1  # the hand-made has none


def test_the_small_demo_keeps_its_eight_organizations():
    call_command("seed_demo", volunteers=0, stdout=StringIO())
    assert Organization.objects.count() == 8
    assert not Organization.objects.filter(registration_status="ledger").exists()


def test_the_city_scale_filed_organizations_are_spread_over_types_within_the_total():
    call_command("seed_demo", scale="city", volunteers=0, stdout=StringIO())
    body = as_user(StaffFactory(staff_role=StaffRole.BUREAU, region=region("4109"))).get(
        "/api/v1/organizations/stats/").json()
    filed = {kind: cells.get("filed", {}).get("county", 0) for kind, cells in body["by_type"].items()}
    assert filed["social_group"] + filed["non_enterprise"] == 16663
    assert 0 < filed["non_enterprise"] < filed["social_group"]
    assert "filed" not in body["by_type"]["foundation"]
    # Filed groups do not all share one management tier: the small ones are community-guided.
    tiers = set(Organization.objects.filter(registration_status="filed").values_list("tier", flat=True))
    assert tiers == {"street_managed", "community_guided"}
