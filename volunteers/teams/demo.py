"""Demo teams and volunteer profiles, so that recommendations and matches on the demo
differ from person to person and the team pages have members and applications.
Idempotent: what exists is left alone."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from organizations.models import Organization
from projects.models import ServiceProject, Shift, ShiftInvitation
from volunteers.models import Team, TeamMembership, VolunteerProfile

SKILLS = ["陪伴", "医护", "康复", "辅导", "阅读", "体力", "政策", "法律", "文艺", "组织"]
TARGETS = ["elderly", "disabled", "children", "residents", "difficulty"]
SLOTS = [("08:00", "12:00"), ("14:00", "18:00"), ("09:00", "17:00"), ("19:00", "21:30")]
CENTRE = (35.7630, 115.0300)  # 华龙区中原路街道一带
# Fixed invite codes on the demo, from the invite-code alphabet.
DEMO_CODES = ["HUAYANG8", "YMZHUCAN"]

TEAMS = [
    # organization index, name, description, member volunteer indexes, applicant indexes
    (0, "春晖助老志愿服务队", "社工带队，每周探访独居老人、协助政策宣讲。", range(0, 8), (8, 9)),
    (1, "益民助残志愿服务队", "陪伴残障人士康复训练与外出。", range(10, 15), (15,)),
]
# The team's project and, for one of them, a members-first window (队员优先报名).
TEAM_PROJECTS = [("京东社区独居老人探访", 0, None), ("困难家庭政策宣讲", 0, timedelta(days=2)),
                 ("助残康复陪伴", 1, None)]


def volunteer_profiles_seed(*, volunteers: list[User], rng: random.Random) -> int:
    """A profile for every demo volunteer without one: skills, interests, weekly slots,
    a home near the demo projects and a travel radius."""
    have = set(VolunteerProfile.objects.filter(volunteer__in=volunteers).values_list("volunteer_id", flat=True))
    profiles = []
    for index, volunteer in enumerate(volunteers):
        if volunteer.id in have:
            continue
        days = sorted(rng.sample(range(7), k=rng.randint(2, 4)))
        slots = []
        for day in days:
            start, end = SLOTS[(index + day) % len(SLOTS)]
            slots.append({"weekday": day, "start": start, "end": end})
        profiles.append(VolunteerProfile(
            volunteer=volunteer, skills=rng.sample(SKILLS, k=rng.randint(1, 3)),
            interests=rng.sample(TARGETS, k=rng.randint(1, 2)), availability=slots,
            home_region_id=volunteer.region_id,
            home_lat=Decimal(str(round(CENTRE[0] + rng.uniform(-0.03, 0.03), 6))),
            home_lng=Decimal(str(round(CENTRE[1] + rng.uniform(-0.03, 0.03), 6))),
            travel_km=Decimal(rng.choice([3, 5, 8, 10, 15]))))
    VolunteerProfile.objects.bulk_create(profiles)
    return len(profiles)


def teams_seed(*, worker: User, orgs: list[Organization], volunteers: list[User]) -> list[Team]:
    """Two teams led by the demo social worker, with members and pending applications;
    three demo projects carried by them, one open to members first for two days."""
    now = timezone.now()
    teams = []
    for org_index, name, description, members, applicants in TEAMS:
        team, created = Team.objects.get_or_create(
            organization=orgs[org_index], name=name,
            defaults=dict(leader=worker, description=description, invite_code=DEMO_CODES[org_index]))
        teams.append(team)
        if not created:
            continue
        rows = [TeamMembership(team=team, volunteer=volunteers[i], status=TeamMembership.Status.ACTIVE,
                               via=TeamMembership.Via.INVITE_CODE, joined_at=now - timedelta(days=30 - i))
                for i in members if i < len(volunteers)]
        rows += [TeamMembership(team=team, volunteer=volunteers[i], status=TeamMembership.Status.PENDING,
                                via=TeamMembership.Via.APPLICATION, message="想参加服务队的活动")
                 for i in applicants if i < len(volunteers)]
        TeamMembership.objects.bulk_create(rows)
    for title, team_index, window in TEAM_PROJECTS:
        ServiceProject.objects.filter(title=title, team__isnull=True,
                                      organization=teams[team_index].organization).update(
            team=teams[team_index], members_first_until=now + window if window else None)
    return teams


def invitations_seed(*, worker: User, volunteers: list[User]) -> int:
    """One open invitation for the third demo volunteer to an upcoming shift, so the
    phone's message list shows the one-tap accept."""
    from projects.services.invitations import shift_invitations_create

    if len(volunteers) < 3 or ShiftInvitation.objects.filter(volunteer=volunteers[2]).exists():
        return 0
    shift = (Shift.objects.filter(project__owner=worker, project__status=ServiceProject.Status.PUBLISHED,
                                  project__title="社区环境清洁日", starts_at__gt=timezone.now() + timedelta(days=1))
             .exclude(signups__volunteer=volunteers[2]).order_by("starts_at").first())
    if shift is None:
        return 0
    shift_invitations_create(user=worker, shift=shift, volunteer_ids=[volunteers[2].id],
                             reasons={volunteers[2].id: ["就在您所在的街道", "还有名额"]})
    return 1
