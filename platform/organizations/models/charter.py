"""Charters (章程), versioned, and party-building (党建) coverage history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Charter(models.Model):
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="charters")
    version = models.PositiveIntegerField()
    sections = models.JSONField(default=dict)
    has_party_clause = models.BooleanField(default=False)
    note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = verbose_name_plural = "章程版本"
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="charter_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} v{self.version}"


class PartyBuildingChange(models.Model):
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE,
                                     related_name="party_building_changes")
    mode = models.CharField(max_length=12)
    instructor_name = models.CharField(max_length=32, blank=True)
    instructor_contact = models.CharField(max_length=20, blank=True)
    previous_mode = models.CharField(max_length=12, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = verbose_name_plural = "党建变更记录"

    def __str__(self) -> str:
        return f"{self.organization_id} → {self.mode}"
