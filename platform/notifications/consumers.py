"""``/ws/notifications/``: pushes a user's notifications as they are created.

The socket only pushes; every write goes through REST. Authentication is the shared one
of ``config.websocket`` (session cookie, or a ticket as the first frame)."""

from __future__ import annotations

from config.websocket import AuthenticatedPushConsumer
from notifications.delivery import user_group


class NotificationConsumer(AuthenticatedPushConsumer):
    async def _join(self, user) -> None:
        self.group = user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready", "user": user.id})

    async def notification_push(self, event) -> None:
        await self.send_json(event["frame"])
