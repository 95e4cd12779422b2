"""Bad input to resident needs and feedback never reaches a 500 and never writes: every
write endpoint is fed malformed bodies, wrong types, huge numbers, NUL bytes and things
that are not files; each answer is a 4xx with the error shape and the database is as
before. Also: a need's photos do not outlive a failed transaction."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Notification
from projects import needs as needs_module
from projects.models import ActivityFeedback, Need, NeedEvent, NeedPhoto, ServiceFeedback, ServiceProject
from tests.api.test_evaluation_bad_input import ANY_TYPE, HUGE, IDS, RAW_BODIES, REGIONS, TEXTS
from tests.api.test_feedback import attend, ended_shift, record_of
from tests.api.test_needs import community_staff, in_progress_need, make_need, png, worker_of_street
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, ProjectFactory, UserFactory
from volunteers.models import QualityRatingChange, ServiceRecord

pytestmark = pytest.mark.django_db

RATINGS = [*IDS, 6, "5.5", "1e999"]


def state() -> tuple:
    return (
        list(Need.objects.order_by("id").values_list("id", "status", "project_id", "reject_reason")),
        NeedPhoto.objects.count(), NeedEvent.objects.count(), ServiceProject.objects.count(),
        ActivityFeedback.objects.count(), ServiceFeedback.objects.count(), QualityRatingChange.objects.count(),
        list(ServiceRecord.objects.order_by("id").values_list("id", "quality_rating")),
        Notification.objects.count(),
    )


def refused(client, url: str, body, fmt: str = "json") -> None:
    before = state()
    response = client.post(url, body, format=fmt)
    assert 400 <= response.status_code < 500, (url, body, response.status_code, response.content[:300])
    assert_error(response, response.status_code)
    assert state() == before, (url, body)


def fuzz(client, url: str, base: dict, values: dict[str, list], optional=(), fmt: str = "json") -> None:
    for raw in RAW_BODIES:
        before = state()
        response = client.generic("POST", url, raw, content_type="application/json")
        assert_error(response, response.status_code)
        assert 400 <= response.status_code < 500 and state() == before, (url, raw)
    for field, bads in values.items():
        if field not in optional:
            refused(client, url, {k: v for k, v in base.items() if k != field}, fmt)
        for bad in bads:
            refused(client, url, {**base, field: bad}, fmt)


def test_bad_need_bodies_are_refused_and_write_nothing():
    client = as_user(UserFactory())
    community_staff()  # someone to notify, so a stray write would show
    base = {"region": COMMUNITY, "category": "elderly_care", "description": "独居老人需要探访", "urgency": "high",
            "lat": "35.7", "lng": "115.0"}
    coordinates = [*ANY_TYPE, "x", "NaN", "Infinity", HUGE, "1e999", "-181", "\x00"]
    fuzz(client, "/api/v1/needs/", base, {
        "region": REGIONS, "category": [*ANY_TYPE, "x", "\x00"], "description": [*TEXTS, ""],
        "urgency": [[], {}, "x", "\x00"], "address": [None, [], {}, "\x00", "长" * 201],
        "lat": [*coordinates, "91"], "lng": coordinates,
        "photos": ["x", HUGE, {}, [None], ["not a file"], [{"a": 1}]],
    }, optional=("urgency", "address", "lat", "photos"))
    multipart_base = {k: v for k, v in base.items() if k not in ("lat", "lng")}
    for field, bads in {"region": ["x", "\x00", "4109\x00", "4" * 300],
                        "photos": ["not a file", "", SimpleUploadedFile("empty.png", b""),
                                   SimpleUploadedFile("x.png", b"not an image"), [png()] * 21]}.items():
        for bad in bads:
            refused(client, "/api/v1/needs/", {**multipart_base, field: bad}, fmt="multipart")


def test_bad_triage_and_take_up_bodies_write_nothing():
    resident, staff = UserFactory(), community_staff()
    submitted = make_need(reporter=resident)
    staff_client = as_user(staff)
    fuzz(staff_client, f"/api/v1/needs/{submitted.id}/accept/", {"note": "受理"},
         {"note": [[], {}, "\x00", "长" * 501]}, optional=("note",))
    fuzz(staff_client, f"/api/v1/needs/{submitted.id}/reject/", {"reason": "不属于服务范围"},
         {"reason": [*TEXTS, ""]})
    worker, org = worker_of_street()
    project = ProjectFactory(organization=org, owner=worker)
    triaged = make_need(reporter=resident, status=Need.Status.TRIAGED)
    worker_client = as_user(worker)
    fuzz(worker_client, f"/api/v1/needs/{triaged.id}/link-project/", {"project": project.id},
         {"project": [*IDS, 999999], "note": [[], {}, "\x00", "长" * 501]}, optional=("note",))
    fuzz(worker_client, f"/api/v1/needs/{triaged.id}/create-project/", {"organization": org.id},
         {"organization": [i for i in IDS if i != 1.5] + [999999], "title": [[], {}, "\x00", "长" * 121],
          "description": [[], {}, "\x00", "长" * 5001]}, optional=("title", "description"))
    need, project, manager = in_progress_need(resident)
    fuzz(as_user(manager), f"/api/v1/needs/{need.id}/serve/", {"note": "已上门服务"},
         {"note": [[], {}, "\x00", "长" * 501]}, optional=("note",))
    fuzz(as_user(resident), f"/api/v1/needs/{submitted.id}/close/", {"note": "撤回"},
         {"note": [[], {}, "\x00", "长" * 501]}, optional=("note",))


def test_bad_feedback_bodies_write_nothing():
    shift = ended_shift()
    volunteer = attend(shift)
    fuzz(as_user(volunteer), f"/api/v1/shifts/{shift.id}/activity-feedback/", {"rating": 4},
         {"rating": RATINGS, "comment": [[], {}, "\x00", "长" * 501]}, optional=("comment",))
    fuzz(as_user(shift.project.owner), f"/api/v1/shifts/{shift.id}/service-feedback/",
         {"rating": 4, "served_person_name": "王阿姨"},
         {"rating": RATINGS, "comment": [[], {}, "\x00", "长" * 501],
          "served_person_name": [[], {}, "\x00", "长" * 33]}, optional=("comment", "served_person_name"))
    record = record_of(shift, volunteer)
    fuzz(as_user(shift.project.owner), f"/api/v1/service-records/{record.id}/quality-rating/", {"rating": 4},
         {"rating": RATINGS, "note": [[], {}, "\x00", "长" * 301]}, optional=("note",))


def test_ids_and_filters_that_would_break_the_database_are_not_a_500():
    staff = community_staff()
    client = as_user(staff)
    need = make_need()
    for params in ({"region": "\x00"}, {"region": "4109\x00"}):
        assert_error(client.get("/api/v1/needs/", params), 400, "invalid")
        assert_error(client.get("/api/v1/needs/stats/", params), 400, "invalid")
    for url in (f"/api/v1/needs/{HUGE}/", f"/api/v1/needs/{need.id}/photos/{HUGE}/", f"/api/v1/shifts/{HUGE}/ratings/"):
        assert_error(client.get(url), 404)
    for url in (f"/api/v1/needs/{HUGE}/accept/", f"/api/v1/shifts/{HUGE}/activity-feedback/",
                f"/api/v1/shifts/{HUGE}/service-feedback/", f"/api/v1/service-records/{HUGE}/quality-rating/"):
        refused(client, url, {"rating": 3, "note": "好"})


def test_a_needs_photos_do_not_outlive_a_failed_transaction(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    community_staff()  # the staff notice is sent after the photos are stored

    def broken_send(**kwargs):
        raise RuntimeError("the notification store is down")

    monkeypatch.setattr(needs_module, "notification_send", broken_send)
    client = as_user(UserFactory())
    body = {"region": COMMUNITY, "category": "other", "description": "看图", "photos": [png(), png(fmt="JPEG")]}
    with pytest.raises(RuntimeError):
        client.post("/api/v1/needs/", body, format="multipart")
    assert not Need.objects.exists() and not NeedPhoto.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    body["photos"] = [png(), png(fmt="JPEG")]
    assert client.post("/api/v1/needs/", body, format="multipart").status_code == 201
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2


def test_taking_up_a_need_is_for_social_workers_of_its_area():
    resident, staff = UserFactory(), community_staff()
    triaged = make_need(reporter=resident, status=Need.Status.TRIAGED)
    _worker, org = worker_of_street()
    for who in (resident, staff):  # they see the need, but may not take it up
        assert_error(as_user(who).post(f"/api/v1/needs/{triaged.id}/create-project/", {"organization": org.id},
                                       format="json"), 403, "not_area_social_worker")
        assert_error(as_user(who).post(f"/api/v1/needs/{triaged.id}/link-project/", {"project": 1},
                                       format="json"), 403, "not_area_social_worker")
    triaged.refresh_from_db()
    assert triaged.status == Need.Status.TRIAGED and not ServiceProject.objects.exists()


def test_a_photo_whose_file_is_gone_is_a_404_not_a_500(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    resident = UserFactory()
    client = as_user(resident)
    body = client.post("/api/v1/needs/", {"region": COMMUNITY, "category": "other", "description": "看图",
                                          "photos": [png()]}, format="multipart").json()
    photo = NeedPhoto.objects.get()
    photo.image.storage.delete(photo.image.name)
    assert_error(client.get(body["photos"][0]["url"]), 404)
