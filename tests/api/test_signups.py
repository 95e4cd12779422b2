from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from projects.models import ServiceProject, Shift, Signup
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client_for, user, shift):
    return client_for(user).post(f"/api/v1/shifts/{shift.id}/signups/")


def test_sign_ups_are_confirmed_while_seats_remain_then_waitlisted_in_order(client_for):
    shift = ShiftFactory(capacity=2)
    users = [UserFactory() for _ in range(4)]
    bodies = [_signup(client_for, u, shift).json() for u in users]
    assert [b["status"] for b in bodies] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [b["waitlist_position"] for b in bodies] == [None, None, 1, 2]
    shift.refresh_from_db()
    assert shift.confirmed_count == 2
    kinds = list(Notification.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["signup_confirmed"] * 2 + ["signup_waitlisted"] * 2


def test_a_repeat_sign_up_is_409_and_writes_nothing(client_for):
    shift = ShiftFactory()
    user = UserFactory()
    assert _signup(client_for, user, shift).status_code == 201
    assert_error(_signup(client_for, user, shift), 409, "already_signed_up")
    assert Signup.objects.count() == 1 and Notification.objects.count() == 1
    shift.refresh_from_db()
    assert shift.confirmed_count == 1


def test_cancelling_a_confirmed_seat_promotes_the_first_waitlisted_exactly_once(client_for):
    shift = ShiftFactory(capacity=1)
    first, second, third = (UserFactory() for _ in range(3))
    seat = _signup(client_for, first, shift).json()
    _signup(client_for, second, shift)
    _signup(client_for, third, shift)
    response = client_for(first).post(f"/api/v1/signups/{seat['id']}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    statuses = dict(Signup.objects.values_list("volunteer_id", "status"))
    assert statuses == {first.id: "cancelled", second.id: "confirmed", third.id: "waitlisted"}
    assert Notification.objects.filter(recipient=second, kind="signup_promoted").count() == 1
    assert not Notification.objects.filter(recipient=third, kind="signup_promoted").exists()
    # The third moves up to the head of the waitlist.
    mine = client_for(third).get("/api/v1/signups/?mine=1").json()["results"]
    assert mine[0]["waitlist_position"] == 1
    assert_error(client_for(first).post(f"/api/v1/signups/{seat['id']}/cancel/"), 409, "already_cancelled")
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (1, 1)


def test_cancelling_a_waitlisted_sign_up_promotes_nobody(client_for):
    shift = ShiftFactory(capacity=1)
    first, second, third = (UserFactory() for _ in range(3))
    _signup(client_for, first, shift)
    waiting = _signup(client_for, second, shift).json()
    _signup(client_for, third, shift)
    client_for(second).post(f"/api/v1/signups/{waiting['id']}/cancel/")
    assert Signup.objects.filter(status="confirmed").count() == 1
    assert Signup.objects.get(volunteer=third).status == "waitlisted"
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (1, 1)
    assert client_for(third).get("/api/v1/signups/?mine=1").json()["results"][0]["waitlist_position"] == 1


def test_a_freed_seat_without_waitlist_is_returned(client_for):
    shift = ShiftFactory(capacity=1)
    user = UserFactory()
    seat = _signup(client_for, user, shift).json()
    client_for(user).post(f"/api/v1/signups/{seat['id']}/cancel/")
    shift.refresh_from_db()
    assert shift.confirmed_count == 0
    # And the volunteer may sign up again.
    assert _signup(client_for, user, shift).json()["status"] == "confirmed"


def test_another_users_sign_up_cannot_be_cancelled(client_for):
    shift = ShiftFactory()
    seat = _signup(client_for, UserFactory(), shift).json()
    assert_error(client_for(UserFactory()).post(f"/api/v1/signups/{seat['id']}/cancel/"), 404, "not_found")
    assert Signup.objects.get(id=seat["id"]).status == "confirmed"


def test_unknown_shift_or_sign_up_is_404(client_for):
    user = UserFactory()
    assert_error(client_for(user).post("/api/v1/shifts/999999/signups/"), 404, "not_found")
    assert_error(client_for(user).post("/api/v1/signups/999999/cancel/"), 404, "not_found")


def test_sign_up_needs_a_login_and_post(api, client_for):
    shift = ShiftFactory()
    assert_error(api.post(f"/api/v1/shifts/{shift.id}/signups/"), 401)
    assert_error(client_for(UserFactory()).get(f"/api/v1/shifts/{shift.id}/signups/"), 405)
    assert not Signup.objects.exists()


def test_unpublished_and_started_shifts_refuse_sign_ups(client_for):
    draft = ShiftFactory(project__status=ServiceProject.Status.DRAFT)
    assert_error(_signup(client_for, UserFactory(), draft), 409, "project_not_published")
    started = ShiftFactory()
    Shift.objects.filter(id=started.id).update(starts_at=timezone.now() - timedelta(minutes=5))
    assert_error(_signup(client_for, UserFactory(), started), 409, "shift_started")
    assert not Signup.objects.exists()


def test_a_started_shift_cannot_be_cancelled(client_for):
    shift = ShiftFactory()
    user = UserFactory()
    seat = _signup(client_for, user, shift).json()
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(minutes=5))
    assert_error(client_for(user).post(f"/api/v1/signups/{seat['id']}/cancel/"), 409, "shift_started")


def test_my_sign_ups_list_only_mine(client_for, django_assert_max_num_queries):
    me, other = UserFactory(), UserFactory()
    for day in range(5):
        _signup(client_for, me, ShiftFactory(starts_at=timezone.now() + timedelta(days=day + 1)))
    _signup(client_for, other, ShiftFactory())
    client = client_for(me)
    with django_assert_max_num_queries(3):  # token, count, page
        body = client.get("/api/v1/signups/?mine=1").json()
    assert body["count"] == 5
    assert {r["shift"]["project"]["title"] for r in body["results"]}
    assert all(r["attendance"] is None for r in body["results"])


def test_database_refuses_more_confirmations_than_seats():
    from django.db import IntegrityError, transaction

    shift = ShiftFactory(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(id=shift.id).update(confirmed_count=2)


def test_database_refuses_two_active_sign_ups_of_one_volunteer():
    from django.db import IntegrityError, transaction

    shift = ShiftFactory()
    user = UserFactory()
    Signup.objects.create(shift=shift, volunteer=user, status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(shift=shift, volunteer=user, status="waitlisted", queue_number=1)


def test_a_volunteer_cannot_hold_two_overlapping_confirmed_shifts(client_for):
    first = ShiftFactory()
    clash = ShiftFactory(starts_at=first.starts_at + timedelta(hours=1))
    adjacent = ShiftFactory(starts_at=first.ends_at)
    user = UserFactory()
    assert _signup(client_for, user, first).status_code == 201
    assert_error(_signup(client_for, user, clash), 409, "time_conflict")
    assert not Signup.objects.filter(shift=clash).exists()
    clash.refresh_from_db()
    assert clash.confirmed_count == 0
    assert _signup(client_for, user, adjacent).json()["status"] == "confirmed"  # touching is not overlapping


def test_promotion_passes_over_a_volunteer_now_busy_elsewhere(client_for):
    shift = ShiftFactory(capacity=1)
    holder, busy, free = UserFactory(), UserFactory(), UserFactory()
    seat = _signup(client_for, holder, shift).json()
    _signup(client_for, busy, shift)
    _signup(client_for, free, shift)
    elsewhere = ShiftFactory(starts_at=shift.starts_at + timedelta(minutes=30))
    assert _signup(client_for, busy, elsewhere).json()["status"] == "confirmed"
    client_for(holder).post(f"/api/v1/signups/{seat['id']}/cancel/")
    assert Signup.objects.get(shift=shift, volunteer=free).status == "confirmed"
    assert Signup.objects.get(shift=shift, volunteer=busy).status == "waitlisted"  # keeps its place
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (1, 1)
