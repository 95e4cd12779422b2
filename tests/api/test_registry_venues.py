"""Venues shared by organizations, conflict-free room booking, and the brand showcase."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import Organization, Room, RoomBooking, Venue
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, OTHER_STREET, OrganizationFactory, ProjectFactory, region
from tests.registry_factories import cast

pytestmark = pytest.mark.django_db


def _venue(c):
    venue = as_user(c.community).post("/api/v1/venues/", {"name": "京东社区党群服务中心", "region": COMMUNITY,
                                                          "kind": "party_service_center"}, format="json")
    assert venue.status_code == 201, venue.content
    room = as_user(c.community).post(f"/api/v1/venues/{venue.json()['id']}/rooms/", {"name": "多功能活动室",
                                                                                      "capacity": 40},
                                     format="json").json()
    Organization.objects.filter(id=c.org.id).update(venue_id=venue.json()["id"])
    return venue.json(), room


BASE = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _slot(hours_from_now: float, length: float = 2) -> dict:
    start = BASE + timedelta(hours=hours_from_now)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=length)).isoformat()}


def test_a_venue_hosts_several_organizations_and_lists_them(api):
    c = cast()
    venue, _ = _venue(c)
    second = OrganizationFactory(region=region(COMMUNITY), name="玉北文体队")
    Organization.objects.filter(id=second.id).update(venue_id=venue["id"])
    body = api.get("/api/v1/venues/").json()["results"][0]
    assert {o["id"] for o in body["organizations"]} == {c.org.id, second.id}
    assert body["rooms"][0]["name"] == "多功能活动室"


def test_only_governing_staff_add_venues_and_rooms(api):
    c = cast()
    body = {"name": "玉北社区服务中心", "region": COMMUNITY}
    assert_error(api.post("/api/v1/venues/", body, format="json"), 401)
    assert_error(as_user(c.admin).post("/api/v1/venues/", body, format="json"), 403)
    assert_error(as_user(c.other_community).post("/api/v1/venues/", body, format="json"), 403)
    assert_error(as_user(c.community).post("/api/v1/venues/", {**body, "region": "0"}, format="json"), 400)
    assert not Venue.objects.exists()
    venue, _ = _venue(c)
    assert_error(as_user(c.other_street).post(f"/api/v1/venues/{venue['id']}/rooms/", {"name": "x"},
                                              format="json"), 403)
    assert_error(as_user(c.community).post("/api/v1/venues/999999/rooms/", {"name": "x"}, format="json"), 404)


def test_a_room_is_never_double_booked():
    c = cast()
    _, room = _venue(c)
    url = f"/api/v1/rooms/{room['id']}/bookings/"
    first = as_user(c.admin).post(url, {"organization": c.org.id, **_slot(24)}, format="json")
    assert first.status_code == 201, first.content
    for start, length in ((24, 2), (25, 2), (23, 1.5), (23, 4)):
        assert_error(as_user(c.community).post(url, {"organization": c.org.id, **_slot(start, length)},
                                               format="json"), 409, "room_booked")
    assert as_user(c.admin).post(url, {"organization": c.org.id, **_slot(26)}, format="json").status_code == 201
    assert RoomBooking.objects.count() == 2
    # A cancelled booking frees its slot.
    assert as_user(c.admin).post(f"/api/v1/bookings/{first.json()['id']}/cancel/").json()["status"] == "cancelled"
    assert_error(as_user(c.admin).post(f"/api/v1/bookings/{first.json()['id']}/cancel/"), 409)
    assert as_user(c.admin).post(url, {"organization": c.org.id, **_slot(24)}, format="json").status_code == 201
    assert [b["organization"] for b in as_user(c.resident).get(url).json()] == [c.org.id, c.org.id]


def test_only_members_of_hosted_organizations_and_governing_staff_book(api):
    c = cast()
    _, room = _venue(c)
    url = f"/api/v1/rooms/{room['id']}/bookings/"
    other = c.other_admin.memberships.get().organization_id
    assert_error(api.post(url, {"organization": c.org.id, **_slot(5)}, format="json"), 401)
    assert_error(as_user(c.resident).post(url, {"organization": c.org.id, **_slot(5)}, format="json"), 403)
    assert_error(as_user(c.other_admin).post(url, {"organization": other, **_slot(5)}, format="json"), 403)
    assert_error(as_user(c.other_street).post(url, {"organization": other, **_slot(5)}, format="json"), 403)
    assert_error(as_user(c.admin).post("/api/v1/rooms/999999/bookings/", {"organization": c.org.id, **_slot(5)},
                                       format="json"), 404)
    assert not RoomBooking.objects.exists()
    assert as_user(c.street).post(url, {"organization": other, **_slot(5)}, format="json").status_code == 201


@pytest.mark.parametrize("slot, field", [
    (_slot(-2), "starts_at"), (_slot(5, -1), "ends_at"), (_slot(5, 13), "ends_at"), (_slot(24 * 200), "starts_at"),
])
def test_bad_booking_times_are_400(slot, field):
    c = cast()
    _, room = _venue(c)
    body = assert_error(as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/",
                                              {"organization": c.org.id, **slot}, format="json"), 400)
    assert field in body["fields"]
    assert not RoomBooking.objects.exists()


def test_others_cannot_cancel_a_booking():
    c = cast()
    _, room = _venue(c)
    booking = as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/", {"organization": c.org.id,
                                                                               **_slot(5)}, format="json").json()
    assert_error(as_user(c.resident).post(f"/api/v1/bookings/{booking['id']}/cancel/"), 403)
    assert RoomBooking.objects.get().status == "confirmed"


def test_brands_are_awarded_by_senior_staff_and_told_by_the_admin(api):
    c = cast()
    project = ProjectFactory(organization=c.org)
    foreign = ProjectFactory()
    url = f"/api/v1/organizations/{c.org.id}/brand/"
    assert_error(as_user(c.admin).patch(url, {"is_brand": True}, format="json"), 403)
    assert_error(as_user(c.community).patch(url, {"is_brand": True}, format="json"), 403)
    assert as_user(c.street).patch(url, {"is_brand": True}, format="json").json()["is_brand"] is True
    body = as_user(c.admin).patch(url, {"brand_story": "十年守望", "brand_photos": ["https://example.org/1.jpg"],
                                        "brand_projects": [project.id]}, format="json").json()
    assert body["brand_projects"] == [project.id] and body["brand_story"] == "十年守望"
    assert "brand_projects" in assert_error(as_user(c.admin).patch(url, {"brand_projects": [foreign.id]},
                                                                   format="json"), 400)["fields"]
    assert_error(as_user(c.other_admin).patch(url, {"brand_story": "x"}, format="json"), 403)
    assert_error(api.patch(url, {"brand_story": "x"}, format="json"), 401)
    showcase = api.get("/api/v1/organizations/brands/").json()["results"]
    assert [(o["id"], o["brand_story"]) for o in showcase] == [(c.org.id, "十年守望")]


# --- a venue's own record: edit, stop, delete ------------------------------------------

def _booked_room(c):
    venue, room = _venue(c)
    booking = as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/", {"organization": c.org.id,
                                                                               **_slot(5)}, format="json")
    assert booking.status_code == 201, booking.content
    return venue, room, booking.json()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("resident", 403), ("admin", 403),
                                          ("other_community", 403), ("other_street", 403), ("community", 200),
                                          ("street", 200), ("bureau", 200)])
def test_only_governing_staff_edit_a_venue_and_its_rooms(role, status):
    from tests.api.test_registry_record import client

    c = cast()
    venue, room = _venue(c)
    response = client(c, role).patch(f"/api/v1/venues/{venue['id']}/", {"address": "中原路 88 号"}, format="json")
    room_response = client(c, role).patch(f"/api/v1/rooms/{room['id']}/", {"capacity": 60}, format="json")
    if status == 200:
        assert response.status_code == 200 and response.json()["address"] == "中原路 88 号"
        assert room_response.status_code == 200 and room_response.json()["capacity"] == 60
    else:
        assert_error(response, status)
        assert_error(room_response, status)
        assert Venue.objects.get().address == "" and Room.objects.get().capacity == 40


def test_a_venue_edit_is_checked_and_writes_nothing_when_refused():
    c = cast()
    venue, room = _venue(c)
    url = f"/api/v1/venues/{venue['id']}/"
    as_user(c.community).post("/api/v1/venues/", {"name": "京东社区服务中心", "region": COMMUNITY}, format="json")
    assert_error(as_user(c.community).patch(url, {"name": "京东社区服务中心"}, format="json"), 409, "duplicate_name")
    body = assert_error(as_user(c.community).patch(url, {"region": OTHER_STREET}, format="json"), 403,
                        "outside_jurisdiction")
    assert "region" in body["fields"]
    assert "region" in assert_error(as_user(c.community).patch(url, {"region": "999"}, format="json"), 400)["fields"]
    assert "kind" in assert_error(as_user(c.community).patch(url, {"kind": "palace"}, format="json"), 400)["fields"]
    assert "name" in assert_error(as_user(c.community).patch(url, {"name": " "}, format="json"), 400)["fields"]
    saved = Venue.objects.get(id=venue["id"])
    assert (saved.name, saved.region_id, saved.kind) == ("京东社区党群服务中心", COMMUNITY, "party_service_center")
    room_url = f"/api/v1/rooms/{room['id']}/"
    as_user(c.community).post(f"/api/v1/venues/{venue['id']}/rooms/", {"name": "议事室"}, format="json")
    assert_error(as_user(c.community).patch(room_url, {"name": "议事室"}, format="json"), 409, "duplicate_name")
    assert "capacity" in assert_error(as_user(c.community).patch(room_url, {"capacity": 0}, format="json"),
                                      400)["fields"]
    assert Room.objects.get(id=room["id"]).name == "多功能活动室"
    assert_error(as_user(c.community).patch("/api/v1/venues/999999/", {"address": "x"}, format="json"), 404)
    assert_error(as_user(c.community).patch("/api/v1/rooms/999999/", {"capacity": 3}, format="json"), 404)
    assert_error(as_user(c.community).put(room_url, {"capacity": 3}, format="json"), 405)


def test_an_unused_room_and_venue_are_deleted_by_governing_staff_only(api):
    c = cast()
    venue, room = _venue(c)
    Organization.objects.filter(id=c.org.id).update(venue=None)
    for who, status in ((None, 401), (c.admin, 403), (c.other_street, 403)):
        client = api if who is None else as_user(who)
        assert_error(client.delete(f"/api/v1/rooms/{room['id']}/"), status)
        assert_error(client.delete(f"/api/v1/venues/{venue['id']}/"), status)
    assert Room.objects.exists() and Venue.objects.exists()
    assert as_user(c.community).delete(f"/api/v1/rooms/{room['id']}/").status_code == 204
    assert not Room.objects.exists()
    assert as_user(c.street).delete(f"/api/v1/venues/{venue['id']}/").status_code == 204
    assert not Venue.objects.exists()
    assert_error(as_user(c.street).delete(f"/api/v1/venues/{venue['id']}/"), 404)


def test_a_room_with_bookings_is_made_unbookable_instead_of_deleted():
    c = cast()
    _, room, booking = _booked_room(c)
    body = assert_error(as_user(c.community).delete(f"/api/v1/rooms/{room['id']}/"), 409, "room_in_use")
    assert "bookings" in body["fields"]
    # A cancelled booking is history too: still not deletable.
    as_user(c.admin).post(f"/api/v1/bookings/{booking['id']}/cancel/")
    assert_error(as_user(c.community).delete(f"/api/v1/rooms/{room['id']}/"), 409, "room_in_use")
    assert Room.objects.filter(id=room["id"]).exists() and RoomBooking.objects.count() == 1
    assert as_user(c.community).patch(f"/api/v1/rooms/{room['id']}/", {"is_bookable": False},
                                      format="json").json()["is_bookable"] is False
    assert_error(as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/",
                                       {"organization": c.org.id, **_slot(30)}, format="json"), 400, "not_bookable")
    assert RoomBooking.objects.count() == 1


def test_the_foreign_key_refuses_to_delete_a_booked_room_even_without_the_service():
    from django.db.models import ProtectedError

    c = cast()
    _, room, _ = _booked_room(c)
    with pytest.raises(ProtectedError):
        Room.objects.get(id=room["id"]).delete()


def test_a_venue_in_use_is_stopped_not_deleted_and_then_takes_no_bookings_or_organizations(api):
    c = cast()
    venue, room, booking = _booked_room(c)
    body = assert_error(as_user(c.community).delete(f"/api/v1/venues/{venue['id']}/"), 409, "venue_in_use")
    assert set(body["fields"]) == {"organizations", "bookings"}
    assert Venue.objects.filter(id=venue["id"]).exists()
    stopped = as_user(c.community).patch(f"/api/v1/venues/{venue['id']}/", {"is_active": False}, format="json")
    assert stopped.json()["is_active"] is False
    # Hidden from the default list, shown on request; its booking stays valid.
    assert api.get("/api/v1/venues/").json()["count"] == 0
    assert api.get("/api/v1/venues/?include_inactive=1").json()["results"][0]["id"] == venue["id"]
    assert RoomBooking.objects.get(id=booking["id"]).status == "confirmed"
    assert_error(as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/",
                                       {"organization": c.org.id, **_slot(30)}, format="json"), 400, "not_bookable")
    other = OrganizationFactory(region=region(COMMUNITY), name="玉北文体队")
    body = assert_error(as_user(c.community).patch(f"/api/v1/organizations/{other.id}/", {"venue": venue["id"]},
                                                   format="json"), 400)
    assert "venue" in body["fields"]
    assert Organization.objects.get(id=other.id).venue_id is None
    # Started again, it takes bookings.
    as_user(c.community).patch(f"/api/v1/venues/{venue['id']}/", {"is_active": True}, format="json")
    again = as_user(c.admin).post(f"/api/v1/rooms/{room['id']}/bookings/", {"organization": c.org.id, **_slot(30)},
                                  format="json")
    assert again.status_code == 201, again.content


def test_a_venue_named_in_a_filing_is_not_deleted():
    from organizations.models import FilingApplication

    c = cast()
    venue, _ = _venue(c)
    Organization.objects.filter(id=c.org.id).update(venue=None)
    FilingApplication.objects.create(applicant=c.resident, name="京东社区读书会", region=region(COMMUNITY),
                                     person_in_charge="王", contact_phone="13900000000",
                                     venue_id=venue["id"], charter_sections={})
    body = assert_error(as_user(c.community).delete(f"/api/v1/venues/{venue['id']}/"), 409, "venue_in_use")
    assert set(body["fields"]) == {"filings"}


def test_the_venue_detail_is_public(api):
    c = cast()
    venue, room = _venue(c)
    body = api.get(f"/api/v1/venues/{venue['id']}/").json()
    assert body["rooms"][0]["id"] == room["id"] and body["organizations"] == [{"id": c.org.id, "name": c.org.name}]
    assert_error(api.get("/api/v1/venues/999999/"), 404)


# --- one organization's brand, and the projects it may link -----------------------------

def test_editors_read_the_brand_with_the_projects_it_may_link_and_others_only_a_brand(api):
    c = cast()
    published = ProjectFactory(organization=c.org, title="独居老人探访")
    closed = ProjectFactory(organization=c.org, title="去年的助学", status="closed")
    ProjectFactory(organization=c.org, title="草稿项目", status="draft")
    ProjectFactory(title="别家的项目")
    url = f"/api/v1/organizations/{c.org.id}/brand/"
    for editor in (c.admin, c.community, c.street, c.bureau):
        body = as_user(editor).get(url).json()
        assert body["can_edit"] is True and body["is_brand"] is False
        assert [p["id"] for p in body["project_choices"]] == [closed.id, published.id]
    # Not a brand yet: nobody else learns anything about it.
    for outsider in (c.resident, c.other_admin, c.other_street):
        assert_error(as_user(outsider).get(url), 404)
    assert_error(api.get(url), 404)
    as_user(c.street).patch(url, {"is_brand": True}, format="json")
    as_user(c.admin).patch(url, {"brand_story": "十年守望", "brand_projects": [published.id]}, format="json")
    body = api.get(url).json()
    assert (body["can_edit"], body["project_choices"], body["brand_story"]) == (False, [], "十年守望")
    assert body["brand_project_details"] == [{"id": published.id, "title": "独居老人探访", "status": "published"}]
    assert_error(api.get("/api/v1/organizations/999999/brand/"), 404)


def test_a_brand_links_only_public_projects_of_its_own():
    c = cast()
    draft = ProjectFactory(organization=c.org, status="draft")
    url = f"/api/v1/organizations/{c.org.id}/brand/"
    body = assert_error(as_user(c.admin).patch(url, {"brand_projects": [draft.id]}, format="json"), 400)
    assert body["fields"]["brand_projects"] == [f"项目 #{draft.id} 未发布"]
    assert "brand_projects" in assert_error(as_user(c.admin).patch(url, {"brand_projects": [999999]},
                                                                   format="json"), 400)["fields"]
    assert not Organization.objects.get(id=c.org.id).brand_projects.exists()
    assert "brand_story" in assert_error(as_user(c.admin).patch(url, {"brand_story": "长" * 5001},
                                                                format="json"), 400)["fields"]


def test_the_showcase_names_the_linked_projects(api, django_assert_max_num_queries):
    c = cast()
    Organization.objects.filter(id=c.org.id).update(is_brand=True)
    for index in range(3):
        other = OrganizationFactory(region=region(COMMUNITY), name=f"品牌{index}", is_brand=True)
        other.brand_projects.set([ProjectFactory(organization=other, title=f"项目{index}")])
    c.org.brand_projects.set([ProjectFactory(organization=c.org, title="四点半课堂")])
    with django_assert_max_num_queries(4):
        rows = api.get("/api/v1/organizations/brands/").json()["results"]
    mine = next(r for r in rows if r["id"] == c.org.id)
    assert [p["title"] for p in mine["brand_project_details"]] == ["四点半课堂"]


# --- the small demo's venues ---------------------------------------------------------

def test_the_small_demo_has_venues_rooms_a_shared_office_and_a_booking():
    from io import StringIO

    from django.core.management import call_command

    from organizations.models import Room

    call_command("seed_demo", volunteers=0, stdout=StringIO())
    call_command("seed_demo", volunteers=0, stdout=StringIO())  # again: nothing duplicated
    assert Venue.objects.count() == 2 and Room.objects.count() == 4
    incubator = Venue.objects.get(name="中原路街道社会组织孵化基地")
    assert set(incubator.organizations.values_list("name", flat=True)) == {"濮阳市春晖社会工作服务中心",
                                                                           "玉北社区文体队"}
    booking = RoomBooking.objects.get()
    assert booking.status == "confirmed" and booking.starts_at > timezone.now()
    assert booking.booked_by.phone == "13800000003" and booking.room.venue == incubator


def test_a_venue_or_room_name_taken_at_the_same_moment_is_a_409_not_a_500(monkeypatch):
    from django.db.models.query import QuerySet

    c = cast()
    venue, room = _venue(c)
    as_user(c.community).post(f"/api/v1/venues/{venue['id']}/rooms/", {"name": "议事室"}, format="json")
    # The services' existence checks miss a row committed just after them (a concurrent
    # request): the unique constraints decide, and that is a 409 as well.
    real_exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists",
                        lambda qs: False if qs.model in (Venue, Room) else real_exists(qs))
    client = as_user(c.community)
    assert_error(client.post("/api/v1/venues/", {"name": venue["name"], "region": COMMUNITY}, format="json"),
                 409, "duplicate_name")
    assert_error(client.post(f"/api/v1/venues/{venue['id']}/rooms/", {"name": "议事室"}, format="json"),
                 409, "duplicate_name")
    assert_error(client.patch(f"/api/v1/rooms/{room['id']}/", {"name": "议事室"}, format="json"),
                 409, "duplicate_name")
    monkeypatch.undo()
    assert Venue.objects.count() == 1
    assert sorted(Room.objects.values_list("name", flat=True)) == ["多功能活动室", "议事室"]
