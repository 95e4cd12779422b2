"""Indicator templates (评估指标体系) as versioned data.

A template version is immutable once saved: editing a template writes the next version
and makes it current, and a round points at the version it started with, so a later
edit never moves a round's indicators or points. ``region`` empty marks the shipped
defaults (``evaluation/defaults/*.json``); a region's own versions override them for
rounds under that region."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Region

GRADES = ("5A", "4A", "3A", "2A", "1A")


class TemplateKind(models.TextChoices):
    SOCIAL_GROUP = "social_group", "社团"
    FOUNDATION = "foundation", "基金会"
    NON_ENTERPRISE = "non_enterprise", "民非（社会服务机构）"
    COMMUNITY = "community", "社区社会组织"


class Template(models.Model):
    """One version of an indicator tree.

    ``tree`` is ``{"categories": [{"code", "name", "points", "indicators": [{"code",
    "name", "points", "method": "auto"|"manual", "guide", "rule"?}]}]}``; ``grade_bands``
    is ``[{"grade": "5A", "min": 900}, …]`` (highest first). Both are checked by
    ``evaluation.indicators.template_errors`` before a version is written."""

    kind = models.CharField("适用类型", max_length=20, choices=TemplateKind.choices)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="适用区划（空：默认指标）")
    version = models.PositiveIntegerField("版本")
    name = models.CharField("名称", max_length=100)
    total_points = models.PositiveIntegerField("总分", default=1000)
    grade_bands = models.JSONField("等级分数线")
    tree = models.JSONField("指标")
    is_current = models.BooleanField("当前版本", default=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="修订自")
    note = models.CharField("修订说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "region_id", "-version"]
        verbose_name = verbose_name_plural = "评估指标模板"
        constraints = [
            models.UniqueConstraint(fields=["kind", "region", "version"], name="eval_template_version_unique"),
            # NULL regions are distinct in a unique index: the defaults need their own.
            models.UniqueConstraint(fields=["kind", "version"], condition=Q(region__isnull=True),
                                    name="eval_template_default_version_unique"),
            models.UniqueConstraint(fields=["kind", "region"], condition=Q(is_current=True),
                                    name="eval_template_one_current"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_current=True, region__isnull=True),
                                    name="eval_template_one_current_default"),
            models.CheckConstraint(condition=Q(total_points__gt=0), name="eval_template_points_positive"),
            models.CheckConstraint(condition=Q(version__gte=1), name="eval_template_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def indicators(self) -> list[dict]:
        """Every indicator with its category code and name, in tree order."""
        return [{**ind, "category": cat["code"], "category_name": cat["name"]}
                for cat in self.tree.get("categories", []) for ind in cat.get("indicators", [])]

    def grade_for(self, total) -> str:
        """The grade a total earns ('' below the lowest band)."""
        for band in sorted(self.grade_bands, key=lambda b: -b["min"]):
            if total >= band["min"]:
                return band["grade"]
        return ""
