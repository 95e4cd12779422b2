"""Leaders' bulk sign-ups and accepted invitations racing ordinary sign-ups (PostgreSQL,
committed data, real threads): never overbooked, never two overlapping confirmed
shifts for one volunteer, no deadlock."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import Shift, ShiftInvitation, Signup
from projects.services.invitations import invitation_accept
from projects.services.signups import signup_bulk_create, signup_create
from tests.factories import ProjectFactory, ShiftFactory, social_worker
from tests.postgres.conftest import make_volunteers, run_together
from volunteers.models import Team, TeamMembership

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _team(organization, name: str, volunteers) -> Team:
    leader = social_worker(organization)
    team = Team.objects.create(organization=organization, leader=leader, name=name, invite_code=f"CODE{name}")
    now = timezone.now()
    TeamMembership.objects.bulk_create([TeamMembership(team=team, volunteer=v, status="active", via="invite_code",
                                                       joined_at=now) for v in volunteers])
    return team


def _assert_consistent(shift: Shift) -> Counter:
    shift.refresh_from_db()
    statuses = Counter(Signup.objects.filter(shift=shift).values_list("status", flat=True))
    assert shift.confirmed_count == statuses["confirmed"] <= shift.capacity
    assert shift.waitlisted_count == statuses["waitlisted"]
    queue = sorted(Signup.objects.filter(shift=shift, status="waitlisted").values_list("queue_number", flat=True))
    assert queue == list(range(1, len(queue) + 1))
    return statuses


def test_three_leaders_and_ten_volunteers_at_once_never_overbook():
    shift = ShiftFactory(capacity=10)
    organization = shift.project.organization
    groups = [make_volunteers(8, prefix=f"13{i}") for i in range(3)]
    teams = [_team(organization, str(i), group) for i, group in enumerate(groups)]
    loners = make_volunteers(10, prefix="150")

    def act(kind, arg):
        if kind == "bulk":
            team, group = arg
            return signup_bulk_create(leader=team.leader, team=team, shift_id=shift.id,
                                      volunteer_ids=[v.id for v in group])
        return signup_create(volunteer=arg, shift_id=shift.id)

    calls = [("bulk", (t, g)) for t, g in zip(teams, groups, strict=True)] + [("one", v) for v in loners]
    outcomes = run_together(act, calls)

    assert [o.error for o in outcomes if o.error is not None] == []
    per_member = [r for o in outcomes[:3] for r in o.value]
    assert all(r["status"] in ("confirmed", "waitlisted") for r in per_member), per_member
    statuses = _assert_consistent(shift)
    assert statuses == {"confirmed": 10, "waitlisted": 24}


def test_two_leaders_signing_the_same_people_up_for_overlapping_shifts_confirm_each_once():
    project = ProjectFactory()
    first = ShiftFactory(project=project, capacity=50)
    second = ShiftFactory(project=project, capacity=50, starts_at=first.starts_at + timedelta(hours=1))
    third = ShiftFactory(project=project, capacity=50, starts_at=first.starts_at + timedelta(hours=2))
    people = make_volunteers(15)
    team_a, team_b = _team(project.organization, "A", people), _team(project.organization, "B", people)

    def act(kind, arg):
        if kind == "a":
            return signup_bulk_create(leader=team_a.leader, team=team_a, shift_id=first.id,
                                      volunteer_ids=[v.id for v in people])
        if kind == "b":
            # The reverse order: the user rows are still locked in id order.
            return signup_bulk_create(leader=team_b.leader, team=team_b, shift_id=second.id,
                                      volunteer_ids=[v.id for v in reversed(people)])
        return signup_create(volunteer=arg, shift_id=third.id)

    outcomes = run_together(act, [("a", None), ("b", None)] + [("self", v) for v in people])

    unexpected = [o.error for o in outcomes
                  if o.error is not None and getattr(o.error, "code", None) != "time_conflict"]
    assert unexpected == []
    for person in people:
        held = list(Signup.objects.filter(volunteer=person, status="confirmed").values_list("shift_id", flat=True))
        # first overlaps second, second overlaps third; first and third do not.
        assert set(held) in ({first.id}, {second.id}, {third.id}, {first.id, third.id}), held
    for shift in (first, second, third):
        _assert_consistent(shift)


def test_accepted_invitations_and_sign_ups_share_the_last_seats():
    shift = ShiftFactory(capacity=5)
    owner = shift.project.owner
    invited = make_volunteers(20)
    now = timezone.now()
    ShiftInvitation.objects.bulk_create([ShiftInvitation(shift=shift, volunteer=v, invited_by=owner, created_at=now,
                                                         expires_at=shift.starts_at) for v in invited])
    invitations = dict(ShiftInvitation.objects.filter(shift=shift).values_list("volunteer_id", "id"))
    others = make_volunteers(20, prefix="151")

    def act(kind, volunteer):
        if kind == "accept":
            return invitation_accept(user=volunteer, invitation_id=invitations[volunteer.id])
        return signup_create(volunteer=volunteer, shift_id=shift.id)

    outcomes = run_together(act, [("accept", v) for v in invited] + [("self", v) for v in others])

    assert [o.error for o in outcomes if o.error is not None] == []
    assert _assert_consistent(shift) == {"confirmed": 5, "waitlisted": 35}
    assert set(ShiftInvitation.objects.values_list("status", flat=True)) == {"accepted"}


def test_members_leaving_while_signing_up_to_a_members_first_project_never_slip_in():
    from volunteers.teams.services import team_leave

    project = ProjectFactory()
    people = make_volunteers(20)
    team = _team(project.organization, "M", people)
    project.team, project.members_first_until = team, timezone.now() + timedelta(days=1)
    project.save(update_fields=["team", "members_first_until"])
    shift = ShiftFactory(project=project, capacity=50)

    def act(kind, volunteer):
        if kind == "leave":
            return team_leave(volunteer=volunteer, team=team)
        return signup_create(volunteer=volunteer, shift_id=shift.id)

    outcomes = run_together(act, [(kind, v) for v in people for kind in ("leave", "join")])

    refused = [o.error for o in outcomes if o.error is not None]
    assert all(getattr(e, "code", None) == "team_members_first" for e in refused), refused
    # Both writers take the volunteer's row first: each sign-up is either in (the leave
    # came after it) or refused with the members-first code (it came after the leave);
    # no deadlock, no other error, and nobody is both refused and signed up.
    signed = set(Signup.objects.filter(shift=shift).values_list("volunteer_id", flat=True))
    assert len(signed) + len(refused) == len(people)
    assert not TeamMembership.objects.filter(team=team, status="active").exists()
    _assert_consistent(shift)


def test_two_social_workers_inviting_the_same_volunteers_at_once_send_one_open_invitation_each():
    from config.exceptions import Conflict
    from organizations.models import Membership
    from projects.services.invitations import shift_invitations_create

    shift = ShiftFactory(capacity=5)
    owner = shift.project.owner
    admin = social_worker(shift.project.organization)
    Membership.objects.create(user=admin, organization=shift.project.organization, role=Membership.Role.ADMIN)
    people = make_volunteers(6)

    def invite(user, ids):
        return shift_invitations_create(user=user, shift=Shift.objects.select_related("project").get(id=shift.id),
                                        volunteer_ids=ids)

    outcomes = run_together(invite, [(owner, [p.id for p in people]), (admin, [p.id for p in reversed(people)])])

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "already_invited"
    assert ShiftInvitation.objects.filter(shift=shift, status="open").count() == len(people)
