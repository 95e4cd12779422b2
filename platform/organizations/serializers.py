from rest_framework import serializers

from accounts.models import Region
from organizations.models import Organization


class OrganizationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "org_type", "registration_status", "authority_level",
                  "is_community", "region", "region_name", "description", "created_at"]
        read_only_fields = ["id", "created_at"]
        # Uniqueness is reported by the service as a 409, not by the serializer.
        validators: list = []


class OrganizationStatsSerializer(serializers.Serializer):
    region = serializers.DictField()
    total = serializers.IntegerField()
    community = serializers.IntegerField()
    filed = serializers.IntegerField()
    by_type = serializers.DictField()
