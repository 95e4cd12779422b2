"""``/ws/notifications/``: pushes a user's notifications as they are created.

The socket only pushes; every write goes through REST. Browsers are authenticated by
their session cookie; other clients send ``{"type": "auth", "ticket": ...}`` first."""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.services import ws_ticket_consume
from config import embedded
from notifications.delivery import user_group

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    _auth_timeout: asyncio.Task | None = None

    async def connect(self) -> None:
        embedded.remember_server_loop(asyncio.get_running_loop())
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self._join(user.id)
        else:
            self._auth_timeout = asyncio.create_task(self._close_if_silent())

    async def _close_if_silent(self) -> None:
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT_SECONDS)
        if self.group is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _join(self, user_id: int) -> None:
        self.group = user_group(user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready", "user": user_id})

    async def receive_json(self, content, **kwargs) -> None:
        if self.group is not None:
            return  # nothing to receive once authenticated: writes go through REST
        if not isinstance(content, dict) or content.get("type") != "auth":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        user = await database_sync_to_async(ws_ticket_consume)(key=content.get("ticket"))
        if user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if self._auth_timeout:
            self._auth_timeout.cancel()
        await self._join(user.id)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            await self.close(code=CLOSE_UNAUTHENTICATED if self.group is None else 1003)
            return
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            if self.group is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code) -> None:
        if self._auth_timeout:
            self._auth_timeout.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def notification_push(self, event) -> None:
        await self.send_json(event["frame"])
