from rest_framework import serializers

from accounts.serializers import UserBriefSerializer
from volunteers.models import ServiceRecord


class ServiceRecordSerializer(serializers.ModelSerializer):
    volunteer = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    shift = serializers.SerializerMethodField()
    reviewed_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = ServiceRecord
        fields = ["id", "volunteer", "project", "shift", "source", "started_at", "ended_at", "hours",
                  "status", "reviewed_by", "reviewed_at", "reject_reason", "corrects", "amend_reason",
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


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=1, max_length=200)


class AmendSerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)
    reason = serializers.CharField(min_length=1, max_length=200)


class SummarySerializer(serializers.Serializer):
    approved_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    pending_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    star_level = serializers.IntegerField()
    next_level_hours = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
