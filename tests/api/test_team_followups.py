"""Follow-ups to teams (issue 4): choosing a project's team when creating it, removing a
member (with a reason, history kept, sign-ups kept, members-first closed to them), and
the short-shift notice that links to the shift's matching page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from organizations.models import Membership
from projects.models import ServiceProject, Signup
from projects.services.reminders import shifts_short_notify
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, ProjectFactory, ShiftFactory, UserFactory, social_worker
from volunteers.models import Team, TeamMembership
from volunteers.teams.services import team_create

pytestmark = pytest.mark.django_db


def _team(leader=None, name: str = "青年志愿服务队") -> Team:
    leader = leader or social_worker()
    organization = Membership.objects.filter(user=leader).first().organization
    return team_create(user=leader, organization=organization, name=name)


def _member(team: Team, user=None):
    user = user or UserFactory()
    TeamMembership.objects.create(team=team, volunteer=user, status=TeamMembership.Status.ACTIVE,
                                  via=TeamMembership.Via.INVITE_CODE, joined_at=timezone.now())
    return user


def _membership(team: Team, user) -> TeamMembership:
    return TeamMembership.objects.get(team=team, volunteer=user)


# --- 1. a project's team on the create form ------------------------------------------------

def _payload(org, **extra) -> dict:
    return {"organization": org.id, "title": "关爱独居老人", "region": "410902001", "address": "京东社区",
            **extra}


def test_a_project_is_created_with_its_organization_s_team_and_a_members_first_window(client_for):
    team = _team()
    until = timezone.now() + timedelta(days=2)
    response = client_for(team.leader).post("/api/v1/projects/", _payload(
        team.organization, team=team.id, members_first_until=until.isoformat()), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == {"id": team.id, "name": team.name}
    project = ServiceProject.objects.get(id=body["id"])
    assert project.team_id == team.id and project.members_first_until == until


def test_the_members_first_date_is_optional_and_the_team_too(client_for):
    team = _team()
    client = client_for(team.leader)
    with_team = client.post("/api/v1/projects/", _payload(team.organization, team=team.id), format="json")
    assert with_team.status_code == 201, with_team.content
    assert with_team.json()["team"]["id"] == team.id and with_team.json()["members_first_until"] is None
    without = client.post("/api/v1/projects/", _payload(team.organization, team=None), format="json")
    assert without.status_code == 201 and without.json()["team"] is None


@pytest.mark.parametrize("case", ["foreign_team", "unknown_team", "window_without_team", "bad_team", "bad_date"])
def test_a_team_of_another_organization_or_a_window_without_a_team_is_400_and_writes_nothing(client_for, case):
    team = _team()
    foreign = _team(name="外组织的队")
    until = (timezone.now() + timedelta(days=1)).isoformat()
    change, field = {
        "foreign_team": ({"team": foreign.id}, "team"),
        "unknown_team": ({"team": 999999}, "team"),
        "window_without_team": ({"members_first_until": until}, "members_first_until"),
        "bad_team": ({"team": "第一队"}, "team"),
        "bad_date": ({"team": team.id, "members_first_until": "明天"}, "members_first_until"),
    }[case]
    body = assert_error(client_for(team.leader).post("/api/v1/projects/", _payload(team.organization, **change),
                                                     format="json"), 400, "invalid")
    assert field in body["fields"], body
    assert not ServiceProject.objects.exists()


def test_the_team_check_comes_after_the_organization_check(client_for):
    # A social worker of another organization learns nothing about the team: 403 first.
    team = _team()
    assert_error(client_for(social_worker()).post("/api/v1/projects/", _payload(team.organization, team=team.id),
                                                  format="json"), 403, "not_social_worker")
    assert not ServiceProject.objects.exists()


# --- 2. removing a member ---------------------------------------------------------------------

def _remove(client, membership_id: int, reason="多次无故缺席"):
    payload = {} if reason is None else {"reason": reason}
    return client.post(f"/api/v1/team-memberships/{membership_id}/remove/", payload, format="json")


def test_the_leader_removes_a_member_with_a_reason_the_member_is_told_and_the_history_stays(client_for):
    team = _team()
    member = _member(team)
    membership = _membership(team, member)
    response = _remove(client_for(team.leader), membership.id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "removed" and body["removal_reason"] == "多次无故缺席"
    assert body["left_at"] is not None
    membership.refresh_from_db()
    assert membership.removed_by_id == team.leader_id and membership.joined_at is not None  # history kept
    note = Notification.objects.get(recipient=member, kind="team_member_removed")
    assert "多次无故缺席" in note.body and note.data["team_id"] == team.id
    # Out of the team's lists, into its history.
    leader = client_for(team.leader)
    assert leader.get(f"/api/v1/teams/{team.id}/members/").json()["count"] == 0
    removed = leader.get(f"/api/v1/teams/{team.id}/members/?status=removed").json()["results"]
    assert [(r["id"], r["removal_reason"]) for r in removed] == [(membership.id, "多次无故缺席")]
    assert client_for(member).get(f"/api/v1/teams/{team.id}/").json()["my_membership"] is None
    # Removed once: a second removal is a conflict and tells nobody again.
    assert_error(_remove(leader, membership.id), 409, "not_active")
    assert Notification.objects.filter(recipient=member, kind="team_member_removed").count() == 1


def test_an_org_admin_removes_a_member_and_the_leader_hears_of_it(client_for):
    team = _team()
    member = _member(team)
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=team.organization, role=Membership.Role.ADMIN)
    assert _remove(client_for(admin), _membership(team, member).id).status_code == 200
    assert Notification.objects.get(recipient=team.leader, kind="team_member_removed_by_admin").data["team_id"] \
        == team.id
    assert _membership(team, member).removed_by_id == admin.id


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501])
def test_a_removal_needs_a_reason_and_writes_nothing_without_one(client_for, reason):
    team = _team()
    member = _member(team)
    membership = _membership(team, member)
    assert_error(_remove(client_for(team.leader), membership.id, reason), 400, "invalid")
    membership.refresh_from_db()
    assert membership.status == "active"
    assert not Notification.objects.filter(kind="team_member_removed").exists()


def test_only_the_leader_or_an_org_admin_removes_and_only_active_members(client_for, api):
    team = _team()
    member, other = _member(team), _member(team)
    membership = _membership(team, member)
    other_leader = _team(name="别的队").leader
    for outsider in (other_leader, other, member, social_worker(team.organization)):
        assert_error(_remove(client_for(outsider), membership.id), 404)
    assert_error(_remove(api, membership.id), 401)
    assert_error(client_for(team.leader).get(f"/api/v1/team-memberships/{membership.id}/remove/"), 405)
    assert_error(_remove(client_for(team.leader), 999999), 404)
    # A pending application is declined, not removed.
    applicant = UserFactory()
    application = client_for(applicant).post(f"/api/v1/teams/{team.id}/apply/").json()["id"]
    assert_error(_remove(client_for(team.leader), application), 409, "not_active")
    assert TeamMembership.objects.get(id=application).status == "pending"
    assert _membership(team, member).status == "active"


def test_removal_keeps_existing_sign_ups_but_closes_the_members_first_window(client_for):
    team = _team()
    member = _member(team)
    project = ProjectFactory(organization=team.organization, owner=team.leader, team=team,
                             members_first_until=timezone.now() + timedelta(days=1))
    first = ShiftFactory(project=project, starts_at=timezone.now() + timedelta(days=3))
    second = ShiftFactory(project=project, starts_at=timezone.now() + timedelta(days=4))
    client = client_for(member)
    assert client.post(f"/api/v1/shifts/{first.id}/signups/").json()["status"] == "confirmed"

    assert _remove(client_for(team.leader), _membership(team, member).id).status_code == 200

    # The confirmed seat stands (the volunteer's own commitment) ...
    kept = Signup.objects.get(shift=first, volunteer=member)
    assert kept.status == Signup.Status.CONFIRMED
    first.refresh_from_db()
    assert first.confirmed_count == 1
    # ... but during the window they are an outsider now, for themselves and in bulk.
    assert_error(client.post(f"/api/v1/shifts/{second.id}/signups/"), 403, "team_members_first")
    bulk = client_for(team.leader).post(f"/api/v1/shifts/{second.id}/team-signups/",
                                        {"team": team.id, "volunteer_ids": [member.id]}, format="json")
    assert bulk.json()["results"][0]["status"] == "error"
    assert not Signup.objects.filter(shift=second).exists()
    # After the window everyone may sign up again, the removed member too.
    ServiceProject.objects.filter(id=project.id).update(members_first_until=timezone.now() - timedelta(minutes=1))
    assert client.post(f"/api/v1/shifts/{second.id}/signups/").status_code == 201


def test_a_removed_member_cannot_rejoin_with_the_old_code_but_may_apply_or_use_a_new_code(client_for):
    team = _team()
    member = _member(team)
    assert _remove(client_for(team.leader), _membership(team, member).id).status_code == 200
    client = client_for(member)
    assert_error(client.post("/api/v1/teams/join/", {"invite_code": team.invite_code}, format="json"),
                 403, "removed_from_team")
    assert not TeamMembership.objects.filter(team=team, volunteer=member, status="active").exists()
    # Applying is open: the leader decides.
    application = client.post(f"/api/v1/teams/{team.id}/apply/", {"message": "我会准时参加"}, format="json")
    assert application.status_code == 201, application.content
    client.post(f"/api/v1/teams/{team.id}/leave/")
    # A code reset after the removal is a fresh invitation.
    new_code = client_for(team.leader).post(f"/api/v1/teams/{team.id}/invite-code/").json()["invite_code"]
    rejoined = client.post("/api/v1/teams/join/", {"invite_code": new_code}, format="json")
    assert rejoined.status_code == 201 and rejoined.json()["status"] == "active"
    # Every row is history: active, the removal, the withdrawn application.
    assert sorted(TeamMembership.objects.filter(team=team, volunteer=member).values_list("status", flat=True)) \
        == ["active", "left", "removed"]


def test_the_database_refuses_a_removal_without_who_or_why():
    from django.db import IntegrityError, transaction

    team = _team()
    member = _member(team)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMembership.objects.filter(team=team, volunteer=member).update(status="removed", left_at=timezone.now())


# --- 3. the short-shift notice links to the matching page --------------------------------------

def test_the_short_shift_notice_carries_the_shift_and_a_link_to_its_matching_page(client_for):
    shift = ShiftFactory(starts_at=timezone.now() + timedelta(hours=10), capacity=3)
    assert shifts_short_notify() == 1
    owner = shift.project.owner
    items = client_for(owner).get("/api/v1/notifications/").json()["results"]
    [note] = [n for n in items if n["kind"] == "shift_short"]
    assert note["data"]["shift_id"] == shift.id and note["data"]["project_id"] == shift.project_id
    assert note["data"]["url"] == f"/console/shifts/{shift.id}/matches"
    # The page it links to opens for that social worker.
    assert client_for(owner).get(f"/api/v1/shifts/{shift.id}/matches/").status_code == 200


def test_no_short_notice_for_an_unpublished_project_s_shift():
    ShiftFactory(starts_at=timezone.now() + timedelta(hours=10), capacity=3,
                 project=ProjectFactory(status=ServiceProject.Status.DRAFT, organization=OrganizationFactory()))
    assert shifts_short_notify() == 0
    assert not Notification.objects.filter(kind="shift_short").exists()
