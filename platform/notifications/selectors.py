from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notification


def notification_list(*, user: User, after: int | None = None) -> QuerySet[Notification]:
    """Newest first; with ``after``, the ones a reconnecting client missed, oldest first."""
    qs = Notification.objects.filter(recipient=user)
    if after is not None:
        return qs.filter(id__gt=after).order_by("id")
    return qs.order_by("-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
