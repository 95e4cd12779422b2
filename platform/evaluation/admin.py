from django.contrib import admin

from evaluation.models import Appeal, CommitteeDecision, Evaluation, Expert, Grade, Round, Sanction, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "version", "is_current", "created_at"]
    list_filter = ["kind", "is_current"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "region", "scope", "status"]
    list_filter = ["scope", "status"]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["organization", "round", "status", "total", "proposed_grade"]
    list_filter = ["status"]
    raw_id_fields = ["organization", "round", "template"]


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ["organization", "grade", "valid_from", "valid_until", "status", "source"]
    list_filter = ["grade", "status"]
    raw_id_fields = ["organization", "round", "evaluation", "superseded_by"]


admin.site.register([Appeal, CommitteeDecision, Expert, Sanction])
