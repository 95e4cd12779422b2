from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Region
from organizations.models import (
    Charter,
    FilingApplication,
    FilingStep,
    Inspection,
    Organization,
    OrganizationEvent,
    PartyBuildingChange,
    Room,
    RoomBooking,
    Venue,
)
from projects.models import ServiceProject


class InspectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = ["id", "year", "result", "note", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]


PUBLIC_FIELDS = ["id", "name", "credit_code", "org_type", "registration_status", "authority_level",
                 "is_community", "region", "region_name", "service_domains", "founded_on", "status",
                 "description", "charter_has_party_clause", "party_building", "is_brand", "venue",
                 "venue_name"]


class OrganizationSerializer(serializers.ModelSerializer):
    """The full record: governing staff and the organization's admins."""

    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    service_domains = serializers.ListField(child=serializers.ChoiceField(Organization.Domain.choices),
                                            required=False, max_length=20)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, allow_null=True)
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.filter(is_active=True), required=False,
                                               allow_null=True)
    venue_name = serializers.CharField(source="venue.name", read_only=True, default=None)
    ready_to_register = serializers.BooleanField(read_only=True)
    tier = serializers.ChoiceField(Organization.Tier.choices, required=False)

    class Meta:
        model = Organization
        fields = [*PUBLIC_FIELDS, "tier", "person_in_charge", "contact_phone", "individual_members",
                  "unit_members", "status_changed_at", "charter_version", "party_instructor_name",
                  "party_instructor_contact", "ready_to_register", "source", "created_at", "updated_at"]
        read_only_fields = ["id", "status", "status_changed_at", "charter_version", "charter_has_party_clause",
                            "party_building", "party_instructor_name", "party_instructor_contact",
                            "is_brand", "source", "created_at", "updated_at"]
        # Uniqueness is reported by the service as a 409, not by the serializer.
        validators: list = []


class OrganizationDetailSerializer(OrganizationSerializer):
    inspections = InspectionSerializer(many=True, read_only=True)

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "inspections"]


class PublicOrganizationSerializer(serializers.ModelSerializer):
    """What residents and the public see: no contact data, members or internal state."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    venue_name = serializers.CharField(source="venue.name", read_only=True, default=None)

    class Meta:
        model = Organization
        fields = PUBLIC_FIELDS
        read_only_fields = PUBLIC_FIELDS


class TierChangeSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(Organization.Tier.choices)
    reason = serializers.CharField(max_length=500)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Organization.Status.choices)
    reason = serializers.CharField(max_length=500)


class InspectionCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1949, max_value=2100)
    result = serializers.ChoiceField(Inspection.Result.choices)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.name", read_only=True, default=None)

    class Meta:
        model = OrganizationEvent
        fields = ["id", "kind", "actor", "actor_name", "reason", "changes", "created_at"]


class OrganizationStatsSerializer(serializers.Serializer):
    region = serializers.DictField()
    total = serializers.IntegerField()
    community = serializers.IntegerField()
    filed = serializers.IntegerField()
    by_type = serializers.DictField()
    registered = serializers.IntegerField()
    registered_by_type = serializers.DictField()
    by_authority = serializers.DictField()
    community_by_type = serializers.DictField()
    community_registered = serializers.DictField()
    community_filed = serializers.IntegerField()
    ledger = serializers.IntegerField()
    ready_to_register = serializers.IntegerField()
    by_status = serializers.DictField()
    deregistered = serializers.IntegerField()
    coverage = serializers.DictField()


# --- filing, charter, party building ------------------------------------------------------

class FilingMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField([("individual", "个人"), ("unit", "单位")], default="individual")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class FilingCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    org_type = serializers.ChoiceField(Organization.Type.choices, default=Organization.Type.SOCIAL_GROUP)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    person_in_charge = serializers.CharField(max_length=32)
    contact_phone = serializers.RegexField(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$", max_length=20)
    members = FilingMemberSerializer(many=True)
    charter_sections = serializers.JSONField()
    service_domains = serializers.ListField(child=serializers.ChoiceField(Organization.Domain.choices),
                                            required=False, default=list, max_length=20)
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.filter(is_active=True), required=False,
                                               allow_null=True)


class FilingStepSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.name", read_only=True)

    class Meta:
        model = FilingStep
        fields = ["id", "action", "actor", "actor_name", "from_status", "to_status", "reason", "created_at"]


class FilingSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)

    class Meta:
        model = FilingApplication
        fields = ["id", "name", "org_type", "region", "region_name", "applicant", "applicant_name",
                  "person_in_charge", "contact_phone", "individual_members", "unit_members", "venue",
                  "service_domains", "status", "return_reason", "organization", "created_at", "updated_at"]
        read_only_fields = fields


class FilingDetailSerializer(FilingSerializer):
    steps = FilingStepSerializer(many=True, read_only=True)

    class Meta(FilingSerializer.Meta):
        fields = [*FilingSerializer.Meta.fields, "members", "charter_sections", "steps"]
        read_only_fields = fields


class FilingDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class FilingResubmitSerializer(serializers.Serializer):
    charter_sections = serializers.JSONField(required=False)
    members = FilingMemberSerializer(many=True, required=False)


class CharterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Charter
        fields = ["id", "version", "sections", "has_party_clause", "note", "created_by", "created_at"]
        read_only_fields = ["id", "version", "has_party_clause", "created_by", "created_at"]


class CharterCreateSerializer(serializers.Serializer):
    sections = serializers.JSONField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CharterTemplateSerializer(serializers.Serializer):
    titles = serializers.DictField(child=serializers.CharField())
    required = serializers.ListField(child=serializers.CharField())
    sections = serializers.DictField(child=serializers.CharField())


class PartyBuildingSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(Organization.PartyBuilding.choices)
    instructor_name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    instructor_contact = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PartyBuildingChangeSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.CharField(source="changed_by.name", read_only=True, default=None)

    class Meta:
        model = PartyBuildingChange
        fields = ["id", "mode", "previous_mode", "instructor_name", "instructor_contact", "reason",
                  "changed_by", "changed_by_name", "changed_at"]


# --- venues, rooms, bookings, brands ---------------------------------------------------

class RoomSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "venue", "name", "capacity", "is_bookable"]
        read_only_fields = ["id", "venue", "is_bookable"]
        validators: list = []


class RoomUpdateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=64)
    capacity = serializers.IntegerField(min_value=1, max_value=100_000)

    class Meta:
        model = Room
        fields = ["name", "capacity", "is_bookable"]
        validators: list = []


class VenueSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    rooms = RoomSerializer(many=True, read_only=True)
    organizations = serializers.SerializerMethodField()

    class Meta:
        model = Venue
        fields = ["id", "name", "kind", "region", "region_name", "address", "is_active", "rooms", "organizations"]
        read_only_fields = ["id", "is_active"]
        validators: list = []

    def get_organizations(self, venue) -> list[dict]:
        return [{"id": o.id, "name": o.name} for o in venue.organizations.all()]


class VenueUpdateSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    name = serializers.CharField(max_length=128)

    class Meta:
        model = Venue
        fields = ["name", "kind", "region", "address", "is_active"]
        validators: list = []


class BookingSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = RoomBooking
        fields = ["id", "room", "organization", "organization_name", "booked_by", "starts_at", "ends_at",
                  "purpose", "status", "created_at", "cancelled_at"]
        read_only_fields = ["id", "room", "booked_by", "status", "created_at", "cancelled_at"]


class BrandProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceProject
        fields = ["id", "title", "status"]


class BrandSerializer(serializers.ModelSerializer):
    brand_photos = serializers.ListField(child=serializers.URLField(max_length=500), max_length=20, required=False)
    brand_projects = serializers.PrimaryKeyRelatedField(queryset=ServiceProject.objects.all(), many=True,
                                                        required=False)
    brand_story = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    # Titles of the linked projects, so that a showcase names them (from the prefetch).
    brand_project_details = BrandProjectSerializer(source="brand_projects", many=True, read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "org_type", "region", "region_name", "is_brand", "brand_story", "brand_photos",
                  "brand_projects", "brand_project_details"]
        read_only_fields = ["id", "name", "org_type", "region"]


class BrandEditorSerializer(BrandSerializer):
    """One organization's brand for its editors: plus the projects it may link."""

    can_edit = serializers.SerializerMethodField()
    project_choices = serializers.SerializerMethodField()

    class Meta(BrandSerializer.Meta):
        fields = [*BrandSerializer.Meta.fields, "can_edit", "project_choices"]

    def get_can_edit(self, org) -> bool:
        return bool(self.context.get("can_edit"))

    @extend_schema_field(BrandProjectSerializer(many=True))
    def get_project_choices(self, org) -> list[dict]:
        choices = self.context.get("project_choices")
        return BrandProjectSerializer(choices, many=True).data if choices is not None else []
