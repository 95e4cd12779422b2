"""Reads for teams (志愿服务队), including the permission-checked fetches.

Anyone signed in may browse teams (to apply); only a team's leader, or an admin of its
organization, manages it. A member sees who else is in the team; others see counts."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import User
from config.exceptions import Forbidden
from organizations.models import Membership
from volunteers.models import Team, TeamMembership


def _with_counts(qs: QuerySet[Team]) -> QuerySet[Team]:
    return qs.select_related("organization", "leader").annotate(
        member_count=Count("memberships", filter=Q(memberships__status=TeamMembership.Status.ACTIVE),
                           distinct=True),
        pending_count=Count("memberships", filter=Q(memberships__status=TeamMembership.Status.PENDING),
                            distinct=True),
    )


def can_manage_team(*, user: User, team: Team) -> bool:
    if team.leader_id == user.id:
        return True
    return Membership.objects.filter(user=user, organization_id=team.organization_id,
                                     role=Membership.Role.ADMIN).exists()


def managed_team_ids(*, user: User, teams) -> set[int]:
    """Which of ``teams`` the user manages, in one query at most."""
    if all(t.leader_id == user.id for t in teams):
        return {t.id for t in teams}
    admin_of = set(Membership.objects.filter(user=user, role=Membership.Role.ADMIN)
                   .values_list("organization_id", flat=True))
    return {t.id for t in teams if t.leader_id == user.id or t.organization_id in admin_of}


def team_list(*, user: User, mine: bool = False, organization_id: int | None = None,
              q: str | None = None) -> QuerySet[Team]:
    """``mine``: teams the user leads or manages, or belongs to (pending applications
    included, so an applicant can follow theirs)."""
    qs = Team.objects.all()
    if mine:
        admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("organization_id")
        mine_ids = TeamMembership.objects.filter(volunteer=user, status__in=TeamMembership.OPEN).values("team_id")
        qs = qs.filter(Q(leader=user) | Q(organization_id__in=admin_of) | Q(id__in=mine_ids))
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    if q:
        qs = qs.filter(name__icontains=q)
    return _with_counts(qs).order_by("id")


def my_memberships_by_team(*, user: User, team_ids: list[int]) -> dict[int, TeamMembership]:
    rows = TeamMembership.objects.filter(volunteer=user, team_id__in=team_ids, status__in=TeamMembership.OPEN)
    return {row.team_id: row for row in rows}


def team_visible(*, team_id: int) -> Team:
    team = _with_counts(Team.objects.filter(id=team_id)).first()
    if team is None:
        raise Http404
    return team


def team_for_leader(*, user: User, team_id: int) -> Team:
    """The team if ``user`` leads it or administers its organization; 403 otherwise
    (teams are public, so hiding one would be pointless)."""
    team = team_visible(team_id=team_id)
    if not can_manage_team(user=user, team=team):
        raise Forbidden("not_team_leader", "只有服务队队长或组织管理员可以操作")
    return team


def membership_for_leader(*, user: User, membership_id: int) -> TeamMembership:
    """A membership of a team ``user`` manages; anyone else gets 404 (applications are
    not public)."""
    membership = (TeamMembership.objects.select_related("team", "volunteer")
                  .filter(id=membership_id).first())
    if membership is None or not can_manage_team(user=user, team=membership.team):
        raise Http404
    return membership


_MEMBER_ORDER = {TeamMembership.Status.ACTIVE: ("joined_at", "id"),
                 TeamMembership.Status.REMOVED: ("-left_at", "-id")}


def team_members(*, team: Team, status: str = TeamMembership.Status.ACTIVE) -> QuerySet[TeamMembership]:
    """Members by status: active ones in joining order, applications oldest first, removed
    ones latest first (the history the leader looks back on)."""
    return (TeamMembership.objects.filter(team=team, status=status).select_related("volunteer", "team")
            .order_by(*_MEMBER_ORDER.get(status, ("created_at", "id"))))


def is_team_member(*, team_id: int, volunteer_id: int) -> bool:
    return TeamMembership.objects.filter(team_id=team_id, volunteer_id=volunteer_id,
                                         status=TeamMembership.Status.ACTIVE).exists()


def active_team_ids(*, volunteer_ids: list[int]) -> dict[int, set[int]]:
    """Each volunteer's teams (active memberships), in one query."""
    out: dict[int, set[int]] = {}
    for volunteer_id, team_id in TeamMembership.objects.filter(
            volunteer_id__in=volunteer_ids, status=TeamMembership.Status.ACTIVE).values_list("volunteer_id",
                                                                                          "team_id"):
        out.setdefault(volunteer_id, set()).add(team_id)
    return out
