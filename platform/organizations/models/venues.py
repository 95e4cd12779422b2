"""Venues shared by organizations and their bookable activity rooms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Region


class Venue(models.Model):
    class Kind(models.TextChoices):
        PARTY_SERVICE_CENTER = "party_service_center", "党群服务中心"
        COMMUNITY_SERVICE_CENTER = "community_service_center", "社区服务中心"
        INCUBATOR = "incubator", "社会组织孵化基地"
        OTHER = "other", "其他"

    name = models.CharField("名称", max_length=128)
    kind = models.CharField("类型", max_length=30, choices=Kind.choices, default=Kind.OTHER)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    address = models.CharField("地址", max_length=200, blank=True)
    # A venue that bookings or hosted organizations still point at is stopped, not deleted:
    # its history stays; no new booking or organization goes there.
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "场地"
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="venue_unique_name")]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField("名称", max_length=64)
    capacity = models.PositiveIntegerField("容纳人数", default=20)
    is_bookable = models.BooleanField("可预约", default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "活动室"
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="room_unique_name")]

    def __str__(self) -> str:
        return f"{self.venue_id}/{self.name}"


class RoomBooking(models.Model):
    """A confirmed booking never overlaps another confirmed one of the same room:
    services lock the room row before the overlap check, and on PostgreSQL an
    exclusion constraint (migration 0003) backs it."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "已预约"
        CANCELLED = "cancelled", "已取消"

    # PROTECT: a booking is a record of who used the room; a room with bookings is made
    # unbookable instead of deleted (services.venues.room_delete).
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="room_bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purpose = models.CharField("用途", max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = verbose_name_plural = "活动室预约"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
        ]
        indexes = [models.Index(fields=["room", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.room_id} {self.starts_at:%Y-%m-%d %H:%M}"
