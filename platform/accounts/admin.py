from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import RealName, Region, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["id"]
    list_display = ["phone", "name", "staff_role", "region", "volunteer_number", "is_active"]
    search_fields = ["phone", "name", "volunteer_number"]
    list_filter = ["staff_role", "is_active"]
    fieldsets = [
        (None, {"fields": ["phone", "password", "name", "volunteer_number"]}),
        ("管理角色", {"fields": ["staff_role", "region"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["phone", "name", "password1", "password2"]})]
    raw_id_fields = ["region"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "is_urban"]
    search_fields = ["code", "name"]
    list_filter = ["level"]


@admin.register(RealName)
class RealNameAdmin(admin.ModelAdmin):
    """Masked only: the admin never decrypts an ID number."""

    list_display = ["user", "name", "id_number_masked", "birth_date", "verified_at"]
    search_fields = ["user__phone", "name"]
    fields = ["user", "name", "id_type", "id_number_masked", "birth_date", "verified_at"]
    readonly_fields = fields
    raw_id_fields = ["user"]

    def has_add_permission(self, request) -> bool:
        return False
