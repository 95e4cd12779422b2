"""``/ws/dashboard/live/?region=<code>``: today's check-ins and hours of a region,
pushed as they happen. Authentication as for notifications (session cookie, or a
one-time ticket as the first frame); the region is checked against the user's
jurisdiction before the socket joins its group. Only pushes: nothing is written."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.services import ws_ticket_consume
from config import embedded
from config.exceptions import DomainError

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _first_frame(user, region_code: str | None) -> tuple[str, dict] | None:
    from dashboard.live import live_group
    from dashboard.selectors import live
    from organizations.selectors import jurisdiction_region

    try:
        region = jurisdiction_region(user=user, region_code=region_code)
    except DomainError:
        return None
    return live_group(region.code), live(region=region)


class LiveCounterConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    _auth_timeout: asyncio.Task | None = None

    async def connect(self) -> None:
        embedded.remember_server_loop(asyncio.get_running_loop())
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.region_code = (query.get("region") or [None])[0]
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

    async def _join(self, user) -> None:
        joined = await database_sync_to_async(_first_frame)(user, self.region_code)
        if joined is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group, frame = joined
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(frame)

    async def receive_json(self, content, **kwargs) -> None:
        if self.group is not None:
            return
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
        except ValueError:
            if self.group is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code) -> None:
        if self._auth_timeout:
            self._auth_timeout.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_push(self, event) -> None:
        await self.send_json(event["frame"])
