"""Matching volunteers and shifts (志愿者与班次匹配), with the reasons shown to people.

``match_score`` is a pure function of two fact records: it decides whether a volunteer
can take a shift at all (eligibility, no time conflict, members-first window, travel
radius) and, if so, scores the fit with reasons in Chinese. The two readers around it
load facts in a few queries and rank:

- ``shift_recommendations``: shifts for a volunteer (``GET /projects/recommended/``),
  ordered by score, then earliest start, then shift id;
- ``shift_matches``: volunteers for a shift short of people
  (``GET /shifts/{id}/matches/``), ordered by score, then volunteer id.

Points (deterministic integers, the ranking is a plain sort on them):

====================  =====================================================
skills                20 per wanted skill the volunteer has (at most 2 count)
interests             15 per service target the volunteer cares for (at most 2)
distance              up to 30: 30 × (1 − d / radius) inside the radius, radius
                      = the volunteer's ``travel_km`` or 10 km when unstated;
                      without coordinates, the home region: community 20,
                      street 15, district 10
availability          25 when the shift lies in one of the weekly slots
team                  15 when the project is carried by the volunteer's team
====================  =====================================================

Refusals (never shown as matches): ``real_name_required``, ``under_age``,
``guardian_consent_required`` (the sign-up rules of ``volunteers.eligibility``),
``time_conflict`` (an overlapping confirmed shift), ``team_members_first`` (volunteer
view only: an invitation opens the window), ``too_far`` (beyond a radius the volunteer
stated)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from math import asin, cos, radians, sin, sqrt

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.identity import age_on
from accounts.models import RealName, User
from projects.models import ServiceProject, Shift, ShiftInvitation, Signup

SKILL_POINTS, SKILLS_COUNTED = 20, 2
INTEREST_POINTS, INTERESTS_COUNTED = 15, 2
DISTANCE_POINTS = 30
DEFAULT_TRAVEL_KM = 10.0
AVAILABILITY_POINTS = 25
TEAM_POINTS = 15
REGION_POINTS = ((12, 20, "同一社区", "就在您所在的社区"), (9, 15, "同一街道", "在您所在的街道"),
                 (6, 10, "同一区县", "在您所在的区县"))
WEEKDAYS = "一二三四五六日"
# Service targets may be stored as codes (the demo projects) or as Chinese tags.
TARGET_LABELS = {"elderly": "老年人", "disabled": "残障人士", "children": "儿童", "residents": "社区居民",
                 "difficulty": "困难群众"}

VOLUNTEER, WORKER = "volunteer", "worker"


@dataclass(frozen=True)
class VolunteerFacts:
    id: int
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    availability: tuple[dict, ...] = ()
    home_lat: float | None = None
    home_lng: float | None = None
    travel_km: float | None = None
    home_region: str | None = None
    birth_date: date | None = None  # from real-name data only; None: not verified
    has_consent: bool = False
    team_ids: frozenset[int] = frozenset()
    busy: tuple[tuple[datetime, datetime], ...] = ()  # confirmed shifts


@dataclass(frozen=True)
class ShiftFacts:
    id: int
    starts_at: datetime
    ends_at: datetime
    seats_left: int
    skills: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    lat: float | None = None
    lng: float | None = None
    region: str = ""
    min_age: int | None = None
    team_id: int | None = None
    team_name: str = ""
    members_first_until: datetime | None = None


@dataclass
class Match:
    score: int
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None


@dataclass
class Refusal:
    code: str


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = radians(lat1), radians(lat2)
    a = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * asin(min(1.0, sqrt(a)))


def covering_slot(availability: Iterable[dict], starts_at: datetime, ends_at: datetime) -> dict | None:
    """The weekly slot (local time) that holds the whole shift, if any; a shift that
    runs past midnight fits no slot."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    midnight_end = end.time() == dt_time(0) and end - start <= timedelta(days=1)
    if start.date() != end.date() and not midnight_end:
        return None
    begin, finish = start.strftime("%H:%M"), "24:00" if midnight_end else end.strftime("%H:%M")
    for slot in availability:
        if slot["weekday"] == start.weekday() and slot["start"] <= begin and finish <= slot["end"]:
            return slot
    return None


def match_score(volunteer: VolunteerFacts, shift: ShiftFacts, *, now: datetime, audience: str = VOLUNTEER,
                consent_age: int | None = None) -> Match | Refusal:
    """Whether ``volunteer`` can take ``shift`` and how well it fits. Pure: no queries,
    no clock (``now`` is given), so the same facts always give the same answer."""
    consent_age = settings.MINOR_CONSENT_AGE if consent_age is None else consent_age
    you = audience == VOLUNTEER
    # --- refusals: the sign-up rules, checked before any points --------------------
    if volunteer.birth_date is None:
        if shift.min_age:
            return Refusal("real_name_required")
        age = None
    else:
        age = age_on(volunteer.birth_date, timezone.localtime(shift.starts_at).date())
        if shift.min_age and age < shift.min_age:
            return Refusal("under_age")
        if age < consent_age and not volunteer.has_consent:
            return Refusal("guardian_consent_required")
    if any(start < shift.ends_at and shift.starts_at < end for start, end in volunteer.busy):
        return Refusal("time_conflict")
    member = shift.team_id is not None and shift.team_id in volunteer.team_ids
    if (you and shift.members_first_until and now < shift.members_first_until and shift.team_id
            and not member):
        return Refusal("team_members_first")
    km = None
    if None not in (volunteer.home_lat, volunteer.home_lng, shift.lat, shift.lng):
        km = distance_km(volunteer.home_lat, volunteer.home_lng, shift.lat, shift.lng)  # type: ignore[arg-type]
        if volunteer.travel_km is not None and km > volunteer.travel_km:
            return Refusal("too_far")

    # --- points, each with its reason ----------------------------------------------
    score, reasons = 0, []
    skills = [s for s in shift.skills if s in volunteer.skills]
    if skills:
        score += SKILL_POINTS * min(len(skills), SKILLS_COUNTED)
        reasons.append(f"技能匹配：{'、'.join(skills)}")
    targets = [t for t in shift.targets if t in volunteer.interests]
    if targets:
        score += INTEREST_POINTS * min(len(targets), INTERESTS_COUNTED)
        shown = "、".join(TARGET_LABELS.get(t, t) for t in targets)
        reasons.append(f"{'您' if you else ''}关注的服务对象：{shown}")
    if km is not None:
        radius = volunteer.travel_km if volunteer.travel_km is not None else DEFAULT_TRAVEL_KM
        if radius > 0 and km <= radius:
            score += round(DISTANCE_POINTS * (1 - km / radius))
        reasons.append(f"距{'您' if you else '其住处'}约 {km:.1f} 公里")
    elif volunteer.home_region and shift.region:
        for length, points, neutral, personal in REGION_POINTS:
            if len(volunteer.home_region) >= length and volunteer.home_region[:length] == shift.region[:length]:
                score += points
                reasons.append(personal if you else neutral)
                break
    slot = covering_slot(volunteer.availability, shift.starts_at, shift.ends_at)
    if slot is not None:
        score += AVAILABILITY_POINTS
        reasons.append(f"每周{WEEKDAYS[slot['weekday']]} {slot['start']}–{slot['end']} {'您' if you else ''}有空")
    if member:
        score += TEAM_POINTS
        reasons.append(f"{'您所在' if you else '同属'}服务队「{shift.team_name}」的项目")
    if shift.min_age and age is not None:
        reasons.append(f"符合年龄要求（{shift.min_age} 周岁以上）")
    if volunteer.busy:
        reasons.append(f"与{'您' if you else ''}已报名的班次时间不冲突")
    if you:  # the social worker sees the shift's missing count once, not on every row
        reasons.append(f"还有 {shift.seats_left} 个名额")
    return Match(score=score, reasons=reasons, distance_km=None if km is None else round(km, 1))


# --- loading facts --------------------------------------------------------------------


def _float(value) -> float | None:
    return None if value is None else float(value)


def shift_facts(shift: Shift) -> ShiftFacts:
    project: ServiceProject = shift.project
    team = project.team if project.team_id else None
    return ShiftFacts(
        id=shift.id, starts_at=shift.starts_at, ends_at=shift.ends_at, seats_left=shift.seats_left,
        skills=tuple(project.skills or ()), targets=tuple(project.targets or ()), lat=_float(project.lat),
        lng=_float(project.lng), region=project.region_id or "", min_age=project.min_age,
        team_id=project.team_id, team_name=team.name if team else "",
        members_first_until=project.members_first_until)


def volunteer_facts(*, users: list[User], busy_from: datetime,
                    busy_until: datetime | None = None) -> dict[int, VolunteerFacts]:
    """Facts for many volunteers in five queries: profiles, real names, consents, teams,
    confirmed shifts ending after ``busy_from`` (and starting before ``busy_until``)."""
    from volunteers.models import GuardianConsent, VolunteerProfile
    from volunteers.teams.selectors import active_team_ids

    ids = [u.id for u in users]
    profiles = {p.volunteer_id: p for p in VolunteerProfile.objects.filter(volunteer_id__in=ids)}
    births = dict(RealName.objects.filter(user_id__in=ids).values_list("user_id", "birth_date"))
    consents = set(GuardianConsent.objects.filter(volunteer_id__in=ids, withdrawn_at__isnull=True)
                   .values_list("volunteer_id", flat=True))
    teams = active_team_ids(volunteer_ids=ids)
    confirmed = Signup.objects.filter(volunteer_id__in=ids, status=Signup.Status.CONFIRMED,
                                      shift__ends_at__gt=busy_from)
    if busy_until is not None:
        confirmed = confirmed.filter(shift__starts_at__lt=busy_until)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for volunteer_id, start, end in confirmed.values_list("volunteer_id", "shift__starts_at", "shift__ends_at"):
        busy.setdefault(volunteer_id, []).append((start, end))
    out = {}
    for user in users:
        profile = profiles.get(user.id)
        out[user.id] = VolunteerFacts(
            id=user.id,
            skills=tuple(profile.skills) if profile else (),
            interests=tuple(profile.interests) if profile else (),
            availability=tuple(profile.availability) if profile else (),
            home_lat=_float(profile.home_lat) if profile else None,
            home_lng=_float(profile.home_lng) if profile else None,
            travel_km=_float(profile.travel_km) if profile else None,
            home_region=(profile.home_region_id if profile and profile.home_region_id else user.region_id),
            birth_date=births.get(user.id), has_consent=user.id in consents,
            team_ids=frozenset(teams.get(user.id, ())), busy=tuple(sorted(busy.get(user.id, ()))))
    return out


# --- the two rankings -------------------------------------------------------------------

CANDIDATE_SHIFTS = 400


def shift_recommendations(*, user: User, limit: int = 50, now: datetime | None = None) -> list[dict]:
    """Upcoming shifts of published projects with free seats, open for sign-up, that the
    volunteer has not signed up for and can take; best first (score, start, id)."""
    now = now or timezone.now()
    facts = volunteer_facts(users=[user], busy_from=now)[user.id]
    mine = Signup.objects.filter(volunteer=user, status__in=Signup.ACTIVE).values("shift_id")
    candidates = (
        Shift.objects.filter(project__status=ServiceProject.Status.PUBLISHED, starts_at__gt=now,
                             confirmed_count__lt=F("capacity"))
        .exclude(id__in=mine)
        .exclude(signup_deadline__lte=now)
        .select_related("project__organization", "project__region", "project__owner", "project__team")
        .order_by("starts_at", "id")[:CANDIDATE_SHIFTS]
    )
    ranked = []
    for shift in candidates:
        result = match_score(facts, shift_facts(shift), now=now, audience=VOLUNTEER)
        if isinstance(result, Match):
            ranked.append({"score": result.score, "reasons": result.reasons,
                           "distance_km": result.distance_km, "shift": shift})
    ranked.sort(key=lambda r: (-r["score"], r["shift"].starts_at, r["shift"].id))
    return ranked[:limit]


CANDIDATE_VOLUNTEERS = 5000


def shift_matches(*, shift: Shift, limit: int = 50, now: datetime | None = None) -> list[dict]:
    """Volunteers for a shift (checked by ``shift_for_manager``), best first (score,
    then volunteer id): people with a volunteer profile who are not signed up and can
    take it. Each carries their open invitation, if any, so nobody is asked twice."""
    from volunteers.models import VolunteerProfile

    now = now or timezone.now()
    taken = Signup.objects.filter(shift=shift, status__in=Signup.ACTIVE).values("volunteer_id")
    users = list(User.objects.filter(id__in=VolunteerProfile.objects.values("volunteer_id"), is_active=True)
                 .exclude(id__in=taken).exclude(id=shift.project.owner_id)
                 .order_by("id")[:CANDIDATE_VOLUNTEERS])
    facts = volunteer_facts(users=users, busy_from=shift.starts_at, busy_until=shift.ends_at)
    target = shift_facts(shift)
    invited = {i.volunteer_id: i for i in ShiftInvitation.objects.filter(
        shift=shift, status=ShiftInvitation.Status.OPEN, volunteer_id__in=[u.id for u in users])}
    ranked = []
    for user in users:
        result = match_score(facts[user.id], target, now=now, audience=WORKER)
        if isinstance(result, Match):
            ranked.append({"score": result.score, "reasons": result.reasons, "distance_km": result.distance_km,
                           "volunteer": user, "invitation": invited.get(user.id)})
    ranked.sort(key=lambda r: (-r["score"], r["volunteer"].id))
    return ranked[:limit]
