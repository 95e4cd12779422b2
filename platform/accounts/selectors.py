from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.identity import id_number_decrypt
from accounts.models import RealName, Region, StaffRole, User
from organizations.models import Membership


def user_roles(*, user: User) -> list[str]:
    roles = ["volunteer"]
    member_roles = sorted({m.role for m in user.memberships.all()})
    roles.extend(member_roles)
    if user.staff_role:
        roles.append(user.staff_role)
    # Evaluation experts (评估专家) are registered by the bureau in the evaluation app.
    if user.is_authenticated and hasattr(user, "evaluation_expert") and user.evaluation_expert.is_active:
        roles.append("expert")
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


def real_name_of(*, user: User) -> RealName | None:
    return RealName.objects.filter(user_id=user.id).first()


def real_name_for_owner(*, user: User) -> dict:
    """The owner's own real-name data, the only view with the full ID number."""
    row = real_name_of(user=user)
    if row is None:
        return {"verified": False, "name": None, "id_type": None, "id_number": None, "id_number_masked": None,
                "birth_date": None, "age": None, "verified_at": None}
    return {"verified": True, "name": row.name, "id_type": row.get_id_type_display(),
            "id_number": id_number_decrypt(row.id_number_encrypted, owner_id=row.user_id),
            "id_number_masked": row.id_number_masked, "birth_date": row.birth_date,
            "age": row.age_on(timezone.localdate()), "verified_at": row.verified_at}
