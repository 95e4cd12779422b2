"""Deadlines, no-shows, reminders and short-shift notices (beat tasks run twice)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from projects.models import Attendance, Shift, Signup
from projects.tasks import shift_reminders_send, shifts_short_notify, signups_mark_no_shows
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db


def _confirmed(shift, volunteer=None):
    volunteer = volunteer or UserFactory()
    Shift.objects.filter(id=shift.id).update(confirmed_count=shift.confirmed_count + 1)
    shift.refresh_from_db()
    return Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")


def test_sign_ups_close_at_the_deadline(client_for):
    shift = ShiftFactory()
    Shift.objects.filter(id=shift.id).update(signup_deadline=timezone.now() - timedelta(minutes=1))
    assert_error(client_for(UserFactory()).post(f"/api/v1/shifts/{shift.id}/signups/"), 409, "signup_closed")
    assert not Signup.objects.exists()


def test_cancellation_closes_at_its_deadline(client_for):
    shift = ShiftFactory()
    user = UserFactory()
    seat = client_for(user).post(f"/api/v1/shifts/{shift.id}/signups/").json()
    Shift.objects.filter(id=shift.id).update(cancel_deadline=timezone.now() - timedelta(minutes=1))
    assert_error(client_for(user).post(f"/api/v1/signups/{seat['id']}/cancel/"), 409, "cancel_closed")
    assert Signup.objects.get(id=seat["id"]).status == "confirmed"


def test_deadlines_after_the_start_are_refused(client_for):
    shift = ShiftFactory()
    starts = timezone.now() + timedelta(days=2)
    body = assert_error(client_for(shift.project.owner).post(f"/api/v1/projects/{shift.project_id}/shifts/", {
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(), "capacity": 3,
        "signup_deadline": (starts + timedelta(hours=1)).isoformat(),
    }, format="json"), 400, "invalid")
    assert "signup_deadline" in body["fields"]
    assert Shift.objects.count() == 1


def test_no_shows_are_marked_once_and_shown_on_the_roster(client_for):
    shift = ShiftFactory()
    absent, present = _confirmed(shift), _confirmed(shift)
    Attendance.objects.create(signup=present, shift=shift, volunteer=present.volunteer,
                              checked_in_at=shift.starts_at)
    assert signups_mark_no_shows.apply().get() == 0  # not over yet
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(hours=4),
                                             ends_at=timezone.now() - timedelta(hours=1))
    assert signups_mark_no_shows.apply().get() == 1
    assert signups_mark_no_shows.apply().get() == 0
    absent.refresh_from_db()
    present.refresh_from_db()
    assert absent.no_show_at is not None and present.no_show_at is None
    rows = client_for(shift.project.owner).get(f"/api/v1/shifts/{shift.id}/roster/").json()["signups"]
    counts = {row["volunteer"]["id"]: row["volunteer"]["no_show_count"] for row in rows}
    assert counts == {absent.volunteer_id: 1, present.volunteer_id: 0}


def test_reminders_go_out_once_24_and_2_hours_before():
    soon = ShiftFactory(starts_at=timezone.now() + timedelta(hours=1, minutes=30))
    tomorrow = ShiftFactory(starts_at=timezone.now() + timedelta(hours=20))
    later = ShiftFactory(starts_at=timezone.now() + timedelta(days=3))
    a, b, c = _confirmed(soon), _confirmed(tomorrow), _confirmed(later)
    assert shift_reminders_send.apply().get() == 2
    assert shift_reminders_send.apply().get() == 0  # a restarted beat sends nothing twice
    reminded = Notification.objects.filter(kind="shift_reminder")
    assert sorted(reminded.values_list("recipient_id", flat=True)) == sorted([a.volunteer_id, b.volunteer_id])
    assert "两小时后" in reminded.get(recipient_id=a.volunteer_id).body
    assert not reminded.filter(recipient_id=c.volunteer_id).exists()
    # When tomorrow's shift comes within two hours, its second reminder goes out, once.
    Shift.objects.filter(id=tomorrow.id).update(starts_at=timezone.now() + timedelta(hours=1))
    assert shift_reminders_send.apply().get() == 1
    assert shift_reminders_send.apply().get() == 0
    assert reminded.filter(recipient_id=b.volunteer_id).count() == 2


def test_the_social_worker_hears_once_of_a_shift_short_of_people():
    short = ShiftFactory(starts_at=timezone.now() + timedelta(hours=10), capacity=3)
    full = ShiftFactory(starts_at=timezone.now() + timedelta(hours=10), capacity=1)
    _confirmed(short)
    _confirmed(full)
    assert shifts_short_notify.apply().get() == 1
    assert shifts_short_notify.apply().get() == 0
    note = Notification.objects.get(kind="shift_short")
    assert note.recipient_id == short.project.owner_id and note.data["missing"] == 2
