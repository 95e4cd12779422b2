from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Region


class Organization(models.Model):
    """A social organization (社会组织). The registry issue deepens this record."""

    class Type(models.TextChoices):
        SOCIAL_GROUP = "social_group", "社团"
        NON_ENTERPRISE = "non_enterprise", "民非"
        FOUNDATION = "foundation", "基金会"

    class Registration(models.TextChoices):
        REGISTERED = "registered", "登记"
        FILED = "filed", "备案"
        LEDGER = "ledger", "台账"

    class Authority(models.TextChoices):
        CITY = "city", "市属"
        COUNTY = "county", "县区属"

    name = models.CharField("名称", max_length=128)
    org_type = models.CharField("类型", max_length=20, choices=Type.choices)
    registration_status = models.CharField("登记状态", max_length=12,
                                           choices=Registration.choices)
    authority_level = models.CharField("登记管理机关层级", max_length=8,
                                       choices=Authority.choices, default=Authority.COUNTY)
    is_community = models.BooleanField("社区社会组织", default=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations",
                               verbose_name="所在区划")
    description = models.TextField("简介", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "社会组织"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="org_unique_name_in_region"),
        ]
        indexes = [models.Index(fields=["org_type", "registration_status"])]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "org_admin", "组织管理员"
        SOCIAL_WORKER = "social_worker", "社工"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "组织成员"
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"],
                                    name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id}:{self.role}"
