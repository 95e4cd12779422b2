"""A round (评估轮次) and what happens in it: candidates with their eligibility, one
evaluation per organization with a score per indicator, evidence, experts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Region
from evaluation.models.templates import Template, TemplateKind
from organizations.models import Organization


class Round(models.Model):
    class Scope(models.TextChoices):
        # Registered organizations, run by bureau staff for a city or district.
        GENERAL = "general", "社会组织评估"
        # Community social organizations, run by the street office for its street.
        COMMUNITY = "community", "社区社会组织评估"

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        DECIDED = "decided", "评估委员会已审定"
        PUBLISHED = "published", "已公布"

    name = models.CharField("名称", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    scope = models.CharField("范围", max_length=12, choices=Scope.choices, default=Scope.GENERAL)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    cutoff_date = models.DateField("数据截止日期")
    self_assessment_deadline = models.DateField("自评截止日期")
    appeal_window_days = models.PositiveSmallIntegerField("复核申请期限（天）", default=30)
    eligibility_rules = models.JSONField("参评条件", default=dict)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = verbose_name_plural = "评估轮次"
        constraints = [
            models.UniqueConstraint(fields=["year", "region", "scope"], name="eval_round_one_per_year_region"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="eval_round_year"),
            models.CheckConstraint(condition=~Q(status="published") | Q(published_at__isnull=False),
                                   name="eval_round_published_at"),
        ]

    def __str__(self) -> str:
        return self.name

    def self_assessment_open(self, today) -> bool:
        return self.status == self.Status.OPEN and today <= self.self_assessment_deadline


class RoundTemplate(models.Model):
    """The template version a round uses for one kind of organization, fixed at opening."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="templates")
    kind = models.CharField(max_length=20, choices=TemplateKind.choices)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "kind"], name="eval_round_template_kind")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.kind}"


class Candidate(models.Model):
    """An organization in a round's scope and whether it may take part, with reasons
    (``[{"code", "text", "passed"}]``), as computed when the round opened."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="candidates")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    eligible = models.BooleanField("符合参评条件")
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-eligible", "organization_id"]
        constraints = [models.UniqueConstraint(fields=["round", "organization"], name="eval_candidate_once")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.organization_id}"


class Evaluation(models.Model):
    """One organization's evaluation in a round (the API's "evaluation")."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "评估中"
        SCORED = "scored", "已评分"
        PUBLISHED = "published", "已公布"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="evaluations")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="evaluations")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    total = models.DecimalField("总分", max_digits=7, decimal_places=2, null=True, blank=True)
    proposed_grade = models.CharField("拟定等级", max_length=2, blank=True)
    computed_at = models.DateTimeField("自动指标计算时间", null=True, blank=True)
    self_submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    deadline_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round_id", "organization_id"]
        verbose_name = verbose_name_plural = "组织评估"
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="eval_one_per_org_round"),
            models.CheckConstraint(condition=Q(status="in_progress") | Q(total__isnull=False),
                                   name="eval_scored_has_total"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}@{self.round_id}"


class IndicatorScore(models.Model):
    """One indicator of one evaluation, copied from the template version at enrolment.

    Automatic indicators keep the value they were computed from and the rule as text
    (``source_value``, ``rule_text``, ``source_detail``): the snapshot that makes the score
    stand still when later activity changes the metrics. Manual ones keep the self
    assessment and the expert's score and comment. ``score`` is what counts."""

    class Method(models.TextChoices):
        AUTO = "auto", "自动计算"
        MANUAL = "manual", "自评+专家评分"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    code = models.CharField(max_length=40)
    category = models.CharField(max_length=40)
    category_name = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    method = models.CharField(max_length=8, choices=Method.choices)
    points = models.DecimalField(max_digits=7, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)
    rule_text = models.CharField(max_length=300, blank=True)
    source_value = models.CharField(max_length=64, blank=True)
    source_detail = models.JSONField(default=dict, blank=True)
    self_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    self_note = models.CharField(max_length=1000, blank=True)
    expert_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    expert = models.ForeignKey("evaluation.Expert", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    expert_comment = models.CharField(max_length=1000, blank=True)
    expert_scored_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["evaluation_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="eval_score_one_per_indicator"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=F("points")),
                                   name="eval_score_within_points"),
            models.CheckConstraint(
                condition=Q(self_score__isnull=True) | Q(self_score__gte=0, self_score__lte=F("points")),
                name="eval_self_score_within_points"),
            models.CheckConstraint(
                condition=Q(expert_score__isnull=True) | Q(expert_score__gte=0, expert_score__lte=F("points")),
                name="eval_expert_score_within_points"),
            models.CheckConstraint(condition=Q(method="manual") | Q(self_score__isnull=True, expert_score__isnull=True),
                                   name="eval_auto_has_no_manual_score"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}:{self.code}"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evaluation/{instance.evaluation_id}/{timezone.now():%Y%m%d%H%M%S%f}.{suffix}"


class Evidence(models.Model):
    """A file an organization attaches to an indicator of its self-assessment."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="evidence")
    indicator = models.CharField(max_length=40)
    file = models.FileField(upload_to=evidence_upload_to)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evaluation_id", "indicator", "id"]
        verbose_name = verbose_name_plural = "评估佐证材料"

    def __str__(self) -> str:
        return self.original_name


class Expert(models.Model):
    """An evaluation expert (评估专家): the role that scores manual indicators."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="evaluation_expert")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="所属区划")
    title = models.CharField("单位与职称", max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "评估专家"

    def __str__(self) -> str:
        return str(self.user)


class ExpertAssignment(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evaluation_id", "expert_id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "expert"], name="eval_assignment_once")]

    def __str__(self) -> str:
        return f"{self.expert_id}→{self.evaluation_id}"
