from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from accounts.serializers import UserBriefSerializer, phone_validator
from volunteers.models import (
    AwardRecord,
    Certificate,
    GuardianConsent,
    OrganizationMetric,
    RecordDispute,
    ServiceRecord,
    TrainingRecord,
    VolunteerProfile,
)


def _person(user) -> dict | None:
    return {"id": user.id, "name": user.name} if user else None


class ServiceRecordSerializer(serializers.ModelSerializer):
    """One service entry with the national record's fields: project name, date, place,
    people served, content, hours, quality rating, project lead, recorder, organization
    and source."""

    volunteer = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    shift = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    project_lead = serializers.SerializerMethodField()
    recorder = serializers.SerializerMethodField()
    entered_by = serializers.SerializerMethodField()
    reviewed_by = UserBriefSerializer(allow_null=True)
    date = serializers.SerializerMethodField()
    is_final = serializers.BooleanField(read_only=True)
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRecord
        fields = ["id", "volunteer", "project", "shift", "organization", "date", "place", "people_served", "content",
                  "source", "started_at", "ended_at", "hours", "quality_rating", "project_lead", "recorder",
                  "status", "is_final", "notice_ends_at", "finalized_at", "reviewed_by", "reviewed_at",
                  "reject_reason", "corrects", "amend_reason", "entered_by", "back_entry_reason", "evidence_url",
                  "created_at"]

    def get_volunteer(self, record: ServiceRecord) -> dict:
        v = record.volunteer
        return {"id": v.id, "name": v.name, "volunteer_number": v.volunteer_number}

    def get_project(self, record: ServiceRecord) -> dict:
        return {"id": record.project_id, "title": record.project.title}

    def get_shift(self, record: ServiceRecord) -> dict:
        s = record.shift
        return {"id": s.id, "starts_at": serializers.DateTimeField().to_representation(s.starts_at),
                "ends_at": serializers.DateTimeField().to_representation(s.ends_at)}

    def get_organization(self, record: ServiceRecord) -> dict:
        return {"id": record.organization_id, "name": record.organization.name}

    def get_project_lead(self, record: ServiceRecord) -> dict | None:
        return _person(record.project.owner)

    def get_recorder(self, record: ServiceRecord) -> dict | None:
        return _person(record.recorded_by)

    def get_entered_by(self, record: ServiceRecord) -> dict | None:
        return _person(record.entered_by)

    def get_date(self, record: ServiceRecord) -> str:
        from django.utils import timezone

        return timezone.localtime(record.shift.starts_at).date().isoformat()

    def get_evidence_url(self, record: ServiceRecord) -> str | None:
        return f"/api/v1/service-records/{record.id}/evidence/" if record.evidence else None


class DisputeSerializer(serializers.ModelSerializer):
    raised_by = serializers.SerializerMethodField()
    answered_by = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()

    class Meta:
        model = RecordDispute
        fields = ["id", "record", "project", "kind", "raised_by", "reason", "status", "answer", "answered_by",
                  "answered_at", "created_at"]

    def get_raised_by(self, dispute: RecordDispute) -> dict | None:
        return _person(dispute.raised_by)

    def get_answered_by(self, dispute: RecordDispute) -> dict | None:
        return _person(dispute.answered_by)

    def get_project(self, dispute: RecordDispute) -> dict:
        return {"id": dispute.record.project_id, "title": dispute.record.project.title}


class ServiceRecordDetailSerializer(ServiceRecordSerializer):
    trail = serializers.SerializerMethodField()
    disputes = serializers.SerializerMethodField()

    class Meta(ServiceRecordSerializer.Meta):
        fields = [*ServiceRecordSerializer.Meta.fields, "trail", "disputes"]

    def get_trail(self, record: ServiceRecord) -> list[dict]:
        return ServiceRecordSerializer(self.context["trail"], many=True).data

    def get_disputes(self, record: ServiceRecord) -> list[dict]:
        disputes = RecordDispute.objects.filter(record__in=[r.id for r in self.context["trail"]]).select_related(
            "record__project", "raised_by", "answered_by").order_by("id")
        return DisputeSerializer(disputes, many=True).data


class ApproveSerializer(serializers.Serializer):
    quality_rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=1, max_length=200)


class AmendSerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)
    reason = serializers.CharField(min_length=1, max_length=200)


EVIDENCE_TYPES = {  # extension: leading bytes
    "pdf": (b"%PDF",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
}


class BackEntrySerializer(serializers.Serializer):
    shift = serializers.IntegerField()
    volunteer_number = serializers.CharField(max_length=16)
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField(min_length=2, max_length=300)
    evidence = serializers.FileField()
    content = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    people_served = serializers.IntegerField(min_value=0, max_value=100_000, required=False, default=0)

    def validate_evidence(self, upload):
        if upload.size > settings.BACK_ENTRY_EVIDENCE_MAX_BYTES:
            raise serializers.ValidationError(
                f"证明材料不能超过 {settings.BACK_ENTRY_EVIDENCE_MAX_BYTES // (1024 * 1024)} MB")
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        head = upload.read(16)
        upload.seek(0)
        if suffix not in EVIDENCE_TYPES or not head.startswith(EVIDENCE_TYPES[suffix]):
            raise serializers.ValidationError("证明材料须为 PDF、PNG 或 JPEG 文件")
        return upload


class DisputeCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=2, max_length=500)


class DisputeAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(min_length=2, max_length=500)


class SummarySerializer(serializers.Serializer):
    approved_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    pending_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    star_level = serializers.IntegerField()
    next_level_hours = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    in_notice_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    star_thresholds = serializers.ListField(child=serializers.IntegerField())


class TrainingSerializer(serializers.ModelSerializer):
    volunteer = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRecord
        fields = ["id", "volunteer", "organization", "title", "content", "held_on", "hours", "created_at"]

    def get_volunteer(self, row) -> dict:
        return {"id": row.volunteer_id, "name": row.volunteer.name, "volunteer_number": row.volunteer.volunteer_number}

    def get_organization(self, row) -> dict:
        return {"id": row.organization_id, "name": row.organization.name}


class AwardSerializer(TrainingSerializer):
    class Meta:
        model = AwardRecord
        fields = ["id", "volunteer", "organization", "title", "level", "issuer", "awarded_on", "created_at"]


class TrainingCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    volunteer_number = serializers.CharField(max_length=16)
    title = serializers.CharField(max_length=120)
    content = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal(24))


class AwardCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    volunteer_number = serializers.CharField(max_length=16)
    title = serializers.CharField(max_length=120)
    level = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    issuer = serializers.CharField(max_length=120)
    awarded_on = serializers.DateField()


class CertificateSerializer(serializers.ModelSerializer):
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    is_revoked = serializers.BooleanField(read_only=True)

    class Meta:
        model = Certificate
        fields = ["id", "serial", "verify_code", "pdf_url", "verify_url", "volunteer_name", "volunteer_number",
                  "id_type", "id_number_masked", "organization", "organization_name", "date_from", "date_to", "hours",
                  "record_count", "service_content", "person_in_charge", "handler_name", "contact", "notes",
                  "issued_at", "is_revoked", "revoked_at", "revoke_reason"]

    def get_pdf_url(self, certificate) -> str:
        return f"/api/v1/certificates/{certificate.id}/pdf/"

    def get_verify_url(self, certificate) -> str:
        return f"/certificates/verify/{certificate.verify_code}/"


class CertificateCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    volunteer_number = serializers.CharField(max_length=16, required=False,
                                             help_text="组织为志愿者出具时填写；志愿者本人申请时省略")
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    person_in_charge = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    contact = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=2, max_length=200)


class OrganizationMetricSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()

    class Meta:
        model = OrganizationMetric
        fields = ["organization", "period", "projects_run", "shifts_held", "volunteers", "final_hours",
                  "hours_per_volunteer", "average_rating", "service_rating", "activity_rating", "needs_served",
                  "confirmed_signups", "no_shows",
                  "no_show_rate", "computed_at"]

    def get_period(self, row) -> str:
        return f"{row.period:%Y-%m}"


class MetricQuerySerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    period = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False)


# --- profile and guardians' consent ----------------------------------------------------------

_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class AvailabilitySlotSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = 星期一 … 6 = 星期日")
    start = serializers.RegexField(_HHMM, error_messages={"invalid": "时间格式应为 HH:MM"})
    end = serializers.RegexField(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$",
                                 error_messages={"invalid": "时间格式应为 HH:MM（最晚 24:00）"})

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["结束时间须晚于开始时间"]})
        return attrs


def _tag_list(label: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=32, allow_blank=True), max_length=30,
                                 help_text=f"{label}（最多 30 项）")


class VolunteerProfileUpdateSerializer(serializers.Serializer):
    skills = _tag_list("技能")
    interests = _tag_list("关注的服务对象，与项目的 targets 相同")
    availability = AvailabilitySlotSerializer(many=True, max_length=42)
    home_region = serializers.CharField(max_length=12, allow_null=True, allow_blank=True)
    home_lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal(-90),
                                        max_value=Decimal(90), allow_null=True)
    home_lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal(-180),
                                        max_value=Decimal(180), allow_null=True)
    travel_km = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0),
                                         max_value=Decimal(500), allow_null=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("请至少修改一项")
        return attrs


class VolunteerProfileSerializer(serializers.ModelSerializer):
    home_region = serializers.SerializerMethodField()
    updated_at = serializers.SerializerMethodField()

    class Meta:
        model = VolunteerProfile
        fields = ["skills", "interests", "availability", "home_region", "home_lat", "home_lng", "travel_km",
                  "updated_at"]

    def get_home_region(self, profile: VolunteerProfile) -> dict | None:
        region = profile.home_region
        return {"code": region.code, "name": region.name} if region else None

    def get_updated_at(self, profile: VolunteerProfile) -> str | None:
        # An unsaved profile (never filled in) has no time of change.
        return None if profile._state.adding else serializers.DateTimeField().to_representation(profile.updated_at)


class GuardianConsentCreateSerializer(serializers.Serializer):
    guardian_name = serializers.CharField(min_length=1, max_length=32)
    guardian_phone = serializers.CharField(max_length=11, validators=[phone_validator])
    relationship = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class GuardianConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = GuardianConsent
        fields = ["id", "guardian_name", "guardian_phone", "relationship", "consented_at", "withdrawn_at"]


class GuardianConsentStatusSerializer(serializers.Serializer):
    consent_age = serializers.IntegerField()
    required = serializers.BooleanField(allow_null=True, help_text="null：未实名，年龄未知")
    consent = GuardianConsentSerializer(allow_null=True)
