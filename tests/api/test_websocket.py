"""The notification socket, driven in-process through Channels' WebsocketCommunicator on
the in-memory layer (the integration suite repeats this over the wire with Redis)."""

import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts.services import ws_ticket_create
from config import embedded
from config.asgi import application
from notifications.delivery import group_send, user_group
from notifications.services import notification_frame, notification_send
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _communicator(headers=None):
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers or [ORIGIN])


async def _ticket_socket(user):
    ticket = await sync_to_async(ws_ticket_create)(user=user)
    socket = _communicator()
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "auth", "ticket": ticket})
    assert (await socket.receive_json_from(timeout=2))["type"] == "ready"
    return socket, ticket


async def test_a_ticket_authenticates_and_notifications_arrive():
    user = await sync_to_async(UserFactory)()
    socket, _ = await _ticket_socket(user)
    note = await sync_to_async(notification_send)(recipient_id=user.id, kind="signup_confirmed", title="报名成功")
    frame = await socket.receive_json_from(timeout=2)
    assert frame == {**notification_frame(note), "type": "notification"}
    assert set(frame) == {"type", "id", "kind", "title", "body", "created_at", "data"}
    await socket.disconnect()


async def test_a_used_or_forged_ticket_is_refused():
    user = await sync_to_async(UserFactory)()
    socket, ticket = await _ticket_socket(user)
    await socket.disconnect()
    for bad in (ticket, "forged", None):
        again = _communicator()
        await again.connect()
        await again.send_json_to({"type": "auth", "ticket": bad})
        closed = await again.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": 4401}


async def test_a_socket_that_never_authenticates_is_closed(settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.2
    socket = _communicator()
    await socket.connect()
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


async def test_a_foreign_origin_is_rejected():
    socket = _communicator(headers=[(b"origin", b"http://evil.example")])
    connected, _ = await socket.connect()
    assert not connected


async def test_others_do_not_receive_my_notifications():
    me, other = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    theirs, _ = await _ticket_socket(other)
    await sync_to_async(notification_send)(recipient_id=me.id, kind="signup_confirmed", title="x")
    assert await theirs.receive_nothing(timeout=0.3)
    await theirs.disconnect()


async def test_a_send_from_a_worker_thread_reaches_a_waiting_socket_promptly():
    """DESIGN.md's pitfall: the in-memory layer belongs to the server's loop; a send from a
    thread the server did not start must be handed to that loop to wake the consumer."""
    user = await sync_to_async(UserFactory)()
    socket, _ = await _ticket_socket(user)
    embedded.remember_server_loop(asyncio.get_running_loop())
    sent_at = []

    def worker_thread():
        sent_at.append(time.monotonic())
        group_send(user_group(user.id), {"type": "notification.push",
                                         "frame": {"type": "notification", "id": 1}})

    threading.Thread(target=worker_thread).start()
    frame = await socket.receive_json_from(timeout=1)
    assert frame["id"] == 1 and time.monotonic() - sent_at[0] < 0.5
    await socket.disconnect()


@pytest.mark.skipif(not settings.EMBEDDED, reason="full mode uses Redis")
async def test_settings_use_the_in_memory_layer_in_embedded_mode():
    assert settings.EMBEDDED
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
