"""Helpers for the registry tests: actors of every role around one organization."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import StaffRole, User
from organizations.credit_code import credit_code_make
from organizations.models import Membership, Organization
from tests.factories import COMMUNITY, OTHER_STREET, STREET, OrganizationFactory, StaffFactory, UserFactory, region

OTHER_COMMUNITY = "410902001002"  # 玉北社区, same street as 京东社区


def valid_code(org_type: str = "non_enterprise", serial: int = 1, region_code: str = "410902") -> str:
    return credit_code_make(org_type=org_type, region_code=region_code, serial=serial)


@dataclass
class Cast:
    org: Organization
    admin: User
    other_admin: User
    resident: User
    community: User
    other_community: User
    street: User
    other_street: User
    bureau: User

    def actor(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def cast(**org_fields) -> Cast:
    """An organization in 京东社区 and one user of every role, inside and outside."""
    org = OrganizationFactory(region=region(COMMUNITY), is_community=True, **org_fields)
    other = OrganizationFactory(region=region(OTHER_STREET))
    admin, other_admin = UserFactory(), UserFactory()
    Membership.objects.create(user=admin, organization=org, role=Membership.Role.ADMIN)
    Membership.objects.create(user=other_admin, organization=other, role=Membership.Role.ADMIN)
    return Cast(
        org=org, admin=admin, other_admin=other_admin, resident=UserFactory(),
        community=StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY)),
        other_community=StaffFactory(staff_role=StaffRole.COMMUNITY, region=region(OTHER_COMMUNITY)),
        street=StaffFactory(staff_role=StaffRole.STREET, region=region(STREET)),
        other_street=StaffFactory(staff_role=StaffRole.STREET, region=region(OTHER_STREET)),
        bureau=StaffFactory(staff_role=StaffRole.BUREAU, region=region("4109")),
    )


ROLES = ["anonymous", "resident", "admin", "other_admin", "community", "other_community", "street",
         "other_street", "bureau"]
