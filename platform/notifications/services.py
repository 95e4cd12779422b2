"""The one way to tell a user something: store it, then push it after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.delivery import group_send, user_group
from notifications.models import Notification


def notification_frame(notification: Notification) -> dict[str, Any]:
    return {
        "type": "notification",
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "created_at": timezone.localtime(notification.created_at).isoformat(),
        "data": notification.data,
    }


def notification_send(*, recipient_id: int, kind: str, title: str, body: str = "",
                      data: dict[str, Any] | None = None) -> Notification:
    """Persist a notification and push it once the surrounding transaction commits.

    Callable inside a service's transaction: if that rolls back, neither the row nor the
    push happens."""
    notification = Notification.objects.create(
        recipient_id=recipient_id, kind=kind, title=title, body=body, data=data or {},
    )
    frame = notification_frame(notification)
    transaction.on_commit(
        lambda: group_send(user_group(recipient_id), {"type": "notification.push", "frame": frame})
    )
    return notification


def notifications_mark_read(*, user: User, ids: Iterable[int]) -> int:
    return Notification.objects.filter(recipient=user, id__in=list(ids),
                                       read_at__isnull=True).update(read_at=timezone.now())
