"""The bureau dashboard: access per role, figures from the rollups equal to the raw
tables, rollups kept by the finalization hook (idempotent, corrections subtract),
query counts that do not grow with the regions shown, exports that open."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import StaffRole
from dashboard import rollups, selectors
from dashboard.models import RecordFact, RegionPeriod
from dashboard.periods import Period
from dashboard.tasks import rollup_apply
from projects.models import Signup
from tests.conftest import assert_error
from tests.factories import (
    COMMUNITY,
    OTHER_STREET,
    STREET,
    OrganizationFactory,
    ProjectFactory,
    ShiftFactory,
    StaffFactory,
    UserFactory,
    region,
    social_worker,
)
from volunteers.models import ServiceRecord, VolunteerProfile

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboard/participation/"
SECOND_COMMUNITY = "410902001002"  # 玉北社区, same street


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def final_record(*, volunteer, project, day: date, hours: str, status="approved", final=True) -> ServiceRecord:
    """A record as the review flow leaves it (approved, past its notice)."""
    shift = ShiftFactory(project=project, starts_at=at(day), ends_at=at(day) + timedelta(hours=4), capacity=10)
    now = timezone.now()
    return ServiceRecord.objects.create(
        volunteer=volunteer, shift=shift, project=project, organization=project.organization,
        started_at=shift.starts_at, ended_at=shift.starts_at + timedelta(hours=float(hours)),
        hours=Decimal(hours), status=status, reviewed_by=project.owner, reviewed_at=now,
        notice_ends_at=now if status == "approved" else None, finalized_at=now if final else None)


def staff(role: str, code: str):
    return StaffFactory(staff_role=role, region=region(code))


@pytest.fixture
def city_data():
    """Records in two communities of one street and in another street, across two years,
    one volunteer active in both communities; one record pending, one rejected."""
    org = OrganizationFactory(region=region(STREET))
    other_org = OrganizationFactory(region=region(OTHER_STREET))
    p1 = ProjectFactory(organization=org, region=region(COMMUNITY))
    p2 = ProjectFactory(organization=org, region=region(SECOND_COMMUNITY))
    p3 = ProjectFactory(organization=other_org, region=region(OTHER_STREET))
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    for user, home in ((a, COMMUNITY), (b, SECOND_COMMUNITY), (c, OTHER_STREET)):
        VolunteerProfile.objects.create(volunteer=user, home_region=region(home))
    records = [
        final_record(volunteer=a, project=p1, day=date(2026, 3, 5), hours="2.50"),
        final_record(volunteer=a, project=p2, day=date(2026, 3, 20), hours="3.00"),
        final_record(volunteer=a, project=p1, day=date(2026, 7, 1), hours="1.25"),
        final_record(volunteer=b, project=p2, day=date(2026, 5, 31), hours="4.00"),
        final_record(volunteer=c, project=p3, day=date(2026, 3, 6), hours="2.00"),
        final_record(volunteer=c, project=p3, day=date(2025, 12, 31), hours="5.00"),
        final_record(volunteer=b, project=p1, day=date(2026, 4, 2), hours="9.00", final=False),  # on notice
        final_record(volunteer=c, project=p1, day=date(2026, 4, 3), hours="7.00", status="rejected", final=False),
    ]
    rollups.facts_apply(record_ids=[r.id for r in records])
    rollups.volunteers_refresh()
    for year in (2025, 2026):
        rollups.schedule_refresh(year=year)
    return {"records": records, "projects": (p1, p2, p3), "volunteers": (a, b, c), "orgs": (org, other_org)}


# --- access --------------------------------------------------------------------------------

def test_anonymous_is_refused(api):
    assert_error(api.get(URL), 401)


def test_volunteers_and_social_workers_are_refused(client_for):
    assert_error(client_for(UserFactory()).get(URL), 403)
    assert_error(client_for(social_worker()).get(URL), 403)


@pytest.mark.parametrize(("role", "own", "allowed", "refused"), [
    (StaffRole.BUREAU, "4109", ["4109", "410902", STREET, COMMUNITY, OTHER_STREET], []),
    (StaffRole.STREET, STREET, [STREET, COMMUNITY, SECOND_COMMUNITY], ["4109", "410902", OTHER_STREET]),
    (StaffRole.COMMUNITY, COMMUNITY, [COMMUNITY], ["4109", STREET, SECOND_COMMUNITY]),
])
def test_each_role_sees_its_own_area_and_nothing_outside(client_for, role, own, allowed, refused):
    client = client_for(staff(role, own))
    default = client.get(URL)
    assert default.status_code == 200 and default.json()["region"]["code"] == own
    for code in allowed:
        for path in ("participation", "trends", "top", "registry", "live", "export", "report"):
            response = client.get(f"/api/v1/dashboard/{path}/", {"region": code})
            assert response.status_code == 200, (path, code, response.content)
    for code in refused:
        for path in ("participation", "trends", "top", "registry", "live", "export", "report"):
            assert_error(client.get(f"/api/v1/dashboard/{path}/", {"region": code}), 403, "outside_jurisdiction")


@pytest.mark.parametrize("params", [
    {"from": "2026-05-01", "to": "2026-04-01"},
    {"from": "not-a-date"},
    {"from": "2015-01-01", "to": "2026-01-01"},
    {"source": "guess"},
    {"region": "x" * 40},
])
def test_bad_input_is_a_400_with_the_error_shape(client_for, params):
    assert_error(client_for(StaffFactory()).get(URL, params), 400)


def test_unknown_region_and_bad_chart_or_month(client_for):
    client = client_for(StaffFactory())
    assert_error(client.get(URL, {"region": "4109999"}), 403, "outside_jurisdiction")
    assert_error(client.get("/api/v1/dashboard/export/", {"chart": "nope"}), 400)
    assert_error(client.get("/api/v1/dashboard/report/", {"month": "2026-13"}), 400)


def test_writes_are_not_allowed(client_for):
    client = client_for(StaffFactory())
    for path in ("participation", "trends", "export", "live"):
        assert_error(client.post(f"/api/v1/dashboard/{path}/", {}), 405)


# --- figures ---------------------------------------------------------------------------------

def test_city_figures_for_a_year_and_the_children_side_by_side(client_for, city_data):
    body = client_for(StaffFactory()).get(URL, {"from": "2026-01-01", "to": "2026-12-31"}).json()
    assert body["source"] == "rollup" and body["period"]["kind"] == "y"
    # Final hours only: the record on notice and the rejected one do not count.
    assert body["approved_hours"] == 12.75 and body["records"] == 5
    assert body["active_volunteers"] == 3  # a served in two communities: counted once
    assert body["volunteers"] == 3
    assert body["hours_per_capita"] == 4.25
    assert body["benchmark_hours_per_year"] == 25.0 and body["benchmark_met"] is False
    district = {c["code"]: c for c in body["by_child_region"]}["410902"]
    assert district["approved_hours"] == 12.75 and district["active_volunteers"] == 3


def test_street_children_are_communities_and_volunteers_count_once_per_region(client_for, city_data):
    client = client_for(staff(StaffRole.STREET, STREET))
    body = client.get(URL, {"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["period"]["kind"] == "m"
    assert body["approved_hours"] == 5.5 and body["active_volunteers"] == 1
    children = {c["code"]: c for c in body["by_child_region"]}
    assert children[COMMUNITY]["approved_hours"] == 2.5 and children[COMMUNITY]["active_volunteers"] == 1
    assert children[SECOND_COMMUNITY]["approved_hours"] == 3.0
    # Registered counts volunteers who had registered by the end of the period: these
    # joined today, after March.
    assert children[SECOND_COMMUNITY]["volunteers"] == 0
    year = client.get(URL, {"from": f"{date.today().year}-01-01", "to": f"{date.today().year}-12-31"}).json()
    assert {c["code"]: c["volunteers"] for c in year["by_child_region"]}[SECOND_COMMUNITY] == 1


@pytest.mark.parametrize(("first", "last"), [
    ("2026-01-01", "2026-12-31"), ("2026-03-01", "2026-03-31"), ("2026-01-01", "2026-03-31"),
    ("2026-02-01", "2026-06-30"),  # whole months, not a calendar period
    ("2026-03-06", "2026-05-31"),  # not whole months: the ledger
    ("2025-12-15", "2026-03-05"),
])
@pytest.mark.parametrize("code", ["4109", STREET, COMMUNITY, OTHER_STREET])
def test_rollup_figures_equal_the_raw_tables_exactly(city_data, first, last, code):
    period = Period(date.fromisoformat(first), date.fromisoformat(last))
    rolled = selectors.participation(region=region(code), period=period)
    raw = selectors.participation(region=region(code), period=period, source="raw")
    rolled.pop("source"), raw.pop("source")
    assert rolled == raw
    assert rollups.rollups_compare() == []


def test_the_finalization_hook_keeps_the_rollups_and_a_correction_subtracts(client_for, city_data,
                                                                             django_capture_on_commit_callbacks):
    p1 = city_data["projects"][0]
    volunteer = UserFactory()
    record = final_record(volunteer=volunteer, project=p1, day=date(2026, 8, 3), hours="3.00", final=False)
    ServiceRecord.objects.filter(id=record.id).update(status="pending", reviewed_by=None, reviewed_at=None,
                                                       notice_ends_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(p1.owner).post(f"/api/v1/service-records/{record.id}/approve/").status_code == 200
    aug = RegionPeriod.objects.get(region_code=COMMUNITY, kind="m", start=date(2026, 8, 1))
    assert (aug.hours, aug.records, aug.volunteers) == (Decimal("3.00"), 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(p1.owner).post(f"/api/v1/service-records/{record.id}/amend/",
                                             {"hours": "1.50", "reason": "签退时间有误"}, format="json")
    assert response.status_code in (200, 201), response.content
    aug.refresh_from_db()
    assert (aug.hours, aug.records, aug.volunteers) == (Decimal("1.50"), 1, 1)
    assert not RecordFact.objects.filter(record_id=record.id).exists()
    assert rollups.rollups_compare() == []


def test_replaying_the_task_changes_nothing(city_data):
    ids = [r.id for r in city_data["records"]]
    before = sorted(RegionPeriod.objects.values_list("region_code", "kind", "start", "hours", "records",
                                                     "volunteers"))
    assert rollup_apply(ids) == 0
    rollup_apply.delay(ids)
    after = sorted(RegionPeriod.objects.values_list("region_code", "kind", "start", "hours", "records",
                                                    "volunteers"))
    assert before == after


def test_a_volunteer_leaves_the_active_count_only_when_no_record_remains(city_data):
    a = city_data["volunteers"][0]
    march = [r for r in city_data["records"] if r.volunteer_id == a.id and r.started_at.month == 3]
    ServiceRecord.objects.filter(id=march[0].id).update(status="superseded")
    rollups.facts_apply(record_ids=[march[0].id])
    street = RegionPeriod.objects.get(region_code=STREET, kind="m", start=date(2026, 3, 1))
    assert street.volunteers == 1  # still active through the other community
    ServiceRecord.objects.filter(id=march[1].id).update(status="superseded")
    rollups.facts_apply(record_ids=[march[1].id])
    street.refresh_from_db()
    assert (street.volunteers, street.records, street.hours) == (0, 0, Decimal("0.00"))
    assert rollups.rollups_compare() == []


def test_rebuild_gives_the_same_rollups_as_the_incremental_path(city_data):
    incremental = sorted(RegionPeriod.objects.values_list("region_code", "kind", "start", "hours", "records",
                                                          "volunteers"))
    rollups.rollups_rebuild()
    rebuilt = sorted(RegionPeriod.objects.filter(records__gt=0).values_list(
        "region_code", "kind", "start", "hours", "records", "volunteers"))
    assert [row for row in incremental if row[4]] == rebuilt


def test_sweep_applies_what_a_lost_task_missed(city_data):
    from dashboard.tasks import rollup_sweep

    p1 = city_data["projects"][0]
    lost = final_record(volunteer=UserFactory(), project=p1, day=date(2026, 9, 9), hours="2.00")
    assert rollup_sweep() == 1
    assert RecordFact.objects.filter(record_id=lost.id).exists()
    assert rollup_sweep() == 0


def test_schedule_figures_seats_fill_and_no_shows(client_for):
    project = ProjectFactory(region=region(COMMUNITY))
    day = timezone.localdate() - timedelta(days=3)
    shift = ShiftFactory(project=project, starts_at=at(day), ends_at=at(day) + timedelta(hours=2), capacity=4)
    for i in range(3):
        Signup.objects.create(shift=shift, volunteer=UserFactory(), status="confirmed",
                              no_show_at=timezone.now() if i == 0 else None)
    shift.confirmed_count = 3
    shift.save(update_fields=["confirmed_count"])
    rollups.schedule_refresh(year=day.year)
    first = day.replace(day=1)
    params = {"region": STREET, "from": first.isoformat(),
              "to": (date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)).isoformat()}
    body = client_for(StaffFactory()).get(URL, params).json()
    assert (body["shifts"], body["seats_offered"], body["seats_filled"]) == (1, 4, 3)
    assert body["fill_rate"] == 0.75 and body["no_show_rate"] == round(1 / 3, 4)
    raw = client_for(StaffFactory()).get(URL, {**params, "source": "raw"}).json()
    assert {k: raw[k] for k in ("shifts", "seats_offered", "seats_filled", "no_shows", "projects")} == {
        k: body[k] for k in ("shifts", "seats_offered", "seats_filled", "no_shows", "projects")}


def test_star_levels_and_registrations(client_for, city_data, settings):
    from volunteers.services import volunteer_standing_refresh

    for volunteer in city_data["volunteers"]:
        volunteer_standing_refresh(volunteer_id=volunteer.id)
    rollups.volunteers_refresh()
    body = client_for(StaffFactory()).get(URL).json()
    assert sum(s["volunteers"] for s in body["star_levels"]) == 3
    assert [s["level"] for s in body["star_levels"]] == list(range(len(settings.VOLUNTEER_STAR_THRESHOLDS) + 1))


def test_trends_and_most_active(client_for, city_data):
    client = client_for(StaffFactory())
    months = client.get("/api/v1/dashboard/trends/", {"from": "2026-01-01", "to": "2026-12-31"}).json()["months"]
    assert len(months) == 12
    assert {m["month"]: m["approved_hours"] for m in months}["2026-03"] == 7.5
    top = client.get("/api/v1/dashboard/top/", {"from": "2026-01-01", "to": "2026-12-31"}).json()
    org, other = city_data["orgs"]
    assert [o["id"] for o in top["organizations"]] == [org.id, other.id]
    assert top["organizations"][0]["approved_hours"] == 10.75
    assert top["projects"][0]["approved_hours"] == 7.0  # p2: 3 + 4
    street_top = client.get("/api/v1/dashboard/top/", {"region": OTHER_STREET, "from": "2026-01-01",
                                                      "to": "2026-12-31"}).json()
    assert [o["id"] for o in street_top["organizations"]] == [other.id]
    custom = client.get("/api/v1/dashboard/top/", {"from": "2026-03-06", "to": "2026-05-31"}).json()
    # 6 March to 31 May: p2's 20 March and 31 May, p3's 6 March; p1's 5 March falls outside.
    assert [p["approved_hours"] for p in custom["projects"]] == [7.0, 2.0]


def test_registry_figures_come_from_the_registry_stats(client_for, city_data):
    body = client_for(StaffFactory()).get("/api/v1/dashboard/registry/").json()
    assert body["total"] == 2 and "coverage" in body and "by_type" in body


# --- query counts -----------------------------------------------------------------------------

def _spread(n: int) -> None:
    """n organizations with records in n different communities and home regions."""
    from accounts.models import Region

    communities = list(Region.objects.filter(level=5, code__startswith="4109").order_by("code")[:: 37][:n])
    for i, community in enumerate(communities):
        org = OrganizationFactory(region=community)
        project = ProjectFactory(organization=org, region=community)
        volunteer = UserFactory()
        VolunteerProfile.objects.create(volunteer=volunteer, home_region=community)
        final_record(volunteer=volunteer, project=project, day=date(2026, 1 + i % 12, 3), hours="1.00")
    rollups.rollups_rebuild()
    rollups.volunteers_refresh()
    rollups.schedule_refresh(year=2026)


@pytest.mark.parametrize("size", [2, 30])
@pytest.mark.parametrize("params", [
    {"from": "2026-01-01", "to": "2026-12-31"},
    {"from": "2026-02-01", "to": "2026-06-30"},
    {"from": "2026-02-03", "to": "2026-06-07"},
])
def test_query_counts_do_not_grow_with_regions_or_organizations(client_for, django_assert_max_num_queries,
                                                                size, params):
    _spread(size)
    client = client_for(StaffFactory())
    for code in ("4109", "410902", STREET):
        with django_assert_max_num_queries(14):
            assert client.get(URL, {**params, "region": code}).status_code == 200
        with django_assert_max_num_queries(6):
            assert client.get("/api/v1/dashboard/trends/", {**params, "region": code}).status_code == 200
        with django_assert_max_num_queries(8):
            assert client.get("/api/v1/dashboard/top/", {**params, "region": code}).status_code == 200
        with django_assert_max_num_queries(4):
            assert client.get("/api/v1/dashboard/live/", {"region": code}).status_code == 200


# --- exports ---------------------------------------------------------------------------------

def test_the_excel_export_opens_and_holds_every_chart_table(client_for, city_data):
    client = client_for(StaffFactory())
    response = client.get("/api/v1/dashboard/export/", {"from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["总体指标", "下级区划对比", "星级分布", "月度趋势", "最活跃组织", "最活跃项目",
                               "社会组织类型×登记状态", "社区社会组织覆盖", "评估等级"]
    summary = {row[0]: row[1] for row in book["总体指标"].iter_rows(min_row=2, values_only=True)}
    assert summary["已确定服务时长（小时）"] == 12.75 and summary["活跃志愿者"] == 3
    children = list(book["下级区划对比"].iter_rows(min_row=2, values_only=True))
    assert {r[0]: r[4] for r in children}["410902"] == 12.75
    one = client.get("/api/v1/dashboard/export/", {"chart": "trends", "from": "2026-01-01", "to": "2026-12-31"})
    assert load_workbook(io.BytesIO(one.content)).sheetnames == ["月度趋势"]


def test_the_monthly_report_is_a_pdf_with_an_embedded_font(client_for, city_data):
    response = client_for(StaffFactory()).get("/api/v1/dashboard/report/", {"month": "2026-03"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # The CJK font travels inside the file (a CFF subset: FontFile3), so Chinese shows anywhere.
    assert response.content.startswith(b"%PDF") and b"/FontFile3" in response.content


def test_cached_answers_never_outlive_a_rollup_write(client_for, city_data, django_capture_on_commit_callbacks):
    client = client_for(StaffFactory())
    params = {"from": "2026-01-01", "to": "2026-12-31"}
    first = client.get(URL, params)
    again = client.get(URL, params)
    assert (first["X-Dashboard-Cache"], again["X-Dashboard-Cache"]) == ("miss", "hit")
    assert again.json() == first.json()
    record = final_record(volunteer=UserFactory(), project=city_data["projects"][0], day=date(2026, 6, 1),
                          hours="1.00")
    with django_capture_on_commit_callbacks(execute=True):
        rollups.facts_apply(record_ids=[record.id])
    after = client.get(URL, params)
    assert after["X-Dashboard-Cache"] == "miss"
    assert after.json()["approved_hours"] == first.json()["approved_hours"] + 1.0
    # The raw path reads the live tables: never cached.
    raw = client.get(URL, {**params, "source": "raw"})
    assert "X-Dashboard-Cache" not in raw and raw.json()["approved_hours"] == after.json()["approved_hours"]


def test_grades_count_current_valid_grades_under_the_region(client_for):
    from evaluation.models import Evaluation, Grade, Round, Template

    today = timezone.localdate()
    old_round = Round.objects.create(name="旧轮次", year=2024, region=region("4109"), cutoff_date=date(2023, 12, 31),
                                     self_assessment_deadline=date(2024, 3, 1), status=Round.Status.PUBLISHED,
                                     published_at=timezone.now())
    template = Template.objects.filter(kind="non_enterprise", region__isnull=True, is_current=True).first()
    cases = [(STREET, "4A", today + timedelta(days=300)), (COMMUNITY, "5A", today + timedelta(days=30)),
             (STREET, "3A", today - timedelta(days=1)),  # expired
             (OTHER_STREET, "2A", today + timedelta(days=30))]
    for code, grade, until in cases:
        org = OrganizationFactory(region=region(code))
        ev = Evaluation.objects.create(round=old_round, organization=org, template=template,
                                       status=Evaluation.Status.PUBLISHED, total=800, proposed_grade=grade)
        Grade.objects.create(organization=org, grade=grade, total=800, valid_from=date(2024, 7, 1), valid_until=until,
                             round=old_round, evaluation=ev)
    body = client_for(staff(StaffRole.STREET, STREET)).get("/api/v1/dashboard/registry/").json()
    assert {g["grade"]: g["organizations"] for g in body["grades"]["by_grade"]} == {
        "5A": 1, "4A": 1, "3A": 0, "2A": 0, "1A": 0}
    assert (body["grades"]["graded"], body["grades"]["expired"]) == (2, 1)


def test_needs_posted_and_served_in_the_period(client_for):
    from projects.models import Need

    project = ProjectFactory(region=region(COMMUNITY))
    day = timezone.make_aware(datetime(2026, 4, 10, 10))
    Need.objects.create(reporter=UserFactory(), region=region(COMMUNITY), category="elderly_care", description="探访",
                        created_at=day)
    Need.objects.create(reporter=UserFactory(), region=region(COMMUNITY), category="other", description="助餐",
                        created_at=day, status="served", project=project, served_at=day + timedelta(days=3))
    Need.objects.create(reporter=UserFactory(), region=region(OTHER_STREET), category="other", description="x",
                        created_at=day)
    rollups.schedule_refresh(year=2026)
    client = client_for(staff(StaffRole.STREET, STREET))
    body = client.get(URL, {"from": "2026-04-01", "to": "2026-04-30"}).json()
    assert body["needs_available"] is True
    assert (body["needs_posted"], body["needs_served"]) == (2, 1)
    raw = client.get(URL, {"from": "2026-04-01", "to": "2026-04-30", "source": "raw"}).json()
    assert (raw["needs_posted"], raw["needs_served"]) == (2, 1)
