"""A volunteer's profile: skills, interests, weekly availability, home and travel distance."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import assert_error
from tests.factories import COMMUNITY, UserFactory
from volunteers.models import VolunteerProfile

pytestmark = pytest.mark.django_db

URL = "/api/v1/volunteers/me/profile/"
FULL = {
    "skills": [" 陪伴 ", "急救", "陪伴", ""],
    "interests": ["elderly", "children"],
    "availability": [{"weekday": 5, "start": "09:00", "end": "12:00"},
                     {"weekday": 0, "start": "18:30", "end": "21:00"},
                     {"weekday": 5, "start": "12:00", "end": "17:00"}],
    "home_region": COMMUNITY,
    "home_lat": "35.762100",
    "home_lng": "115.029200",
    "travel_km": "5.5",
}


def test_a_new_volunteer_reads_an_empty_profile_without_anything_being_written(client_for):
    body = client_for(UserFactory()).get(URL).json()
    assert body == {"skills": [], "interests": [], "availability": [], "home_region": None, "home_lat": None,
                    "home_lng": None, "travel_km": None, "updated_at": None}
    assert not VolunteerProfile.objects.exists()


def test_a_volunteer_fills_in_the_profile_and_reads_it_back(client_for):
    user = UserFactory()
    client = client_for(user)
    response = client.patch(URL, FULL, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["skills"] == ["陪伴", "急救"]  # trimmed, blanks and repeats dropped
    assert body["interests"] == ["elderly", "children"]
    assert body["availability"] == [{"weekday": 0, "start": "18:30", "end": "21:00"},
                                    {"weekday": 5, "start": "09:00", "end": "12:00"},
                                    {"weekday": 5, "start": "12:00", "end": "17:00"}]
    assert body["home_region"] == {"code": COMMUNITY, "name": "京东社区居民委员会"}
    assert (body["home_lat"], body["home_lng"], body["travel_km"]) == ("35.762100", "115.029200", "5.5")
    assert client.get(URL).json() == body
    # Another volunteer's profile is their own, still empty.
    assert client_for(UserFactory()).get(URL).json()["skills"] == []


def test_a_partial_change_keeps_the_rest(client_for):
    client = client_for(UserFactory())
    client.patch(URL, FULL, format="json")
    body = client.patch(URL, {"travel_km": "12", "home_region": None}, format="json").json()
    assert body["travel_km"] == "12.0" and body["home_region"] is None and body["skills"] == ["陪伴", "急救"]
    body = client.patch(URL, {"home_lat": None, "home_lng": None}, format="json").json()
    assert body["home_lat"] is None and body["home_lng"] is None and body["travel_km"] == "12.0"


@pytest.mark.parametrize(("change", "field"), [
    ({"availability": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                       {"weekday": 1, "start": "11:00", "end": "13:00"}]}, "availability"),
    ({"availability": [{"weekday": 1, "start": "12:00", "end": "09:00"}]}, "availability"),
    ({"availability": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "availability"),
    ({"availability": [{"weekday": 1, "start": "9点", "end": "12:00"}]}, "availability"),
    ({"availability": "weekends"}, "availability"),
    ({"home_lat": "35.7"}, "home_lng"),
    ({"home_lat": "95", "home_lng": "115"}, "home_lat"),
    ({"home_region": "999999"}, "home_region"),
    ({"travel_km": "-1"}, "travel_km"),
    ({"travel_km": "10000"}, "travel_km"),
    ({"skills": "急救"}, "skills"),
    ({"skills": ["x" * 33]}, "skills"),
    ({"interests": [f"t{i}" for i in range(31)]}, "interests"),
    ({}, "non_field_errors"),
], ids=["overlap", "end-before-start", "weekday", "time-format", "not-a-list", "lat-alone", "lat-range",
        "region", "negative-km", "far-km", "skills-not-list", "long-skill", "many-interests", "empty"])
def test_bad_input_is_refused_and_nothing_is_written(client_for, change, field):
    user = UserFactory()
    body = assert_error(client_for(user).patch(URL, change, format="json"), 400)
    assert field in body["fields"], body
    assert not VolunteerProfile.objects.exists()


def test_a_refused_change_leaves_the_saved_profile_as_it_was(client_for):
    client = client_for(UserFactory())
    before = client.patch(URL, FULL, format="json").json()
    assert_error(client.patch(URL, {"skills": ["新技能"], "home_lat": None}, format="json"), 400)
    assert client.get(URL).json() == before


def test_anonymous_users_and_other_methods_are_refused(api, client_for):
    assert_error(api.get(URL), 401)
    assert_error(api.patch(URL, FULL, format="json"), 401)
    assert_error(client_for(UserFactory()).put(URL, FULL, format="json"), 405)
    assert_error(client_for(UserFactory()).post(URL, FULL, format="json"), 405)
    assert not VolunteerProfile.objects.exists()


def test_availability_answers_whether_a_shift_fits():
    tz = ZoneInfo("Asia/Shanghai")
    profile = VolunteerProfile(availability=[{"weekday": 5, "start": "09:00", "end": "12:00"},
                                             {"weekday": 6, "start": "20:00", "end": "24:00"}])
    saturday = datetime(2030, 6, 1, tzinfo=tz)  # a Saturday
    assert profile.is_available(saturday.replace(hour=9), saturday.replace(hour=11))
    assert not profile.is_available(saturday.replace(hour=11), saturday.replace(hour=13))
    assert not profile.is_available(saturday.replace(day=3, hour=9), saturday.replace(day=3, hour=11))
    sunday = saturday.replace(day=2)
    assert profile.is_available(sunday.replace(hour=21), sunday.replace(day=3, hour=0))
    assert not VolunteerProfile(availability=[]).is_available(saturday.replace(hour=9), saturday.replace(hour=10))
