"""Organization activity metrics: kept current as hours become final, idempotent, and
repaired by the nightly recompute."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import Attendance, Signup
from tests.conftest import assert_error
from tests.factories import ProjectFactory, ShiftFactory, StaffFactory, UserFactory, social_worker
from volunteers import tasks
from volunteers.metrics import organization_metric_refresh
from volunteers.models import OrganizationMetric
from volunteers.services import service_record_create_from_attendance

pytestmark = pytest.mark.django_db


def held_shift(project, days_ago=1):
    starts = timezone.now() - timedelta(days=days_ago)
    return ShiftFactory(project=project, starts_at=starts, ends_at=starts + timedelta(hours=3))


def attend(shift, hours):
    volunteer = UserFactory()
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    if hours is None:
        return None
    attendance = Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer,
                                           checked_in_at=shift.starts_at,
                                           checked_out_at=shift.starts_at + timedelta(hours=hours))
    return service_record_create_from_attendance(attendance_id=attendance.id)


def period_of(shift) -> str:
    return timezone.localtime(shift.starts_at).date().replace(day=1).isoformat()


def test_metrics_follow_final_hours_and_replays_change_nothing(client_for, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    shift = held_shift(project)
    records = [attend(shift, 2), attend(shift, 1)]
    attend(shift, None)  # confirmed, never came
    owner = client_for(project.owner)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/api/v1/service-records/{records[0].id}/approve/", {"quality_rating": 5}, format="json")
        owner.post(f"/api/v1/service-records/{records[1].id}/approve/", {"quality_rating": 4}, format="json")
    row = OrganizationMetric.objects.get(organization=project.organization)
    assert (row.projects_run, row.shifts_held, row.volunteers, row.final_hours) == (1, 1, 2, Decimal("3.00"))
    assert row.hours_per_volunteer == Decimal("1.50") and row.average_rating == Decimal("4.50")
    assert (row.confirmed_signups, row.no_shows, row.no_show_rate) == (3, 1, Decimal("0.3333"))
    before = OrganizationMetric.objects.values().get(id=row.id)
    tasks.organization_metrics_refresh.delay(project.organization_id, period_of(shift))  # a replayed event
    after = OrganizationMetric.objects.values().get(id=row.id)
    assert {k: v for k, v in after.items() if k != "computed_at"} == {
        k: v for k, v in before.items() if k != "computed_at"}
    assert OrganizationMetric.objects.count() == 1


def test_the_nightly_recompute_repairs_and_reports_drift(client_for, caplog, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    shift = held_shift(project)
    record = attend(shift, 2)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(project.owner).post(f"/api/v1/service-records/{record.id}/approve/")
    assert tasks.organization_metrics_nightly.delay().get() == 0
    OrganizationMetric.objects.update(final_hours=Decimal("99"), volunteers=7)  # a lost or wrong update
    with caplog.at_level(logging.WARNING, logger="volunteers"):
        assert tasks.organization_metrics_nightly.delay().get() == 1
    assert "drift" in caplog.text
    row = OrganizationMetric.objects.get()
    assert (row.final_hours, row.volunteers) == (Decimal("2.00"), 1)
    _row, changed = organization_metric_refresh(organization_id=project.organization_id,
                                                period=timezone.localtime(shift.starts_at).date())
    assert not changed


def test_who_reads_an_organizations_metrics(api, client_for):
    project = ProjectFactory()
    shift = held_shift(project)
    attend(shift, 1)
    organization_metric_refresh(organization_id=project.organization_id,
                                period=timezone.localtime(shift.starts_at).date())
    url = f"/api/v1/organization-metrics/?organization={project.organization_id}"
    body = client_for(project.owner).get(url).json()
    assert body["count"] == 1 and body["results"][0]["shifts_held"] == 1
    assert body["results"][0]["period"] == period_of(shift)[:7]
    assert client_for(StaffFactory()).get(url).json()["count"] == 1  # the bureau governs the whole city
    assert client_for(project.owner).get(f"{url}&period=2001-01").json()["count"] == 0
    assert_error(client_for(social_worker()).get(url), 404)
    assert_error(client_for(UserFactory()).get(url), 404)
    assert_error(api.get(url), 401)
    assert_error(client_for(project.owner).get(f"{url}&period=2026-13"), 400, "invalid")
    assert_error(client_for(project.owner).get("/api/v1/organization-metrics/"), 400, "invalid")


def test_ratings_and_needs_served_are_in_the_metrics_and_the_nightly_recompute_agrees(
        client_for, caplog, django_capture_on_commit_callbacks):
    from projects.models import ActivityFeedback, Need, ServiceFeedback
    from tests.factories import COMMUNITY, region

    project = ProjectFactory()
    shift = held_shift(project)
    record = attend(shift, 2)
    owner = client_for(project.owner)
    volunteer = client_for(record.volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/api/v1/service-records/{record.id}/approve/", {"quality_rating": 4}, format="json")
        volunteer.post(f"/api/v1/shifts/{shift.id}/activity-feedback/", {"rating": 3}, format="json")
        for name, rating in (("张奶奶", 5), ("李爷爷", 4)):
            owner.post(f"/api/v1/shifts/{shift.id}/service-feedback/",
                       {"rating": rating, "served_person_name": name}, format="json")
    resident = UserFactory()
    need = Need.objects.create(reporter=resident, region=region(COMMUNITY), category="elderly_care",
                               description="探访", status=Need.Status.IN_PROGRESS, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/api/v1/needs/{need.id}/serve/")
    row = OrganizationMetric.objects.get(organization=project.organization, period=period_of(shift))
    assert (row.average_rating, row.activity_rating, row.service_rating) == (
        Decimal("4.00"), Decimal("3.00"), Decimal("4.50"))
    served_month = timezone.localdate().replace(day=1)
    served_row = OrganizationMetric.objects.get(organization=project.organization, period=served_month)
    assert served_row.needs_served == 1
    # Another organization's needs, and a need only in progress, count for nobody here.
    Need.objects.create(reporter=resident, region=region(COMMUNITY), category="other", description="x",
                        status=Need.Status.IN_PROGRESS, project=ProjectFactory())
    assert tasks.organization_metrics_nightly.delay().get() == 0  # incremental and nightly agree

    # A need served in a month without any shift: only the nightly recompute finds that month.
    long_ago = timezone.now() - timedelta(days=400)
    Need.objects.create(reporter=resident, region=region(COMMUNITY), category="other", description="旧",
                        status=Need.Status.CLOSED, project=project, served_at=long_ago)
    OrganizationMetric.objects.filter(id=row.id).update(service_rating=Decimal("1.00"), activity_rating=None)
    with caplog.at_level(logging.WARNING, logger="volunteers"):
        assert tasks.organization_metrics_nightly.delay().get() == 2
    row.refresh_from_db()
    assert (row.activity_rating, row.service_rating) == (Decimal("3.00"), Decimal("4.50"))
    old = OrganizationMetric.objects.get(organization=project.organization,
                                         period=timezone.localtime(long_ago).date().replace(day=1))
    assert old.needs_served == 1 and old.shifts_held == 0
    assert ActivityFeedback.objects.count() == 1 and ServiceFeedback.objects.count() == 2
    body = client_for(project.owner).get(
        f"/api/v1/organization-metrics/?organization={project.organization_id}&period={period_of(shift)[:7]}").json()
    assert body["results"][0]["service_rating"] == "4.50" and body["results"][0]["activity_rating"] == "3.00"
