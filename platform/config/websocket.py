"""The one way a push-only socket authenticates (notifications, the dashboard's live
counter): a browser by its session cookie, any other client by a one-time ticket sent
as ``{"type": "auth", "ticket": ...}`` first; a socket that says nothing within
``WS_AUTH_TIMEOUT_SECONDS`` or anything else first is closed with 4401."""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.services import ws_ticket_consume
from config import embedded

CLOSE_UNAUTHENTICATED = 4401


class AuthenticatedPushConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses implement ``_join(user)``: check what the user may see, set
    ``self.group``, join it and send the first frame (or close)."""

    group: str | None = None
    _auth_timeout: asyncio.Task | None = None

    async def _join(self, user) -> None:
        raise NotImplementedError

    async def connect(self) -> None:
        embedded.remember_server_loop(asyncio.get_running_loop())
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self._join(user)
        else:
            self._auth_timeout = asyncio.create_task(self._close_if_silent())

    async def _close_if_silent(self) -> None:
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT_SECONDS)
        if self.group is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)

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
        await self._join(user)

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
