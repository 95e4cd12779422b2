"""Sign-ups and cancellations racing, with committed data on PostgreSQL.

Every test releases its threads through a barrier so that they really collide on the
locks of projects.services (the volunteer, then the shift, then sign-ups)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from config.exceptions import Conflict
from notifications.models import Notification
from projects.models import Shift, Signup
from projects.services.signups import signup_cancel, signup_create
from tests.conftest import as_user
from tests.factories import ShiftFactory
from tests.postgres.conftest import make_volunteers, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY = 50
CROWD = 200


def _errors(outcomes) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None]


def _kinds(kind: str, shift: Shift) -> Counter:
    """How many notifications of ``kind`` about ``shift`` each volunteer received."""
    rows = Notification.objects.filter(kind=kind, data__shift_id=shift.id)
    return Counter(rows.values_list("recipient_id", flat=True))


def _assert_seats_consistent(shift: Shift, *, confirmed: int, waitlisted: int) -> list[Signup]:
    shift.refresh_from_db()
    signups = list(Signup.objects.filter(shift=shift))
    by_status = Counter(s.status for s in signups)
    assert by_status[Signup.Status.CONFIRMED] == confirmed
    assert by_status[Signup.Status.WAITLISTED] == waitlisted
    assert shift.confirmed_count == confirmed
    assert shift.waitlisted_count == waitlisted
    assert shift.confirmed_count <= shift.capacity
    return signups


def _fill_in_order(shift: Shift, volunteers) -> list[Signup]:
    """The state that sequential sign-ups leave, written in one go (it is the setup, not
    the behaviour under test): the first ``capacity`` confirmed, the rest queued 1, 2, …"""
    now = timezone.now()
    rows = []
    for index, volunteer in enumerate(volunteers):
        queued = index >= shift.capacity
        rows.append(Signup(shift=shift, volunteer=volunteer,
                           status=Signup.Status.WAITLISTED if queued else Signup.Status.CONFIRMED,
                           queue_number=index - shift.capacity + 1 if queued else None,
                           created_at=now, confirmed_at=None if queued else now))
    Signup.objects.bulk_create(rows)
    queued = max(len(rows) - shift.capacity, 0)
    Shift.objects.filter(id=shift.id).update(confirmed_count=min(len(rows), shift.capacity),
                                             waitlisted_count=queued, waitlist_seq=queued)
    return list(Signup.objects.filter(shift=shift).select_related("volunteer").order_by("id"))


@pytest.mark.parametrize("round_", range(5))
def test_two_hundred_simultaneous_signups_confirm_exactly_fifty_and_queue_the_rest_without_gaps(round_):
    shift = ShiftFactory(capacity=CAPACITY)
    volunteers = make_volunteers(CROWD)

    outcomes = run_together(lambda v: signup_create(volunteer=v, shift_id=shift.id),
                            [(v,) for v in volunteers])

    assert _errors(outcomes) == []
    returned = [o.value for o in outcomes]
    assert Counter(s.status for s in returned) == {"confirmed": CAPACITY, "waitlisted": CROWD - CAPACITY}
    signups = _assert_seats_consistent(shift, confirmed=CAPACITY, waitlisted=CROWD - CAPACITY)
    assert shift.waitlist_seq == CROWD - CAPACITY
    queue = sorted(s.queue_number for s in signups if s.status == Signup.Status.WAITLISTED)
    assert queue == list(range(1, CROWD - CAPACITY + 1))
    assert all(s.queue_number is None for s in signups if s.status == Signup.Status.CONFIRMED)
    # The position each volunteer was told was computed under the lock: no two share one.
    assert sorted(s.position for s in returned if s.status == "waitlisted") == queue
    assert {v.id for v in volunteers} == {s.volunteer_id for s in signups}
    assert sum(_kinds(Notification.Kind.SIGNUP_CONFIRMED, shift).values()) == CAPACITY
    assert sum(_kinds(Notification.Kind.SIGNUP_WAITLISTED, shift).values()) == CROWD - CAPACITY


def _unexpected(responses, expected: int) -> str:
    """The statuses and bodies that are not ``expected``, for the assertion message."""
    odd = [(r.status_code, r.content[:300]) for r in responses if r.status_code != expected]
    return f"{len(odd)} unexpected: {Counter(code for code, _ in odd)}; first bodies: {odd[:5]}"


def test_two_hundred_simultaneous_signups_over_the_api_get_fifty_confirmed_and_no_5xx():
    shift = ShiftFactory(capacity=CAPACITY)
    clients: list[APIClient] = [as_user(v) for v in make_volunteers(CROWD)]
    for client in clients:
        # A 500 comes back as a response with its body (the traceback is logged) instead
        # of an exception. Django's test client catches a view's exception through the
        # global got_request_exception signal, so with 200 clients in flight one failing
        # request would be re-raised by every client whose request was running then.
        client.raise_request_exception = False

    def post(client: APIClient):
        return client.post(f"/api/v1/shifts/{shift.id}/signups/")

    outcomes = run_together(post, [(c,) for c in clients])

    assert _errors(outcomes) == []
    responses = [o.value for o in outcomes]
    assert Counter(r.status_code for r in responses) == {201: CROWD}, _unexpected(responses, 201)
    bodies = [r.json() for r in responses]
    assert Counter(b["status"] for b in bodies) == {"confirmed": CAPACITY, "waitlisted": CROWD - CAPACITY}
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == list(range(1, CROWD - CAPACITY + 1))
    _assert_seats_consistent(shift, confirmed=CAPACITY, waitlisted=CROWD - CAPACITY)


def test_twenty_simultaneous_cancellations_promote_exactly_the_first_twenty_waitlisted_once_each():
    shift = ShiftFactory(capacity=CAPACITY)
    signups = _fill_in_order(shift, make_volunteers(CROWD))
    confirmed = [s for s in signups if s.status == Signup.Status.CONFIRMED]
    waitlisted = sorted((s for s in signups if s.status == Signup.Status.WAITLISTED),
                        key=lambda s: s.queue_number)
    leaving = random.Random(7).sample(confirmed, 20)

    outcomes = run_together(lambda s: signup_cancel(user=s.volunteer, signup_id=s.id),
                            [(s,) for s in leaving])

    assert _errors(outcomes) == []
    after = {s.id: s for s in _assert_seats_consistent(shift, confirmed=CAPACITY,
                                                       waitlisted=CROWD - CAPACITY - 20)}
    assert all(after[s.id].status == Signup.Status.CANCELLED for s in leaving)
    head, rest = waitlisted[:20], waitlisted[20:]
    assert all(after[s.id].status == Signup.Status.CONFIRMED for s in head)
    assert all(after[s.id].status == Signup.Status.WAITLISTED for s in rest)
    promoted = _kinds(Notification.Kind.SIGNUP_PROMOTED, shift)
    assert promoted == Counter({s.volunteer_id: 1 for s in head})

    # A waitlisted volunteer leaving frees no seat: nobody is promoted.
    quitter = rest[30]
    signup_cancel(user=quitter.volunteer, signup_id=quitter.id)
    _assert_seats_consistent(shift, confirmed=CAPACITY, waitlisted=CROWD - CAPACITY - 21)
    assert _kinds(Notification.Kind.SIGNUP_PROMOTED, shift) == promoted


def test_one_signup_cancelled_ten_times_at_once_is_cancelled_once_and_promotes_one_volunteer():
    shift = ShiftFactory(capacity=1)
    first, second, third = _fill_in_order(shift, make_volunteers(3))
    assert (first.status, second.status, third.status) == ("confirmed", "waitlisted", "waitlisted")

    outcomes = run_together(lambda: signup_cancel(user=first.volunteer, signup_id=first.id),
                            [() for _ in range(10)])

    errors = _errors(outcomes)
    assert len(errors) == 9
    assert all(isinstance(e, Conflict) and e.code == "already_cancelled" for e in errors), errors
    _assert_seats_consistent(shift, confirmed=1, waitlisted=1)
    second.refresh_from_db()
    assert second.status == Signup.Status.CONFIRMED
    assert _kinds(Notification.Kind.SIGNUP_PROMOTED, shift) == Counter({second.volunteer_id: 1})


@pytest.mark.parametrize("capacity", [5, 1], ids=["seat-free", "shift-full"])
def test_ten_simultaneous_signups_by_one_volunteer_leave_exactly_one_active_signup(capacity):
    shift = ShiftFactory(capacity=capacity)
    others = make_volunteers(capacity, prefix="136")  # fill the shift, or nearly
    _fill_in_order(shift, others[: capacity if capacity == 1 else 0])
    (volunteer,) = make_volunteers(1)

    outcomes = run_together(lambda: signup_create(volunteer=volunteer, shift_id=shift.id),
                            [() for _ in range(10)])

    errors = _errors(outcomes)
    assert len(errors) == 9
    assert all(isinstance(e, Conflict) and e.code == "already_signed_up" for e in errors), errors
    active = Signup.objects.filter(shift=shift, volunteer=volunteer, status__in=Signup.ACTIVE)
    assert active.count() == 1
    shift.refresh_from_db()
    if capacity == 1:
        assert active.get().status == Signup.Status.WAITLISTED
        assert (shift.confirmed_count, shift.waitlist_seq) == (1, 1)  # refused tries took no number
    else:
        assert active.get().status == Signup.Status.CONFIRMED
        assert (shift.confirmed_count, shift.waitlist_seq) == (1, 0)


def test_cancellations_and_new_signups_racing_keep_the_shift_full_and_promote_in_queue_order():
    shift = ShiftFactory(capacity=CAPACITY)
    signups = _fill_in_order(shift, make_volunteers(120))
    confirmed = [s for s in signups if s.status == Signup.Status.CONFIRMED]
    waitlisted = [s for s in signups if s.status == Signup.Status.WAITLISTED]
    rng = random.Random(11)
    leaving_confirmed = rng.sample(confirmed, 20)
    leaving_waitlisted = rng.sample(waitlisted, 10)
    newcomers = make_volunteers(30, prefix="135")

    def act(kind, obj):
        if kind == "cancel":
            return signup_cancel(user=obj.volunteer, signup_id=obj.id)
        return signup_create(volunteer=obj, shift_id=shift.id)

    calls = ([("cancel", s) for s in leaving_confirmed + leaving_waitlisted]
             + [("join", v) for v in newcomers])
    rng.shuffle(calls)
    outcomes = run_together(act, calls)

    assert _errors(outcomes) == []
    # 70 waitlisted - 10 who left - 20 promoted + 30 newcomers (all queued: no seat ever frees
    # without someone waiting for it).
    rows = _assert_seats_consistent(shift, confirmed=CAPACITY, waitlisted=70)
    ids_new = {v.id for v in newcomers}
    assert all(r.status == Signup.Status.WAITLISTED for r in rows if r.volunteer_id in ids_new)
    promoted = [r for r in rows if r.status == Signup.Status.CONFIRMED and r.queue_number is not None]
    still_waiting = [r for r in rows if r.status == Signup.Status.WAITLISTED]
    assert len(promoted) == 20
    assert max(r.queue_number for r in promoted) < min(r.queue_number for r in still_waiting)
    queue = sorted(r.queue_number for r in rows if r.queue_number is not None)
    assert len(queue) == len(set(queue))
    # Each promotion is announced once. A waitlisted leaver may have been promoted just
    # before their own cancellation ran (then it freed a seat for the next in line).
    told = _kinds(Notification.Kind.SIGNUP_PROMOTED, shift)
    assert set(told.values()) == {1}
    assert {r.volunteer_id for r in promoted} <= set(told)
    assert set(told) - {r.volunteer_id for r in promoted} <= {s.volunteer_id for s in leaving_waitlisted}


def test_one_volunteer_racing_for_five_overlapping_shifts_is_confirmed_on_exactly_one():
    start = timezone.now() + timedelta(days=2)
    shifts = [ShiftFactory(capacity=5, starts_at=start + timedelta(minutes=10 * i)) for i in range(5)]
    (volunteer,) = make_volunteers(1, prefix="135")

    outcomes = run_together(lambda shift_id: signup_create(volunteer=volunteer, shift_id=shift_id),
                            [(shift.id,) for shift in shifts])

    errors = _errors(outcomes)
    assert len(errors) == 4
    assert all(isinstance(e, Conflict) and e.code == "time_conflict" for e in errors), errors
    assert Signup.objects.filter(volunteer=volunteer, status=Signup.Status.CONFIRMED).count() == 1
    assert sum(Shift.objects.filter(id__in=[s.id for s in shifts]).values_list("confirmed_count", flat=True)) == 1
