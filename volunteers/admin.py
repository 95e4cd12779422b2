from django.contrib import admin

from volunteers.models import (
    AwardRecord,
    Certificate,
    GuardianConsent,
    OrganizationMetric,
    RecordDispute,
    ServiceRecord,
    TrainingRecord,
    VolunteerProfile,
    VolunteerStanding,
)


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "volunteer", "project", "hours", "status", "source", "finalized_at", "created_at"]
    list_filter = ["status", "source"]
    raw_id_fields = ["volunteer", "attendance", "shift", "project", "organization", "reviewed_by", "corrects",
                     "recorded_by", "entered_by"]


@admin.register(RecordDispute)
class RecordDisputeAdmin(admin.ModelAdmin):
    list_display = ["id", "record", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["record", "raised_by", "answered_by"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["serial", "volunteer_name", "organization_name", "hours", "issued_at", "revoked_at"]
    search_fields = ["serial", "volunteer_number"]
    raw_id_fields = ["volunteer", "organization", "handler", "revoked_by"]


admin.site.register([VolunteerStanding, TrainingRecord, AwardRecord, OrganizationMetric])


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin):
    list_display = ["volunteer", "home_region", "travel_km", "updated_at"]
    raw_id_fields = ["volunteer", "home_region"]


@admin.register(GuardianConsent)
class GuardianConsentAdmin(admin.ModelAdmin):
    """A record: read only here, written through the API."""

    list_display = ["volunteer", "guardian_name", "relationship", "consented_at", "withdrawn_at"]
    readonly_fields = ["volunteer", "guardian_name", "guardian_phone", "relationship", "consented_at",
                       "recorded_by", "withdrawn_at"]

    def has_add_permission(self, request) -> bool:
        return False
