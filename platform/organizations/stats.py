"""Registry statistics for a region: the figures the bureau reports.

A fixed number of queries whatever the size of the region: one grouped count of the
organizations, one of community organizations per community, and the region lists."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from accounts.models import Region
from organizations.conf import org_setting
from organizations.models import Organization
from organizations.selectors import ready_to_register_q

REGISTERED = Organization.Registration.REGISTERED
FILED = Organization.Registration.FILED
DEREGISTERED = Organization.Status.DEREGISTERED
# Listing every community of a whole city would be thousands of rows; below this level
# the per-community detail is given, above it the per-child summary.
DETAIL_FROM_LEVEL = Region.Level.DISTRICT


def organization_stats(*, region: Region) -> dict:
    """Counts by type × registration status × authority level under ``region``, the
    community organizations, the filed ones and coverage per community.

    Deregistered organizations are left out of every count but ``deregistered``."""
    inside = Organization.objects.filter(region__code__startswith=region.code)
    rows = (inside.values("org_type", "registration_status", "authority_level", "is_community", "status")
            .annotate(n=Count("id"), ready=Count("id", filter=ready_to_register_q())))
    by_type: dict[str, dict[str, dict[str, int]]] = {}
    registered_by_type: dict[str, int] = defaultdict(int)
    by_authority: dict[str, dict[str, int]] = {a: defaultdict(int) for a in Organization.Authority.values}
    community_by_type: dict[str, dict[str, int]] = {}
    by_status: dict[str, int] = defaultdict(int)
    total = community = filed = ledger = ready = deregistered = 0
    for row in rows:
        n = row["n"]
        if row["status"] == DEREGISTERED:
            deregistered += n
            continue
        by_status[row["status"]] += n
        kind, reg, level = row["org_type"], row["registration_status"], row["authority_level"]
        cell = by_type.setdefault(kind, {}).setdefault(reg, {})
        cell[level] = cell.get(level, 0) + n
        total += n
        ready += row["ready"]
        if reg == REGISTERED:
            registered_by_type[kind] += n
            by_authority[level][kind] += n
        filed += n if reg == FILED else 0
        ledger += n if reg == Organization.Registration.LEDGER else 0
        if row["is_community"]:
            community += n
            slot = community_by_type.setdefault(kind, {})
            slot[reg] = slot.get(reg, 0) + n
    community_registered = {k: v.get(REGISTERED, 0) for k, v in community_by_type.items()
                            if v.get(REGISTERED)}
    community_filed = sum(v.get(FILED, 0) for v in community_by_type.values())
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "total": total,
        "community": community,
        "filed": filed,
        "by_type": by_type,
        "registered": sum(registered_by_type.values()),
        "registered_by_type": dict(registered_by_type),
        "by_authority": {level: {"total": sum(kinds.values()), "by_type": dict(kinds)}
                         for level, kinds in by_authority.items()},
        "community_by_type": community_by_type,
        "community_registered": {"total": sum(community_registered.values()),
                                 "by_type": community_registered},
        "community_filed": community_filed,
        "ledger": ledger,
        "ready_to_register": ready,
        "by_status": dict(by_status),
        "deregistered": deregistered,
        "coverage": coverage(region=region),
    }


def coverage(*, region: Region) -> dict:
    """Community organizations per community against the urban/rural targets."""
    urban_target = org_setting("COVERAGE_TARGET_URBAN")
    rural_target = org_setting("COVERAGE_TARGET_RURAL")
    communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith=region.code)
                       .values_list("code", "name", "is_urban"))
    counts = dict(
        Organization.objects.filter(region__code__startswith=region.code,
                                    region__level=Region.Level.COMMUNITY, is_community=True)
        .exclude(status=DEREGISTERED)
        .values("region_id").annotate(n=Count("id")).values_list("region_id", "n"))
    children = list(Region.objects.filter(parent=region).values_list("code", "name"))
    width = len(children[0][0]) if children else 0
    child_rows = {code: {"code": code, "name": name, "communities": 0, "covered": 0, "organizations": 0}
                  for code, name in children}
    summary = {"urban": {"communities": 0, "covered": 0}, "rural": {"communities": 0, "covered": 0}}
    detail = []
    for code, name, is_urban in communities:
        target = urban_target if is_urban else rural_target
        n = counts.get(code, 0)
        met = n >= target
        part = summary["urban" if is_urban else "rural"]
        part["communities"] += 1
        part["covered"] += met
        child = child_rows.get(code[:width]) if width else None
        if child is not None:
            child["communities"] += 1
            child["covered"] += met
            child["organizations"] += n
        if region.level >= DETAIL_FROM_LEVEL:
            detail.append({"code": code, "name": name, "is_urban": is_urban, "organizations": n,
                           "target": target, "met": met})
    total = len(communities)
    covered = summary["urban"]["covered"] + summary["rural"]["covered"]
    return {
        "target_urban": urban_target,
        "target_rural": rural_target,
        "communities": total,
        "covered": covered,
        "rate": round(covered / total, 4) if total else None,
        "urban": summary["urban"],
        "rural": summary["rural"],
        "by_child": list(child_rows.values()) if width and region.level < Region.Level.COMMUNITY else [],
        "by_community": detail,
    }
