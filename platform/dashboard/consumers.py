"""``/ws/dashboard/live/?region=<code>``: today's check-ins and hours of a region,
pushed as they happen. Authentication as for notifications (session cookie, or a
one-time ticket as the first frame); the region is checked against the user's
jurisdiction before the socket joins its group. Only pushes: nothing is written."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from config.exceptions import DomainError
from config.websocket import AuthenticatedPushConsumer

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


class LiveCounterConsumer(AuthenticatedPushConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.region_code = (query.get("region") or [None])[0]
        await super().connect()

    async def _join(self, user) -> None:
        joined = await database_sync_to_async(_first_frame)(user, self.region_code)
        if joined is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group, frame = joined
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(frame)

    async def live_push(self, event) -> None:
        await self.send_json(event["frame"])
