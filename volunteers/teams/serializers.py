from __future__ import annotations

from rest_framework import serializers

from organizations.models import Organization
from volunteers.models import Team, TeamMembership


class TeamSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    leader = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True, default=0)
    pending_count = serializers.SerializerMethodField()
    my_membership = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "description", "organization", "leader", "member_count", "pending_count",
                  "created_at", "my_membership", "can_manage"]

    def get_organization(self, team: Team) -> dict:
        return {"id": team.organization_id, "name": team.organization.name}

    def get_leader(self, team: Team) -> dict:
        return {"id": team.leader_id, "name": team.leader.name}

    def _manages(self, team: Team) -> bool:
        return team.id in self.context.get("managed_ids", set())

    def get_can_manage(self, team: Team) -> bool:
        return self._manages(team)

    def get_pending_count(self, team: Team) -> int | None:
        # Applications are the leader's business.
        return getattr(team, "pending_count", 0) if self._manages(team) else None

    def get_my_membership(self, team: Team) -> dict | None:
        mine = self.context.get("my_memberships", {}).get(team.id)
        return {"id": mine.id, "status": mine.status} if mine else None


class TeamCreateSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    name = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TeamApplySerializer(serializers.Serializer):
    message = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TeamJoinSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=32)


class InviteCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["invite_code", "invite_code_reset_at"]


class TeamMembershipSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: "status" names several choice sets across the API.
    status = serializers.CharField(read_only=True, help_text="pending | active | declined | left | removed")
    via = serializers.CharField(read_only=True, help_text="application | invite_code")
    volunteer = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()

    class Meta:
        model = TeamMembership
        fields = ["id", "team", "volunteer", "status", "via", "message", "created_at", "joined_at",
                  "decided_at", "left_at", "removal_reason"]

    def get_team(self, membership: TeamMembership) -> dict:
        return {"id": membership.team_id, "name": membership.team.name}

    def get_volunteer(self, membership: TeamMembership) -> dict:
        v = membership.volunteer
        if not self.context.get("full"):
            return {"id": v.id, "name": v.name}
        return {"id": v.id, "name": v.name, "phone_masked": v.phone_masked, "volunteer_number": v.volunteer_number}


class TeamDetailSerializer(TeamSerializer):
    members = serializers.SerializerMethodField()

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "members"]

    def get_members(self, team: Team) -> list[dict] | None:
        members = self.context.get("members")
        if members is None:
            return None
        return TeamMembershipSerializer(members, many=True, context={"full": self._manages(team)}).data
