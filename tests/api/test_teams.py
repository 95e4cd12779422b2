"""Teams (志愿服务队): founding, applying, joining by invite code, the leader's decisions,
leaving, members-first projects and a leader's bulk sign-up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RealName
from notifications.models import Notification
from organizations.models import Membership
from projects.models import ServiceProject, Shift, Signup
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, ProjectFactory, ShiftFactory, UserFactory, social_worker
from volunteers.models import Team, TeamMembership
from volunteers.teams.services import team_create

pytestmark = pytest.mark.django_db


def _team(leader=None, **kwargs) -> Team:
    leader = leader or social_worker()
    organization = Membership.objects.filter(user=leader).first().organization
    return team_create(user=leader, organization=organization, name=kwargs.pop("name", "青年志愿服务队"), **kwargs)


def _member(team: Team, user=None):
    user = user or UserFactory()
    TeamMembership.objects.create(team=team, volunteer=user, status=TeamMembership.Status.ACTIVE,
                                  via=TeamMembership.Via.INVITE_CODE, joined_at=timezone.now())
    return user


# --- founding and browsing ------------------------------------------------------------

def test_a_social_worker_founds_a_team_that_they_lead(client_for):
    worker = social_worker()
    org = Membership.objects.get(user=worker).organization
    response = client_for(worker).post("/api/v1/teams/", {"organization": org.id, "name": "助老服务队",
                                                          "description": "陪伴独居老人"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["leader"]["id"] == worker.id and body["organization"]["id"] == org.id
    assert body["can_manage"] is True and body["member_count"] == 0
    assert "invite_code" not in body  # the code is fetched by the leader on purpose
    team = Team.objects.get(id=body["id"])
    assert len(team.invite_code) == 8


def test_only_a_social_worker_of_the_organization_founds_a_team(client_for, api):
    org = OrganizationFactory()
    other_worker = social_worker()
    assert_error(client_for(other_worker).post("/api/v1/teams/", {"organization": org.id, "name": "队"},
                                               format="json"), 403, "not_social_worker")
    assert_error(client_for(UserFactory()).post("/api/v1/teams/", {"organization": org.id, "name": "队"},
                                                format="json"), 403, "not_social_worker")
    assert_error(api.post("/api/v1/teams/", {"organization": org.id, "name": "队"}, format="json"), 401)
    assert not Team.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"organization": 999999, "name": "队"}, {"name": "队"},
                                     {"organization": "x", "name": "队"}, {"organization": 1, "name": ""},
                                     {"organization": 1, "name": "队" * 61}])
def test_bad_team_input_is_400_and_writes_nothing(client_for, payload):
    worker = social_worker()
    if payload.get("organization") == 1:
        payload = {**payload, "organization": Membership.objects.get(user=worker).organization_id}
    assert_error(client_for(worker).post("/api/v1/teams/", payload, format="json"), 400)
    assert not Team.objects.exists()


def test_a_second_team_of_the_same_name_in_one_organization_is_409(client_for):
    team = _team()
    response = client_for(team.leader).post("/api/v1/teams/", {"organization": team.organization_id,
                                                               "name": team.name}, format="json")
    assert_error(response, 409, "team_name_taken")
    assert Team.objects.count() == 1


def test_team_list_and_mine(client_for, api, django_assert_max_num_queries):
    team = _team()
    other = _team(name="另一个队")
    volunteer = _member(team)
    client = client_for(volunteer)
    with django_assert_max_num_queries(5):  # token, count, page, my memberships, managed (admin)
        body = client.get("/api/v1/teams/").json()
    assert [t["id"] for t in body["results"]] == [team.id, other.id]
    assert body["results"][0]["my_membership"]["status"] == "active"
    assert body["results"][0]["pending_count"] is None  # not the leader's view
    assert [t["id"] for t in client.get("/api/v1/teams/?mine=1").json()["results"]] == [team.id]
    assert [t["id"] for t in client_for(team.leader).get("/api/v1/teams/?mine=1").json()["results"]] == [team.id]
    assert_error(client.get("/api/v1/teams/?organization=abc"), 400, "invalid")
    assert_error(api.get("/api/v1/teams/"), 401)
    assert_error(client.delete("/api/v1/teams/"), 405)


def test_members_are_listed_to_members_and_leader_only(client_for):
    team = _team()
    member = _member(team)
    outsider = UserFactory()
    assert client_for(outsider).get(f"/api/v1/teams/{team.id}/").json()["members"] is None
    seen = client_for(member).get(f"/api/v1/teams/{team.id}/").json()["members"]
    assert [m["volunteer"] for m in seen] == [{"id": member.id, "name": member.name}]
    full = client_for(team.leader).get(f"/api/v1/teams/{team.id}/").json()["members"]
    assert full[0]["volunteer"]["phone_masked"] == member.phone_masked
    assert_error(client_for(outsider).get("/api/v1/teams/999999/"), 404)


# --- applying, deciding, leaving --------------------------------------------------------

def test_a_volunteer_applies_and_the_leader_accepts(client_for):
    team = _team()
    volunteer = UserFactory()
    response = client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/", {"message": "我会急救"}, format="json")
    assert response.status_code == 201, response.content
    membership_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    assert Notification.objects.filter(recipient=team.leader, kind="team_application").count() == 1
    assert_error(client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/"), 409, "already_applied")

    pending = client_for(team.leader).get(f"/api/v1/teams/{team.id}/members/?status=pending").json()
    assert [m["id"] for m in pending["results"]] == [membership_id]
    response = client_for(team.leader).post(f"/api/v1/team-memberships/{membership_id}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert Notification.objects.filter(recipient=volunteer, kind="team_application_accepted").count() == 1
    assert_error(client_for(team.leader).post(f"/api/v1/team-memberships/{membership_id}/accept/"), 409,
                 "not_pending")
    assert_error(client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/"), 409, "already_member")


def test_the_leader_declines_with_a_reason_and_the_volunteer_may_apply_again(client_for):
    team = _team()
    volunteer = UserFactory()
    membership_id = client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/").json()["id"]
    response = client_for(team.leader).post(f"/api/v1/team-memberships/{membership_id}/decline/",
                                            {"reason": "名额已满"}, format="json")
    assert response.json()["status"] == "declined"
    note = Notification.objects.get(recipient=volunteer, kind="team_application_declined")
    assert "名额已满" in note.body
    assert client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/").status_code == 201


def test_only_the_leader_or_an_org_admin_decides_applications(client_for):
    team = _team()
    volunteer = UserFactory()
    membership_id = client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/").json()["id"]
    other_leader = _team(name="别的队").leader
    assert_error(client_for(other_leader).post(f"/api/v1/team-memberships/{membership_id}/accept/"), 404)
    assert_error(client_for(volunteer).post(f"/api/v1/team-memberships/{membership_id}/accept/"), 404)
    assert_error(client_for(other_leader).get(f"/api/v1/teams/{team.id}/members/"), 403, "not_team_leader")
    assert_error(client_for(team.leader).get(f"/api/v1/teams/{team.id}/members/?status=left"), 400, "invalid")
    assert_error(client_for(team.leader).post(f"/api/v1/team-memberships/{membership_id}/decline/",
                                              {"reason": "x" * 501}, format="json"), 400, "invalid")
    assert TeamMembership.objects.get(id=membership_id).status == "pending"
    admin = UserFactory()
    Membership.objects.create(user=admin, organization=team.organization, role=Membership.Role.ADMIN)
    assert client_for(admin).post(f"/api/v1/team-memberships/{membership_id}/accept/").status_code == 200


def test_the_leader_cannot_join_their_own_team(client_for):
    team = _team()
    assert_error(client_for(team.leader).post(f"/api/v1/teams/{team.id}/apply/"), 409, "is_leader")


def test_joining_by_invite_code_is_immediate_and_a_reset_code_stops_working(client_for):
    team = _team()
    leader = client_for(team.leader)
    code = leader.get(f"/api/v1/teams/{team.id}/invite-code/").json()["invite_code"]
    volunteer = UserFactory()
    response = client_for(volunteer).post("/api/v1/teams/join/", {"invite_code": f" {code.lower()} "},
                                          format="json")
    assert response.status_code == 201 and response.json()["status"] == "active"
    assert Notification.objects.filter(recipient=team.leader, kind="team_member_joined").count() == 1
    assert_error(client_for(volunteer).post("/api/v1/teams/join/", {"invite_code": code}, format="json"),
                 409, "already_member")

    new_code = leader.post(f"/api/v1/teams/{team.id}/invite-code/").json()["invite_code"]
    assert new_code != code
    late = UserFactory()
    assert_error(client_for(late).post("/api/v1/teams/join/", {"invite_code": code}, format="json"),
                 400, "invalid_invite_code")
    assert not TeamMembership.objects.filter(volunteer=late).exists()
    assert client_for(late).post("/api/v1/teams/join/", {"invite_code": new_code}, format="json").status_code == 201
    assert_error(client_for(late).get(f"/api/v1/teams/{team.id}/invite-code/"), 403, "not_team_leader")
    assert_error(client_for(late).post(f"/api/v1/teams/{team.id}/invite-code/"), 403, "not_team_leader")
    assert_error(client_for(late).post("/api/v1/teams/join/", {}, format="json"), 400, "invalid")


def test_an_invite_code_turns_a_pending_application_into_membership(client_for):
    team = _team()
    volunteer = UserFactory()
    applied = client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/").json()
    joined = client_for(volunteer).post("/api/v1/teams/join/", {"invite_code": team.invite_code}, format="json")
    assert joined.json()["id"] == applied["id"] and joined.json()["status"] == "active"
    assert TeamMembership.objects.filter(volunteer=volunteer).count() == 1


def test_a_member_leaves_and_the_history_stays(client_for):
    team = _team()
    member = _member(team)
    response = client_for(member).post(f"/api/v1/teams/{team.id}/leave/")
    assert response.status_code == 200 and response.json()["status"] == "left"
    assert Notification.objects.filter(recipient=team.leader, kind="team_member_left").count() == 1
    assert_error(client_for(member).post(f"/api/v1/teams/{team.id}/leave/"), 409, "not_member")
    assert_error(client_for(member).get(f"/api/v1/teams/{team.id}/leave/"), 405)
    assert client_for(member).post(f"/api/v1/teams/{team.id}/apply/").status_code == 201
    assert TeamMembership.objects.filter(volunteer=member).count() == 2


# --- members first --------------------------------------------------------------------

def _members_first_shift(team: Team, *, hours: int = 24, **shift_kwargs) -> Shift:
    project = ProjectFactory(organization=team.organization, owner=team.leader, team=team,
                             members_first_until=timezone.now() + timedelta(hours=hours))
    return ShiftFactory(project=project, starts_at=timezone.now() + timedelta(days=3), **shift_kwargs)


def test_before_the_window_ends_only_members_sign_up(client_for):
    team = _team()
    shift = _members_first_shift(team)
    outsider, member = UserFactory(), _member(team)
    body = assert_error(client_for(outsider).post(f"/api/v1/shifts/{shift.id}/signups/"), 403, "team_members_first")
    assert team.name in body["detail"]
    assert not Signup.objects.filter(volunteer=outsider).exists()
    assert client_for(member).post(f"/api/v1/shifts/{shift.id}/signups/").json()["status"] == "confirmed"
    ServiceProject.objects.filter(id=shift.project_id).update(members_first_until=timezone.now() - timedelta(1))
    assert client_for(outsider).post(f"/api/v1/shifts/{shift.id}/signups/").status_code == 201


def test_a_member_who_left_is_an_outsider_again(client_for):
    team = _team()
    shift = _members_first_shift(team)
    member = _member(team)
    client_for(member).post(f"/api/v1/teams/{team.id}/leave/")
    assert_error(client_for(member).post(f"/api/v1/shifts/{shift.id}/signups/"), 403, "team_members_first")


def test_a_manager_sets_the_team_and_window_of_a_project(client_for, api):
    team = _team()
    project = ProjectFactory(organization=team.organization, owner=team.leader)
    until = (timezone.now() + timedelta(days=1)).isoformat()
    client = client_for(team.leader)
    response = client.put(f"/api/v1/projects/{project.id}/team/", {"team": team.id, "members_first_until": until},
                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["team"] == {"id": team.id, "name": team.name}
    assert response.json()["members_first_until"] is not None
    foreign = _team(name="外组织的队")
    assert_error(client.put(f"/api/v1/projects/{project.id}/team/", {"team": foreign.id}, format="json"),
                 400, "invalid")
    assert_error(client.put(f"/api/v1/projects/{project.id}/team/", {"team": None, "members_first_until": until},
                            format="json"), 400, "invalid")
    assert_error(client.put(f"/api/v1/projects/{project.id}/team/", {}, format="json"), 400, "invalid")
    project.refresh_from_db()
    assert project.team_id == team.id
    assert_error(client_for(UserFactory()).put(f"/api/v1/projects/{project.id}/team/", {"team": None},
                                               format="json"), 403)
    assert_error(api.put(f"/api/v1/projects/{project.id}/team/", {"team": None}, format="json"), 401)
    assert_error(client.get(f"/api/v1/projects/{project.id}/team/"), 405)
    assert client.put(f"/api/v1/projects/{project.id}/team/", {"team": None}, format="json").json()["team"] is None


# --- a leader's bulk sign-up ----------------------------------------------------------------

def _bulk(client, shift, team, ids):
    return client.post(f"/api/v1/shifts/{shift.id}/team-signups/", {"team": team.id, "volunteer_ids": ids},
                       format="json")


def test_a_leader_signs_up_members_within_capacity_then_the_waitlist(client_for):
    team = _team()
    members = [_member(team) for _ in range(4)]
    outsider = UserFactory()
    shift = ShiftFactory(capacity=2, project=ProjectFactory(organization=team.organization))
    response = _bulk(client_for(team.leader), shift, team, [m.id for m in members] + [outsider.id])
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "error"]
    assert [r["waitlist_position"] for r in results[:4]] == [None, None, 1, 2]
    assert results[4]["code"] == "not_team_member"
    shift.refresh_from_db()
    assert (shift.confirmed_count, shift.waitlisted_count) == (2, 2)
    note = Notification.objects.filter(recipient=members[0], kind="signup_confirmed").get()
    assert team.leader.name in note.body


def test_each_member_meets_every_sign_up_rule_and_the_others_still_go_through(client_for):
    team = _team()
    ok, busy, young, repeat = (_member(team) for _ in range(4))
    shift = ShiftFactory(project=ProjectFactory(organization=team.organization, min_age=18))
    for user in (ok, busy, repeat):
        RealName.objects.create(user=user, **_real_name(user, 1990))
    RealName.objects.create(user=young, **_real_name(young, timezone.now().year - 16))
    other = ShiftFactory(starts_at=shift.starts_at + timedelta(hours=1))
    Signup.objects.create(shift=other, volunteer=busy, status="confirmed", confirmed_at=timezone.now())
    Signup.objects.create(shift=shift, volunteer=repeat, status="confirmed", confirmed_at=timezone.now())
    Shift.objects.filter(id=shift.id).update(confirmed_count=1)
    results = _bulk(client_for(team.leader), shift, team, [ok.id, busy.id, young.id, repeat.id]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("confirmed", None), ("error", "time_conflict"), ("error", "under_age"), ("error", "already_signed_up")]
    shift.refresh_from_db()
    assert shift.confirmed_count == 2


def _real_name(user, year):
    return {"name": user.name, "id_number_digest": f"digest-{user.id}", "id_number_masked": "4109**********0000",
            "birth_date": f"{year}-01-01", "id_number_encrypted": "x"}


def test_bulk_sign_up_on_an_approval_project_is_pending_unless_the_leader_manages_it(client_for):
    team = _team()
    member = _member(team)
    elsewhere = ShiftFactory(project__requires_approval=True)
    own = ShiftFactory(project=ProjectFactory(organization=team.organization, owner=team.leader,
                                              requires_approval=True))
    leader = client_for(team.leader)
    assert _bulk(leader, elsewhere, team, [member.id]).json()["results"][0]["status"] == "pending"
    result = _bulk(leader, own, team, [member.id]).json()["results"][0]
    assert result["status"] == "confirmed"
    assert Signup.objects.get(id=result["signup_id"]).decided_by_id == team.leader.id


def test_bulk_sign_up_refuses_as_a_whole_when_the_shift_is_closed_and_writes_nothing(client_for, api):
    team = _team()
    member = _member(team)
    draft = ShiftFactory(project__status=ServiceProject.Status.DRAFT)
    leader = client_for(team.leader)
    assert_error(_bulk(leader, draft, team, [member.id]), 409, "project_not_published")
    assert_error(_bulk(leader, Shift(id=999999), team, [member.id]), 404)
    shift = ShiftFactory()
    assert_error(_bulk(client_for(member), shift, team, [member.id]), 403, "not_team_leader")
    assert_error(_bulk(api, shift, team, [member.id]), 401)
    assert_error(leader.post(f"/api/v1/shifts/{shift.id}/team-signups/", {"team": team.id, "volunteer_ids": []},
                             format="json"), 400, "invalid")
    assert_error(leader.post(f"/api/v1/shifts/{shift.id}/team-signups/", {"volunteer_ids": [member.id]},
                             format="json"), 400, "invalid")
    assert_error(leader.get(f"/api/v1/shifts/{shift.id}/team-signups/"), 405)
    assert not Signup.objects.exists()


def test_members_first_lets_the_team_s_own_members_in_through_a_bulk_sign_up(client_for):
    team = _team()
    member = _member(team)
    other_team = _team(name="外队")
    stranger = _member(other_team)
    shift = _members_first_shift(team)
    assert _bulk(client_for(team.leader), shift, team, [member.id]).json()["results"][0]["status"] == "confirmed"
    result = _bulk(client_for(other_team.leader), shift, other_team, [stranger.id]).json()["results"][0]
    assert result["code"] == "team_members_first"


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/teams/{id}/"), ("post", "/api/v1/teams/{id}/apply/"), ("post", "/api/v1/teams/join/"),
    ("post", "/api/v1/teams/{id}/leave/"), ("get", "/api/v1/teams/{id}/invite-code/"),
    ("post", "/api/v1/teams/{id}/invite-code/"), ("get", "/api/v1/teams/{id}/members/"),
    ("post", "/api/v1/team-memberships/{m}/accept/"), ("post", "/api/v1/team-memberships/{m}/decline/"),
])
def test_every_team_endpoint_needs_a_login_and_refuses_other_methods(api, client_for, method, path):
    team = _team()
    membership = TeamMembership.objects.create(team=team, volunteer=UserFactory(), status="pending",
                                               via="application")
    url = path.format(id=team.id, m=membership.id)
    assert_error(getattr(api, method)(url), 401)
    assert_error(client_for(team.leader).delete(url), 405)
    assert TeamMembership.objects.get(id=membership.id).status == "pending"
    assert Team.objects.get(id=team.id).invite_code == team.invite_code


def test_a_bad_application_is_400_and_an_unknown_team_404_and_nothing_is_written(client_for):
    team = _team()
    volunteer = UserFactory()
    assert_error(client_for(volunteer).post(f"/api/v1/teams/{team.id}/apply/", {"message": "长" * 201},
                                            format="json"), 400, "invalid")
    assert_error(client_for(volunteer).post("/api/v1/teams/999999/apply/"), 404)
    assert_error(client_for(volunteer).post("/api/v1/teams/999999/leave/"), 404)
    assert_error(client_for(team.leader).post("/api/v1/team-memberships/999999/accept/"), 404)
    assert_error(client_for(team.leader).get("/api/v1/teams/999999/invite-code/"), 404)
    assert not TeamMembership.objects.exists() and not Notification.objects.exists()
