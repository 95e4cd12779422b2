"""Matching (匹配): the pure scoring function, the volunteer's recommendations and the
social worker's ranked volunteers for a shift, each fixed on a small hand-built data
set; invitations with one-tap accept."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import RealName
from notifications.models import Notification
from projects.matching import ShiftFacts, VolunteerFacts, match_score
from projects.models import ServiceProject, Shift, ShiftInvitation, Signup
from tests.conftest import assert_error
from tests.factories import ProjectFactory, ShiftFactory, UserFactory, social_worker
from volunteers.models import Team, TeamMembership, VolunteerProfile

pytestmark = pytest.mark.django_db

BASE_LAT, BASE_LNG = Decimal("35.700000"), Decimal("115.000000")
KM_PER_DEGREE_LAT = 111.19493  # haversine with R = 6371 km, due north


def _north(km: float) -> Decimal:
    return (BASE_LAT + Decimal(km / KM_PER_DEGREE_LAT)).quantize(Decimal("0.000001"))


def _saturday(weeks_ahead: int = 1, hour: int = 9) -> datetime:
    today = timezone.localdate()
    days = (5 - today.weekday()) % 7 + 7 * weeks_ahead
    day = today + timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


SATURDAY_MORNING = [{"weekday": 5, "start": "08:00", "end": "12:00"}]


def _profile(user, **fields):
    VolunteerProfile.objects.create(volunteer=user, **fields)
    return user


def _shift(*, km: float | None = 0, starts_at=None, skills=(), targets=(), hours=2, **project) -> Shift:
    starts_at = starts_at or _saturday()
    p = ProjectFactory(skills=list(skills), targets=list(targets), lat=None if km is None else _north(km),
                       lng=None if km is None else BASE_LNG, **project)
    return ShiftFactory(project=p, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours))


def _real_name(user, birth: date):
    RealName.objects.create(user=user, name=user.name, id_number_digest=f"d{user.id}", id_number_encrypted="x",
                            id_number_masked="4109**********0000", birth_date=birth)


# --- the pure function --------------------------------------------------------------

NOW = timezone.make_aware(datetime(2030, 1, 1, 8, 0))
SAT = timezone.make_aware(datetime(2030, 1, 5, 9, 0))  # a Saturday


def _facts(**kwargs) -> ShiftFacts:
    return ShiftFacts(**{"id": 1, "starts_at": SAT, "ends_at": SAT + timedelta(hours=2), "seats_left": 3,
                         **kwargs})


def test_points_add_up_with_a_reason_each():
    volunteer = VolunteerFacts(id=1, skills=("急救", "陪伴", "摄影"), interests=("老年人",),
                               availability=tuple(SATURDAY_MORNING), home_lat=35.7, home_lng=115.0, travel_km=10,
                               team_ids=frozenset({7}))
    shift = _facts(skills=("急救", "陪伴", "摄影"), targets=("老年人", "儿童"), lat=35.7 + 2 / KM_PER_DEGREE_LAT,
                   lng=115.0, team_id=7, team_name="青年队")
    result = match_score(volunteer, shift, now=NOW)
    # skills: 2 counted × 20; interests 15; distance 30 × (1 − 2/10) = 24; availability 25; team 15
    assert result.score == 40 + 15 + 24 + 25 + 15
    assert result.reasons == ["技能匹配：急救、陪伴、摄影", "您关注的服务对象：老年人", "距您约 2.0 公里",
                              "每周六 08:00–12:00 您有空", "您所在服务队「青年队」的项目", "还有 3 个名额"]
    assert result.distance_km == 2.0


def test_the_worker_view_words_reasons_about_the_volunteer():
    volunteer = VolunteerFacts(id=1, skills=("急救",), home_region="410902001001")
    result = match_score(volunteer, _facts(skills=("急救",), region="410902001"), now=NOW, audience="worker")
    assert result.reasons == ["技能匹配：急救", "同一街道"]
    assert result.score == 20 + 15


@pytest.mark.parametrize(("volunteer", "shift", "code"), [
    (VolunteerFacts(id=1), _facts(min_age=16), "real_name_required"),
    (VolunteerFacts(id=1, birth_date=date(2015, 1, 1)), _facts(min_age=16), "under_age"),
    (VolunteerFacts(id=1, birth_date=date(2020, 1, 1)), _facts(), "guardian_consent_required"),
    (VolunteerFacts(id=1, busy=((SAT + timedelta(hours=1), SAT + timedelta(hours=4)),)), _facts(), "time_conflict"),
    (VolunteerFacts(id=1), _facts(team_id=3, members_first_until=NOW + timedelta(days=1)), "team_members_first"),
    (VolunteerFacts(id=1, home_lat=35.7, home_lng=115.0, travel_km=3), _facts(lat=35.8, lng=115.0), "too_far"),
])
def test_refusals_follow_the_sign_up_rules(volunteer, shift, code):
    assert match_score(volunteer, shift, now=NOW).code == code


def test_a_minor_with_consent_and_an_invited_outsider_are_matched():
    minor = VolunteerFacts(id=1, birth_date=date(2020, 1, 1), has_consent=True)
    assert match_score(minor, _facts(), now=NOW).score == 0
    # The social worker's invitation opens the members-first window: the worker view keeps them.
    outsider = VolunteerFacts(id=2)
    assert match_score(outsider, _facts(team_id=3, members_first_until=NOW + timedelta(days=1)), now=NOW,
                       audience="worker").score == 0


def test_no_coordinates_falls_back_to_the_home_region_and_an_unstated_radius_never_excludes():
    near = match_score(VolunteerFacts(id=1, home_region="410902001001"), _facts(region="410902001001"), now=NOW)
    assert near.score == 20 and "就在您所在的社区" in near.reasons
    far = match_score(VolunteerFacts(id=1, home_lat=35.7, home_lng=115.0), _facts(lat=36.0, lng=115.0), now=NOW)
    assert far.score == 0 and far.reasons[0].startswith("距您约 33.4 公里")


def test_a_shift_past_midnight_fits_no_weekly_slot():
    night = [{"weekday": 5, "start": "20:00", "end": "24:00"}]
    late = SAT.replace(hour=22)
    volunteer = VolunteerFacts(id=1, availability=tuple(night))
    assert match_score(volunteer, _facts(starts_at=late, ends_at=late + timedelta(hours=2)), now=NOW).score == 25
    assert match_score(volunteer, _facts(starts_at=late, ends_at=late + timedelta(hours=3)), now=NOW).score == 0


# --- the volunteer's recommendations --------------------------------------------------

def test_recommendations_follow_the_fixed_order_on_a_hand_built_city(client_for):
    me = _profile(UserFactory(), skills=["急救", "陪伴"], interests=["老年人"], availability=SATURDAY_MORNING,
                  home_lat=BASE_LAT, home_lng=BASE_LNG, travel_km=Decimal("10"))
    team = Team.objects.create(organization=ProjectFactory().organization, leader=social_worker(), name="青年队",
                               invite_code="ABCDEFGH")
    TeamMembership.objects.create(team=team, volunteer=me, status="active", via="invite_code",
                                  joined_at=timezone.now())
    a = _shift(km=2, skills=["急救"], targets=["老年人"])                           # 20+15+24+25 = 84
    b = _shift(km=0, skills=["急救", "陪伴"], starts_at=_saturday(1, 14))            # 40+30 = 70
    c = _shift(km=5)                                                                # 15+25 = 40
    d = _shift(km=5, starts_at=_saturday(2))                                        # 40, later than c
    e = _shift(km=5, starts_at=c.starts_at)                                         # 40, same start, higher id
    team_shift = _shift(km=8, starts_at=_saturday(1, 18), organization=team.organization, team=team)  # 6+15 = 21
    _shift(km=15)                                                                   # beyond 10 km: out
    _shift(km=1, min_age=18)                                                        # no real name: out
    _shift(km=1, team=Team.objects.create(organization=team.organization, leader=team.leader, name="别队",
                                          invite_code="HGFEDCBA"),
           members_first_until=timezone.now() + timedelta(days=1))                  # members first: out
    taken = _shift(km=1, starts_at=_saturday(3))
    clash = _shift(km=1, starts_at=taken.starts_at + timedelta(hours=1))           # overlaps my shift: out
    full = _shift(km=1, starts_at=_saturday(4))
    Shift.objects.filter(id=full.id).update(confirmed_count=full.capacity)          # full: out
    client = client_for(me)
    assert client.post(f"/api/v1/shifts/{taken.id}/signups/").status_code == 201

    body = client.get("/api/v1/projects/recommended/").json()
    order = [(item["shift"]["id"], item["score"]) for item in body["results"]]
    assert order == [(a.id, 84), (b.id, 70), (c.id, 40), (e.id, 40), (d.id, 40), (team_shift.id, 21)]
    assert clash.id not in dict(order)
    first = body["results"][0]
    assert first["reasons"][:4] == ["技能匹配：急救", "您关注的服务对象：老年人", "距您约 2.0 公里",
                                    "每周六 08:00–12:00 您有空"]
    assert "与您已报名的班次时间不冲突" in first["reasons"]
    assert first["distance_km"] == 2.0 and first["project"]["id"] == a.project_id
    assert "您所在服务队「青年队」的项目" in body["results"][-1]["reasons"]


def test_recommendations_need_a_login_and_only_get(api, client_for):
    assert_error(api.get("/api/v1/projects/recommended/"), 401)
    assert_error(client_for(UserFactory()).post("/api/v1/projects/recommended/"), 405)


def test_recommendation_query_count_does_not_grow_with_shifts(client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = _profile(UserFactory(), home_lat=BASE_LAT, home_lng=BASE_LNG)
    client = client_for(me)
    _shift(km=1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/projects/recommended/").json()["count"] == 1
    for km in range(6):
        _shift(km=km, team=None)
    with django_assert_max_num_queries(len(one)):
        assert client.get("/api/v1/projects/recommended/").json()["count"] == 7


# --- the social worker's matches ------------------------------------------------------

def test_match_query_count_does_not_grow_with_volunteers(client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shift = _shift(km=0)
    client = client_for(shift.project.owner)
    _profile(UserFactory(), home_lat=BASE_LAT, home_lng=BASE_LNG)
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/api/v1/shifts/{shift.id}/matches/").json()["count"] == 1
    for km in range(8):
        volunteer = _profile(UserFactory(), skills=["急救"], home_lat=_north(km), home_lng=BASE_LNG)
        _real_name(volunteer, date(1990, 1, 1))
    with django_assert_max_num_queries(len(one)):
        assert client.get(f"/api/v1/shifts/{shift.id}/matches/").json()["count"] == 9


def _short_shift(**project):
    return _shift(km=0, skills=["急救"], targets=["老年人"], **project)


def test_matches_for_a_short_shift_follow_the_fixed_order(client_for):
    shift = _short_shift()
    w1 = _profile(UserFactory(), skills=["急救"], interests=["老年人"], availability=SATURDAY_MORNING,
                  home_lat=_north(1), home_lng=BASE_LNG, travel_km=10)        # 20+15+27+25 = 87
    w2 = _profile(UserFactory(), skills=["急救"], home_lat=BASE_LAT, home_lng=BASE_LNG)  # 20+30 = 50
    w3 = _profile(UserFactory(), home_lat=_north(3), home_lng=BASE_LNG, travel_km=10)     # 21
    w4 = _profile(UserFactory(), home_lat=_north(3), home_lng=BASE_LNG, travel_km=10)     # 21, higher id
    busy = _profile(UserFactory(), skills=["急救"])
    Signup.objects.create(shift=ShiftFactory(starts_at=shift.starts_at + timedelta(minutes=30)), volunteer=busy,
                          status="confirmed", confirmed_at=timezone.now())
    child = _profile(UserFactory(), skills=["急救"])
    _real_name(child, date(timezone.localdate().year - 10, 1, 1))                # no consent: out
    signed = _profile(UserFactory(), skills=["急救"])
    Signup.objects.create(shift=shift, volunteer=signed, status="confirmed", confirmed_at=timezone.now())
    UserFactory()                                                                 # no profile: not a candidate
    far = _profile(UserFactory(), skills=["急救"], home_lat=_north(20), home_lng=BASE_LNG, travel_km=5)  # out

    body = client_for(shift.project.owner).get(f"/api/v1/shifts/{shift.id}/matches/").json()
    order = [(m["volunteer"]["id"], m["score"]) for m in body["results"]]
    assert order == [(w1.id, 87), (w2.id, 50), (w3.id, 21), (w4.id, 21)]
    assert {busy.id, child.id, signed.id, far.id}.isdisjoint(dict(order))
    assert body["results"][0]["reasons"] == ["技能匹配：急救", "关注的服务对象：老年人", "距其住处约 1.0 公里",
                                             "每周六 08:00–12:00 有空"]
    assert body["results"][0]["invitation"] is None


def test_matches_are_for_the_project_s_managers_only(client_for, api):
    shift = _short_shift()
    assert_error(client_for(social_worker()).get(f"/api/v1/shifts/{shift.id}/matches/"), 403)
    assert_error(client_for(UserFactory()).get(f"/api/v1/shifts/{shift.id}/matches/"), 403)
    assert_error(api.get(f"/api/v1/shifts/{shift.id}/matches/"), 401)
    assert_error(client_for(shift.project.owner).get("/api/v1/shifts/999999/matches/"), 404)
    assert_error(client_for(shift.project.owner).post(f"/api/v1/shifts/{shift.id}/matches/"), 405)


# --- invitations ----------------------------------------------------------------------

def _invite(client, shift, ids):
    return client.post(f"/api/v1/shifts/{shift.id}/invitations/", {"volunteer_ids": ids}, format="json")


def test_an_invitation_is_a_notification_and_one_tap_signs_the_volunteer_up(client_for):
    shift = _short_shift(requires_approval=True)
    owner = client_for(shift.project.owner)
    volunteer = _profile(UserFactory(), skills=["急救"])
    response = _invite(owner, shift, [volunteer.id])
    assert response.status_code == 201, response.content
    invitation_id = response.json()[0]["id"]
    assert response.json()[0]["reasons"][0] == "技能匹配：急救"
    note = Notification.objects.get(recipient=volunteer, kind="shift_invitation")
    assert note.data["invitation_id"] == invitation_id and note.data["shift_id"] == shift.id

    mine = client_for(volunteer).get("/api/v1/invitations/?state=open").json()
    assert [i["id"] for i in mine["results"]] == [invitation_id]
    accepted = client_for(volunteer).post(f"/api/v1/invitations/{invitation_id}/accept/")
    assert accepted.status_code == 200, accepted.content
    # The inviter's invitation is the approval of an approval-required project.
    assert accepted.json()["state"] == "accepted" and accepted.json()["signup"]["status"] == "confirmed"
    signup = Signup.objects.get(shift=shift, volunteer=volunteer)
    assert signup.decided_by_id == shift.project.owner_id
    shift.refresh_from_db()
    assert shift.confirmed_count == 1
    assert Notification.objects.filter(recipient=shift.project.owner, kind="shift_invitation_accepted").exists()
    assert_error(client_for(volunteer).post(f"/api/v1/invitations/{invitation_id}/accept/"), 409,
                 "invitation_answered")
    matches = owner.get(f"/api/v1/shifts/{shift.id}/matches/").json()
    assert volunteer.id not in [m["volunteer"]["id"] for m in matches["results"]]


def test_no_second_open_invitation_and_a_declined_one_can_be_renewed(client_for):
    shift = _short_shift()
    owner = client_for(shift.project.owner)
    volunteer = _profile(UserFactory())
    first = _invite(owner, shift, [volunteer.id]).json()[0]["id"]
    assert owner.get(f"/api/v1/shifts/{shift.id}/matches/").json()["results"][0]["invitation"] == {
        "id": first, "state": "open"}
    assert_error(_invite(owner, shift, [volunteer.id]), 409, "already_invited")
    assert ShiftInvitation.objects.count() == 1 and Notification.objects.filter(kind="shift_invitation").count() == 1
    response = client_for(volunteer).post(f"/api/v1/invitations/{first}/decline/")
    assert response.json()["state"] == "declined"
    assert Notification.objects.filter(recipient=shift.project.owner, kind="shift_invitation_declined").exists()
    assert_error(client_for(volunteer).post(f"/api/v1/invitations/{first}/accept/"), 409, "invitation_answered")
    assert _invite(owner, shift, [volunteer.id]).status_code == 201
    sent = owner.get(f"/api/v1/shifts/{shift.id}/invitations/").json()
    assert [i["state"] for i in sent["results"]] == ["open", "declined"]


def test_an_invitation_expires_when_sign_ups_close(client_for):
    shift = _short_shift()
    volunteer = _profile(UserFactory())
    invitation_id = _invite(client_for(shift.project.owner), shift, [volunteer.id]).json()[0]["id"]
    ShiftInvitation.objects.filter(id=invitation_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client_for(volunteer).get("/api/v1/invitations/?state=open").json()["count"] == 0
    assert client_for(volunteer).get("/api/v1/invitations/").json()["results"][0]["state"] == "expired"
    assert_error(client_for(volunteer).post(f"/api/v1/invitations/{invitation_id}/accept/"), 409,
                 "invitation_expired")
    assert not Signup.objects.filter(volunteer=volunteer).exists()


def test_a_refused_sign_up_leaves_the_invitation_open(client_for):
    shift = _short_shift(min_age=18)
    volunteer = _profile(UserFactory())
    invitation_id = _invite(client_for(shift.project.owner), shift, [volunteer.id]).json()[0]["id"]
    assert_error(client_for(volunteer).post(f"/api/v1/invitations/{invitation_id}/accept/"), 403,
                 "real_name_required")
    assert ShiftInvitation.objects.get(id=invitation_id).status == "open"
    assert not Signup.objects.exists()


def test_an_invitation_opens_a_members_first_window_to_its_invitee(client_for):
    team = Team.objects.create(organization=ProjectFactory().organization, leader=social_worker(), name="队",
                               invite_code="ABCDEFGH")
    shift = _short_shift(organization=team.organization, team=team,
                         members_first_until=timezone.now() + timedelta(days=1))
    outsider = _profile(UserFactory())
    assert_error(client_for(outsider).post(f"/api/v1/shifts/{shift.id}/signups/"), 403, "team_members_first")
    invitation_id = _invite(client_for(shift.project.owner), shift, [outsider.id]).json()[0]["id"]
    accepted = client_for(outsider).post(f"/api/v1/invitations/{invitation_id}/accept/")
    assert accepted.json()["signup"]["status"] == "confirmed"


def test_invitations_are_the_manager_s_and_the_invitee_s_only(client_for, api):
    shift = _short_shift()
    owner = client_for(shift.project.owner)
    volunteer = _profile(UserFactory())
    assert_error(_invite(client_for(social_worker()), shift, [volunteer.id]), 403)
    assert_error(_invite(api, shift, [volunteer.id]), 401)
    assert_error(_invite(owner, shift, []), 400, "invalid")
    assert_error(_invite(owner, shift, [999999]), 400, "invalid")
    assert_error(_invite(owner, shift, [shift.project.owner_id]), 400, "invalid")
    assert_error(owner.post(f"/api/v1/shifts/{shift.id}/invitations/", {"volunteer_ids": "x"}, format="json"), 400)
    assert_error(owner.delete(f"/api/v1/shifts/{shift.id}/invitations/"), 405)
    assert not ShiftInvitation.objects.exists() and not Notification.objects.exists()
    signed = UserFactory()
    Signup.objects.create(shift=shift, volunteer=signed, status="confirmed", confirmed_at=timezone.now())
    assert_error(_invite(owner, shift, [volunteer.id, signed.id]), 409, "already_signed_up")
    assert not ShiftInvitation.objects.exists()
    draft = _short_shift(status=ServiceProject.Status.DRAFT)
    assert_error(_invite(client_for(draft.project.owner), draft, [volunteer.id]), 409, "project_not_published")

    invitation_id = _invite(owner, shift, [volunteer.id]).json()[0]["id"]
    other = UserFactory()
    assert_error(client_for(other).post(f"/api/v1/invitations/{invitation_id}/accept/"), 404)
    assert_error(client_for(other).post(f"/api/v1/invitations/{invitation_id}/decline/"), 404)
    assert_error(api.post(f"/api/v1/invitations/{invitation_id}/accept/"), 401)
    assert_error(client_for(volunteer).get(f"/api/v1/invitations/{invitation_id}/accept/"), 405)
    assert_error(client_for(volunteer).get("/api/v1/invitations/?state=closed"), 400, "invalid")
    assert ShiftInvitation.objects.get(id=invitation_id).status == "open"
