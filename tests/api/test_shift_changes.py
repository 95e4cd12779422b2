"""Approval-required sign-ups, shift changes, the iCal feed and weekly rules."""

from datetime import UTC, date, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from projects.models import Shift, ShiftRule, Signup
from projects.recurrence import shift_rules_generate
from projects.tasks import shift_rules_generate as shift_rules_generate_task
from tests.conftest import assert_error
from tests.factories import ProjectFactory, ShiftFactory, UserFactory, social_worker

pytestmark = pytest.mark.django_db


def _signup(client_for, user, shift):
    return client_for(user).post(f"/api/v1/shifts/{shift.id}/signups/")


# --- approval-required projects ---------------------------------------------------------

def test_approval_sign_ups_wait_as_pending_and_take_no_seat(client_for):
    shift = ShiftFactory(capacity=1, project__requires_approval=True)
    users = [UserFactory() for _ in range(3)]
    bodies = [_signup(client_for, u, shift).json() for u in users]
    assert [b["status"] for b in bodies] == ["pending"] * 3
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (0, 0)
    assert Notification.objects.filter(kind="signup_review_requested", recipient=shift.project.owner).count() == 3
    assert_error(_signup(client_for, users[0], shift), 409, "already_signed_up")

    owner = client_for(shift.project.owner)
    accepted = owner.post(f"/api/v1/signups/{bodies[0]['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "confirmed"
    assert Notification.objects.filter(kind="signup_accepted", recipient=users[0]).count() == 1
    # Full: accepting another is refused, nothing changes.
    assert_error(owner.post(f"/api/v1/signups/{bodies[1]['id']}/accept/"), 409, "shift_full")
    assert Signup.objects.get(id=bodies[1]["id"]).status == "pending"
    declined = owner.post(f"/api/v1/signups/{bodies[1]['id']}/decline/", {"reason": "名额已满"}, format="json")
    assert declined.json()["status"] == "declined"
    assert Notification.objects.get(kind="signup_declined", recipient=users[1]).data["reason"] == "名额已满"
    assert_error(owner.post(f"/api/v1/signups/{bodies[1]['id']}/accept/"), 409, "not_pending")
    shift.refresh_from_db()
    assert shift.confirmed_count == 1
    # A pending volunteer may withdraw; nothing is promoted.
    assert client_for(users[2]).post(f"/api/v1/signups/{bodies[2]['id']}/cancel/").json()["status"] == "cancelled"
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (1, 0)


def test_only_the_projects_managers_decide_on_sign_ups(api, client_for):
    shift = ShiftFactory(project__requires_approval=True)
    volunteer = UserFactory()
    pending = _signup(client_for, volunteer, shift).json()
    for action in ("accept", "decline"):
        assert_error(api.post(f"/api/v1/signups/{pending['id']}/{action}/"), 401)
        assert_error(client_for(volunteer).post(f"/api/v1/signups/{pending['id']}/{action}/"), 404)
        assert_error(client_for(social_worker()).post(f"/api/v1/signups/{pending['id']}/{action}/"), 404)
        assert_error(client_for(shift.project.owner).get(f"/api/v1/signups/{pending['id']}/{action}/"), 405)
    assert_error(client_for(shift.project.owner).post("/api/v1/signups/999999/accept/"), 404)
    assert Signup.objects.get(id=pending["id"]).status == "pending"


def test_accepting_a_volunteer_now_busy_elsewhere_is_a_conflict(client_for):
    shift = ShiftFactory(project__requires_approval=True)
    volunteer = UserFactory()
    pending = _signup(client_for, volunteer, shift).json()
    elsewhere = ShiftFactory(starts_at=shift.starts_at + timedelta(minutes=30))
    assert _signup(client_for, volunteer, elsewhere).json()["status"] == "confirmed"
    assert_error(client_for(shift.project.owner).post(f"/api/v1/signups/{pending['id']}/accept/"), 409,
                 "time_conflict")
    assert Signup.objects.get(id=pending["id"]).status == "pending"


def test_the_database_refuses_a_second_pending_sign_up():
    from django.db import IntegrityError, transaction

    shift, user = ShiftFactory(), UserFactory()
    Signup.objects.create(shift=shift, volunteer=user, status="pending")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(shift=shift, volunteer=user, status="confirmed")


# --- shift changes ----------------------------------------------------------------------

def _filled(client_for, shift, n):
    return [_signup(client_for, UserFactory(), shift).json() for _ in range(n)]


def test_a_new_time_or_place_tells_everyone_signed_up_what_changed(client_for):
    shift = ShiftFactory(capacity=1)
    seat, waiting = _filled(client_for, shift, 2)
    new_start = shift.starts_at + timedelta(hours=2)
    body = client_for(shift.project.owner).patch(f"/api/v1/shifts/{shift.id}/", {
        "starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=2)).isoformat(),
        "address": "京东社区二楼活动室"}, format="json")
    assert body.status_code == 200, body.content
    assert body.json()["address"] == "京东社区二楼活动室"
    notes = Notification.objects.filter(kind="shift_changed")
    assert sorted(n.data["signup_id"] for n in notes) == sorted([seat["id"], waiting["id"]])
    assert set(notes.first().data["changes"]) == {"starts_at", "ends_at", "address"}
    assert "京东社区二楼活动室" in notes.first().body


def test_raising_capacity_promotes_the_waitlist_in_order(client_for):
    shift = ShiftFactory(capacity=1)
    _, first, second, third = _filled(client_for, shift, 4)
    body = client_for(shift.project.owner).patch(f"/api/v1/shifts/{shift.id}/", {"capacity": 3}, format="json")
    assert body.json()["confirmed_count"] == 3 and body.json()["waitlisted_count"] == 1
    statuses = dict(Signup.objects.values_list("id", "status"))
    assert (statuses[first["id"]], statuses[second["id"]], statuses[third["id"]]) == (
        "confirmed", "confirmed", "waitlisted")
    assert Notification.objects.filter(kind="signup_promoted").count() == 2
    assert not Notification.objects.filter(kind="shift_changed").exists()  # capacity alone is no news to them


def test_lowering_capacity_below_the_confirmed_count_needs_a_choice(client_for):
    shift = ShiftFactory(capacity=3)
    a, b, c, waiting = _filled(client_for, shift, 4)
    owner = client_for(shift.project.owner)
    url = f"/api/v1/shifts/{shift.id}/"
    assert_error(owner.patch(url, {"capacity": 1}, format="json"), 409, "capacity_below_confirmed")
    assert_error(owner.patch(url, {"capacity": 1, "move_to_waitlist": [a["id"]]}, format="json"), 400, "invalid")
    assert_error(owner.patch(url, {"capacity": 1, "move_to_waitlist": [a["id"], waiting["id"]]}, format="json"),
                 400, "invalid")
    shift.refresh_from_db()
    assert (shift.capacity, shift.confirmed_count) == (3, 3)
    body = owner.patch(url, {"capacity": 1, "move_to_waitlist": [c["id"], b["id"]]}, format="json").json()
    assert (body["capacity"], body["confirmed_count"], body["waitlisted_count"]) == (1, 1, 3)
    moved = {n.recipient_id: n.data["waitlist_position"]
             for n in Notification.objects.filter(kind="signup_moved_to_waitlist")}
    by_id = dict(Signup.objects.values_list("id", "volunteer_id"))
    assert moved == {by_id[c["id"]]: 2, by_id[b["id"]]: 3}
    assert Signup.objects.get(id=a["id"]).status == "confirmed"


@pytest.mark.parametrize("change, field", [
    ({"ends_at": "2000-01-01T00:00:00+08:00"}, "ends_at"),
    ({"starts_at": "2000-01-01T00:00:00+08:00"}, "starts_at"),
    ({"capacity": 0}, "capacity"),
    ({}, "non_field_errors"),
])
def test_bad_shift_changes_are_400_and_change_nothing(client_for, change, field):
    shift = ShiftFactory()
    body = assert_error(client_for(shift.project.owner).patch(f"/api/v1/shifts/{shift.id}/", change,
                                                              format="json"), 400, "invalid")
    assert field in body["fields"]
    before = shift.starts_at, shift.ends_at, shift.capacity
    shift.refresh_from_db()
    assert (shift.starts_at, shift.ends_at, shift.capacity) == before


def test_only_managers_change_a_shift(api, client_for):
    shift = ShiftFactory()
    url = f"/api/v1/shifts/{shift.id}/"
    assert_error(api.patch(url, {"capacity": 9}, format="json"), 401)
    assert_error(client_for(social_worker()).patch(url, {"capacity": 9}, format="json"), 403)
    assert_error(client_for(shift.project.owner).put(url, {"capacity": 9}, format="json"), 405)
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(minutes=1))
    assert_error(client_for(shift.project.owner).patch(url, {"capacity": 9}, format="json"), 409, "shift_started")
    shift.refresh_from_db()
    assert shift.capacity == 5


# --- the iCal feed ----------------------------------------------------------------------

def test_the_calendar_feed_lists_my_confirmed_upcoming_shifts(api, client_for):
    me = UserFactory()
    mine = ShiftFactory(project__title="助老理发, 周末场; 上午")
    waiting = ShiftFactory(capacity=1)
    _signup(client_for, UserFactory(), waiting)
    _signup(client_for, me, waiting)
    seat = _signup(client_for, me, mine).json()
    client = client_for(me)
    feed = client.get("/api/v1/calendar/").json()
    assert feed["url"].endswith(f"/api/v1/calendar/{feed['token']}.ics")
    assert client.get("/api/v1/calendar/").json()["token"] == feed["token"]
    response = api.get(f"/api/v1/calendar/{feed['token']}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 1 and f"UID:signup-{seat['id']}@" in text
    assert f"DTSTART:{mine.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in text
    assert f"DTEND:{mine.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in text
    assert "SUMMARY:助老理发\\, 周末场\\; 上午" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_resetting_the_calendar_url_invalidates_the_old_one(api, client_for):
    client = client_for(UserFactory())
    old = client.get("/api/v1/calendar/").json()["token"]
    new = client.post("/api/v1/calendar/reset/").json()["token"]
    assert new != old
    assert_error(api.get(f"/api/v1/calendar/{old}.ics"), 404)
    assert api.get(f"/api/v1/calendar/{new}.ics").status_code == 200
    assert_error(api.get("/api/v1/calendar/"), 401)
    assert_error(api.post("/api/v1/calendar/reset/"), 401)


# --- weekly rules -----------------------------------------------------------------------

def _rule(**extra):
    today = timezone.localdate()
    return {"weekdays": [0, 2], "start_time": "09:00", "duration_minutes": 120, "capacity": 4,
            "starts_on": (today + timedelta(days=1)).isoformat(),
            "until": (today + timedelta(days=90)).isoformat(), **extra}


def test_a_weekly_rule_generates_four_weeks_ahead_once(client_for):
    project = ProjectFactory()
    owner = client_for(project.owner)
    body = owner.post(f"/api/v1/projects/{project.id}/shift-rules/", _rule(), format="json")
    assert body.status_code == 201, body.content
    rule = ShiftRule.objects.get()
    shifts = list(Shift.objects.filter(rule=rule).order_by("starts_at"))
    assert body.json()["generated"] == len(shifts) and 7 <= len(shifts) <= 9
    assert all(timezone.localtime(s.starts_at).weekday() in (0, 2) for s in shifts)
    assert all(timezone.localtime(s.starts_at).hour == 9 and s.length == timedelta(hours=2) for s in shifts)
    assert shift_rules_generate_task.apply().get() == 0  # idempotent
    # An occurrence moved one by one is not generated again.
    owner.patch(f"/api/v1/shifts/{shifts[0].id}/", {"starts_at": (shifts[0].starts_at + timedelta(hours=1)).isoformat(),
                                                   "ends_at": (shifts[0].ends_at + timedelta(hours=1)).isoformat()},
                format="json")
    assert shift_rules_generate() == 0
    # Time passes: the next week comes within the horizon.
    assert shift_rules_generate(now=timezone.now() + timedelta(days=7)) in (1, 2, 3)
    assert owner.get(f"/api/v1/projects/{project.id}/shift-rules/").json()[0]["weekdays"] == [0, 2]


@pytest.mark.parametrize("change, code", [
    ({"weekdays": [0, 1, 2, 3, 4, 5, 6], "until": (date.today() + timedelta(days=400)).isoformat()},
     "rule_too_many_dates"),
    ({"weekdays": [6], "starts_on": "2030-01-07", "until": "2030-01-11"}, "rule_no_dates"),  # Mon–Fri
    ({"weekdays": [7]}, "invalid"),
    ({"weekdays": []}, "invalid"),
    ({"duration_minutes": 0}, "invalid"),
    ({"until": "2000-01-01"}, "invalid"),
])
def test_a_rule_generating_no_dates_or_too_many_is_refused(client_for, change, code):
    project = ProjectFactory()
    body = client_for(project.owner).post(f"/api/v1/projects/{project.id}/shift-rules/", _rule(**change),
                                          format="json")
    assert_error(body, 400, code)
    assert not ShiftRule.objects.exists() and not Shift.objects.exists()


def test_only_managers_add_rules(api, client_for):
    project = ProjectFactory()
    url = f"/api/v1/projects/{project.id}/shift-rules/"
    assert_error(api.post(url, _rule(), format="json"), 401)
    assert_error(client_for(social_worker()).post(url, _rule(), format="json"), 403)
    assert_error(client_for(project.owner).delete(url), 405)
    assert not ShiftRule.objects.exists()


def test_moving_a_shift_onto_a_volunteers_other_shift_is_refused(client_for):
    shift = ShiftFactory(starts_at=timezone.now() + timedelta(days=3))
    other = ShiftFactory(starts_at=timezone.now() + timedelta(days=5))
    volunteer = UserFactory()
    for s in (shift, other):
        assert client_for(volunteer).post(f"/api/v1/shifts/{s.id}/signups/").json()["status"] == "confirmed"
    body = assert_error(client_for(shift.project.owner).patch(f"/api/v1/shifts/{shift.id}/", {
        "starts_at": other.starts_at.isoformat(), "ends_at": other.ends_at.isoformat()}, format="json"),
        409, "time_conflict")
    assert "starts_at" in body["fields"]
    shift.refresh_from_db()
    assert shift.starts_at != other.starts_at
