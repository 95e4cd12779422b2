from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.models import Organization
from projects.models import Attendance, ServiceProject, Shift


class ServiceRecord(models.Model):
    """Service hours (服务时长) of one volunteer on one shift, pending until reviewed."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"
        SUPERSEDED = "superseded", "已更正"

    class Source(models.TextChoices):
        CHECKIN = "checkin", "签到签退"
        BACK_ENTRY = "back_entry", "补录"

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="service_records")
    # One record per attendance: the task that creates it can run twice safely.
    attendance = models.OneToOneField(Attendance, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="service_record")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="service_records")
    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT,
                                related_name="service_records")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="service_records")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.CHECKIN)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=200, blank=True)
    # Append-only: an amendment is a new record pointing at the one it corrects.
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="corrected_by")
    amend_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "服务记录"
        indexes = [
            models.Index(fields=["volunteer", "status"]),
            models.Index(fields=["project", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="record_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="record_reviewed_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"record {self.id}: {self.hours} h ({self.status})"

    @property
    def is_reviewed(self) -> bool:
        return self.status != self.Status.PENDING
