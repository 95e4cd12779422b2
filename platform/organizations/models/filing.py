"""Filing (备案) of a community social organization: apply → community review → street decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Region


class FilingApplication(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待社区初审"
        COMMUNITY_APPROVED = "community_approved", "待街道审核"
        FILED = "filed", "已备案"
        RETURNED = "returned", "已退回"

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="filing_applications", verbose_name="申请人（负责人）")
    name = models.CharField("拟备案名称", max_length=128)
    org_type = models.CharField("类型", max_length=20, default="social_group")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               verbose_name="所在社区")
    service_domains = models.JSONField("服务领域", default=list, blank=True)
    person_in_charge = models.CharField("负责人", max_length=32)
    contact_phone = models.CharField("联系电话", max_length=20)
    members = models.JSONField("成员名单", default=list, blank=True)
    individual_members = models.PositiveIntegerField("个人成员数", default=0)
    unit_members = models.PositiveIntegerField("单位成员数", default=0)
    venue = models.ForeignKey("organizations.Venue", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="活动场地")
    charter_sections = models.JSONField("章程", default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    return_reason = models.CharField("退回原因", max_length=500, blank=True)
    organization = models.OneToOneField("organizations.Organization", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="filing")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "备案申请"
        constraints = [
            models.CheckConstraint(condition=~Q(status="filed") | Q(organization__isnull=False),
                                   name="filing_filed_has_organization"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_status_display()}）"


class FilingStep(models.Model):
    """One step of the workflow, append-only."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "提交申请"
        RESUBMIT = "resubmit", "重新提交"
        COMMUNITY_APPROVE = "community_approve", "社区初审通过"
        COMMUNITY_RETURN = "community_return", "社区退回"
        STREET_FILE = "street_file", "街道准予备案"
        STREET_RETURN = "street_return", "街道退回"

    application = models.ForeignKey(FilingApplication, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "备案流程记录"

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"
