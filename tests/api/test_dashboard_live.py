"""The live counter: a check-in moves it, over the WebSocket, for every region of the
project's chain that someone is allowed to watch; nobody watches outside their area."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import StaffRole
from accounts.services import ws_ticket_create
from config.asgi import application
from dashboard.models import RegionLive
from projects.checkin import checkin_code_for
from projects.models import Shift, Signup
from projects.services.attendance import attendance_check_in, attendance_check_out
from tests.factories import COMMUNITY, OTHER_STREET, STREET, ProjectFactory, ShiftFactory, StaffFactory, UserFactory
from tests.factories import region as region_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _live_shift():
    project = ProjectFactory(region=region_of(COMMUNITY))
    shift = ShiftFactory(project=project, capacity=3)
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(minutes=30),
                                             ends_at=timezone.now() + timedelta(hours=2), confirmed_count=1)
    volunteer = UserFactory()
    Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    return shift, volunteer


def _staff(role, code):
    return StaffFactory(staff_role=role, region=region_of(code))


async def _socket(user, region):
    ticket = await sync_to_async(ws_ticket_create)(user=user)
    socket = WebsocketCommunicator(application, f"/ws/dashboard/live/?region={region}", headers=[ORIGIN])
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "auth", "ticket": ticket})
    return socket


async def test_a_check_in_moves_the_counter_of_every_watched_region():
    shift, volunteer = await sync_to_async(_live_shift)()
    bureau = await sync_to_async(_staff)(StaffRole.BUREAU, "4109")
    street = await sync_to_async(_staff)(StaffRole.STREET, STREET)
    city_socket = await _socket(bureau, "4109")
    street_socket = await _socket(street, STREET)
    first = await city_socket.receive_json_from(timeout=2)
    assert first["type"] == "live" and first["region"] == "4109" and first["checkins"] == 0
    assert (await street_socket.receive_json_from(timeout=2))["checkins"] == 0

    code = checkin_code_for(shift_id=shift.id).code
    await sync_to_async(attendance_check_in)(volunteer=volunteer, code=code)
    city = await city_socket.receive_json_from(timeout=2)
    assert (city["region"], city["checkins"], city["checkouts"]) == ("4109", 1, 0)
    assert (await street_socket.receive_json_from(timeout=2))["checkins"] == 1

    await sync_to_async(attendance_check_out)(volunteer=volunteer, code=code)
    out = await city_socket.receive_json_from(timeout=2)
    assert out["checkouts"] == 1 and out["hours"] >= 0
    row = await sync_to_async(RegionLive.objects.get)(region_code=COMMUNITY, day=timezone.localdate())
    assert (row.checkins, row.checkouts) == (1, 1)
    await city_socket.disconnect()
    await street_socket.disconnect()


async def test_the_beat_recompute_repairs_a_lost_bump():
    from dashboard.rollups import live_recompute

    shift, volunteer = await sync_to_async(_live_shift)()
    await sync_to_async(attendance_check_in)(volunteer=volunteer, code=checkin_code_for(shift_id=shift.id).code)
    await sync_to_async(RegionLive.objects.all().delete)()
    await sync_to_async(live_recompute)(day=timezone.localdate())
    row = await sync_to_async(RegionLive.objects.get)(region_code="4109", day=timezone.localdate())
    assert row.checkins == 1


async def test_outside_the_area_or_not_staff_the_socket_is_closed():
    street = await sync_to_async(_staff)(StaffRole.STREET, STREET)
    for user, region in ((street, OTHER_STREET), (street, "4109"), (await sync_to_async(UserFactory)(), "4109")):
        socket = await _socket(user, region)
        assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}


async def test_a_check_in_elsewhere_is_not_pushed_to_a_street_outside_it():
    shift, volunteer = await sync_to_async(_live_shift)()
    other = await sync_to_async(_staff)(StaffRole.STREET, OTHER_STREET)
    socket = await _socket(other, OTHER_STREET)
    assert (await socket.receive_json_from(timeout=2))["checkins"] == 0
    await sync_to_async(attendance_check_in)(volunteer=volunteer, code=checkin_code_for(shift_id=shift.id).code)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_an_unauthenticated_socket_is_closed(settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.2
    socket = WebsocketCommunicator(application, "/ws/dashboard/live/?region=4109", headers=[ORIGIN])
    await socket.connect()
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


async def test_a_foreign_origin_is_rejected():
    socket = WebsocketCommunicator(application, "/ws/dashboard/live/?region=4109",
                                   headers=[(b"origin", b"http://evil.example")])
    connected, _ = await socket.connect()
    assert not connected
