"""Rollup tables behind the bureau dashboard.

The dashboard never scans the raw service records: it reads these small tables, which
Celery keeps current as records become final (``dashboard.rollups``). ``RecordFact``
is the ledger of what has been applied: one row per record that currently counts, so
applying a record again compares it with its ledger row and changes nothing (replay
safe), and a record that stops counting (superseded by a correction) is subtracted.

Region codes nest by prefix (4109 → 410902 → 410902001 → 410902001001); every
figure is stored for the project's region and for each of its ancestors down from the
city, so a region's figure is one row, never a prefix scan."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class PeriodKind(models.TextChoices):
    MONTH = "m", "月"
    QUARTER = "q", "季度"
    YEAR = "y", "年"


class RecordFact(models.Model):
    """A final service record as applied to the rollups (the ledger). Plain integer ids
    rather than foreign keys: the ledger is written in bulk and only ever joined to
    itself; the raw table stays the system of record."""

    record_id = models.BigIntegerField(primary_key=True)
    volunteer_id = models.BigIntegerField()
    organization_id = models.BigIntegerField()
    project_id = models.BigIntegerField()
    region_code = models.CharField(max_length=12)
    day = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["volunteer_id", "day"], name="fact_volunteer_day"),
                   # Prefix matches (LIKE '410902%') use a btree only with pattern ops
                   # under a non-C collation (PostgreSQL; other databases ignore it).
                   models.Index(fields=["region_code", "day"], opclasses=["varchar_pattern_ops", "date_ops"],
                                name="fact_region_prefix_day")]
        constraints = [models.CheckConstraint(condition=Q(hours__gte=0), name="fact_hours_not_negative")]

    def __str__(self) -> str:
        return f"fact {self.record_id}"


class RegionPeriod(models.Model):
    """Final hours, records and distinct active volunteers of a region in a calendar
    month, quarter or year (the service happened in a project of the region)."""

    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    start = models.DateField()
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    records = models.IntegerField(default=0)
    volunteers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region_code", "kind", "start"], name="region_period_unique"),
            models.CheckConstraint(condition=Q(hours__gte=0) & Q(records__gte=0) & Q(volunteers__gte=0),
                                   name="region_period_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.kind}{self.start}"


class OrganizationPeriod(models.Model):
    """An organization's final hours in a period; ``region_code`` is the organization's
    own region, so "most active organizations under a region" is one indexed scan."""

    organization_id = models.BigIntegerField()
    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    start = models.DateField()
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    records = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization_id", "kind", "start"],
                                               name="organization_period_unique")]
        indexes = [models.Index(fields=["kind", "start", "-hours"], name="org_period_rank"),
                   models.Index(fields=["region_code", "kind", "start"], name="org_period_region",
                                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "date_ops"])]

    def __str__(self) -> str:
        return f"org {self.organization_id} {self.kind}{self.start}"


class ProjectPeriod(models.Model):
    """A project's final hours in a period; ``region_code`` is the project's region."""

    project_id = models.BigIntegerField()
    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    start = models.DateField()
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    records = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project_id", "kind", "start"],
                                               name="project_period_unique")]
        indexes = [models.Index(fields=["kind", "start", "-hours"], name="project_period_rank"),
                   models.Index(fields=["region_code", "kind", "start"], name="project_period_region",
                                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "date_ops"])]

    def __str__(self) -> str:
        return f"project {self.project_id} {self.kind}{self.start}"


class RegionSchedule(models.Model):
    """What was offered in a region's month (shifts starting then, their seats, the
    seats taken, no-shows), the projects published and the resident needs posted and
    served. Recomputed per month from the raw tables (``schedule_refresh``): these
    numbers move with every sign-up, so they are refreshed, not accumulated."""

    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    start = models.DateField()
    projects = models.IntegerField(default=0)
    shifts = models.IntegerField(default=0)
    seats = models.IntegerField(default=0)
    filled = models.IntegerField(default=0)
    ended_filled = models.IntegerField(default=0)
    no_shows = models.IntegerField(default=0)
    needs_posted = models.IntegerField(default=0)
    needs_served = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region_code", "kind", "start"], name="region_schedule_unique"),
            models.CheckConstraint(condition=Q(filled__lte=models.F("seats")), name="region_schedule_filled_le_seats"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.kind}{self.start}"


class RegionVolunteers(models.Model):
    """Volunteers living in a region (profile's home region) registered in a month, and
    the current star-level distribution (``month`` null). Recomputed from the users."""

    region_code = models.CharField(max_length=12)
    month = models.DateField(null=True, blank=True)
    star_level = models.SmallIntegerField(null=True, blank=True)
    volunteers = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["region_code", "month"], name="region_volunteers_month")]
        constraints = [
            # Either a registration month or a star level, never both.
            models.CheckConstraint(condition=Q(month__isnull=True) ^ Q(star_level__isnull=True),
                                   name="region_volunteers_one_dimension"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.month or self.star_level}"


class RegionLive(models.Model):
    """Today's check-ins, check-outs and checked-out hours of a region, bumped after each
    check-in/out commits and pushed over WebSocket; a beat task recomputes them from the
    attendances, so a lost bump is repaired within minutes."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    checkins = models.IntegerField(default=0)
    checkouts = models.IntegerField(default=0)
    hours = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="region_live_unique")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day}"
