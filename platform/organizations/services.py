from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from organizations.models import Membership, Organization
from organizations.selectors import governs, organization_can_edit

_EDITABLE = {"name", "org_type", "registration_status", "authority_level", "is_community",
             "region", "description"}


def _check_region(*, user: User, region: Region) -> None:
    if not governs(user=user, region_code=region.code):
        raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内",
                        fields={"region": ["不在管辖范围内"]})


def organization_create(*, user: User, name: str, org_type: str, registration_status: str,
                        region: Region, authority_level: str = Organization.Authority.COUNTY,
                        is_community: bool = False, description: str = "") -> Organization:
    """Government staff add an organization inside their jurisdiction."""
    _check_region(user=user, region=region)
    try:
        with transaction.atomic():
            return Organization.objects.create(
                name=name, org_type=org_type, registration_status=registration_status,
                region=region, authority_level=authority_level, is_community=is_community,
                description=description,
            )
    except IntegrityError:
        raise Conflict("duplicate_name", "该区划内已有同名组织", fields={"name": ["名称重复"]}) from None


def organization_update(*, user: User, organization: Organization, data: dict[str, Any]) -> Organization:
    if not organization_can_edit(user=user, organization=organization):
        raise Forbidden("permission_denied", "没有权限修改该组织")
    unknown = set(data) - _EDITABLE
    if unknown:
        raise DomainError("invalid", "包含不可修改的字段", fields={k: ["不可修改"] for k in unknown})
    if "region" in data:
        _check_region(user=user, region=data["region"])
    for key, value in data.items():
        setattr(organization, key, value)
    try:
        with transaction.atomic():
            organization.save(update_fields=list(data) or None)
    except IntegrityError:
        raise Conflict("duplicate_name", "该区划内已有同名组织", fields={"name": ["名称重复"]}) from None
    return organization


def membership_add(*, organization: Organization, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(organization=organization, user=user, role=role)
    return membership
