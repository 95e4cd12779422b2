from django.contrib import admin

from projects.models import Attendance, ServiceProject, Shift, Signup


@admin.register(ServiceProject)
class ServiceProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "owner", "status", "region"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["organization", "owner", "region"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "starts_at", "ends_at", "capacity", "confirmed_count"]
    raw_id_fields = ["project"]
    readonly_fields = ["confirmed_count", "waitlist_seq"]


@admin.register(Signup)
class SignupAdmin(admin.ModelAdmin):
    list_display = ["id", "shift", "volunteer", "status", "queue_number"]
    list_filter = ["status"]
    raw_id_fields = ["shift", "volunteer"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["id", "shift", "volunteer", "checked_in_at", "checked_out_at"]
    raw_id_fields = ["signup", "shift", "volunteer"]
