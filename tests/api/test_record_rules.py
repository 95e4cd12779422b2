"""Service records by the national rules: public notice and final hours, star levels,
append-only corrections with their trail, disputes (申诉/异议) and back-entries (补录)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import Notification
from organizations.models import Membership
from tests.api.test_service_records import make_record
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, ProjectFactory, ShiftFactory, UserFactory, social_worker
from volunteers import tasks
from volunteers.models import QualityRatingChange, RecordDispute, ServiceRecord, VolunteerStanding
from volunteers.services import add_working_days

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VOLUNTEER_STAR_THRESHOLDS = [3, 5, 100]


def approve(client_for, record, **body):
    response = client_for(record.project.owner).post(f"/api/v1/service-records/{record.id}/approve/", body,
                                                     format="json")
    assert response.status_code == 200, response.content
    return response.json()


def org_admin(organization):
    user = UserFactory()
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    return user


# --- public notice and final hours ---------------------------------------------------------

def test_working_days_skip_the_weekend():
    friday = timezone.make_aware(datetime(2026, 11, 27, 10, 0))
    assert add_working_days(friday, 1).date().isoformat() == "2026-11-30"  # Monday
    assert add_working_days(friday, 3).date().isoformat() == "2026-12-02"
    assert add_working_days(friday, 0) == friday


def test_without_a_notice_period_approval_makes_hours_final_and_raises_the_star(client_for,
                                                                               django_capture_on_commit_callbacks):
    first = make_record(2)
    volunteer = first.volunteer
    with django_capture_on_commit_callbacks(execute=True):
        body = approve(client_for, first, quality_rating=5)
    assert body["is_final"] and body["quality_rating"] == 5 and body["recorder"]["id"] == first.project.owner_id
    # The rating given with the approval is the first entry of the record's rating trail.
    assert list(QualityRatingChange.objects.filter(record=first).values_list("previous", "rating", "rated_by")) == [
        (None, 5, first.project.owner_id)]
    assert not Notification.objects.filter(recipient=volunteer, kind="star_level_up").exists()
    second = make_record(1.5, volunteer=volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        approve(client_for, second)
    standing = VolunteerStanding.objects.get(volunteer=volunteer)
    assert (standing.final_hours, standing.star_level) == (Decimal("3.50"), 1)
    note = Notification.objects.get(recipient=volunteer, kind="star_level_up")
    assert note.data["star_level"] == 1
    summary = client_for(volunteer).get("/api/v1/volunteers/me/summary/").json()
    assert summary["approved_hours"] == "3.50" and summary["star_level"] == 1
    assert summary["next_level_hours"] == "1.50"
    # Replaying the refresh (a redelivered task) announces nothing again.
    tasks.volunteer_standing_refresh.delay(volunteer.id)
    assert Notification.objects.filter(recipient=volunteer, kind="star_level_up").count() == 1


def test_with_a_notice_period_hours_become_final_when_it_ends(client_for, settings,
                                                              django_capture_on_commit_callbacks):
    settings.SERVICE_RECORD_NOTICE_WORKING_DAYS = 3
    record = make_record(3)
    with django_capture_on_commit_callbacks(execute=True):
        body = approve(client_for, record)
    assert body["status"] == "approved" and not body["is_final"] and body["notice_ends_at"]
    summary = client_for(record.volunteer).get("/api/v1/volunteers/me/summary/").json()
    assert summary["approved_hours"] == "0.00" and summary["in_notice_hours"] == "3.00"
    assert summary["star_level"] == 0
    assert tasks.service_records_finalize_due.delay().get() == 0  # not due yet
    ServiceRecord.objects.filter(id=record.id).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.service_records_finalize_due.delay().get() == 1
    record.refresh_from_db()
    assert record.is_final
    assert VolunteerStanding.objects.get(volunteer=record.volunteer).star_level == 1
    assert client_for(record.volunteer).get("/api/v1/volunteers/me/summary/").json()["approved_hours"] == "3.00"
    finalized_at = record.finalized_at
    assert tasks.service_record_finalize.delay(record.id).get() is False  # a replay changes nothing
    record.refresh_from_db()
    assert record.finalized_at == finalized_at


def test_an_objection_during_notice_holds_the_record_until_answered(client_for, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.SERVICE_RECORD_NOTICE_WORKING_DAYS = 2
    record = make_record(3)
    approve(client_for, record)
    member = social_worker(record.organization)  # anyone in the organization may object
    response = client_for(member).post(f"/api/v1/service-records/{record.id}/disputes/",
                                       {"reason": "当天未见到该志愿者"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "objection"
    ServiceRecord.objects.filter(id=record.id).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    assert tasks.service_records_finalize_due.delay().get() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(record.project.owner).post(f"/api/v1/disputes/{response.json()['id']}/answer/",
                                                         {"answer": "已核实签到记录，时长属实"}, format="json")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.is_final
    assert Notification.objects.filter(recipient=member, kind="dispute_answered").count() == 1


def test_a_correction_that_removes_final_hours_lowers_the_star(client_for, django_capture_on_commit_callbacks):
    record = make_record(3)
    with django_capture_on_commit_callbacks(execute=True):
        approve(client_for, record)
    assert VolunteerStanding.objects.get(volunteer=record.volunteer).star_level == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(record.project.owner).post(f"/api/v1/service-records/{record.id}/amend/",
                                                         {"hours": "1.00", "reason": "核实后仅服务一小时"},
                                                         format="json")
    assert response.status_code == 201, response.content
    standing = VolunteerStanding.objects.get(volunteer=record.volunteer)
    assert (standing.final_hours, standing.star_level) == (Decimal("1.00"), 0)
    assert Notification.objects.filter(recipient=record.volunteer, kind="star_level_down").count() == 1


# --- append-only, trail, disputes --------------------------------------------------------------

def test_a_final_record_is_never_edited_in_place(api, client_for):
    record = make_record(2)
    approve(client_for, record)
    owner = client_for(record.project.owner)
    url = f"/api/v1/service-records/{record.id}/"
    assert_error(owner.patch(url, {"hours": "3"}, format="json"), 409, "record_final")
    pending = make_record(2, shift=record.shift)
    assert_error(owner.patch(f"/api/v1/service-records/{pending.id}/", {"hours": "3"}, format="json"), 409,
                 "append_only")
    assert_error(api.patch(url, {"hours": "3"}, format="json"), 401)
    assert_error(client_for(UserFactory()).patch(url, {"hours": "3"}, format="json"), 404)
    record.refresh_from_db()
    assert record.hours == Decimal("2.00") and record.status == "approved"


def test_the_volunteer_sees_the_whole_trail(api, client_for):
    record = make_record(3)
    approve(client_for, record)
    owner = client_for(record.project.owner)
    first = owner.post(f"/api/v1/service-records/{record.id}/amend/", {"hours": "2.5", "reason": "提前离开"},
                       format="json").json()
    second = owner.post(f"/api/v1/service-records/{first['id']}/amend/", {"hours": "2.75", "reason": "复核"},
                        format="json").json()
    for record_id in (record.id, second["id"]):
        body = client_for(record.volunteer).get(f"/api/v1/service-records/{record_id}/").json()
        assert [(r["id"], r["status"], r["hours"]) for r in body["trail"]] == [
            (record.id, "superseded", "3.00"), (first["id"], "superseded", "2.50"), (second["id"], "approved", "2.75")]
        assert body["trail"][2]["amend_reason"] == "复核" and body["trail"][2]["reviewed_by"]["id"]
    entry = body["trail"][0]
    for field in ("project", "date", "place", "people_served", "content", "hours", "quality_rating", "project_lead",
                  "recorder", "organization", "source"):
        assert field in entry
    assert entry["source"] == "checkin" and entry["project_lead"]["id"] == record.project.owner_id
    assert_error(api.get(f"/api/v1/service-records/{record.id}/"), 401)
    assert_error(client_for(UserFactory()).get(f"/api/v1/service-records/{record.id}/"), 404)
    assert_error(client_for(record.volunteer).get("/api/v1/service-records/999999/"), 404)


def test_a_volunteer_disputes_an_entry_and_the_organization_answers(api, client_for):
    record = make_record(2)
    approve(client_for, record)
    volunteer = client_for(record.volunteer)
    url = f"/api/v1/service-records/{record.id}/disputes/"
    assert_error(volunteer.post(url, {"reason": ""}, format="json"), 400, "invalid")
    assert_error(api.post(url, {"reason": "时长少记了"}, format="json"), 401)
    assert_error(client_for(UserFactory()).post(url, {"reason": "时长少记了"}, format="json"), 404)
    assert not RecordDispute.objects.exists()
    response = volunteer.post(url, {"reason": "时长少记了一小时"}, format="json")
    assert response.status_code == 201, response.content
    dispute = response.json()
    assert dispute["kind"] == "appeal" and dispute["status"] == "open"
    assert Notification.objects.filter(recipient=record.project.owner, kind="dispute_raised").count() == 1
    assert_error(volunteer.post(url, {"reason": "再次申诉"}, format="json"), 409, "dispute_open")
    queue = client_for(record.project.owner).get("/api/v1/disputes/?status=open").json()["results"]
    assert [d["id"] for d in queue] == [dispute["id"]]
    assert client_for(UserFactory()).get("/api/v1/disputes/").json()["count"] == 0
    answer_url = f"/api/v1/disputes/{dispute['id']}/answer/"
    assert_error(volunteer.post(answer_url, {"answer": "自己答复"}, format="json"), 403)
    assert_error(client_for(social_worker()).post(answer_url, {"answer": "外人答复"}, format="json"), 404)
    owner = client_for(record.project.owner)
    assert_error(owner.post(answer_url, {}, format="json"), 400, "invalid")
    response = owner.post(answer_url, {"answer": "已核实，将予以更正"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert_error(owner.post(answer_url, {"answer": "再答复"}, format="json"), 409, "already_answered")
    note = Notification.objects.get(recipient=record.volunteer, kind="dispute_answered")
    assert "已核实" in note.body
    detail = volunteer.get(f"/api/v1/service-records/{record.id}/").json()
    assert detail["disputes"][0]["answer"] == "已核实，将予以更正"


def test_an_objection_outside_the_notice_period_is_refused(client_for):
    record = make_record(2)
    approve(client_for, record)  # final at once
    member = social_worker(record.organization)
    assert_error(client_for(member).post(f"/api/v1/service-records/{record.id}/disputes/", {"reason": "有异议"},
                                         format="json"), 409, "not_in_notice")
    assert not RecordDispute.objects.exists()


# --- back-entry ------------------------------------------------------------------------------

def past_shift(hours_ago: float = 5, length: float = 3, **kwargs):
    starts = timezone.now() - timedelta(hours=hours_ago)
    return ShiftFactory(starts_at=starts, ends_at=starts + timedelta(hours=length), **kwargs)


def back_entry(client, shift, volunteer, hours="2.00", evidence=None, **extra):
    evidence = evidence or SimpleUploadedFile("签到表.png", PNG, content_type="image/png")
    body = {"shift": shift.id, "volunteer_number": volunteer.volunteer_number, "hours": hours,
            "reason": "签到设备故障，按纸质签到表补录", "evidence": evidence, **extra}
    return client.post("/api/v1/service-records/back-entries/", body, format="multipart")


def test_a_back_entry_needs_a_second_approver(client_for, django_capture_on_commit_callbacks):
    shift = past_shift()
    owner, volunteer = shift.project.owner, UserFactory()
    admin = org_admin(shift.project.organization)
    response = back_entry(client_for(owner), shift, volunteer, people_served=12, content="陪伴老人聊天")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "back_entry" and body["status"] == "pending" and body["entered_by"]["id"] == owner.id
    assert body["people_served"] == 12 and body["evidence_url"]
    assert Notification.objects.filter(recipient=admin, kind="back_entry_pending").count() == 1
    assert_error(client_for(owner).post(f"/api/v1/service-records/{body['id']}/approve/"), 403,
                 "second_approver_required")
    assert ServiceRecord.objects.get(id=body["id"]).status == "pending"
    queue = client_for(admin).get("/api/v1/service-records/?awaiting_me=1").json()["results"]
    assert [r["id"] for r in queue] == [body["id"]]
    assert client_for(owner).get("/api/v1/service-records/?awaiting_me=1").json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(f"/api/v1/service-records/{body['id']}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["is_final"] and response.json()["reviewed_by"]["id"] == admin.id
    evidence = client_for(volunteer).get(body["evidence_url"])
    assert evidence.status_code == 200 and b"".join(evidence.streaming_content) == PNG


def test_the_database_refuses_a_self_approved_back_entry():
    from django.db import IntegrityError, transaction

    shift = past_shift()
    owner = shift.project.owner
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRecord.objects.create(volunteer=UserFactory(), shift=shift, project=shift.project,
                                     organization=shift.project.organization, source="back_entry",
                                     started_at=shift.starts_at, ended_at=shift.ends_at, hours=1,
                                     status="approved", reviewed_by=owner, reviewed_at=timezone.now(),
                                     entered_by=owner, back_entry_reason="x")


@pytest.mark.parametrize("case, code", [
    ("over_shift", "hours_exceed_shift"), ("window", "back_entry_window_closed"), ("not_over", "shift_not_over"),
    ("wrong_type", "invalid"), ("too_big", "invalid"), ("no_evidence", "invalid"), ("unknown_volunteer",
                                                                                    "unknown_volunteer"),
])
def test_bad_back_entries_are_refused_and_nothing_is_written(client_for, settings, case, code):
    settings.BACK_ENTRY_WINDOW_DAYS = 7
    shift = past_shift(hours_ago=24 * 8 if case == "window" else (1 if case == "not_over" else 5))
    volunteer = UserFactory()
    client = client_for(shift.project.owner)
    kwargs = {}
    if case == "over_shift":
        kwargs["hours"] = "3.01"
    elif case == "wrong_type":
        kwargs["evidence"] = SimpleUploadedFile("x.exe", b"MZ" + b"\x00" * 20)
    elif case == "too_big":
        settings.BACK_ENTRY_EVIDENCE_MAX_BYTES = 32
        kwargs["evidence"] = SimpleUploadedFile("x.png", PNG)
    elif case == "unknown_volunteer":
        volunteer = UserFactory.build(volunteer_number="NOPE")
    if case == "no_evidence":
        response = client.post("/api/v1/service-records/back-entries/",
                               {"shift": shift.id, "volunteer_number": volunteer.volunteer_number, "hours": "1",
                                "reason": "补录原因"}, format="multipart")
    else:
        response = back_entry(client, shift, volunteer, **kwargs)
    assert_error(response, 400, code)
    assert not ServiceRecord.objects.exists()


def test_who_may_back_enter(api, client_for):
    shift = past_shift()
    volunteer = UserFactory()
    colleague = social_worker(shift.project.organization)
    assert_error(back_entry(client_for(colleague), shift, volunteer), 403)
    assert_error(back_entry(client_for(social_worker()), shift, volunteer), 404)
    assert_error(back_entry(api, shift, volunteer), 401)
    owner = client_for(shift.project.owner)
    assert_error(owner.post("/api/v1/service-records/back-entries/", {"shift": shift.id}, format="json"), 415)
    assert_error(owner.get("/api/v1/service-records/back-entries/"), 405)
    assert not ServiceRecord.objects.exists()
    assert back_entry(owner, shift, volunteer).status_code == 201
    assert_error(back_entry(owner, shift, volunteer), 409, "record_exists")
    assert ServiceRecord.objects.count() == 1


# --- training and awards ------------------------------------------------------------------

def test_training_and_awards_complete_the_five_part_record(api, client_for):
    organization = OrganizationFactory()
    worker = social_worker(organization)
    volunteer = UserFactory()
    client = client_for(worker)
    training = {"organization": organization.id, "volunteer_number": volunteer.volunteer_number,
                "title": "老年人照护基础培训", "held_on": "2026-10-10", "hours": "2.5"}
    response = client.post("/api/v1/training-records/", training, format="json")
    assert response.status_code == 201, response.content
    assert_error(client.post("/api/v1/training-records/", training, format="json"), 409, "already_recorded")
    assert_error(client.post("/api/v1/training-records/", {**training, "hours": "25"}, format="json"), 400)
    assert_error(client_for(social_worker()).post("/api/v1/training-records/", training, format="json"), 404)
    assert_error(client_for(volunteer).post("/api/v1/training-records/", training, format="json"), 404)
    assert_error(api.post("/api/v1/training-records/", training, format="json"), 401)
    award = {"organization": organization.id, "volunteer_number": volunteer.volunteer_number,
             "title": "优秀志愿者", "issuer": organization.name, "level": "组织内", "awarded_on": "2026-11-01"}
    assert client.post("/api/v1/awards/", award, format="json").status_code == 201
    assert_error(client.post("/api/v1/awards/", {**award, "volunteer_number": "NOPE"}, format="json"), 400,
                 "unknown_volunteer")
    assert_error(api.get("/api/v1/awards/"), 401)
    assert client_for(UserFactory()).get("/api/v1/awards/").json()["count"] == 0
    record = make_record(2, shift=ShiftFactory(project=ProjectFactory(organization=organization)),
                         volunteer=volunteer)
    approve(client_for, record, quality_rating=4)
    body = client_for(volunteer).get("/api/v1/volunteers/me/record/").json()
    assert set(body) == {"basic", "service", "training", "awards", "evaluation"}
    assert body["basic"]["volunteer_number"] == volunteer.volunteer_number
    assert [t["title"] for t in body["training"]] == ["老年人照护基础培训"]
    assert [a["title"] for a in body["awards"]] == ["优秀志愿者"]
    assert body["service"][0]["quality_rating"] == 4 and body["evaluation"]["average_rating"] == 4
    assert Notification.objects.filter(recipient=volunteer, kind__in=["training_recorded", "award_recorded"]).count() \
        == 2
