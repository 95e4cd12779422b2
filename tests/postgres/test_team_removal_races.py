"""Removing team members while they sign up to the team's members-first project, and
two managers removing the same member at once (PostgreSQL, committed data, real
threads)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.exceptions import Conflict
from notifications.models import Notification
from organizations.models import Membership
from projects.models import Signup
from projects.services.signups import signup_create
from tests.factories import ProjectFactory, ShiftFactory, UserFactory, social_worker
from tests.postgres.conftest import make_volunteers, run_together
from volunteers.models import Team, TeamMembership
from volunteers.teams.services import team_membership_remove

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _team(organization, volunteers) -> Team:
    team = Team.objects.create(organization=organization, leader=social_worker(organization), name="R",
                               invite_code="CODERACE")
    now = timezone.now()
    TeamMembership.objects.bulk_create([TeamMembership(team=team, volunteer=v, status="active", via="invite_code",
                                                       joined_at=now) for v in volunteers])
    return team


def _membership(team: Team, volunteer) -> TeamMembership:
    return TeamMembership.objects.select_related("team", "volunteer").get(team=team, volunteer=volunteer,
                                                                           status="active")


def test_members_removed_while_signing_up_to_a_members_first_project_are_either_in_before_or_refused():
    project = ProjectFactory()
    people = make_volunteers(20)
    team = _team(project.organization, people)
    project.team, project.members_first_until = team, timezone.now() + timedelta(days=1)
    project.save(update_fields=["team", "members_first_until"])
    shift = ShiftFactory(project=project, capacity=50)
    memberships = {v.id: _membership(team, v) for v in people}

    def act(kind, volunteer):
        if kind == "remove":
            return team_membership_remove(user=team.leader, membership=memberships[volunteer.id], reason="缺席")
        return signup_create(volunteer=volunteer, shift_id=shift.id)

    outcomes = run_together(act, [(kind, v) for v in people for kind in ("remove", "join")])

    refused = [o.error for o in outcomes if o.error is not None]
    assert all(getattr(e, "code", None) == "team_members_first" for e in refused), refused
    # Both take the volunteer's row first: a sign-up either came before the removal (and
    # stays, removal keeps sign-ups) or after it (refused); never a deadlock or other error.
    signed = set(Signup.objects.filter(shift=shift, status="confirmed").values_list("volunteer_id", flat=True))
    assert len(signed) + len(refused) == len(people)
    assert TeamMembership.objects.filter(team=team, status="removed").count() == len(people)
    shift.refresh_from_db()
    assert shift.confirmed_count == len(signed)


def test_the_leader_and_an_admin_removing_one_member_at_once_remove_once_and_tell_once():
    project = ProjectFactory()
    member = UserFactory()
    team = _team(project.organization, [member])
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=team.organization, role=Membership.Role.ADMIN)

    # Each request read the active membership before any removal committed (the view's
    # checked fetch), each with its own copy.
    calls = [(user, _membership(team, member)) for user in (team.leader, admin) * 3]

    outcomes = run_together(
        lambda user, membership: team_membership_remove(user=user, membership=membership, reason="重复"), calls)

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 5 and all(isinstance(e, Conflict) and e.code == "not_active" for e in errors), errors
    assert TeamMembership.objects.get(team=team, volunteer=member).status == "removed"
    assert Notification.objects.filter(recipient=member, kind="team_member_removed").count() == 1
