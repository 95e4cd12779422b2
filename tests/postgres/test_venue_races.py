"""Deleting or stopping a room while bookings for it arrive, with committed data on
PostgreSQL: the room is either deleted with no booking ever made, or kept with its
bookings (409 ``room_in_use``); never a 5xx, never a booking of a deleted room."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from config.exceptions import Conflict, DomainError
from organizations.models import Room, RoomBooking, Venue
from organizations.services.venues import booking_create, room_delete, room_update
from tests.factories import COMMUNITY, OrganizationFactory, StaffFactory, region
from tests.postgres.conftest import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _room():
    staff = StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY))
    org = OrganizationFactory(region=region(COMMUNITY))
    room = Room.objects.create(venue=Venue.objects.create(name="党群服务中心", region=region(COMMUNITY)),
                               name="活动室")
    return staff, org, room


@pytest.mark.parametrize("round_", range(3))
def test_a_room_deleted_while_bookings_arrive_is_either_gone_unbooked_or_kept_with_them(round_):
    staff, org, room = _room()
    base = timezone.now() + timedelta(days=1)

    def act(kind: str, hour: int):
        if kind == "delete":
            return room_delete(user=staff, room_id=room.id)
        start = base + timedelta(hours=hour * 3)  # disjoint slots: only the delete can refuse them
        return booking_create(user=staff, room_id=room.id, organization=org, starts_at=start,
                              ends_at=start + timedelta(hours=2))

    calls = [("book", i) for i in range(10)]
    calls.insert(5 + round_, ("delete", 0))
    outcomes = run_together(act, calls)

    deleted = outcomes[5 + round_]
    booked = [o for (kind, _), o in zip(calls, outcomes, strict=True) if kind == "book" and o.error is None]
    if deleted.error is None:
        assert not Room.objects.filter(id=room.id).exists()
        assert not RoomBooking.objects.exists() and not booked
        for (kind, _), o in zip(calls, outcomes, strict=True):
            if kind == "book":  # the room vanished under them: a 404, not a database error
                assert o.error is not None and type(o.error).__name__ == "Http404", o.error
    else:
        assert isinstance(deleted.error, Conflict) and deleted.error.code == "room_in_use"
        assert Room.objects.filter(id=room.id).exists()
        assert RoomBooking.objects.filter(room=room).count() == len(booked) >= 1


def test_bookings_racing_a_stop_land_only_before_it():
    staff, org, room = _room()
    base = timezone.now() + timedelta(days=1)

    def act(kind: str, hour: int):
        if kind == "stop":
            return room_update(user=staff, room_id=room.id, data={"is_bookable": False})
        start = base + timedelta(hours=hour * 3)
        return booking_create(user=staff, room_id=room.id, organization=org, starts_at=start,
                              ends_at=start + timedelta(hours=2))

    calls = [("book", i) for i in range(12)]
    calls.insert(6, ("stop", 0))
    outcomes = run_together(act, calls)

    stopped = outcomes[6].value
    assert outcomes[6].error is None and stopped.is_bookable is False
    refused = [o for (kind, _), o in zip(calls, outcomes, strict=True) if kind == "book" and o.error is not None]
    assert all(isinstance(o.error, DomainError) and o.error.code == "not_bookable" for o in refused), refused
    # Every booking that got in committed before the stop took the room's lock.
    made = RoomBooking.objects.filter(room=room)
    assert made.count() + len(refused) == 12
