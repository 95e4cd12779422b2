from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.models import Notification
from projects.models import Attendance, Signup
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory, social_worker
from volunteers.models import ServiceRecord
from volunteers.selectors import star_level
from volunteers.services import service_record_create_from_attendance

pytestmark = pytest.mark.django_db

CONTRACT = ("approved_hours", "pending_hours", "star_level", "next_level_hours")  # DESIGN.md's fields


def make_record(hours: float = 2.0, shift=None, volunteer=None) -> ServiceRecord:
    shift = shift or ShiftFactory()
    volunteer = volunteer or UserFactory()
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    attendance = Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer,
                                           checked_in_at=shift.starts_at,
                                           checked_out_at=shift.starts_at + timedelta(hours=hours))
    return service_record_create_from_attendance(attendance_id=attendance.id)


def test_the_project_social_worker_approves(client_for):
    record = make_record(2)
    response = client_for(record.project.owner).post(f"/api/v1/service-records/{record.id}/approve/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["reviewed_by"]["id"] == record.project.owner_id
    assert Notification.objects.filter(recipient=record.volunteer, kind="record_approved").count() == 1
    summary = client_for(record.volunteer).get("/api/v1/volunteers/me/summary/").json()
    assert {k: summary[k] for k in CONTRACT} == {"approved_hours": "2.00", "pending_hours": "0.00", "star_level": 0,
                                                 "next_level_hours": "98.00"}


def test_rejecting_needs_a_reason_and_tells_the_volunteer(client_for):
    record = make_record()
    client = client_for(record.project.owner)
    assert_error(client.post(f"/api/v1/service-records/{record.id}/reject/", {}, format="json"), 400, "invalid")
    record.refresh_from_db()
    assert record.status == "pending"
    response = client.post(f"/api/v1/service-records/{record.id}/reject/", {"reason": "未在岗"}, format="json")
    assert response.json()["status"] == "rejected" and response.json()["reject_reason"] == "未在岗"
    note = Notification.objects.get(recipient=record.volunteer, kind="record_rejected")
    assert "未在岗" in note.body


def test_a_record_is_reviewed_once(client_for):
    record = make_record()
    client = client_for(record.project.owner)
    client.post(f"/api/v1/service-records/{record.id}/approve/")
    assert_error(client.post(f"/api/v1/service-records/{record.id}/approve/"), 409, "already_reviewed")
    assert_error(client.post(f"/api/v1/service-records/{record.id}/reject/", {"reason": "x"}, format="json"),
                 409, "already_reviewed")
    record.refresh_from_db()
    assert record.status == "approved"


def test_only_the_project_social_worker_reviews(api, client_for):
    record = make_record()
    url = f"/api/v1/service-records/{record.id}/approve/"
    assert_error(client_for(record.volunteer).post(url), 403)  # may see it, may not approve it
    colleague = social_worker(record.organization)  # same organization, not this project's lead
    assert_error(client_for(colleague).post(url), 404)
    assert_error(api.post(url), 401)
    assert_error(client_for(record.volunteer).post("/api/v1/service-records/999999/approve/"), 404)
    record.refresh_from_db()
    assert record.status == "pending" and record.reviewed_by is None


def test_lists_show_a_volunteer_theirs_and_a_social_worker_their_projects(client_for,
                                                                          django_assert_max_num_queries):
    mine = make_record()
    owner = mine.project.owner
    other_project = make_record()
    for _ in range(4):
        make_record(shift=mine.shift)
    client = client_for(owner)
    with django_assert_max_num_queries(3):  # token, count, page
        rows = client.get("/api/v1/service-records/?status=pending").json()["results"]
    assert len(rows) == 5 and other_project.id not in [r["id"] for r in rows]
    assert rows[0]["volunteer"]["volunteer_number"]
    assert [r["id"] for r in client_for(mine.volunteer).get("/api/v1/service-records/").json()["results"]] == [
        mine.id]


def test_summary_of_a_new_volunteer(client_for):
    body = client_for(UserFactory()).get("/api/v1/volunteers/me/summary/").json()
    assert {k: body[k] for k in CONTRACT} == {"approved_hours": "0.00", "pending_hours": "0.00", "star_level": 0,
                    "next_level_hours": "100.00"}


@pytest.mark.parametrize("hours, level, to_next", [
    ("0", 0, "100"), ("99.99", 0, "0.01"), ("100", 1, "200"), ("1499", 4, "1"), ("1500", 5, None),
])
def test_star_levels_follow_the_default_thresholds(hours, level, to_next):
    got_level, got_next = star_level(Decimal(hours))
    assert got_level == level
    assert got_next == (Decimal(to_next) if to_next else None)


def test_database_refuses_negative_hours():
    from django.db import IntegrityError, transaction

    record = make_record()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRecord.objects.filter(id=record.id).update(hours=Decimal("-1"))


def test_records_of_attendance_still_open_are_not_made():
    shift = ShiftFactory()
    volunteer = UserFactory()
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    attendance = Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer,
                                           checked_in_at=timezone.now())
    assert service_record_create_from_attendance(attendance_id=attendance.id) is None
    assert not ServiceRecord.objects.exists()


def test_amending_adds_a_correction_and_keeps_the_original(client_for):
    record = make_record(3)
    client = client_for(record.project.owner)
    response = client.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "2.50", "reason": "提前离开"},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "approved" and body["hours"] == "2.50" and body["corrects"] == record.id
    record.refresh_from_db()
    assert record.status == "superseded" and record.hours == Decimal("3.00")
    summary = client_for(record.volunteer).get("/api/v1/volunteers/me/summary/").json()
    assert summary["approved_hours"] == "2.50" and summary["pending_hours"] == "0.00"
    assert Notification.objects.filter(recipient=record.volunteer, kind="record_amended").count() == 1
    assert_error(client.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "1", "reason": "x"},
                             format="json"), 409, "not_amendable")


def test_amended_hours_cannot_exceed_the_shift(client_for):
    record = make_record(2)  # the factory's shift is three hours long
    client = client_for(record.project.owner)
    assert_error(client.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "3.5", "reason": "x"},
                             format="json"), 400, "hours_exceed_shift")
    assert_error(client.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "-1", "reason": "x"},
                             format="json"), 400, "invalid")
    assert_error(client_for(record.volunteer).post(f"/api/v1/service-records/{record.id}/amend/",
                                                   {"hours": "1", "reason": "x"}, format="json"), 403)
    assert ServiceRecord.objects.count() == 1


def test_nobody_approves_or_amends_their_own_hours(client_for):
    shift = ShiftFactory()
    record = make_record(2, shift=shift, volunteer=shift.project.owner)  # the lead served on their own shift
    client = client_for(shift.project.owner)
    assert_error(client.post(f"/api/v1/service-records/{record.id}/approve/"), 403, "second_approver_required")
    assert_error(client.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "1", "reason": "x"},
                             format="json"), 403, "second_approver_required")
    record.refresh_from_db()
    assert record.status == "pending" and ServiceRecord.objects.count() == 1
