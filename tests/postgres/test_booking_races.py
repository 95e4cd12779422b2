"""Many bookings racing for one room slot, with committed data on PostgreSQL: exactly
one wins, whatever the interleaving (organizations.services.venues locks the room)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import StaffRole
from config.exceptions import Conflict
from organizations.models import Room, RoomBooking, Venue
from organizations.services.venues import booking_create
from tests.factories import COMMUNITY, OrganizationFactory, StaffFactory, region
from tests.postgres.conftest import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_simultaneous_bookings_of_overlapping_slots_leave_exactly_one():
    staff = StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY))
    org = OrganizationFactory(region=region(COMMUNITY))
    room = Room.objects.create(venue=Venue.objects.create(name="党群服务中心", region=region(COMMUNITY)),
                               name="活动室")
    base = timezone.now() + timedelta(days=1)
    # Every slot overlaps every other one (they all contain base+1h…base+2h).
    calls = [(base + timedelta(minutes=i), base + timedelta(hours=2, minutes=i)) for i in range(30)]

    outcomes = run_together(lambda s, e: booking_create(user=staff, room_id=room.id, organization=org,
                                                        starts_at=s, ends_at=e), calls)

    won = [o for o in outcomes if o.error is None]
    lost = [o for o in outcomes if o.error is not None]
    assert len(won) == 1
    assert all(isinstance(o.error, Conflict) and o.error.code == "room_booked" for o in lost), lost
    assert RoomBooking.objects.filter(room=room, status="confirmed").count() == 1


def test_the_database_refuses_an_overlap_that_bypasses_the_service():
    staff = StaffFactory()
    org = OrganizationFactory(region=region(COMMUNITY))
    room = Room.objects.create(venue=Venue.objects.create(name="社区服务中心", region=region(COMMUNITY)), name="室")
    start = timezone.now() + timedelta(days=1)
    RoomBooking.objects.create(room=room, organization=org, booked_by=staff, starts_at=start,
                               ends_at=start + timedelta(hours=2))
    with pytest.raises(IntegrityError):
        RoomBooking.objects.create(room=room, organization=org, booked_by=staff, starts_at=start + timedelta(hours=1),
                                   ends_at=start + timedelta(hours=3))
