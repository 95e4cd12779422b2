from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """The inbox. A notification is stored before it is pushed, so nothing is lost while
    the recipient is offline: clients catch up by id."""

    class Kind(models.TextChoices):
        SIGNUP_CONFIRMED = "signup_confirmed", "报名成功"
        SIGNUP_WAITLISTED = "signup_waitlisted", "进入候补"
        SIGNUP_PROMOTED = "signup_promoted", "候补转正"
        SIGNUP_CANCELLED = "signup_cancelled", "报名已取消"
        RECORD_CREATED = "record_created", "服务记录待审核"
        RECORD_APPROVED = "record_approved", "服务时长已通过"
        RECORD_REJECTED = "record_rejected", "服务时长被驳回"
        RECORD_AMENDED = "record_amended", "服务时长已更正"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    # No ``choices`` in the database: each feature adds its own kinds without a migration.
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "通知"
        indexes = [models.Index(fields=["recipient", "id"])]

    def __str__(self) -> str:
        return self.title
