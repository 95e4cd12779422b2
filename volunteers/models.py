from __future__ import annotations

from datetime import time as dt_time
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Region
from organizations.models import Organization
from projects.models import Attendance, ReadableJSONEncoder, ServiceProject, Shift


def evidence_upload_to(instance: ServiceRecord, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{timezone.now():%Y/%m}/{instance.volunteer_id}-{timezone.now():%d%H%M%S%f}.{suffix}"


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
    # The national record's service fields (《志愿服务记录与证明出具办法》).
    place = models.CharField(max_length=200, blank=True)
    people_served = models.PositiveIntegerField(default=0)
    content = models.CharField(max_length=500, blank=True)
    quality_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # Back-entry (补录): who entered it, why, and the evidence.
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    back_entry_reason = models.CharField(max_length=300, blank=True)
    evidence = models.FileField(upload_to=evidence_upload_to, blank=True)
    # Public notice (公示): approved hours become final when it ends.
    notice_ends_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

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
            models.CheckConstraint(condition=Q(finalized_at__isnull=True) | Q(status__in=["approved", "superseded"]),
                                   name="record_final_was_approved"),
            models.CheckConstraint(
                condition=~Q(source="back_entry") | (Q(entered_by__isnull=False) & ~Q(back_entry_reason="")),
                name="record_back_entry_has_author_and_reason"),
            # The second approver of a back-entry is never the one who entered it.
            models.CheckConstraint(condition=~Q(source="back_entry", reviewed_by=F("entered_by")),
                                   name="record_back_entry_second_approver"),
            models.CheckConstraint(
                condition=Q(quality_rating__isnull=True) | Q(quality_rating__gte=1, quality_rating__lte=5),
                name="record_rating_one_to_five"),
            models.UniqueConstraint(fields=["volunteer", "shift"], condition=Q(status__in=["pending", "approved"]),
                                    name="record_one_live_per_volunteer_shift"),
        ]

    def __str__(self) -> str:
        return f"record {self.id}: {self.hours} h ({self.status})"

    @property
    def is_reviewed(self) -> bool:
        return self.status != self.Status.PENDING

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.APPROVED and self.finalized_at is not None


class VolunteerStanding(models.Model):
    """A volunteer's cumulative FINAL hours and star level (星级), recomputed from the
    records by ``volunteer_standing_refresh`` whenever hours become final or are corrected."""

    volunteer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="standing")
    final_hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    star_level = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "星级"
        constraints = [
            models.CheckConstraint(condition=Q(final_hours__gte=0), name="standing_hours_not_negative"),
            models.CheckConstraint(condition=Q(star_level__lte=10), name="standing_level_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.star_level}★"


class RecordDispute(models.Model):
    """An appeal (申诉) by the volunteer, or an objection (异议) by a member of the
    organization during the public notice (公示); the organization must answer it."""

    class Kind(models.TextChoices):
        APPEAL = "appeal", "申诉"
        OBJECTION = "objection", "公示异议"

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.CharField(max_length=500, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "申诉与异议"
        constraints = [
            models.UniqueConstraint(fields=["record", "raised_by"], condition=Q(status="open"),
                                    name="dispute_one_open_per_person"),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(answered_by__isnull=False, answered_at__isnull=False)
                                              & ~Q(answer="")),
                name="dispute_answered_has_answer"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.id} on {self.record_id} ({self.status})"


class TrainingRecord(models.Model):
    """A training session the volunteer attended (the record's 培训 part)."""

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="training_records")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="training_records")
    title = models.CharField(max_length=120)
    content = models.CharField(max_length=500, blank=True)
    held_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "培训记录"
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="training_hours_in_day"),
            models.UniqueConstraint(fields=["volunteer", "organization", "title", "held_on"],
                                    name="training_once_per_session"),
        ]

    def __str__(self) -> str:
        return self.title


class AwardRecord(models.Model):
    """An award or commendation the volunteer received (the record's 表彰奖励 part)."""

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="award_records")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="award_records")
    title = models.CharField(max_length=120)
    level = models.CharField(max_length=40, blank=True)  # e.g. 市级 / 区级 / 组织内
    issuer = models.CharField(max_length=120)
    awarded_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-awarded_on", "-id"]
        verbose_name = verbose_name_plural = "表彰奖励"
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "title", "issuer", "awarded_on"],
                                    name="award_once"),
        ]

    def __str__(self) -> str:
        return self.title


class CertificateCounter(models.Model):
    """The last serial number given out in a year; taken under a row lock, never
    decremented, so serials are unique and never reused."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "证明编号计数"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Certificate(models.Model):
    """A 志愿服务记录证明. Its content is a snapshot taken at issue; the PDF is rendered
    from these fields, so what was certified never changes afterwards."""

    serial = models.CharField(max_length=24, unique=True)
    verify_code = models.CharField(max_length=32, unique=True)
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="certificates")
    volunteer_name = models.CharField(max_length=64)
    volunteer_number = models.CharField(max_length=16, blank=True)
    id_type = models.CharField(max_length=32)
    id_number_masked = models.CharField(max_length=32, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    hours = models.DecimalField(max_digits=10, decimal_places=2)
    record_count = models.PositiveIntegerField()
    service_content = models.TextField()
    organization_name = models.CharField(max_length=128)
    person_in_charge = models.CharField(max_length=64, blank=True)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    handler_name = models.CharField(max_length=64)
    contact = models.CharField(max_length=64, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "志愿服务记录证明"
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="certificate_hours_positive"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | (Q(revoked_by__isnull=False) & ~Q(revoke_reason="")),
                name="certificate_revoked_has_reason"),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True) | Q(date_to__isnull=True) | Q(date_to__gte=F("date_from")),
                name="certificate_range_ordered"),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class OrganizationMetric(models.Model):
    """An organization's activity in one month, recomputed from the records (so a
    replayed refresh changes nothing) and read by evaluation."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="activity_metrics")
    period = models.DateField(help_text="first day of the month")
    projects_run = models.PositiveIntegerField(default=0)
    shifts_held = models.PositiveIntegerField(default=0)
    volunteers = models.PositiveIntegerField(default=0)
    final_hours = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    hours_per_volunteer = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    average_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    # Feedback (服务评价): people served rating the service, volunteers rating the activity.
    service_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    activity_rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    needs_served = models.PositiveIntegerField(default=0)
    confirmed_signups = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    no_show_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "organization_id"]
        verbose_name = verbose_name_plural = "组织活动指标"
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="metric_one_per_org_period"),
            models.CheckConstraint(condition=Q(period__day=1), name="metric_period_is_month_start"),
            models.CheckConstraint(condition=Q(no_shows__lte=F("confirmed_signups")), name="metric_no_shows_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}@{self.period:%Y-%m}"


class VolunteerProfile(models.Model):
    """What matching needs to know about a volunteer: skills, interests (service
    targets), weekly availability, home location and how far they will travel.

    ``availability`` is a list of ``{"weekday": 0–6 (0 = Monday), "start": "HH:MM",
    "end": "HH:MM"}`` in local time, validated and sorted by ``volunteer_profile_update``;
    ``home_region`` or ``home_lat``/``home_lng`` (or both) place the volunteer."""

    volunteer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                     related_name="volunteer_profile")
    skills = models.JSONField("技能", default=list, blank=True, encoder=ReadableJSONEncoder)
    interests = models.JSONField("关注的服务对象", default=list, blank=True, encoder=ReadableJSONEncoder)
    availability = models.JSONField("每周可服务时间", default=list, blank=True)
    home_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="居住区划")
    home_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    home_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    travel_km = models.DecimalField("愿意前往的距离（公里）", max_digits=5, decimal_places=1, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "志愿者档案"
        constraints = [
            models.CheckConstraint(condition=Q(home_lat__isnull=True, home_lng__isnull=True)
                                   | Q(home_lat__isnull=False, home_lng__isnull=False),
                                   name="profile_home_lat_lng_together"),
            models.CheckConstraint(condition=Q(home_lat__isnull=True) | Q(home_lat__gte=-90, home_lat__lte=90),
                                   name="profile_home_lat_range"),
            models.CheckConstraint(condition=Q(home_lng__isnull=True) | Q(home_lng__gte=-180, home_lng__lte=180),
                                   name="profile_home_lng_range"),
            models.CheckConstraint(condition=Q(travel_km__isnull=True) | Q(travel_km__gte=0, travel_km__lte=500),
                                   name="profile_travel_km_range"),
        ]

    def __str__(self) -> str:
        return f"profile of {self.volunteer_id}"

    def is_available(self, starts_at, ends_at) -> bool:
        """Whether a stretch of time (aware datetimes, same local day) lies inside one of
        the weekly slots. No slots at all means "not stated", which callers treat as
        they see fit; this answers False then."""
        start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        if start.date() != end.date() and not (end.time() == dt_time(0) and end - start <= timedelta(days=1)):
            return False
        begin, finish = start.strftime("%H:%M"), "24:00" if end.time() == dt_time(0) else end.strftime("%H:%M")
        return any(slot["weekday"] == start.weekday() and slot["start"] <= begin and finish <= slot["end"]
                   for slot in self.availability)


class GuardianConsent(models.Model):
    """A guardian's consent (监护人同意) for a minor to volunteer, needed before any sign-up
    while the volunteer is under ``settings.MINOR_CONSENT_AGE``. Kept as a record: a new
    consent or a withdrawal ends the current one instead of editing it."""

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="guardian_consents")
    guardian_name = models.CharField("监护人姓名", max_length=32)
    guardian_phone = models.CharField("监护人手机号", max_length=11)
    relationship = models.CharField("与志愿者关系", max_length=16, blank=True)
    consented_at = models.DateTimeField("同意时间", default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-consented_at", "-id"]
        verbose_name = verbose_name_plural = "监护人同意"
        constraints = [
            models.UniqueConstraint(fields=["volunteer"], condition=Q(withdrawn_at__isnull=True),
                                    name="guardian_consent_one_current"),
            models.CheckConstraint(condition=~Q(guardian_name="") & ~Q(guardian_phone=""),
                                   name="guardian_consent_has_guardian"),
        ]

    def __str__(self) -> str:
        return f"consent for {self.volunteer_id} by {self.guardian_name}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class Team(models.Model):
    """A volunteer service team (志愿服务队) led by a social worker of its organization.

    Volunteers join by applying (the leader accepts or declines) or with the invite code
    the leader hands out; resetting the code makes the old one useless at once. The
    leader is not a member row: leading is a role, membership is what volunteers hold."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="teams",
                                     verbose_name="组织")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_teams",
                               verbose_name="队长（社工）")
    name = models.CharField("队名", max_length=60)
    description = models.CharField("简介", max_length=500, blank=True)
    invite_code = models.CharField("邀请码", max_length=16, unique=True)
    invite_code_reset_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "志愿服务队"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique_in_organization"),
            models.CheckConstraint(condition=~Q(name=""), name="team_has_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """One volunteer's standing in one team. Rows are kept when someone leaves, is
    declined or is removed by the leader (the history stays); at most one pending or
    active row per volunteer and team, which the database enforces. ``left_at`` is when
    an active or pending row ended, whoever ended it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        ACTIVE = "active", "队员"
        DECLINED = "declined", "未通过"
        LEFT = "left", "已退出"
        REMOVED = "removed", "已移出"

    class Via(models.TextChoices):
        APPLICATION = "application", "申请加入"
        INVITE_CODE = "invite_code", "邀请码加入"

    OPEN = (Status.PENDING, Status.ACTIVE)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="team_memberships")
    status = models.CharField(max_length=10, choices=Status.choices)
    via = models.CharField(max_length=12, choices=Via.choices)
    message = models.CharField("申请留言", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    left_at = models.DateTimeField(null=True, blank=True)
    # Set when the leader (or the organization's admin) removes an active member.
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    removal_reason = models.CharField("移出原因", max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "服务队成员"
        indexes = [models.Index(fields=["volunteer", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["team", "volunteer"], condition=Q(status__in=["pending", "active"]),
                                    name="team_membership_one_open"),
            models.CheckConstraint(condition=~Q(status="active") | Q(joined_at__isnull=False),
                                   name="team_membership_active_has_joined_at"),
            # A removal always says who and why: the member is told, the history shows it.
            models.CheckConstraint(
                condition=~Q(status="removed") | (Q(removed_by__isnull=False) & ~Q(removal_reason="")
                                                  & Q(left_at__isnull=False)),
                name="team_membership_removed_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} in team {self.team_id} ({self.status})"


class QualityRatingChange(models.Model):
    """Every quality rating (服务质量评价) a social worker gives a service record: the
    record keeps the current value (exports and metrics read it), this table keeps who
    gave which value when, so a changed rating leaves a trail like the hours do."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="quality_rating_changes")
    previous = models.PositiveSmallIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField()
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "服务质量评价记录"
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="quality_change_one_to_five"),
        ]

    def __str__(self) -> str:
        return f"record {self.record_id}: {self.previous} → {self.rating}"
