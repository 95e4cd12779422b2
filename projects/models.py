from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Region
from organizations.models import Organization


class ReadableJSONEncoder(DjangoJSONEncoder):
    """Keeps Chinese text as is in stored JSON, so a tag like "陪伴" can be matched with a
    plain text lookup on SQLite as well as PostgreSQL."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class ServiceProject(models.Model):
    """A community service project (服务项目), led by the social worker who owns it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        CLOSED = "closed", "已结束"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="projects", verbose_name="组织")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="owned_projects", verbose_name="负责社工")
    title = models.CharField("名称", max_length=120)
    description = models.TextField("简介", blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="projects",
                               verbose_name="所在区划")
    address = models.CharField("地点", max_length=200, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    skills = models.JSONField("所需技能", default=list, blank=True, encoder=ReadableJSONEncoder)
    targets = models.JSONField("服务对象", default=list, blank=True, encoder=ReadableJSONEncoder)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "服务项目"
        indexes = [models.Index(fields=["status", "region"])]

    def __str__(self) -> str:
        return self.title


class Shift(models.Model):
    """A time slot of a project with a fixed number of seats.

    ``confirmed_count``, ``waitlisted_count`` and ``waitlist_seq`` are changed only while
    the row is locked (``select_for_update``), and the database refuses more confirmations
    than seats. The counters spare the shift list a join over all sign-ups."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额")
    confirmed_count = models.PositiveIntegerField(default=0)
    waitlisted_count = models.PositiveIntegerField(default=0)
    waitlist_seq = models.PositiveIntegerField(default=0)
    # Both default to the start of the shift when empty.
    signup_deadline = models.DateTimeField("报名截止", null=True, blank=True)
    cancel_deadline = models.DateTimeField("取消截止", null=True, blank=True)
    # Set once, when the social worker was told the shift is still short of people.
    short_notice_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = verbose_name_plural = "班次"
        indexes = [models.Index(fields=["project", "starts_at"]), models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("capacity")),
                                   name="shift_never_overbooked"),
            models.CheckConstraint(condition=Q(signup_deadline__isnull=True)
                                   | Q(signup_deadline__lte=F("starts_at")), name="shift_signup_deadline_before_start"),
            models.CheckConstraint(condition=Q(cancel_deadline__isnull=True)
                                   | Q(cancel_deadline__lte=F("starts_at")), name="shift_cancel_deadline_before_start"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_full(self) -> bool:
        return self.confirmed_count >= self.capacity

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    @property
    def length(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def has_started(self) -> bool:
        return timezone.now() >= self.starts_at

    @property
    def signups_close_at(self):
        return self.signup_deadline or self.starts_at

    @property
    def cancellations_close_at(self):
        return self.cancel_deadline or self.starts_at


class Signup(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "已确认"
        WAITLISTED = "waitlisted", "候补"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED)

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="signups")
    status = models.CharField(max_length=12, choices=Status.choices)
    # Order on the waitlist; kept after promotion so the order stays auditable.
    queue_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set by the beat task once the shift is over without a check-in (缺席).
    no_show_at = models.DateTimeField(null=True, blank=True)
    # Each reminder is sent once: the flag is written in the transaction that sends it.
    reminded_24h_at = models.DateTimeField(null=True, blank=True)
    reminded_2h_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "报名"
        indexes = [
            models.Index(fields=["shift", "status", "queue_number"]),
            models.Index(fields=["volunteer", "-id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"],
                                    condition=Q(status__in=["confirmed", "waitlisted"]),
                                    name="signup_one_active_per_volunteer"),
            models.UniqueConstraint(fields=["shift", "queue_number"], name="signup_unique_queue_number"),
            models.CheckConstraint(condition=~Q(status="waitlisted") | Q(queue_number__isnull=False),
                                   name="signup_waitlisted_has_queue_number"),
        ]

    def __str__(self) -> str:
        return f"signup {self.id} ({self.status})"


class Attendance(models.Model):
    """Check-in and check-out of one confirmed sign-up."""

    signup = models.OneToOneField(Signup, on_delete=models.PROTECT, related_name="attendance")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="attendances")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="attendances")
    checked_in_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)
    check_in_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "签到记录"
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=F("checked_in_at")),
                name="attendance_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"attendance {self.id}"
