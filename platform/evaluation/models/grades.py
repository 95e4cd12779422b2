"""What a round decides: the committee's vote, the grades (with history) and appeals;
and the sanctions that keep an organization out of a round."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from evaluation.models.rounds import Evaluation, Round
from evaluation.models.templates import GRADES
from organizations.models import Organization

GRADE_CHOICES = [(g, g) for g in GRADES]


class CommitteeDecision(models.Model):
    """The evaluation committee's (评估委员会) vote on a round's proposed grades. Every
    member present votes once, so the votes add up to the members present."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="decisions")
    members_present = models.JSONField("出席委员")
    members_count = models.PositiveSmallIntegerField()
    votes_for = models.PositiveSmallIntegerField("赞成")
    votes_against = models.PositiveSmallIntegerField("反对")
    votes_abstain = models.PositiveSmallIntegerField("弃权")
    approved = models.BooleanField("通过")
    note = models.CharField("说明", max_length=1000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = verbose_name_plural = "评估委员会审定"
        constraints = [
            models.CheckConstraint(
                condition=Q(members_count=F("votes_for") + F("votes_against") + F("votes_abstain")),
                name="eval_decision_votes_add_up"),
            models.CheckConstraint(condition=Q(members_count__gte=1), name="eval_decision_has_members"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.votes_for}/{self.members_count}"


class Grade(models.Model):
    """An organization's evaluation grade (评估等级) with its validity. History is kept:
    a newer grade (next round or a review) marks the older one superseded and points at
    it, so exactly one grade per organization is ``current``; an expired one stays
    ``current`` until replaced but ``valid_until`` tells (see ``is_valid_on``)."""

    class Status(models.TextChoices):
        CURRENT = "current", "现行"
        SUPERSEDED = "superseded", "已被取代"
        REVOKED = "revoked", "复核撤销"

    class Source(models.TextChoices):
        ROUND = "round", "评估公布"
        APPEAL = "appeal", "复核改定"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="evaluation_grades")
    grade = models.CharField("等级", max_length=2, choices=GRADE_CHOICES)
    total = models.DecimalField("总分", max_digits=7, decimal_places=2)
    valid_from = models.DateField("有效期起")
    valid_until = models.DateField("有效期至")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="grades")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="grades")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ROUND)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="supersedes")
    published_at = models.DateTimeField(default=timezone.now)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "-published_at", "-id"]
        verbose_name = verbose_name_plural = "评估等级"
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(status="current"),
                                    name="eval_grade_one_current"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="eval_grade_validity"),
            models.CheckConstraint(condition=Q(grade__in=list(GRADES)), name="eval_grade_known"),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.grade} {self.valid_from}–{self.valid_until}"

    def is_valid_on(self, day) -> bool:
        return self.status == self.Status.CURRENT and self.valid_from <= day <= self.valid_until


class Appeal(models.Model):
    """An organization's request for review (复核) of its published result."""

    class Status(models.TextChoices):
        PENDING = "pending", "待复核"
        UPHELD = "upheld", "维持原结论"
        REGRADED = "regraded", "已改定"

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="appeal")
    reason = models.CharField("理由", max_length=2000)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    old_total = models.DecimalField(max_digits=7, decimal_places=2)
    old_grade = models.CharField(max_length=2, blank=True)
    new_total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    new_grade = models.CharField(max_length=2, blank=True)
    changes = models.JSONField("改动的指标", default=list, blank=True)
    review_note = models.CharField("复核意见", max_length=2000, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = verbose_name_plural = "评估复核"
        constraints = [
            models.CheckConstraint(condition=Q(status="pending")
                                   | Q(reviewed_at__isnull=False, new_total__isnull=False),
                                   name="eval_appeal_review_complete"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.evaluation_id} {self.status}"


class Sanction(models.Model):
    """An administrative penalty or an open investigation, which keeps an organization
    out of evaluation while it lasts (configurable per round)."""

    class Kind(models.TextChoices):
        PENALTY = "penalty", "行政处罚"
        INVESTIGATION = "investigation", "立案调查"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="evaluation_sanctions")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = verbose_name_plural = "处罚与调查"
        constraints = [models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                                              name="eval_sanction_dates")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.started_on}"

    def active_on(self, day) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)
