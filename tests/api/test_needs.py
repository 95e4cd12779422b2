"""Resident needs (居民需求): post with photos, triage by the community's staff, a social
worker turns a need into a project, the resident follows and is told at every step."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from accounts.models import StaffRole
from notifications.models import Notification
from projects.models import Need, NeedEvent, NeedPhoto, ServiceProject
from projects.needs import needs_sync_projects
from tests.conftest import assert_error
from tests.factories import (
    COMMUNITY,
    OTHER_STREET,
    STREET,
    OrganizationFactory,
    ProjectFactory,
    StaffFactory,
    UserFactory,
    region,
    social_worker,
)
from volunteers.models import OrganizationMetric

pytestmark = pytest.mark.django_db

OTHER_COMMUNITY = "410902002002"  # 金联华社区, under 胜利路街道


def png(size=(8, 8), fmt="PNG", name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def community_staff(code=COMMUNITY):
    return UserFactory(staff_role=StaffRole.COMMUNITY, region=region(code))


def street_staff(code=STREET):
    return UserFactory(staff_role=StaffRole.STREET, region=region(code))


def post_need(client, **overrides):
    body = {"region": COMMUNITY, "category": "elderly_care", "description": "独居老人需要每周上门探访",
            "address": "京东社区3号楼", "urgency": "high", **overrides}
    return client.post("/api/v1/needs/", body, format="json")


def make_need(reporter=None, status=Need.Status.SUBMITTED, code=COMMUNITY, **fields) -> Need:
    return Need.objects.create(reporter=reporter or UserFactory(), region=region(code), category="elderly_care",
                               description="需要帮助", status=status, **fields)


def worker_of_street():
    """A social worker of an organization registered in the demo street (its area)."""
    org = OrganizationFactory(region=region(STREET))
    return social_worker(org), org


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


# --- posting ---------------------------------------------------------------------------

def test_a_resident_posts_a_need_with_photos_and_the_community_staff_are_told(client_for):
    resident, staff = UserFactory(), community_staff()
    response = client_for(resident).post("/api/v1/needs/", {
        "region": COMMUNITY, "category": "elderly_care", "description": "楼道灯坏了，老人夜里出行不便",
        "urgency": "medium", "lat": "35.762100", "lng": "115.029200",
        "photos": [png(), png(fmt="JPEG", name="b.jpg")]}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["reporter"]["id"] == resident.id
    assert body["region"] == COMMUNITY and body["category_label"] == "养老照护"
    assert [p["content_type"] for p in body["photos"]] == ["image/png", "image/jpeg"]
    assert [e["to_status"] for e in body["events"]] == ["submitted"]
    assert kinds(staff) == ["need_posted"]
    photo = client_for(resident).get(body["photos"][0]["url"])
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    assert client_for(staff).get(body["photos"][1]["url"]).status_code == 200
    assert_error(client_for(UserFactory()).get(body["photos"][0]["url"]), 404)


@pytest.mark.parametrize("overrides, code, field", [
    ({"region": STREET}, "invalid", "region"),  # a street, not a community
    ({"region": "999999999999"}, "invalid", "region"),
    ({"category": "magic"}, "invalid", "category"),
    ({"description": ""}, "invalid", "description"),
    ({"description": "长" * 2001}, "invalid", "description"),
    ({"urgency": "now"}, "invalid", "urgency"),
    ({"lat": "91", "lng": "115"}, "invalid", "lat"),
    ({"lat": "35.7"}, "invalid", "lat"),  # without lng
])
def test_bad_needs_are_refused_and_nothing_is_written(client_for, overrides, code, field):
    body = assert_error(post_need(client_for(UserFactory()), **overrides), 400, code)
    assert field in body["fields"]
    assert Need.objects.count() == 0 and NeedEvent.objects.count() == 0


@pytest.mark.parametrize("upload, code", [
    (SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png"), "invalid_photo"),
    (SimpleUploadedFile("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif"),
     "invalid_photo"),
])
def test_a_photo_that_is_not_an_accepted_image_is_refused(client_for, upload, code):
    response = client_for(UserFactory()).post("/api/v1/needs/", {
        "region": COMMUNITY, "category": "other", "description": "看图", "photos": [png(), upload]},
        format="multipart")
    assert assert_error(response, 400, code)["fields"]["photos"][0].startswith("第 2 张")
    assert Need.objects.count() == 0 and NeedPhoto.objects.count() == 0


@override_settings(NEED_PHOTO_MAX_BYTES=2000, NEED_PHOTO_MAX_COUNT=2)
def test_oversize_photos_and_too_many_photos_are_refused(client_for):
    client = client_for(UserFactory())
    big_img = Image.effect_noise((300, 300), 80)
    buffer = io.BytesIO()
    big_img.save(buffer, format="PNG")
    big = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
    assert big.size > 2000
    base = {"region": COMMUNITY, "category": "other", "description": "大图"}
    assert_error(client.post("/api/v1/needs/", {**base, "photos": [big]}, format="multipart"), 400,
                 "photo_too_large")
    assert_error(client.post("/api/v1/needs/", {**base, "photos": [png(), png(), png()]}, format="multipart"),
                 400, "too_many_photos")
    assert Need.objects.count() == 0 and NeedPhoto.objects.count() == 0


def test_anonymous_and_wrong_methods(api, client_for):
    need = make_need()
    for url in ("/api/v1/needs/", f"/api/v1/needs/{need.id}/", "/api/v1/needs/stats/"):
        assert_error(api.get(url), 401)
    assert_error(post_need(api), 401)
    for action in ("accept", "reject", "link-project", "create-project", "serve", "close"):
        assert_error(api.post(f"/api/v1/needs/{need.id}/{action}/", {}, format="json"), 401)
        assert_error(client_for(need.reporter).get(f"/api/v1/needs/{need.id}/{action}/"), 405)
    client = client_for(need.reporter)
    assert_error(client.delete(f"/api/v1/needs/{need.id}/"), 405)
    assert_error(client.put("/api/v1/needs/", {}, format="json"), 405)
    assert_error(client.post("/api/v1/needs/stats/", {}, format="json"), 405)
    assert_error(client.get("/api/v1/needs/999999/"), 404)


# --- who sees what ------------------------------------------------------------------------

def test_residents_see_their_own_staff_their_area_and_social_workers_triaged_needs_of_their_area(
        client_for, django_assert_max_num_queries):
    resident = UserFactory()
    mine = make_need(reporter=resident)
    triaged = make_need(status=Need.Status.TRIAGED)
    elsewhere = make_need(code=OTHER_COMMUNITY, status=Need.Status.TRIAGED)
    worker, _org = worker_of_street()

    def ids(user, query=""):
        return [n["id"] for n in client_for(user).get(f"/api/v1/needs/{query}").json()["results"]]

    assert ids(resident) == [mine.id]
    assert ids(community_staff()) == [triaged.id, mine.id]
    assert ids(street_staff(OTHER_STREET)) == [elsewhere.id]
    assert ids(StaffFactory()) == [elsewhere.id, triaged.id, mine.id]  # the bureau: the whole city
    assert ids(worker) == [triaged.id]  # submitted needs are the community's to triage first
    assert ids(worker, "?mine=1") == []
    assert ids(community_staff(), "?status=submitted") == [mine.id]
    assert ids(StaffFactory(), f"?region={OTHER_STREET}") == [elsewhere.id]
    assert ids(StaffFactory(), "?category=children") == []
    assert_error(client_for(resident).get("/api/v1/needs/?status=nonsense"), 400, "invalid")
    for _ in range(5):
        make_need(status=Need.Status.TRIAGED)
    client = client_for(community_staff())
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/needs/").json()["count"] == 7

    assert client_for(worker).get(f"/api/v1/needs/{triaged.id}/").status_code == 200
    assert_error(client_for(worker).get(f"/api/v1/needs/{mine.id}/"), 404)  # not triaged yet
    assert_error(client_for(worker).get(f"/api/v1/needs/{elsewhere.id}/"), 404)  # not their area
    assert_error(client_for(UserFactory()).get(f"/api/v1/needs/{mine.id}/"), 404)
    assert_error(client_for(street_staff(OTHER_STREET)).get(f"/api/v1/needs/{mine.id}/"), 404)


# --- triage --------------------------------------------------------------------------------

def test_community_staff_accept_and_the_resident_follows_with_a_timeline(client_for):
    resident, staff = UserFactory(), community_staff()
    need = make_need(reporter=resident)
    body = client_for(staff).post(f"/api/v1/needs/{need.id}/accept/", {"note": "安排社工跟进"}, format="json")
    assert body.status_code == 200
    assert body.json()["status"] == "triaged"
    need.refresh_from_db()
    assert need.triaged_by == staff and need.triaged_at is not None
    events = list(NeedEvent.objects.filter(need=need).values_list("from_status", "to_status", "actor", "note"))
    assert events == [("submitted", "triaged", staff.id, "安排社工跟进")]
    assert kinds(resident) == ["need_triaged"]
    detail = client_for(resident).get(f"/api/v1/needs/{need.id}/").json()
    assert [e["to_status_label"] for e in detail["events"]] == ["已受理"]
    assert detail["events"][0]["actor"] == {"id": staff.id, "name": staff.name}
    assert_error(client_for(staff).post(f"/api/v1/needs/{need.id}/accept/"), 409, "not_submitted")
    assert NeedEvent.objects.filter(need=need).count() == 1 and kinds(resident) == ["need_triaged"]


def test_triage_outside_ones_area_or_without_a_staff_role_is_refused(client_for):
    need = make_need()
    assert_error(client_for(street_staff(OTHER_STREET)).post(f"/api/v1/needs/{need.id}/accept/"), 404)
    assert_error(client_for(community_staff("410902001002")).post(f"/api/v1/needs/{need.id}/accept/"), 404)
    assert_error(client_for(need.reporter).post(f"/api/v1/needs/{need.id}/accept/"), 403, "outside_area")
    triaged = make_need(status=Need.Status.TRIAGED)
    worker, _ = worker_of_street()
    assert_error(client_for(worker).post(f"/api/v1/needs/{triaged.id}/reject/", {"reason": "x"}, format="json"),
                 403, "outside_area")
    need.refresh_from_db()
    assert need.status == "submitted" and not NeedEvent.objects.exists()
    # Street staff above the community may triage.
    assert client_for(street_staff()).post(f"/api/v1/needs/{need.id}/accept/").status_code == 200


def test_rejecting_needs_a_reason_that_the_resident_is_shown(client_for):
    resident, staff = UserFactory(), community_staff()
    need = make_need(reporter=resident)
    client = client_for(staff)
    assert_error(client.post(f"/api/v1/needs/{need.id}/reject/", {}, format="json"), 400, "invalid")
    assert_error(client.post(f"/api/v1/needs/{need.id}/reject/", {"reason": ""}, format="json"), 400, "invalid")
    assert Need.objects.get(id=need.id).status == "submitted"
    body = client.post(f"/api/v1/needs/{need.id}/reject/", {"reason": "不属于社区服务范围"}, format="json").json()
    assert body["status"] == "rejected" and body["reject_reason"] == "不属于社区服务范围"
    note = Notification.objects.get(recipient=resident)
    assert note.kind == "need_rejected" and "不属于社区服务范围" in note.body
    assert_error(client.post(f"/api/v1/needs/{need.id}/reject/", {"reason": "再次"}, format="json"), 409,
                 "not_rejectable")
    assert_error(client_for(resident).post(f"/api/v1/needs/{need.id}/close/"), 409, "not_closable")


# --- a social worker takes it up ------------------------------------------------------------

def test_a_social_worker_links_a_triaged_need_to_a_project_of_theirs(client_for):
    resident = UserFactory()
    need = make_need(reporter=resident, status=Need.Status.TRIAGED)
    worker, org = worker_of_street()
    project = ProjectFactory(organization=org, owner=worker)
    response = client_for(worker).post(f"/api/v1/needs/{need.id}/link-project/", {"project": project.id},
                                       format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress" and response.json()["project"]["id"] == project.id
    assert kinds(resident) == ["need_in_progress"]
    assert NeedEvent.objects.get(need=need).project == project
    # The project's owner keeps seeing the need in their list.
    assert [n["id"] for n in client_for(worker).get("/api/v1/needs/").json()["results"]] == [need.id]


def test_linking_someone_elses_or_a_closed_project_is_refused_and_nothing_changes(client_for):
    need = make_need(status=Need.Status.TRIAGED)
    worker, org = worker_of_street()
    client = client_for(worker)
    foreign = ProjectFactory(organization=org)  # same organization, another social worker's project
    assert_error(client.post(f"/api/v1/needs/{need.id}/link-project/", {"project": foreign.id}, format="json"),
                 403, "not_your_project")
    closed = ProjectFactory(organization=org, owner=worker, status=ServiceProject.Status.CLOSED)
    assert_error(client.post(f"/api/v1/needs/{need.id}/link-project/", {"project": closed.id}, format="json"),
                 409, "project_closed")
    assert_error(client.post(f"/api/v1/needs/{need.id}/link-project/", {"project": 999999}, format="json"),
                 400, "invalid")
    assert_error(client.post(f"/api/v1/needs/{need.id}/link-project/", {"project": "x"}, format="json"),
                 400, "invalid")
    need.refresh_from_db()
    assert (need.status, need.project_id) == ("triaged", None)
    assert not NeedEvent.objects.exists() and not Notification.objects.filter(recipient=need.reporter).exists()
    # A social worker of another area cannot even see it.
    other_worker = social_worker(OrganizationFactory(region=region(OTHER_STREET)))
    mine = ProjectFactory(owner=other_worker, organization=other_worker.memberships.get().organization)
    assert_error(client_for(other_worker).post(f"/api/v1/needs/{need.id}/link-project/", {"project": mine.id},
                                               format="json"), 404)
    # A need nobody accepted yet is not a social worker's to take.
    submitted = make_need()
    own = ProjectFactory(organization=org, owner=worker)
    assert_error(client.post(f"/api/v1/needs/{submitted.id}/link-project/", {"project": own.id}, format="json"),
                 404)


def test_a_social_worker_drafts_a_project_from_a_need(client_for):
    resident = UserFactory()
    need = make_need(reporter=resident, status=Need.Status.TRIAGED, address="京东社区5号楼")
    worker, org = worker_of_street()
    response = client_for(worker).post(f"/api/v1/needs/{need.id}/create-project/",
                                       {"organization": org.id, "title": "独居老人每周探访"}, format="json")
    assert response.status_code == 201, response.content
    project = ServiceProject.objects.get(id=response.json()["project"]["id"])
    assert (project.status, project.owner, project.organization, project.region_id, project.address) == (
        "draft", worker, org, COMMUNITY, "京东社区5号楼")
    assert "需要帮助" in project.description
    assert Need.objects.get(id=need.id).status == "in_progress"
    assert kinds(resident) == ["need_in_progress"]


def test_drafting_a_project_for_an_organization_outside_the_area_or_not_ones_own_writes_nothing(client_for):
    need = make_need(status=Need.Status.TRIAGED)
    worker, _org = worker_of_street()
    far = OrganizationFactory(region=region(OTHER_STREET))
    from organizations.models import Membership

    Membership.objects.create(user=worker, organization=far, role=Membership.Role.SOCIAL_WORKER)
    client = client_for(worker)
    assert_error(client.post(f"/api/v1/needs/{need.id}/create-project/", {"organization": far.id}, format="json"),
                 403, "outside_area")
    stranger_org = OrganizationFactory(region=region(STREET))
    assert_error(client.post(f"/api/v1/needs/{need.id}/create-project/", {"organization": stranger_org.id},
                             format="json"), 403, "not_social_worker")
    assert_error(client.post(f"/api/v1/needs/{need.id}/create-project/", {}, format="json"), 400, "invalid")
    assert ServiceProject.objects.count() == 0
    assert Need.objects.get(id=need.id).status == "triaged" and not NeedEvent.objects.exists()


# --- served, closed -----------------------------------------------------------------------------

def in_progress_need(resident=None):
    worker, org = worker_of_street()
    project = ProjectFactory(organization=org, owner=worker)
    need = make_need(reporter=resident or UserFactory(), status=Need.Status.IN_PROGRESS, project=project)
    return need, project, worker


def test_the_social_worker_marks_it_served_the_resident_is_told_and_the_metric_counts_it(
        client_for, django_capture_on_commit_callbacks):
    resident = UserFactory()
    need, project, worker = in_progress_need(resident)
    assert_error(client_for(resident).post(f"/api/v1/needs/{need.id}/serve/"), 403, "not_your_project")
    assert_error(client_for(community_staff()).post(f"/api/v1/needs/{need.id}/serve/"), 403, "not_your_project")
    with django_capture_on_commit_callbacks(execute=True):
        body = client_for(worker).post(f"/api/v1/needs/{need.id}/serve/", {"note": "已上门"}, format="json").json()
    assert body["status"] == "served" and body["served_at"]
    assert kinds(resident) == ["need_served"]
    row = OrganizationMetric.objects.get(organization=project.organization)
    assert row.needs_served == 1
    assert_error(client_for(worker).post(f"/api/v1/needs/{need.id}/serve/"), 409, "not_in_progress")
    # The resident confirms: closed, and it still counts as served.
    closed = client_for(resident).post(f"/api/v1/needs/{need.id}/close/").json()
    assert closed["status"] == "closed" and closed["events"][-1]["note"] == "居民确认服务完成"
    assert kinds(resident) == ["need_served", "need_closed"]
    from volunteers.metrics import organization_metric_refresh

    _row, changed = organization_metric_refresh(organization_id=project.organization_id,
                                                period=timezone.localdate())
    assert not changed


def test_an_organizations_admin_lists_the_needs_its_projects_took_up(client_for):
    from organizations.models import Membership

    need, project, _worker = in_progress_need()
    make_need(status=Need.Status.TRIAGED)  # in the area, but the admin is no social worker there
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=project.organization, role=Membership.Role.ADMIN)
    client = client_for(admin)
    assert [n["id"] for n in client.get("/api/v1/needs/").json()["results"]] == [need.id]
    assert client.get(f"/api/v1/needs/{need.id}/").status_code == 200
    assert client.get("/api/v1/needs/?mine=1").json()["count"] == 0


def test_serving_is_checked_against_the_project_the_need_has_now_not_the_one_read_before():
    from config.exceptions import Forbidden
    from projects.needs import need_mark_served

    need, _project, worker = in_progress_need()
    stale = Need.objects.select_related("project").get(id=need.id)
    # Meanwhile the need was sent back and taken up by another organization's project.
    other_worker, other_org = worker_of_street()
    Need.objects.filter(id=need.id).update(project=ProjectFactory(organization=other_org, owner=other_worker))
    with pytest.raises(Forbidden):
        need_mark_served(user=worker, need=stale)
    assert Need.objects.get(id=need.id).status == Need.Status.IN_PROGRESS
    assert not NeedEvent.objects.filter(need=need).exists()


def test_only_the_reporter_closes_and_not_while_work_is_under_way(client_for):
    need, _project, worker = in_progress_need()
    assert_error(client_for(need.reporter).post(f"/api/v1/needs/{need.id}/close/"), 409, "not_closable")
    assert_error(client_for(worker).post(f"/api/v1/needs/{need.id}/close/"), 403, "not_reporter")
    fresh = make_need()
    body = client_for(fresh.reporter).post(f"/api/v1/needs/{fresh.id}/close/", {"note": ""}, format="json").json()
    assert body["status"] == "closed" and body["events"][-1]["note"] == "居民撤回需求"


def test_needs_follow_their_project_closed_is_served_cancelled_goes_back_to_triage(
        django_capture_on_commit_callbacks):
    served, project, _ = in_progress_need()
    returned, other, _ = in_progress_need()
    untouched, _p, _w = in_progress_need()
    ServiceProject.objects.filter(id=project.id).update(status=ServiceProject.Status.CLOSED)
    ServiceProject.objects.filter(id=other.id).update(status=ServiceProject.Status.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert needs_sync_projects() == {"served": 1, "returned": 1}
    served.refresh_from_db()
    returned.refresh_from_db()
    untouched.refresh_from_db()
    assert served.status == "served" and served.served_at is not None
    assert (returned.status, returned.project_id) == ("triaged", None)
    assert untouched.status == "in_progress"
    assert NeedEvent.objects.get(need=returned).project_id == other.id  # the event names the project it left
    assert NeedEvent.objects.get(need=served).actor is None
    assert kinds(served.reporter) == ["need_served"] and kinds(returned.reporter) == ["need_triaged"]
    assert OrganizationMetric.objects.get(organization=project.organization).needs_served == 1
    # A replay (the beat running again) changes nothing.
    assert needs_sync_projects() == {"served": 0, "returned": 0}
    assert NeedEvent.objects.count() == 2


# --- stats ------------------------------------------------------------------------------------

def test_needs_by_category_and_status_for_staff_of_the_area(client_for):
    make_need()
    make_need(status=Need.Status.TRIAGED)
    Need.objects.create(reporter=UserFactory(), region=region(COMMUNITY), category="children",
                        description="课后辅导", status=Need.Status.SUBMITTED)
    make_need(code=OTHER_COMMUNITY)
    body = client_for(community_staff()).get("/api/v1/needs/stats/").json()
    assert body["region"] == COMMUNITY and body["total"] == 3
    elderly = next(c for c in body["by_category"] if c["category"] == "elderly_care")
    assert elderly["total"] == 2 and elderly["statuses"]["submitted"] == 1 and elderly["statuses"]["triaged"] == 1
    assert body["by_status"]["submitted"] == 2
    assert body["by_region"] == []  # a community has no child regions
    city = client_for(StaffFactory()).get(f"/api/v1/needs/stats/?region={OTHER_STREET}").json()
    assert city["total"] == 1
    district = client_for(StaffFactory()).get("/api/v1/needs/stats/?region=410902").json()
    assert district["by_region"] == [
        {"region": STREET, "name": region(STREET).name, "total": 3, "open": 3, "served": 0},
        {"region": OTHER_STREET, "name": region(OTHER_STREET).name, "total": 1, "open": 1, "served": 0}]
    assert_error(client_for(community_staff()).get(f"/api/v1/needs/stats/?region={OTHER_STREET}"), 403,
                 "outside_area")
    assert_error(client_for(StaffFactory()).get("/api/v1/needs/stats/?region=4109999"), 400, "invalid")
    assert_error(client_for(UserFactory()).get("/api/v1/needs/stats/"), 403, "not_staff")
    worker, _ = worker_of_street()
    assert_error(client_for(worker).get("/api/v1/needs/stats/"), 403, "not_staff")


def test_the_reporter_can_rate_the_service_of_the_project_that_took_up_their_need(client_for):
    from tests.factories import ShiftFactory

    need, project, _worker = in_progress_need()
    ended = ShiftFactory(project=project, starts_at=timezone.now() - timedelta(hours=5))
    ShiftFactory(project=project)  # still ahead: not rateable yet
    detail = client_for(need.reporter).get(f"/api/v1/needs/{need.id}/").json()
    assert [(s["id"], s["my_rating"]) for s in detail["rateable_shifts"]] == [(ended.id, None)]
    response = client_for(need.reporter).post(f"/api/v1/shifts/{ended.id}/service-feedback/",
                                              {"rating": 5, "comment": "很贴心"}, format="json")
    assert response.status_code == 201, response.content
    detail = client_for(need.reporter).get(f"/api/v1/needs/{need.id}/").json()
    assert detail["rateable_shifts"][0]["my_rating"] == 5


def test_seed_demo_has_needs_in_every_status_with_timelines_and_the_metrics_count_the_served_ones(client_for):
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import User

    call_command("seed_demo", "--volunteers", "5", stdout=StringIO())
    assert set(Need.objects.values_list("status", flat=True)) == set(Need.Status.values)
    for need in Need.objects.all():
        trail = list(need.events.order_by("id").values_list("to_status", flat=True))
        assert trail[0] == "submitted" and trail[-1] == need.status
    community = User.objects.get(phone="13800000002")
    worker = User.objects.get(phone="13800000004")
    assert client_for(community).get("/api/v1/needs/?status=submitted").json()["count"] == 2
    assert client_for(worker).get("/api/v1/needs/?status=triaged").json()["count"] == 1
    served = Need.objects.filter(status__in=["served", "closed"]).select_related("project")
    assert sum(OrganizationMetric.objects.filter(organization=served[0].project.organization)
               .values_list("needs_served", flat=True)) == served.count() == 2
    # The residents served rated the service: the metric the evaluation reads has data.
    from projects.models import ServiceFeedback
    assert sorted(ServiceFeedback.objects.values_list("rating", flat=True)) == [4, 5]
    assert OrganizationMetric.objects.filter(organization=served[0].project.organization,
                                             service_rating__isnull=False).exists()
    call_command("seed_demo", "--volunteers", "5", stdout=StringIO())
    assert Need.objects.count() == 7 and NeedEvent.objects.count() == 7 + 11
    assert ServiceFeedback.objects.count() == 2
