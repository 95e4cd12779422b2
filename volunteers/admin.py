from django.contrib import admin

from volunteers.models import ServiceRecord


@admin.register(ServiceRecord)
class ServiceRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "volunteer", "project", "hours", "status", "created_at"]
    list_filter = ["status", "source"]
    raw_id_fields = ["volunteer", "attendance", "shift", "project", "organization", "reviewed_by"]
