from __future__ import annotations

from django.db.models import Count, QuerySet

from accounts.models import Region, User
from accounts.selectors import staff_region
from config.exceptions import Forbidden
from organizations.models import Membership, Organization


def organization_list(*, region: str | None = None, search: str | None = None) -> QuerySet[Organization]:
    qs = Organization.objects.select_related("region")
    if region:
        qs = qs.filter(region__code__startswith=region)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def governs(*, user: User, region_code: str) -> bool:
    """Whether a government user's jurisdiction covers ``region_code``."""
    own = staff_region(user=user)
    return own is not None and region_code.startswith(own.code)


def jurisdiction_region(*, user: User, region_code: str | None) -> Region:
    """The region a staff user asks about, checked against their jurisdiction."""
    own = staff_region(user=user)
    if own is None:
        raise Forbidden("permission_denied", "仅民政、街道、社区工作人员可以查看")
    if not region_code:
        return own
    if not region_code.startswith(own.code):
        raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内",
                        fields={"region": ["不在管辖范围内"]})
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise Forbidden("outside_jurisdiction", "区划不存在或不在管辖范围内",
                        fields={"region": ["区划不存在"]})
    return region


def organization_can_edit(*, user: User, organization: Organization) -> bool:
    if governs(user=user, region_code=organization.region_id):
        return True
    return Membership.objects.filter(user=user, organization=organization,
                                     role=Membership.Role.ADMIN).exists()


def organization_stats(*, region: Region) -> dict:
    """Counts by type × registration status × authority level under ``region``."""
    rows = (
        Organization.objects.filter(region__code__startswith=region.code)
        .values("org_type", "registration_status", "authority_level", "is_community")
        .annotate(n=Count("id"))
    )
    by_type: dict[str, dict[str, dict[str, int]]] = {}
    total = community = filed = 0
    for row in rows:
        cell = by_type.setdefault(row["org_type"], {}).setdefault(row["registration_status"], {})
        cell[row["authority_level"]] = cell.get(row["authority_level"], 0) + row["n"]
        total += row["n"]
        community += row["n"] if row["is_community"] else 0
        filed += row["n"] if row["registration_status"] == Organization.Registration.FILED else 0
    return {
        "region": {"code": region.code, "name": region.name},
        "total": total,
        "community": community,
        "filed": filed,
        "by_type": by_type,
    }
