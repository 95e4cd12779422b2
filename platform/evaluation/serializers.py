from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Region
from evaluation.conf import eval_setting
from evaluation.indicators import rule_text
from evaluation.models import (
    Appeal,
    Candidate,
    CommitteeDecision,
    Evaluation,
    Evidence,
    Expert,
    ExpertAssignment,
    Grade,
    IndicatorScore,
    Round,
    Sanction,
    Template,
    TemplateKind,
)

SCORE = dict(max_digits=7, decimal_places=2, min_value=Decimal("0"))
# Ids beyond a 64-bit integer are refused here: SQLite cannot even bind them (a 500).
ID = dict(min_value=1, max_value=2**63 - 1)


class RegionCodeField(serializers.PrimaryKeyRelatedField):
    """A region by its code. A code with a NUL byte is refused before the lookup:
    PostgreSQL rejects such text with an error (a 500) instead of finding nothing."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class TemplateSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", default=None, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    rule_texts = serializers.SerializerMethodField()

    class Meta:
        model = Template
        fields = ["id", "kind", "kind_label", "region", "region_name", "version", "name", "total_points",
                  "grade_bands", "tree", "rule_texts", "is_current", "based_on", "note", "created_at"]

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_rule_texts(self, obj: Template) -> dict[str, str]:
        """Each automatic indicator's rule in words, as evaluations state it."""
        return {ind["code"]: rule_text(ind) for ind in obj.indicators() if ind["method"] == "auto"}


class TemplateCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TemplateKind.choices)
    region = RegionCodeField(queryset=Region.objects.all())
    name = serializers.CharField(max_length=100)
    total_points = serializers.JSONField(help_text="总分（正整数，默认 1000）")
    grade_bands = serializers.JSONField(help_text='[{"grade": "5A", "min": 900}, …]')
    tree = serializers.JSONField(help_text='{"categories": [{"code", "name", "points", "indicators": […]}]}')
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RoundSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    scope_label = serializers.CharField(source="get_scope_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    templates = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()
    appeal_closes_on = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = ["id", "name", "year", "region", "region_name", "scope", "scope_label", "status", "status_label",
                  "cutoff_date", "self_assessment_deadline", "appeal_window_days", "appeal_closes_on",
                  "eligibility_rules", "templates", "counts", "can_manage", "created_at", "published_at"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_templates(self, obj: Round) -> list[dict]:
        return [{"kind": rt.kind, "id": rt.template_id, "name": rt.template.name, "version": rt.template.version}
                for rt in sorted(obj.templates.all(), key=lambda rt: rt.kind)]

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_counts(self, obj: Round) -> dict:
        """From ``selectors.round_counts``' annotations; counted here for a bare row."""
        if not hasattr(obj, "n_candidates"):
            from evaluation.selectors import round_counts

            obj = round_counts(Round.objects.filter(id=obj.id)).get()
        return {"candidates": obj.n_candidates, "eligible": obj.n_eligible, "evaluations": obj.n_evaluations,
                "scored": obj.n_scored, "self_submitted": obj.n_submitted}

    def get_can_manage(self, obj: Round) -> bool:
        from evaluation.selectors import can_manage_round

        request = self.context.get("request")
        return bool(request and can_manage_round(user=request.user, rnd=obj))

    def get_appeal_closes_on(self, obj: Round) -> str | None:
        if obj.published_at is None:
            return None
        from datetime import timedelta

        return (timezone.localtime(obj.published_at).date() + timedelta(days=obj.appeal_window_days)).isoformat()


class RoundCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    region = RegionCodeField(queryset=Region.objects.all())
    scope = serializers.ChoiceField(choices=Round.Scope.choices, default=Round.Scope.GENERAL)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    cutoff_date = serializers.DateField()
    self_assessment_deadline = serializers.DateField()
    appeal_window_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    eligibility_rules = serializers.DictField(required=False, help_text="覆盖默认参评条件")
    templates = serializers.DictField(child=serializers.IntegerField(**ID), required=False,
                                      help_text="按组织类型指定模板版本 id（默认：适用区划的当前版本）")


class CandidateSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    org_type = serializers.CharField(source="organization.get_org_type_display", read_only=True)
    region_name = serializers.CharField(source="organization.region.name", read_only=True)
    evaluation = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = ["id", "organization", "organization_name", "org_type", "region_name", "eligible", "reasons",
                  "evaluation"]

    def get_evaluation(self, obj: Candidate) -> int | None:
        return self.context.get("evaluation_ids", {}).get(obj.organization_id)


class EvaluationSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    org_type = serializers.CharField(source="organization.get_org_type_display", read_only=True)
    round_name = serializers.CharField(source="round.name", read_only=True)
    round_status = serializers.CharField(source="round.status", read_only=True)
    template_name = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    grade = serializers.CharField(source="proposed_grade", read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "round", "round_name", "round_status", "organization", "organization_name", "org_type",
                  "template", "template_name", "status", "status_label", "total", "grade", "computed_at",
                  "self_submitted_at", "created_at"]

    def get_template_name(self, obj: Evaluation) -> str:
        return f"{obj.template.name} v{obj.template.version}"


class EvaluationCreateSerializer(serializers.Serializer):
    round = serializers.IntegerField(**ID)
    organization = serializers.IntegerField(**ID)


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "indicator", "original_name", "size", "created_at", "download_url"]

    def get_download_url(self, obj: Evidence) -> str:
        return f"/api/v1/evaluation-evidence/{obj.id}/"


class IndicatorScoreSerializer(serializers.ModelSerializer):
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    expert_name = serializers.CharField(source="expert.user.name", default=None, read_only=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorScore
        fields = ["code", "category", "category_name", "name", "method", "method_label", "points", "score",
                  "rule_text", "source_value", "source_detail", "self_score", "self_note", "expert_score",
                  "expert_name", "expert_comment", "expert_scored_at", "source"]

    def get_source(self, obj: IndicatorScore) -> str:
        """Where the score comes from, in one line."""
        if obj.method == IndicatorScore.Method.AUTO:
            return f"平台数据：{obj.source_value}；规则：{obj.rule_text}" if obj.rule_text else "尚未计算"
        if obj.expert_score is None and obj.score is None:
            return "待专家评分"
        if obj.score != obj.expert_score:
            return f"复核改定为 {obj.score}（专家原评 {obj.expert_score}）"
        evidence = self.context.get("evidence_counts", {}).get(obj.code, 0)
        return f"专家 {obj.expert.user.name if obj.expert else ''} 评分；佐证材料 {evidence} 份"


class AssignmentSerializer(serializers.ModelSerializer):
    expert_name = serializers.CharField(source="expert.user.name", read_only=True)
    organization_name = serializers.CharField(source="evaluation.organization.name", read_only=True)

    class Meta:
        model = ExpertAssignment
        fields = ["id", "evaluation", "organization_name", "expert", "expert_name", "created_at"]


class EvaluationDetailSerializer(EvaluationSerializer):
    indicators = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)
    experts = serializers.SerializerMethodField()
    capacities = serializers.SerializerMethodField()
    self_assessment_deadline = serializers.DateField(source="round.self_assessment_deadline", read_only=True)
    cutoff_date = serializers.DateField(source="round.cutoff_date", read_only=True)
    grade_bands = serializers.JSONField(source="template.grade_bands", read_only=True)
    total_points = serializers.IntegerField(source="template.total_points", read_only=True)
    appeal = serializers.SerializerMethodField()

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "total_points", "grade_bands", "self_assessment_deadline",
                  "cutoff_date", "categories", "indicators", "evidence", "experts", "capacities", "appeal"]

    @extend_schema_field(IndicatorScoreSerializer(many=True))
    def get_indicators(self, obj: Evaluation) -> list[dict]:
        counts: dict[str, int] = {}
        for item in obj.evidence.all():
            counts[item.indicator] = counts.get(item.indicator, 0) + 1
        return IndicatorScoreSerializer(obj.scores.all(), many=True, context={"evidence_counts": counts}).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_categories(self, obj: Evaluation) -> list[dict]:
        cats: dict[str, dict] = {}
        for row in obj.scores.all():
            cat = cats.setdefault(row.category, {"code": row.category, "name": row.category_name,
                                                 "points": Decimal(0), "score": Decimal(0), "complete": True})
            cat["points"] += row.points
            if row.score is None:
                cat["complete"] = False
            else:
                cat["score"] += row.score
        return [{**c, "points": str(c["points"]), "score": str(c["score"])} for c in cats.values()]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_experts(self, obj: Evaluation) -> list[dict]:
        return [{"id": a.expert_id, "name": a.expert.user.name} for a in obj.assignments.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_capacities(self, obj: Evaluation) -> list[str]:
        return sorted(self.context.get("capacities", []))

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_appeal(self, obj: Evaluation) -> dict | None:
        appeal = Appeal.objects.filter(evaluation=obj).first()
        return AppealSerializer(appeal).data if appeal else None


class ManualScoreSerializer(serializers.Serializer):
    indicator = serializers.CharField(max_length=40)
    score = serializers.DecimalField(**SCORE)


class SelfScoreSerializer(ManualScoreSerializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SelfAssessmentSerializer(serializers.Serializer):
    scores = SelfScoreSerializer(many=True, allow_empty=True)
    submit = serializers.BooleanField(default=False)


class ExpertScoreSerializer(ManualScoreSerializer):
    comment = serializers.CharField(min_length=2, max_length=1000)


class ExpertScoresSerializer(serializers.Serializer):
    scores = ExpertScoreSerializer(many=True, allow_empty=False)


EVIDENCE_TYPES = {"pdf": (b"%PDF",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
                  "jpeg": (b"\xff\xd8\xff",)}


class EvidenceUploadSerializer(serializers.Serializer):
    indicator = serializers.CharField(max_length=40)
    file = serializers.FileField()

    def validate_file(self, upload):
        limit = eval_setting("EVIDENCE_MAX_BYTES")
        if upload.size > limit:
            raise serializers.ValidationError(f"佐证材料不能超过 {limit // (1024 * 1024)} MB")
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        head = upload.read(16)
        upload.seek(0)
        if suffix not in EVIDENCE_TYPES or not head.startswith(EVIDENCE_TYPES[suffix]):
            raise serializers.ValidationError("佐证材料须为 PDF、PNG 或 JPEG 文件")
        return upload


class ExpertSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.name", read_only=True)
    phone = serializers.CharField(source="user.phone_masked", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Expert
        fields = ["id", "name", "phone", "title", "region", "region_name", "is_active", "created_at"]


class ExpertCreateSerializer(serializers.Serializer):
    phone = serializers.RegexField(r"^1\d{10}$", error_messages={"invalid": "请输入 11 位手机号"})
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    expert = serializers.IntegerField(**ID)
    evaluations = serializers.ListField(child=serializers.IntegerField(**ID), allow_empty=False, max_length=500)


class CommitteeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitteeDecision
        fields = ["id", "members_present", "members_count", "votes_for", "votes_against", "votes_abstain",
                  "approved", "note", "decided_at"]


class CommitteeCreateSerializer(serializers.Serializer):
    members_present = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=False,
                                            max_length=50)
    votes_for = serializers.IntegerField(min_value=0)
    votes_against = serializers.IntegerField(min_value=0)
    votes_abstain = serializers.IntegerField(min_value=0)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class GradeSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    org_type = serializers.CharField(source="organization.get_org_type_display", read_only=True)
    region_name = serializers.CharField(source="organization.region.name", read_only=True)
    round_name = serializers.CharField(source="round.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = Grade
        fields = ["id", "organization", "organization_name", "org_type", "region_name", "grade", "total",
                  "valid_from", "valid_until", "round", "round_name", "status", "status_label", "source",
                  "source_label", "superseded_by", "published_at"]


class AppealSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="evaluation.organization.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "evaluation", "organization_name", "reason", "filed_at", "status", "status_label",
                  "old_total", "old_grade", "new_total", "new_grade", "changes", "review_note", "reviewed_at"]


class AppealCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=5, max_length=2000)


class AppealChangeSerializer(ManualScoreSerializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AppealReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[Appeal.Status.UPHELD, Appeal.Status.REGRADED])
    note = serializers.CharField(min_length=2, max_length=2000)
    changes = AppealChangeSerializer(many=True, required=False, default=list)


class SanctionSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Sanction
        fields = ["id", "organization", "organization_name", "kind", "kind_label", "started_on", "ended_on",
                  "note", "created_at"]


class SanctionCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField(**ID)
    kind = serializers.ChoiceField(choices=Sanction.Kind.choices)
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
