"""Pushing stored notifications to connected clients through the channel layer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from config import embedded

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _log_failure(future: Any) -> None:
    exc = future.exception()
    if exc is not None:
        logger.warning("push failed: %s", exc)


def group_send(group: str, message: dict[str, Any]) -> None:
    """Send to a group from synchronous code, whatever thread it runs on.

    The in-memory layer lives on the server's event loop; from any other thread the send
    is scheduled onto that loop so that a consumer already waiting wakes at once (see
    DESIGN.md). Redis layers work from any loop through ``async_to_sync``."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = embedded.server_loop() if isinstance(layer, InMemoryChannelLayer) else None
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.add_done_callback(_log_failure)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The inbox row is already committed; the client will catch up by id.
        logger.exception("push to %s failed", group)
