"""Writes of the registry record: create, edit, tier, status, annual inspection.

Every change is recorded in ``OrganizationEvent`` (who, when, why, what) inside the
same transaction as the change itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.credit_code import credit_code_errors
from organizations.models import Inspection, Membership, Organization, OrganizationEvent
from organizations.selectors import SENIOR_STAFF, governs, is_org_admin, organization_for_staff

STAFF_EDITABLE = {"name", "credit_code", "org_type", "registration_status", "authority_level",
                  "is_community", "region", "description", "service_domains", "founded_on",
                  "person_in_charge", "contact_phone", "individual_members", "unit_members", "venue"}
# An organization's own admin keeps its contact and activity data, not its legal status.
ADMIN_EDITABLE = {"description", "service_domains", "founded_on", "person_in_charge", "contact_phone",
                  "individual_members", "unit_members", "venue"}

DEFAULT_TIER = {
    Organization.Registration.REGISTERED: Organization.Tier.CIVIL_AFFAIRS,
    Organization.Registration.FILED: Organization.Tier.STREET_MANAGED,
    Organization.Registration.LEDGER: Organization.Tier.COMMUNITY_GUIDED,
}

STATUS_TRANSITIONS = {
    Organization.Status.ACTIVE: {Organization.Status.SUSPENDED, Organization.Status.DEREGISTERED},
    Organization.Status.SUSPENDED: {Organization.Status.ACTIVE, Organization.Status.DEREGISTERED},
    Organization.Status.DEREGISTERED: set(),
}


def _check_region(*, user: User, region: Region) -> None:
    if not governs(user=user, region_code=region.code):
        raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内",
                        fields={"region": ["不在管辖范围内"]})


def record_errors(*, data: dict[str, Any], instance: Organization | None = None) -> dict[str, list[str]]:
    """Rules a record must satisfy beyond field types, for the API and the Excel import."""
    errors: dict[str, list[str]] = {}

    def value(key: str) -> Any:
        return data[key] if key in data else getattr(instance, key, None)

    code = value("credit_code")
    # Only what changes is checked: an old record is not refused for an unrelated edit.
    touches_code = instance is None or {"credit_code", "org_type", "registration_status"} & set(data)
    if code and touches_code:
        problems = credit_code_errors(code, org_type=value("org_type"))
        if problems:
            errors["credit_code"] = problems
    elif touches_code and value("registration_status") == Organization.Registration.REGISTERED:
        errors["credit_code"] = ["登记的社会组织必须填写统一社会信用代码"]
    domains = value("service_domains") or []
    unknown = [d for d in domains if d not in Organization.Domain.values]
    if unknown:
        errors["service_domains"] = [f"未知的服务领域：{'、'.join(map(str, unknown))}"]
    founded = value("founded_on")
    if founded and founded > timezone.localdate():
        errors["founded_on"] = ["成立日期不能晚于今天"]
    return errors


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    if "credit_code" in data:
        data["credit_code"] = (data["credit_code"] or "").strip().upper() or None
    if "name" in data and isinstance(data["name"], str):
        data["name"] = data["name"].strip()
    return data


def _raise_conflict(*, name: str | None, region_id: str | None, credit_code: str | None,
                    exclude: int | None = None) -> None:
    others = Organization.objects.exclude(id=exclude) if exclude else Organization.objects.all()
    if credit_code and others.filter(credit_code=credit_code).exists():
        raise Conflict("duplicate_credit_code", "该统一社会信用代码已被其他组织使用",
                       fields={"credit_code": ["信用代码重复"]})
    if name and region_id and others.filter(name=name, region_id=region_id).exists():
        raise Conflict("duplicate_name", "该区划内已有同名组织", fields={"name": ["名称重复"]})


def _event(*, organization: Organization, kind: str, actor: User | None, reason: str = "",
           changes: dict | None = None) -> OrganizationEvent:
    return OrganizationEvent.objects.create(organization=organization, kind=kind, actor=actor,
                                            reason=reason, changes=changes or {})


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Region):
        return value.code
    if hasattr(value, "pk"):
        return value.pk
    return value


def organization_create(*, user: User, name: str, org_type: str, registration_status: str,
                        region: Region, authority_level: str = Organization.Authority.COUNTY,
                        is_community: bool = False, description: str = "", tier: str | None = None,
                        source: str = Organization.Source.MANUAL, **fields: Any) -> Organization:
    """Government staff add an organization inside their jurisdiction.

    Raises 403 outside it, 400 on a rule broken (field named), 409 on a duplicate
    name in the region or a duplicate credit code; nothing is written on failure."""
    _check_region(user=user, region=region)
    data = _normalise(dict(name=name, org_type=org_type, registration_status=registration_status,
                           region=region, authority_level=authority_level, is_community=is_community,
                           description=description, **fields))
    errors = record_errors(data=data)
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    data["tier"] = tier or DEFAULT_TIER[registration_status]
    _raise_conflict(name=data["name"], region_id=region.code, credit_code=data.get("credit_code"))
    try:
        with transaction.atomic():
            org = Organization.objects.create(source=source, **data)
            _event(organization=org, kind=OrganizationEvent.Kind.CREATED, actor=user)
    except IntegrityError:
        _raise_conflict(name=data["name"], region_id=region.code, credit_code=data.get("credit_code"))
        raise Conflict("duplicate", "组织已存在") from None
    return org


def organization_update(*, user: User, organization: Organization, data: dict[str, Any]) -> Organization:
    """Governing staff edit the record; the organization's admin edits its activity data."""
    staff = governs(user=user, region_code=organization.region_id)
    if not staff and not is_org_admin(user=user, organization=organization):
        raise Forbidden("permission_denied", "没有权限修改该组织")
    allowed = STAFF_EDITABLE if staff else ADMIN_EDITABLE
    refused = set(data) - allowed
    if refused:
        raise Forbidden("field_not_editable", "包含您不能修改的字段", fields={k: ["不可修改"] for k in refused})
    data = _normalise(dict(data))
    if "region" in data:
        _check_region(user=user, region=data["region"])
    errors = record_errors(data=data, instance=organization)
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    changes = {key: [_jsonable(getattr(organization, key)), _jsonable(value)] for key, value in data.items()
               if getattr(organization, key) != value}
    if not changes:
        return organization
    _raise_conflict(name=data.get("name"), region_id=getattr(data.get("region"), "code", organization.region_id),
                    credit_code=data.get("credit_code"), exclude=organization.id)
    for key in changes:
        setattr(organization, key, data[key])
    try:
        with transaction.atomic():
            organization.save(update_fields=[*changes, "updated_at"])
            _event(organization=organization, kind=OrganizationEvent.Kind.UPDATED, actor=user, changes=changes)
    except IntegrityError:
        raise Conflict("duplicate", "名称或信用代码与其他组织重复") from None
    return organization


def organization_tier_change(*, user: User, organization_id: int, tier: str, reason: str) -> Organization:
    """Street or bureau staff move an organization between management tiers (locks the row)."""
    with transaction.atomic():
        org = organization_for_staff(user=user, organization_id=organization_id, lock=True, roles=SENIOR_STAFF)
        if org.tier == tier:
            raise Conflict("unchanged", "管理层级未变化", fields={"tier": ["与当前相同"]})
        before = org.tier
        org.tier = tier
        org.save(update_fields=["tier", "updated_at"])
        _event(organization=org, kind=OrganizationEvent.Kind.TIER_CHANGED, actor=user, reason=reason,
               changes={"tier": [before, tier]})
        _notify_admins(org, kind="organization_tier", title=f"{org.name}的管理层级已调整",
                       body=f"调整为「{org.get_tier_display()}」。原因：{reason}")
    return org


def organization_status_change(*, user: User, organization_id: int, status: str, reason: str) -> Organization:
    """Suspend, reactivate or deregister (terminal). Locks the row; the transition is
    checked against the locked state, so two staff acting at once cannot both succeed."""
    with transaction.atomic():
        org = organization_for_staff(user=user, organization_id=organization_id, lock=True, roles=SENIOR_STAFF)
        if status not in STATUS_TRANSITIONS[org.status]:
            raise Conflict("invalid_transition", f"组织当前为「{org.get_status_display()}」，不能变更为该状态",
                           fields={"status": ["不允许的状态变更"]})
        before = org.status
        org.status = status
        org.status_changed_at = timezone.now()
        org.save(update_fields=["status", "status_changed_at", "updated_at"])
        _event(organization=org, kind=OrganizationEvent.Kind.STATUS_CHANGED, actor=user, reason=reason,
               changes={"status": [before, status]})
        _notify_admins(org, kind="organization_status", title=f"{org.name}的状态已变更为「{org.get_status_display()}」",
                       body=f"原因：{reason}")
    return org


def inspection_record(*, user: User, organization_id: int, year: int, result: str, note: str = "") -> Inspection:
    """Street or bureau staff record a registered organization's annual inspection; one per year."""
    with transaction.atomic():
        org = organization_for_staff(user=user, organization_id=organization_id, lock=True, roles=SENIOR_STAFF)
        if org.registration_status != Organization.Registration.REGISTERED:
            raise DomainError("not_registered", "只有登记的社会组织参加年检",
                              fields={"organization": ["未登记"]})
        if year > timezone.localdate().year:
            raise DomainError("invalid", "年检年度不能晚于今年", fields={"year": ["年度无效"]})
        if org.inspections.filter(year=year).exists():
            raise Conflict("duplicate_inspection", f"{year} 年度的年检结果已录入", fields={"year": ["已录入"]})
        inspection = Inspection.objects.create(organization=org, year=year, result=result, note=note,
                                               recorded_by=user)
        _event(organization=org, kind=OrganizationEvent.Kind.INSPECTION, actor=user, reason=note,
               changes={"year": year, "result": result})
    return inspection


def _notify_admins(org: Organization, *, kind: str, title: str, body: str) -> None:
    admins = Membership.objects.filter(organization=org, role=Membership.Role.ADMIN).values_list("user_id", flat=True)
    for user_id in admins:
        notification_send(recipient_id=user_id, kind=kind, title=title, body=body,
                          data={"organization_id": org.id})


def membership_add(*, organization: Organization, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(organization=organization, user=user, role=role)
    return membership

