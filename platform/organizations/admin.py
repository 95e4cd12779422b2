from django.contrib import admin

from organizations.models import Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "org_type", "registration_status", "authority_level", "region"]
    list_filter = ["org_type", "registration_status", "authority_level", "is_community"]
    search_fields = ["name"]
    raw_id_fields = ["region"]
    inlines = [MembershipInline]
