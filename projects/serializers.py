from __future__ import annotations

from rest_framework import serializers

from accounts.models import Region
from accounts.serializers import UserBriefSerializer
from organizations.models import Organization
from projects.models import Attendance, ServiceProject, Shift, ShiftInvitation, ShiftRule, Signup


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]


class ProjectSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    team = serializers.SerializerMethodField()
    owner = UserBriefSerializer(read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    upcoming_shift_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ServiceProject
        fields = ["id", "title", "description", "organization", "owner", "region", "region_name",
                  "address", "lat", "lng", "status", "skills", "targets", "domain", "funding_source",
                  "funding_contract_ref", "funding_amount", "risk_disclosure", "accident_insurance",
                  "min_age", "guardian_required_for_minors", "requires_approval", "created_at",
                  "submitted_at", "published_at", "review_note", "closed_at", "cancelled_at",
                  "cancel_reason", "upcoming_shift_count", "team", "members_first_until"]

    def get_team(self, project: ServiceProject) -> dict | None:
        team = project.team if project.team_id else None
        return {"id": team.id, "name": team.name} if team else None


class ProjectCreateSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90,
                                   required=False, allow_null=True)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                   required=False, allow_null=True)
    skills = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20,
                                   required=False)
    targets = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20,
                                    required=False)
    domain = serializers.ChoiceField(choices=Organization.Domain.choices, required=False, allow_blank=True)
    funding_source = serializers.ChoiceField(choices=ServiceProject.Funding.choices, required=False)
    funding_contract_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)
    funding_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                              required=False, allow_null=True)
    risk_disclosure = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    accident_insurance = serializers.BooleanField(required=False)
    min_age = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    guardian_required_for_minors = serializers.BooleanField(required=False)
    requires_approval = serializers.BooleanField(required=False)
    # The team that carries the project (one of the organization's own) and the optional
    # members-first window; the service checks the team against the organization.
    team = serializers.IntegerField(min_value=1, required=False, allow_null=True, source="team_id")
    members_first_until = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("funding_source") == ServiceProject.Funding.GOVERNMENT_PURCHASE:
            errors = {}
            if not attrs.get("funding_contract_ref"):
                errors["funding_contract_ref"] = ["政府购买服务须填写合同编号"]
            if attrs.get("funding_amount") is None:
                errors["funding_amount"] = ["政府购买服务须填写金额"]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MySignupBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    waitlist_position = serializers.IntegerField(source="position", allow_null=True)


class ShiftSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)
    my_signup = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ["id", "project", "starts_at", "ends_at", "capacity", "confirmed_count",
                  "waitlisted_count", "seats_left", "signup_deadline", "cancel_deadline", "address",
                  "rule", "my_signup"]

    def get_my_signup(self, shift: Shift) -> dict | None:
        mine = self.context.get("my_signups", {}).get(shift.id)
        return MySignupBriefSerializer(mine).data if mine else None


class ShiftCreateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)
    signup_deadline = serializers.DateTimeField(required=False, allow_null=True)
    cancel_deadline = serializers.DateTimeField(required=False, allow_null=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ShiftUpdateSerializer(serializers.Serializer):
    """Every field optional; ``move_to_waitlist`` names the confirmed sign-ups that go back
    to the waitlist when the capacity drops below the confirmed count."""

    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    signup_deadline = serializers.DateTimeField(required=False, allow_null=True)
    cancel_deadline = serializers.DateTimeField(required=False, allow_null=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    move_to_waitlist = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=10_000,
                                             required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["没有要修改的内容"]})
        return attrs


class ShiftRuleSerializer(serializers.ModelSerializer):
    generated = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = ShiftRule
        fields = ["id", "project", "weekdays", "start_time", "duration_minutes", "capacity", "starts_on",
                  "until", "created_at", "generated"]
        read_only_fields = ["id", "project", "created_at", "generated"]
        extra_kwargs = {"capacity": {"min_value": 1, "max_value": 10_000},
                        "duration_minutes": {"min_value": 1, "max_value": 24 * 60}}

    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6),
                                     min_length=1, max_length=7)


class CalendarFeedSerializer(serializers.Serializer):
    token = serializers.CharField()
    url = serializers.CharField()


class AttendanceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["checked_in_at", "checked_out_at"]


class SignupShiftSerializer(serializers.ModelSerializer):
    project = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ["id", "starts_at", "ends_at", "project"]

    def get_project(self, shift: Shift) -> dict:
        p = shift.project
        return {"id": p.id, "title": p.title, "address": p.address}


def _attendance(signup: Signup) -> dict | None:
    try:
        attendance = signup.attendance
    except Attendance.DoesNotExist:
        return None
    return AttendanceBriefSerializer(attendance).data


class SignupSerializer(serializers.ModelSerializer):
    waitlist_position = serializers.IntegerField(source="position", allow_null=True, default=None)
    shift = SignupShiftSerializer(read_only=True)
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = Signup
        fields = ["id", "status", "waitlist_position", "created_at", "shift", "attendance"]

    def get_attendance(self, signup: Signup) -> dict | None:
        return _attendance(signup)


class SignupCreatedSerializer(serializers.ModelSerializer):
    waitlist_position = serializers.IntegerField(source="position", allow_null=True, default=None)

    class Meta:
        model = Signup
        fields = ["id", "status", "waitlist_position", "shift", "created_at"]


class RosterEntrySerializer(serializers.ModelSerializer):
    waitlist_position = serializers.IntegerField(source="position", allow_null=True, default=None)
    volunteer = serializers.SerializerMethodField()
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = Signup
        fields = ["id", "status", "waitlist_position", "created_at", "no_show_at", "volunteer", "attendance"]

    def get_volunteer(self, signup: Signup) -> dict:
        v = signup.volunteer
        return {"id": v.id, "name": v.name, "phone_masked": v.phone_masked,
                "volunteer_number": v.volunteer_number,
                # Repeated no-shows are what a social worker needs to see before relying on someone.
                "no_show_count": getattr(signup, "volunteer_no_shows", 0)}

    def get_attendance(self, signup: Signup) -> dict | None:
        return _attendance(signup)


class CheckinCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()
    refresh_after = serializers.IntegerField()


class AttendanceRequestSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100)
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90,
                                   required=False, allow_null=True)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                   required=False, allow_null=True)


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "signup", "shift", "checked_in_at", "checked_out_at"]


class RecommendationSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    distance_km = serializers.FloatField(allow_null=True)
    shift = ShiftSerializer()
    project = serializers.SerializerMethodField()

    def get_project(self, item: dict) -> dict:
        return ProjectSerializer(item["shift"].project).data


class ProjectTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, allow_null=True)
    members_first_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BulkSignupSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1)
    volunteer_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                          max_length=200)


class BulkSignupResultSerializer(serializers.Serializer):
    volunteer_id = serializers.IntegerField()
    status = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)
    signup_id = serializers.IntegerField(allow_null=True)
    waitlist_position = serializers.IntegerField(allow_null=True)


class BulkSignupResponseSerializer(serializers.Serializer):
    results = BulkSignupResultSerializer(many=True)


class InvitationCreateSerializer(serializers.Serializer):
    volunteer_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                         max_length=100)


class MatchSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    distance_km = serializers.FloatField(allow_null=True)
    volunteer = serializers.SerializerMethodField()
    invitation = serializers.SerializerMethodField()

    def get_volunteer(self, item: dict) -> dict:
        v = item["volunteer"]
        return {"id": v.id, "name": v.name, "phone_masked": v.phone_masked, "volunteer_number": v.volunteer_number}

    def get_invitation(self, item: dict) -> dict | None:
        invitation = item["invitation"]
        return {"id": invitation.id, "state": invitation.state} if invitation else None


class InvitationSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    shift = SignupShiftSerializer(read_only=True)
    invited_by = UserBriefSerializer(read_only=True)
    signup = serializers.SerializerMethodField()

    class Meta:
        model = ShiftInvitation
        fields = ["id", "state", "reasons", "created_at", "expires_at", "responded_at", "shift",
                  "invited_by", "signup"]

    def get_signup(self, invitation: ShiftInvitation) -> dict | None:
        signup = invitation.signup
        if signup is None:
            return None
        return {"id": signup.id, "status": signup.status,
                "waitlist_position": getattr(signup, "position", None)}


class InvitationSentSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    volunteer = UserBriefSerializer(read_only=True)
    signup_status = serializers.CharField(source="signup.status", allow_null=True, default=None)

    class Meta:
        model = ShiftInvitation
        fields = ["id", "state", "volunteer", "reasons", "created_at", "expires_at", "responded_at",
                  "signup_status"]
