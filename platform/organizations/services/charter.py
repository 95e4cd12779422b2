"""Charters (versioned) and party-building coverage (with history)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from config.exceptions import DomainError
from organizations.charter_template import charter_errors, has_party_clause
from organizations.models import Charter, Organization, OrganizationEvent, PartyBuildingChange
from organizations.selectors import organization_for_editor


def charter_check(*, sections: object) -> dict:
    """Raise a 400 naming every missing or bad section; return the sections."""
    errors = charter_errors(sections)
    if errors:
        raise DomainError("invalid_charter", next(iter(errors.values()))[0], fields={"sections": errors})
    return {key: text.strip() for key, text in sections.items()}  # type: ignore[union-attr]


def charter_version_add(*, organization: Organization, sections: dict, actor: User | None,
                        note: str = "") -> Charter:
    """Append the next version; the caller holds the organization's row lock."""
    charter = Charter.objects.create(organization=organization, version=organization.charter_version + 1,
                                     sections=sections, has_party_clause=has_party_clause(sections),
                                     note=note, created_by=actor)
    organization.charter_version = charter.version
    organization.charter_has_party_clause = charter.has_party_clause
    organization.save(update_fields=["charter_version", "charter_has_party_clause", "updated_at"])
    OrganizationEvent.objects.create(organization=organization, kind=OrganizationEvent.Kind.CHARTER, actor=actor,
                                     reason=note, changes={"version": charter.version,
                                                           "has_party_clause": charter.has_party_clause})
    return charter


def charter_create(*, user: User, organization_id: int, sections: object, note: str = "") -> Charter:
    """A new version of the charter by governing staff or the organization's admin.

    Locks the organization so that two edits get consecutive versions."""
    clean = charter_check(sections=sections)
    with transaction.atomic():
        org = organization_for_editor(user=user, organization_id=organization_id, lock=True)
        return charter_version_add(organization=org, sections=clean, actor=user, note=note)


def party_building_set(*, user: User, organization_id: int, mode: str, instructor_name: str = "",
                       instructor_contact: str = "", reason: str = "") -> Organization:
    """Set how the organization is covered by party building; every change is kept."""
    if mode == Organization.PartyBuilding.INSTRUCTOR:
        errors = {}
        if not instructor_name.strip():
            errors["instructor_name"] = ["派驻党建指导员须填写姓名"]
        if not instructor_contact.strip():
            errors["instructor_contact"] = ["派驻党建指导员须填写联系方式"]
        if errors:
            raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    else:
        instructor_name = instructor_contact = ""
    with transaction.atomic():
        org = organization_for_editor(user=user, organization_id=organization_id, lock=True)
        previous = org.party_building
        org.party_building = mode
        org.party_instructor_name = instructor_name.strip()
        org.party_instructor_contact = instructor_contact.strip()
        org.save(update_fields=["party_building", "party_instructor_name", "party_instructor_contact", "updated_at"])
        PartyBuildingChange.objects.create(organization=org, mode=mode, instructor_name=org.party_instructor_name,
                                           instructor_contact=org.party_instructor_contact, previous_mode=previous,
                                           reason=reason, changed_by=user)
        OrganizationEvent.objects.create(organization=org, kind=OrganizationEvent.Kind.PARTY_BUILDING, actor=user,
                                         reason=reason, changes={"party_building": [previous, mode]})
    return org
