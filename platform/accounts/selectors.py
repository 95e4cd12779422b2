from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Region, StaffRole, User
from organizations.models import Membership


def user_roles(*, user: User) -> list[str]:
    roles = ["volunteer"]
    member_roles = sorted({m.role for m in user.memberships.all()})
    roles.extend(member_roles)
    if user.staff_role:
        roles.append(user.staff_role)
    return roles


def user_memberships(*, user: User) -> list[Membership]:
    return list(user.memberships.select_related("organization").order_by("organization_id"))


def region_list(*, parent: str | None) -> QuerySet[Region]:
    qs = Region.objects.all()
    if parent:
        return qs.filter(parent_id=parent)
    return qs.filter(parent__isnull=True)


def staff_region(*, user: User) -> Region | None:
    """The region a government user governs, or None for everyone else."""
    if user.is_authenticated and user.staff_role != StaffRole.NONE:
        return user.region
    return None
