"""The city-scale registry of the demo (``seed_demo --scale city``).

It reproduces the figures of the source document for 濮阳市 (4109) exactly:
2024 registered organizations (534 社团, 1489 民非, 1 基金会), 473 of them city-level
(252 / 220 / 1); community organizations: 82 registered 社团, 913 registered 民非 and
16663 filed. Whatever else is in the registry (the small demo's organizations, ones
added by hand) counts towards the figures: the generated rows (``source=seed``) are
the complement per cell, so running it again, or after other changes, converges on the
same totals instead of adding to them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Region
from organizations.credit_code import credit_code_make
from organizations.models import Organization

CITY = "4109"
SG, NE, FD = (Organization.Type.SOCIAL_GROUP, Organization.Type.NON_ENTERPRISE, Organization.Type.FOUNDATION)
REG, FILED = Organization.Registration.REGISTERED, Organization.Registration.FILED
CITY_LEVEL, COUNTY_LEVEL = Organization.Authority.CITY, Organization.Authority.COUNTY

FILED_SOCIAL_GROUPS = 13_330  # of the 16663 filed; see below

# (type, registration, authority level, community?) → count, from the source document.
CITY_FIGURES: dict[tuple[str, str, str, bool], int] = {
    (SG, REG, CITY_LEVEL, False): 252,
    (SG, REG, COUNTY_LEVEL, True): 82,
    (SG, REG, COUNTY_LEVEL, False): 534 - 252 - 82,
    (NE, REG, CITY_LEVEL, False): 220,
    (NE, REG, COUNTY_LEVEL, True): 913,
    (NE, REG, COUNTY_LEVEL, False): 1489 - 220 - 913,
    (FD, REG, CITY_LEVEL, False): 1,
    # The source gives only the total of filed community organizations (16663), not their
    # types. Most filed groups are membership-style teams (文体队, 志愿服务队, 互助会: 社团);
    # a fifth are service-style ones (老年食堂, 托管点, 服务站: 民非-like). A foundation is
    # never filed. The split is the demo's assumption; the total is the document's.
    (SG, FILED, COUNTY_LEVEL, True): FILED_SOCIAL_GROUPS,
    (NE, FILED, COUNTY_LEVEL, True): 16663 - FILED_SOCIAL_GROUPS,
}

THEMES = ["夕阳红", "邻里守望", "向阳花", "红马甲", "银龄互助", "书香", "康乐", "同心", "暖阳", "和美",
          "绿色家园", "爱心", "阳光助残", "睦邻", "乐龄", "志愿先锋", "巧手", "健康", "法律援助", "文明劝导"]
SUFFIX = {
    (SG, REG): "协会", (NE, REG): "社会工作服务中心", (FD, REG): "基金会", (SG, FILED): "志愿服务队",
    (NE, FILED): "便民服务站",
}
DOMAINS = ["elderly", "community", "culture", "sports", "disability", "health", "education", "charity",
           "legal", "environment"]
PARTY = ["joint", "standalone", "instructor", "none", "joint"]


def _short(name: str) -> str:
    return name.removesuffix("居民委员会").removesuffix("村民委员会").removesuffix("委员会")


def _spread(total: int, regions: list[Region]) -> list[Region]:
    """``total`` slots over ``regions`` with uneven weights (1–4), deterministic, so
    that coverage differs between communities as it does in life."""
    if not regions or total <= 0:
        return []
    weights = [1 + (index * 7 + 3) % 4 for index in range(len(regions))]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    order = sorted(range(len(regions)), key=lambda i: (-(weights[i] * scale - shares[i]), i))
    for index in order[: total - sum(shares)]:
        shares[index] += 1
    slots: list[Region] = []
    for region, share in zip(regions, shares, strict=True):
        slots.extend([region] * share)
    return slots


def _homes(cell: tuple[str, str, str, bool], count: int, by_level: dict[int, list[Region]]) -> list[Region]:
    _, _, level, community = cell
    if community:
        return _spread(count, by_level[Region.Level.COMMUNITY])
    pool = by_level[Region.Level.CITY] if level == CITY_LEVEL else by_level[Region.Level.DISTRICT]
    return [pool[i % len(pool)] for i in range(count)]


def _rows(cell: tuple[str, str, str, bool], count: int, by_level: dict[int, list[Region]],
          taken: set[tuple[str, str]], cell_no: int) -> Iterable[Organization]:
    kind, registration, level, community = cell
    today = date(2024, 12, 31)
    for index, home in enumerate(_homes(cell, count, by_level)):
        base = f"{_short(home.name)}{THEMES[index % len(THEMES)]}{SUFFIX[(kind, registration)]}"
        name, n = base, 1
        while (home.code, name) in taken:
            n += 1
            name = f"{base}{n}"
        taken.add((home.code, name))
        individual = 3 + (index * 11) % 40
        party = PARTY[index % len(PARTY)]
        yield Organization(
            name=name, org_type=kind, registration_status=registration, authority_level=level,
            is_community=community, region_id=home.code, source=Organization.Source.SEED,
            credit_code=(credit_code_make(org_type=kind, region_code=home.code, serial=cell_no * 1_000_000 + index)
                         if registration == REG else None),
            tier=(Organization.Tier.CIVIL_AFFAIRS if registration == REG
                  else Organization.Tier.STREET_MANAGED if individual >= 10 else Organization.Tier.COMMUNITY_GUIDED),
            service_domains=[DOMAINS[index % len(DOMAINS)], DOMAINS[(index * 3 + 1) % len(DOMAINS)]],
            founded_on=today - timedelta(days=200 + (index * 37) % 5000),
            person_in_charge="负责人", individual_members=individual, unit_members=(index * 5) % 12,
            party_building=party, party_instructor_name="党建指导员" if party == "instructor" else "",
            charter_has_party_clause=index % 10 != 0, charter_version=1,
            description=f"{name}，扎根社区，服务居民。",
        )


def _cell_counts(qs) -> Counter:
    rows = qs.values("org_type", "registration_status", "authority_level", "is_community").annotate(n=Count("id"))
    return Counter({(r["org_type"], r["registration_status"], r["authority_level"], r["is_community"]): r["n"]
                    for r in rows})


@transaction.atomic
def city_registry_seed(*, city_code: str = CITY) -> dict[str, int]:
    """Bring the city's registry to ``CITY_FIGURES`` exactly; idempotent.

    Returns how many generated rows were created and deleted, and which cells other
    data pushes over a figure (``over``: those cannot be made exact by generating)."""
    inside = Organization.objects.filter(region__code__startswith=city_code).exclude(
        status=Organization.Status.DEREGISTERED)
    others = _cell_counts(inside.exclude(source=Organization.Source.SEED))
    generated = inside.filter(source=Organization.Source.SEED)
    regions = list(Region.objects.filter(code__startswith=city_code).order_by("code"))
    by_level: dict[int, list[Region]] = {level: [r for r in regions if r.level == level]
                                         for level in Region.Level.values}
    taken = set(inside.values_list("region_id", "name"))
    created = deleted = 0
    over = {"/".join(map(str, cell)): n for cell, n in others.items() if n > CITY_FIGURES.get(cell, 0)}
    # Cells outside the figures hold no generated rows.
    stray = generated
    for cell_no, (cell, target) in enumerate(CITY_FIGURES.items(), start=1):
        kind, registration, level, community = cell
        in_cell = generated.filter(org_type=kind, registration_status=registration, authority_level=level,
                                   is_community=community)
        stray = stray.exclude(org_type=kind, registration_status=registration, authority_level=level,
                              is_community=community)
        need = max(target - others[cell], 0)
        have = in_cell.count()
        if have > need:
            surplus = list(in_cell.order_by("-id").values_list("id", flat=True)[: have - need])
            deleted += Organization.objects.filter(id__in=surplus).delete()[1].get("organizations.Organization", 0)
        elif have < need:
            rows = list(_rows(cell, need, by_level, taken, cell_no))[have:]
            Organization.objects.bulk_create(rows, batch_size=1000)
            created += len(rows)
    deleted += stray.delete()[1].get("organizations.Organization", 0)
    return {"created": created, "deleted": deleted, "over": over}


# --- the small demo's venues -------------------------------------------------------------

# name, kind, region, address, rooms (name, capacity), organizations hosted there (by name).
# Two organizations share the incubator's office, as the source document describes.
DEMO_VENUES = [
    ("京东社区党群服务中心", "party_service_center", "410902001001", "华龙区中原路街道京东社区",
     [("多功能活动室", 40), ("议事协商室", 12)], ["京东社区邻里互助会"]),
    ("中原路街道社会组织孵化基地", "incubator", "410902001", "华龙区中原路街道办事处二楼",
     [("培训教室", 30), ("共享办公室", 8)], ["濮阳市春晖社会工作服务中心", "玉北社区文体队"]),
]


def demo_venues_seed(*, booker_phone: str = "13800000003") -> None:
    """Venues, rooms and one upcoming booking for the small demo; idempotent: what
    exists is kept (an organization already placed elsewhere stays there) and the
    booking is made only for a room that has none."""
    from accounts.models import User
    from organizations.models import Room, RoomBooking, Venue

    booker = User.objects.filter(phone=booker_phone).first()
    for name, kind, region_code, address, rooms, hosted in DEMO_VENUES:
        venue, _ = Venue.objects.get_or_create(region_id=region_code, name=name,
                                               defaults={"kind": kind, "address": address})
        for room_name, capacity in rooms:
            Room.objects.get_or_create(venue=venue, name=room_name, defaults={"capacity": capacity})
        Organization.objects.filter(name__in=hosted, venue__isnull=True,
                                    region__code__startswith=CITY).update(venue=venue)
    room = Room.objects.filter(venue__name="中原路街道社会组织孵化基地", name="培训教室").first()
    org = booker.memberships.filter(role="org_admin").select_related("organization").first() if booker else None
    if room is None or org is None or RoomBooking.objects.filter(room=room).exists():
        return
    tomorrow = timezone.localtime() + timedelta(days=1)
    start = tomorrow.replace(hour=14, minute=0, second=0, microsecond=0)
    RoomBooking.objects.create(room=room, organization=org.organization, booked_by=booker, starts_at=start,
                               ends_at=start + timedelta(hours=2), purpose="社工督导培训")
