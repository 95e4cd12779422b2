"""Venues shared by organizations, conflict-free room booking, and the brand showcase."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import Organization, RoomBooking, Venue
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, OrganizationFactory, ProjectFactory, region
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
