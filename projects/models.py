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
    """A community service project (服务项目), led by the social worker who owns it.

    Lifecycle: draft → submitted (for review) → published → closed; cancelled from any
    state before closed. Who reviews depends on the project's region
    (``settings.PROJECT_REVIEWERS``, see ``projects.selectors.is_project_reviewer``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待审核"
        PUBLISHED = "published", "已发布"
        CLOSED = "closed", "已结束"
        CANCELLED = "cancelled", "已取消"

    class Funding(models.TextChoices):
        GOVERNMENT_PURCHASE = "government_purchase", "政府购买服务"
        SUBSIDY = "subsidy", "资助/补贴"
        SELF_FUNDED = "self_funded", "自筹"
        CHARITY = "charity", "慈善捐赠"

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
    domain = models.CharField("服务领域", max_length=32, choices=Organization.Domain.choices, blank=True)
    funding_source = models.CharField("资金来源", max_length=24, choices=Funding.choices,
                                      default=Funding.SELF_FUNDED)
    funding_contract_ref = models.CharField("购买服务合同编号", max_length=64, blank=True)
    funding_amount = models.DecimalField("资金金额（元）", max_digits=12, decimal_places=2,
                                         null=True, blank=True)
    risk_disclosure = models.TextField("风险告知", blank=True)
    accident_insurance = models.BooleanField("提供意外保险", default=False)
    min_age = models.PositiveSmallIntegerField("最低年龄", null=True, blank=True)
    guardian_required_for_minors = models.BooleanField("未成年人须监护人陪同", default=False)
    requires_approval = models.BooleanField("报名需社工审核", default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name="审核人")
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=500, blank=True)
    # The team (志愿服务队) that carries the project; its members may sign up first.
    team = models.ForeignKey("volunteers.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="projects", verbose_name="志愿服务队")
    # Until then only active members of ``team`` may sign up (队员优先报名).
    members_first_until = models.DateTimeField("队员优先报名截止", null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "服务项目"
        indexes = [models.Index(fields=["status", "region"])]
        constraints = [
            # A government purchase of services is always backed by a contract and an amount.
            models.CheckConstraint(
                condition=~Q(funding_source="government_purchase")
                | (~Q(funding_contract_ref="") & Q(funding_amount__isnull=False)),
                name="project_purchase_has_contract"),
            models.CheckConstraint(condition=Q(funding_amount__isnull=True) | Q(funding_amount__gte=0),
                                   name="project_funding_amount_not_negative"),
            models.CheckConstraint(condition=Q(min_age__isnull=True) | Q(min_age__lte=100),
                                   name="project_min_age_sane"),
            models.CheckConstraint(condition=Q(members_first_until__isnull=True) | Q(team__isnull=False),
                                   name="project_members_first_needs_team"),
        ]

    def __str__(self) -> str:
        return self.title


class Shift(models.Model):
    """A time slot of a project with a fixed number of seats.

    ``confirmed_count``, ``waitlisted_count`` and ``waitlist_seq`` are changed only while
    the row is locked (``select_for_update``), and the database refuses more confirmations
    than seats. The counters spare the shift list a join over all sign-ups."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="shifts")
    # An occurrence generated by a weekly rule keeps the slot it was generated for, so an
    # occurrence edited one by one is never generated a second time.
    rule = models.ForeignKey("ShiftRule", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="shifts")
    rule_slot = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额")
    # Empty: the project's address.
    address = models.CharField("地点", max_length=200, blank=True)
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
            models.UniqueConstraint(fields=["rule", "rule_slot"], condition=Q(rule__isnull=False),
                                    name="shift_one_occurrence_per_rule_slot"),
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

    @property
    def place(self) -> str:
        return self.address or self.project.address


class ShiftRule(models.Model):
    """A weekly rule (每周重复): occurrences on ``weekdays`` (0 = Monday) at ``start_time``
    local time, from ``starts_on`` to ``until`` inclusive. A beat task generates the
    occurrences a few weeks ahead; each is then an ordinary shift, editable one by one."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="shift_rules")
    weekdays = models.JSONField("星期")
    start_time = models.TimeField("开始时间")
    duration_minutes = models.PositiveIntegerField("时长（分钟）")
    capacity = models.PositiveIntegerField("名额")
    starts_on = models.DateField("起始日期")
    until = models.DateField("截止日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "班次重复规则"
        constraints = [
            models.CheckConstraint(condition=Q(until__gte=F("starts_on")), name="shift_rule_until_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_rule_capacity_positive"),
            models.CheckConstraint(condition=Q(duration_minutes__gte=1), name="shift_rule_duration_positive"),
        ]

    def __str__(self) -> str:
        return f"rule {self.id} of project {self.project_id}"


class Signup(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "已确认"
        WAITLISTED = "waitlisted", "候补"
        # Approval-required projects: waits for the social worker; takes no seat.
        PENDING = "pending", "待审核"
        DECLINED = "declined", "未通过"
        CANCELLED = "cancelled", "已取消"

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED, Status.PENDING)

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
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
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
                                    condition=Q(status__in=["confirmed", "waitlisted", "pending"]),
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


class CalendarFeed(models.Model):
    """The secret behind a volunteer's private iCal URL. Resetting replaces the token, so
    an old URL stops working at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "日历订阅"

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


class ShiftInvitation(models.Model):
    """A social worker's invitation of a matched volunteer to a shift short of people.

    Delivered as a notification (kind ``shift_invitation``) whose data carries the
    invitation id; accepting signs the volunteer up through the ordinary sign-up service.
    An invitation lapses when its shift starts (``expires_at``). At most one open
    invitation per volunteer and shift, enforced by the database."""

    class Status(models.TextChoices):
        OPEN = "open", "待回复"
        ACCEPTED = "accepted", "已接受"
        DECLINED = "declined", "已婉拒"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="invitations")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="shift_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The match reasons shown to the inviter, kept so the volunteer sees why they were asked.
    reasons = models.JSONField(default=list, blank=True, encoder=ReadableJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    signup = models.ForeignKey(Signup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "班次邀请"
        indexes = [models.Index(fields=["volunteer", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"], condition=Q(status="open"),
                                    name="invitation_one_open_per_volunteer_shift"),
            models.CheckConstraint(condition=Q(status="open") | Q(responded_at__isnull=False),
                                   name="invitation_answered_has_time"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.id} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.OPEN and timezone.now() >= self.expires_at

    @property
    def state(self) -> str:
        """The status a person sees: an open invitation past its shift's start is expired."""
        return "expired" if self.is_expired else self.status


# --- resident needs (居民需求) -------------------------------------------------------------

def need_photo_upload_to(instance: NeedPhoto, filename: str) -> str:
    # Never the uploader's file name: it may carry personal details and path tricks.
    suffix = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}.get(getattr(instance, "image_format", ""), "img")
    return f"needs/{timezone.now():%Y/%m}/{instance.need_id}-{timezone.now():%d%H%M%S%f}.{suffix}"


class Need(models.Model):
    """A need posted by a resident (居民需求), triaged by the community's staff and turned
    into a service project by a social worker.

    submitted → triaged (受理) or rejected (with a reason); triaged → in_progress once a
    project is linked; in_progress → served (the social worker says so, or the linked
    project closes) → closed when the resident confirms. A resident may withdraw
    (→ closed) before any work starts; a cancelled project sends the need back to
    triaged. Every change is a ``NeedEvent`` and a notification to the resident."""

    class Category(models.TextChoices):
        ELDERLY_CARE = "elderly_care", "养老照护"
        DISABILITY = "disability", "助残服务"
        CHILDREN = "children", "儿童关爱"
        DIFFICULTY = "difficulty", "困难帮扶"
        HEALTH = "health", "医疗健康"
        ENVIRONMENT = "environment", "环境卫生"
        LEGAL = "legal", "法律咨询"
        CULTURE = "culture", "文体活动"
        OTHER = "other", "其他"

    class Urgency(models.TextChoices):
        LOW = "low", "一般"
        MEDIUM = "medium", "较急"
        HIGH = "high", "紧急"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待受理"
        TRIAGED = "triaged", "已受理"
        REJECTED = "rejected", "不予受理"
        IN_PROGRESS = "in_progress", "服务中"
        SERVED = "served", "已服务"
        CLOSED = "closed", "已关闭"

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="needs",
                                 verbose_name="提出居民")
    # Always a community (社区/村): the staff who triage it are found by its prefix.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="needs", verbose_name="所在社区")
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    description = models.TextField("需求描述")
    address = models.CharField("地点", max_length=200, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    urgency = models.CharField("紧急程度", max_length=8, choices=Urgency.choices, default=Urgency.LOW)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="needs", verbose_name="承接项目")
    reject_reason = models.CharField("不予受理原因", max_length=500, blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "居民需求"
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["reporter", "-id"]),
            models.Index(fields=["status", "served_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="need_rejected_has_reason"),
            models.CheckConstraint(condition=~Q(status__in=["in_progress", "served"]) | Q(project__isnull=False),
                                   name="need_in_progress_has_project"),
            models.CheckConstraint(condition=~Q(status="served") | Q(served_at__isnull=False),
                                   name="need_served_has_time"),
            models.CheckConstraint(condition=Q(lat__isnull=True, lng__isnull=True)
                                   | Q(lat__isnull=False, lng__isnull=False, lat__gte=-90, lat__lte=90,
                                       lng__gte=-180, lng__lte=180),
                                   name="need_lat_lng_together_in_range"),
        ]

    def __str__(self) -> str:
        return f"need {self.id} ({self.status})"


class NeedPhoto(models.Model):
    """A photo attached to a need; served only through the API to those who may see
    the need (it may show a resident's home)."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=need_photo_upload_to)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "需求照片"

    def __str__(self) -> str:
        return f"photo {self.id} of need {self.need_id}"


class NeedEvent(models.Model):
    """One status change of a need: who, when, from what to what, and why. Append-only;
    the resident's timeline is this table."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=Need.Status.choices)
    # Empty for changes the system makes (the linked project closed or was cancelled).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    note = models.CharField(max_length=500, blank=True)
    project = models.ForeignKey(ServiceProject, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "需求处理记录"

    def __str__(self) -> str:
        return f"need {self.need_id}: {self.from_status or '-'} → {self.to_status}"


# --- feedback after a shift (服务评价) ------------------------------------------------------

RATING_RANGE = Q(rating__gte=1, rating__lte=5)


class ActivityFeedback(models.Model):
    """A volunteer's rating of an activity (shift) they attended, once, after it ended."""

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="activity_feedback")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="activity_feedback")
    rating = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("评价", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "志愿者活动评价"
        constraints = [
            models.UniqueConstraint(fields=["shift", "volunteer"], name="activity_feedback_once_per_shift"),
            models.CheckConstraint(condition=RATING_RANGE, name="activity_feedback_rating_one_to_five"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} rated shift {self.shift_id}: {self.rating}"


class ServiceFeedback(models.Model):
    """The rating of a shift's service by a person served (服务对象评价): the resident
    themself, or staff entering it on behalf of someone named in ``served_person_name``."""

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="service_feedback")
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf = models.BooleanField("代录", default=False)
    served_person_name = models.CharField("服务对象", max_length=32, blank=True)
    rating = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("评价", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "服务对象评价"
        constraints = [
            models.CheckConstraint(condition=RATING_RANGE, name="service_feedback_rating_one_to_five"),
            models.CheckConstraint(condition=Q(on_behalf=False) | ~Q(served_person_name=""),
                                   name="service_feedback_on_behalf_names_person"),
            # One rating per person served and shift, however it was entered.
            models.UniqueConstraint(fields=["shift", "rated_by"], condition=Q(on_behalf=False),
                                    name="service_feedback_once_per_resident"),
            models.UniqueConstraint(fields=["shift", "served_person_name"], condition=Q(on_behalf=True),
                                    name="service_feedback_once_per_person_served"),
        ]

    def __str__(self) -> str:
        return f"service feedback {self.id} on shift {self.shift_id}: {self.rating}"
