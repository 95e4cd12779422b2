"""Feedback after a shift: volunteers rate the activity, the people served (or staff on
their behalf) rate the service, the social worker rates each volunteer's quality."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from notifications.models import Notification
from projects.models import ActivityFeedback, Attendance, Need, ServiceFeedback, Signup
from tests.conftest import assert_error
from tests.factories import COMMUNITY, OTHER_STREET, ProjectFactory, ShiftFactory, UserFactory, region
from volunteers.models import OrganizationMetric, QualityRatingChange, ServiceRecord
from volunteers.services import service_record_create_from_attendance

pytestmark = pytest.mark.django_db


def ended_shift(project=None, hours_ago=5):
    starts = timezone.now() - timedelta(hours=hours_ago)
    return ShiftFactory(project=project or ProjectFactory(), starts_at=starts, ends_at=starts + timedelta(hours=3))


def attend(shift, volunteer=None, checked_out=True):
    volunteer = volunteer or UserFactory()
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer, checked_in_at=shift.starts_at,
                              checked_out_at=shift.starts_at + timedelta(hours=2) if checked_out else None)
    return volunteer


def record_of(shift, volunteer) -> ServiceRecord:
    return service_record_create_from_attendance(attendance_id=Attendance.objects.get(shift=shift,
                                                                                      volunteer=volunteer).id)


# --- volunteers rate the activity ---------------------------------------------------------------

def test_a_volunteer_rates_an_attended_shift_once_after_it_ended(client_for, django_capture_on_commit_callbacks):
    shift = ended_shift()
    volunteer = attend(shift)
    client = client_for(volunteer)
    url = f"/api/v1/shifts/{shift.id}/activity-feedback/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"rating": 4, "comment": "组织有序"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["rating"] == 4
    assert OrganizationMetric.objects.get(organization=shift.project.organization).activity_rating == Decimal("4.00")
    assert_error(client.post(url, {"rating": 5}, format="json"), 409, "already_rated")
    assert list(ActivityFeedback.objects.values_list("rating", flat=True)) == [4]
    mine = client.get("/api/v1/activity-feedback/").json()
    assert mine["count"] == 1 and mine["results"][0]["shift"]["id"] == shift.id
    assert mine["results"][0]["feedback"]["rating"] == 4


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None])
def test_a_rating_outside_one_to_five_is_refused(client_for, rating):
    shift = ended_shift()
    volunteer = attend(shift)
    body = assert_error(client_for(volunteer).post(f"/api/v1/shifts/{shift.id}/activity-feedback/",
                                                   {"rating": rating}, format="json"), 400, "invalid")
    assert "rating" in body["fields"]
    assert not ActivityFeedback.objects.exists()


def test_rating_before_the_end_without_attending_or_anonymously_is_refused(api, client_for):
    running = ShiftFactory(starts_at=timezone.now() - timedelta(hours=1))
    volunteer = attend(running, checked_out=False)
    assert_error(client_for(volunteer).post(f"/api/v1/shifts/{running.id}/activity-feedback/", {"rating": 5},
                                            format="json"), 409, "shift_not_ended")
    shift = ended_shift()
    no_show = UserFactory()
    Signup.objects.create(shift=shift, volunteer=no_show, status="confirmed")
    assert_error(client_for(no_show).post(f"/api/v1/shifts/{shift.id}/activity-feedback/", {"rating": 5},
                                          format="json"), 403, "not_attended")
    assert_error(client_for(UserFactory()).post(f"/api/v1/shifts/{shift.id}/activity-feedback/", {"rating": 5},
                                                format="json"), 403, "not_attended")
    assert_error(api.post(f"/api/v1/shifts/{shift.id}/activity-feedback/", {"rating": 5}, format="json"), 401)
    assert_error(client_for(volunteer).post("/api/v1/shifts/999999/activity-feedback/", {"rating": 5},
                                            format="json"), 404)
    assert_error(client_for(volunteer).get(f"/api/v1/shifts/{shift.id}/activity-feedback/"), 405)
    assert_error(api.get("/api/v1/activity-feedback/"), 401)
    assert_error(client_for(volunteer).post("/api/v1/activity-feedback/", {}, format="json"), 405)
    assert not ActivityFeedback.objects.exists()
    # A shift in progress is not listed among those to rate.
    assert client_for(volunteer).get("/api/v1/activity-feedback/").json()["count"] == 0


# --- the people served rate the service -----------------------------------------------------------

def test_a_resident_served_through_their_need_rates_the_service_once(client_for):
    shift = ended_shift()
    resident = UserFactory()
    Need.objects.create(reporter=resident, region=region(COMMUNITY), category="elderly_care", description="探访",
                        status=Need.Status.IN_PROGRESS, project=shift.project)
    url = f"/api/v1/shifts/{shift.id}/service-feedback/"
    response = client_for(resident).post(url, {"rating": 5, "comment": "谢谢志愿者"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["on_behalf"] is False
    assert Notification.objects.filter(recipient=shift.project.owner, kind="service_feedback").count() == 1
    assert_error(client_for(resident).post(url, {"rating": 3}, format="json"), 409, "already_rated")
    assert ServiceFeedback.objects.count() == 1


def test_volunteers_and_strangers_cannot_rate_the_service(client_for, api):
    shift = ended_shift()
    volunteer = attend(shift)
    Need.objects.create(reporter=volunteer, region=region(COMMUNITY), category="other", description="x",
                        status=Need.Status.IN_PROGRESS, project=shift.project)
    url = f"/api/v1/shifts/{shift.id}/service-feedback/"
    assert_error(client_for(volunteer).post(url, {"rating": 5}, format="json"), 403, "volunteer_cannot_rate_service")
    assert_error(client_for(UserFactory()).post(url, {"rating": 5}, format="json"), 403, "not_served")
    assert_error(api.post(url, {"rating": 5}, format="json"), 401)
    assert_error(client_for(volunteer).get(url), 405)
    assert not ServiceFeedback.objects.exists()


def test_staff_enter_ratings_on_behalf_of_the_people_served(client_for):
    shift = ended_shift()
    owner = shift.project.owner
    url = f"/api/v1/shifts/{shift.id}/service-feedback/"
    client = client_for(owner)
    assert_error(client.post(url, {"rating": 4}, format="json"), 400, "invalid")  # whose rating?
    response = client.post(url, {"rating": 4, "served_person_name": "张奶奶", "comment": "满意"}, format="json")
    assert response.status_code == 201 and response.json()["served_person_name"] == "张奶奶"
    assert_error(client.post(url, {"rating": 5, "served_person_name": "张奶奶"}, format="json"), 409,
                 "already_rated")
    street = UserFactory(staff_role=StaffRole.STREET, region=region("410902001"))
    assert client_for(street).post(url, {"rating": 2, "served_person_name": "李爷爷"}, format="json").status_code == 201
    far = UserFactory(staff_role=StaffRole.STREET, region=region(OTHER_STREET))
    assert_error(client_for(far).post(url, {"rating": 2, "served_person_name": "王阿姨"}, format="json"), 403,
                 "not_project_staff")
    assert_error(client.post(url, {"rating": 9, "served_person_name": "王阿姨"}, format="json"), 400, "invalid")
    future = ShiftFactory(project=shift.project)
    assert_error(client.post(f"/api/v1/shifts/{future.id}/service-feedback/",
                             {"rating": 5, "served_person_name": "王阿姨"}, format="json"), 409, "shift_not_ended")
    assert sorted(ServiceFeedback.objects.values_list("served_person_name", "rating")) == [("张奶奶", 4),
                                                                                         ("李爷爷", 2)]


# --- the social worker rates each volunteer's quality -----------------------------------------------

def test_the_social_worker_rates_quality_and_every_value_is_kept(client_for, django_capture_on_commit_callbacks):
    shift = ended_shift()
    volunteer = attend(shift)
    record = record_of(shift, volunteer)
    owner = client_for(shift.project.owner)
    url = f"/api/v1/service-records/{record.id}/quality-rating/"
    assert owner.post(url, {"rating": 3}, format="json").json()["quality_rating"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/api/v1/service-records/{record.id}/approve/")
    assert OrganizationMetric.objects.get().average_rating == Decimal("3.00")
    with django_capture_on_commit_callbacks(execute=True):
        body = owner.post(url, {"rating": 5, "note": "复核后上调"}, format="json").json()
    assert body["quality_rating"] == 5
    assert list(QualityRatingChange.objects.values_list("previous", "rating", "rated_by", "note")) == [
        (None, 3, shift.project.owner_id, ""), (3, 5, shift.project.owner_id, "复核后上调")]
    # The record is final: the organization's average follows at once.
    assert OrganizationMetric.objects.get().average_rating == Decimal("5.00")


def test_quality_rating_refusals_write_nothing(client_for, api):
    shift = ended_shift()
    volunteer = attend(shift)
    record = record_of(shift, volunteer)
    url = f"/api/v1/service-records/{record.id}/quality-rating/"
    assert_error(client_for(volunteer).post(url, {"rating": 5}, format="json"), 403, "own_record")
    assert_error(client_for(UserFactory()).post(url, {"rating": 5}, format="json"), 404)
    assert_error(api.post(url, {"rating": 5}, format="json"), 401)
    owner = client_for(shift.project.owner)
    assert_error(owner.post(url, {"rating": 0}, format="json"), 400, "invalid")
    assert_error(owner.get(url), 405)
    assert_error(owner.post("/api/v1/service-records/999999/quality-rating/", {"rating": 3}, format="json"), 404)
    owner.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "1.00", "reason": "早退"}, format="json")
    assert_error(owner.post(url, {"rating": 4}, format="json"), 409, "record_not_live")
    assert not QualityRatingChange.objects.exists()
    assert ServiceRecord.objects.get(id=record.id).quality_rating is None


# --- the console's ratings sheet ------------------------------------------------------------------

def test_the_ratings_sheet_shows_each_volunteer_with_all_three_ratings(client_for, api,
                                                                        django_assert_max_num_queries):
    shift = ended_shift()
    volunteers = [attend(shift) for _ in range(4)]
    no_show = UserFactory()
    Signup.objects.create(shift=shift, volunteer=no_show, status="confirmed")
    records = [record_of(shift, v) for v in volunteers]
    ServiceRecord.objects.filter(id=records[0].id).update(quality_rating=4)
    ActivityFeedback.objects.create(shift=shift, volunteer=volunteers[1], rating=5, comment="好")
    ServiceFeedback.objects.create(shift=shift, rated_by=shift.project.owner, on_behalf=True,
                                   served_person_name="张奶奶", rating=3)
    client = client_for(shift.project.owner)
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/v1/shifts/{shift.id}/ratings/").json()
    rows = {r["volunteer"]["id"]: r for r in body["volunteers"]}
    assert len(rows) == 5 and rows[no_show.id]["attended"] is False and rows[no_show.id]["record"] is None
    assert rows[volunteers[0].id]["record"]["quality_rating"] == 4
    assert rows[volunteers[1].id]["activity_feedback"] == {"rating": 5, "comment": "好"}
    assert body["averages"] == {"quality": 4.0, "activity": 5.0, "service": 3.0}
    assert body["service_feedback"][0]["served_person_name"] == "张奶奶"
    assert_error(client_for(volunteers[0]).get(f"/api/v1/shifts/{shift.id}/ratings/"), 404)
    assert_error(api.get(f"/api/v1/shifts/{shift.id}/ratings/"), 401)
    assert_error(client.post(f"/api/v1/shifts/{shift.id}/ratings/", {}, format="json"), 405)

    listing = client.get("/api/v1/feedback/shifts/").json()
    assert [s["id"] for s in listing["results"]] == [shift.id] and listing["results"][0]["service_rating"] == 3.0
    assert client_for(UserFactory()).get("/api/v1/feedback/shifts/").json()["count"] == 0
    bureau = UserFactory(staff_role=StaffRole.BUREAU, region=region("4109"))
    assert client_for(bureau).get("/api/v1/feedback/shifts/").json()["count"] == 1
    assert client_for(bureau).get(f"/api/v1/shifts/{shift.id}/ratings/").status_code == 200


def test_feedback_lists_answer_in_a_fixed_number_of_queries_and_refuse_strangers(
        client_for, api, django_assert_max_num_queries):
    project = ProjectFactory()
    volunteer = UserFactory()
    for hours_ago in (5, 30, 60, 90):
        attend(ended_shift(project, hours_ago=hours_ago), volunteer)
    ActivityFeedback.objects.create(shift=Attendance.objects.filter(volunteer=volunteer).first().shift,
                                    volunteer=volunteer, rating=5)
    client = client_for(volunteer)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/activity-feedback/").json()["count"] == 4
    owner = client_for(project.owner)
    with django_assert_max_num_queries(5):
        assert owner.get("/api/v1/feedback/shifts/").json()["count"] == 4
    assert_error(api.get("/api/v1/feedback/shifts/"), 401)
    assert_error(owner.post("/api/v1/feedback/shifts/", {}, format="json"), 405)
    assert_error(client.get("/api/v1/shifts/999999/ratings/"), 404)


def test_a_need_photo_is_not_served_to_anonymous_users(api, client_for):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    resident = UserFactory()
    body = client_for(resident).post("/api/v1/needs/", {
        "region": COMMUNITY, "category": "other", "description": "图",
        "photos": [SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")]},
        format="multipart").json()
    url = body["photos"][0]["url"]
    assert_error(api.get(url), 401)
    assert_error(client_for(resident).post(url, {}, format="json"), 405)
    assert_error(client_for(resident).get(url.replace(f"/photos/{body['photos'][0]['id']}/", "/photos/999999/")), 404)
