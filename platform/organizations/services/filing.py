"""Filing (备案) of a community social organization.

submitted ──community staff approve──▶ community_approved ──street staff file──▶ filed
    │                                        │
    └──community staff return──▶ returned ◀──┘ street staff return
returned ──applicant resubmits──▶ submitted

Each transition locks the application row (``select_for_update``) and checks the
status under the lock, so two reviewers acting at once cannot both move it; each is
recorded as a ``FilingStep`` and notified (``notification_send``) in the same
transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404

from accounts.models import Region, StaffRole, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.models import (
    FilingApplication,
    FilingStep,
    Membership,
    Organization,
    OrganizationEvent,
    Venue,
)
from organizations.selectors import governs
from organizations.services.charter import charter_check, charter_version_add
from organizations.services.registry import _raise_conflict

S = FilingApplication.Status
MAX_MEMBERS = 5000


def _members(members: list[dict[str, Any]]) -> tuple[list[dict[str, str]], int, int]:
    clean, errors = [], {}
    for index, member in enumerate(members):
        name = str(member.get("name", "")).strip()
        kind = member.get("kind", "individual")
        if not name or kind not in ("individual", "unit"):
            errors[str(index)] = ["成员须有姓名（名称），类型为 individual 或 unit"]
            continue
        clean.append({"name": name[:64], "kind": kind, "phone": str(member.get("phone", ""))[:20]})
    if errors:
        raise DomainError("invalid", "成员名单有误", fields={"members": errors})
    if not clean:
        raise DomainError("invalid", "请填写成员名单", fields={"members": ["至少一名成员"]})
    individual = sum(1 for m in clean if m["kind"] == "individual")
    return clean, individual, len(clean) - individual


def _notify_staff(*, role: str, region_code: str, application: FilingApplication, title: str, body: str) -> None:
    for user_id in User.objects.filter(staff_role=role, region_id=region_code).values_list("id", flat=True):
        notification_send(recipient_id=user_id, kind="filing_review", title=title, body=body,
                          data={"filing_id": application.id})


def _notify_applicant(application: FilingApplication, *, title: str, body: str = "") -> None:
    notification_send(recipient_id=application.applicant_id, kind="filing_result", title=title, body=body,
                      data={"filing_id": application.id, "status": application.status,
                            "organization_id": application.organization_id})


def _step(application: FilingApplication, *, action: str, actor: User, before: str, reason: str = "") -> None:
    FilingStep.objects.create(application=application, action=action, actor=actor, from_status=before,
                              to_status=application.status, reason=reason)


def filing_submit(*, user: User, name: str, region: Region, person_in_charge: str, contact_phone: str,
                  members: list[dict[str, Any]], charter_sections: object, org_type: str = "social_group",
                  service_domains: list[str] | None = None, venue: Venue | None = None) -> FilingApplication:
    """The person in charge applies; the community's staff are notified."""
    if region.level != Region.Level.COMMUNITY:
        raise DomainError("invalid", "备案申请须选择所在社区（村）", fields={"region": ["须为社区（村）"]})
    if len(members) > MAX_MEMBERS:
        raise DomainError("invalid", "成员名单过长", fields={"members": [f"不超过 {MAX_MEMBERS} 人"]})
    clean_members, individual, unit = _members(members)
    sections = charter_check(sections=charter_sections)
    name = name.strip()
    _raise_conflict(name=name, region_id=region.code, credit_code=None)
    pending = [S.SUBMITTED, S.COMMUNITY_APPROVED]
    if FilingApplication.objects.filter(name=name, region=region, status__in=pending).exists():
        raise Conflict("duplicate_application", "该社区已有同名的备案申请在审核中", fields={"name": ["申请重复"]})
    with transaction.atomic():
        application = FilingApplication.objects.create(
            applicant=user, name=name, org_type=org_type, region=region, person_in_charge=person_in_charge,
            contact_phone=contact_phone, members=clean_members, individual_members=individual,
            unit_members=unit, venue=venue, charter_sections=sections, service_domains=service_domains or [])
        _step(application, action=FilingStep.Action.SUBMIT, actor=user, before="")
        _notify_staff(role=StaffRole.COMMUNITY, region_code=region.code, application=application,
                      title=f"新的备案申请：{name}",
                      body=f"负责人 {person_in_charge}，成员 {individual + unit} 名，请初审。")
    return application


def _locked(*, filing_id: int) -> FilingApplication:
    application = (FilingApplication.objects.select_for_update(of=("self",)).select_related("region")
                   .filter(id=filing_id).first())
    if application is None:
        raise Http404
    return application


def _reviewer(*, user: User, application: FilingApplication, role: str) -> None:
    if not governs(user=user, region_code=application.region_id):
        raise Http404  # staff elsewhere do not learn of the application
    if user.staff_role != role:
        raise Forbidden("permission_denied", "该环节由{}办理".format("社区居民委员会" if role == StaffRole.COMMUNITY
                                                               else "街道办事处"))


def _need_reason(approve: bool, reason: str) -> None:
    if not approve and not reason.strip():
        raise DomainError("invalid", "退回须说明原因", fields={"reason": ["请填写退回原因"]})


def filing_community_review(*, user: User, filing_id: int, approve: bool, reason: str = "") -> FilingApplication:
    """The residents' committee's first review: pass it to the street office or return it."""
    _need_reason(approve, reason)
    with transaction.atomic():
        application = _locked(filing_id=filing_id)
        _reviewer(user=user, application=application, role=StaffRole.COMMUNITY)
        if application.status != S.SUBMITTED:
            raise Conflict("invalid_transition", "该申请不在社区初审环节", fields={"status": [application.status]})
        before = application.status
        if approve:
            application.status = S.COMMUNITY_APPROVED
            application.save(update_fields=["status", "updated_at"])
            _step(application, action=FilingStep.Action.COMMUNITY_APPROVE, actor=user, before=before, reason=reason)
            _notify_staff(role=StaffRole.STREET, region_code=application.region.parent_id, application=application,
                          title=f"备案申请待审核：{application.name}", body="社区已初审通过，请审核备案。")
            _notify_applicant(application, title=f"{application.name}已通过社区初审", body="等待街道办事处审核。")
        else:
            application.status, application.return_reason = S.RETURNED, reason
            application.save(update_fields=["status", "return_reason", "updated_at"])
            _step(application, action=FilingStep.Action.COMMUNITY_RETURN, actor=user, before=before, reason=reason)
            _notify_applicant(application, title=f"{application.name}的备案申请被退回", body=f"原因：{reason}")
    return application


def filing_street_decide(*, user: User, filing_id: int, approve: bool, reason: str = "") -> FilingApplication:
    """The street office files the organization (it enters the registry, the applicant
    becomes its admin, the charter its version 1) or returns the application."""
    _need_reason(approve, reason)
    with transaction.atomic():
        application = _locked(filing_id=filing_id)
        _reviewer(user=user, application=application, role=StaffRole.STREET)
        if application.status != S.COMMUNITY_APPROVED:
            raise Conflict("invalid_transition", "该申请不在街道审核环节", fields={"status": [application.status]})
        before = application.status
        if not approve:
            application.status, application.return_reason = S.RETURNED, reason
            application.save(update_fields=["status", "return_reason", "updated_at"])
            _step(application, action=FilingStep.Action.STREET_RETURN, actor=user, before=before, reason=reason)
            _notify_applicant(application, title=f"{application.name}的备案申请被退回", body=f"原因：{reason}")
            return application
        _raise_conflict(name=application.name, region_id=application.region_id, credit_code=None)
        small = application.individual_members + application.unit_members < 10
        org = Organization.objects.create(
            name=application.name, org_type=application.org_type, registration_status=Organization.Registration.FILED,
            authority_level=Organization.Authority.COUNTY, is_community=True, region=application.region,
            tier=Organization.Tier.COMMUNITY_GUIDED if small else Organization.Tier.STREET_MANAGED,
            service_domains=application.service_domains, person_in_charge=application.person_in_charge,
            contact_phone=application.contact_phone, individual_members=application.individual_members,
            unit_members=application.unit_members, venue=application.venue, source=Organization.Source.FILING)
        OrganizationEvent.objects.create(organization=org, kind=OrganizationEvent.Kind.FILED, actor=user,
                                         reason=reason, changes={"filing_id": application.id})
        charter_version_add(organization=org, sections=application.charter_sections, actor=application.applicant,
                            note="备案时的章程")
        Membership.objects.get_or_create(user=application.applicant, organization=org, role=Membership.Role.ADMIN)
        application.status, application.organization, application.return_reason = S.FILED, org, ""
        application.save(update_fields=["status", "organization", "return_reason", "updated_at"])
        _step(application, action=FilingStep.Action.STREET_FILE, actor=user, before=before, reason=reason)
        ready = " 成员已达登记条件，可申请登记。" if org.ready_to_register else ""
        _notify_applicant(application, title=f"{application.name}已完成备案", body=f"您已成为该组织的管理员。{ready}")
    return application


def filing_resubmit(*, user: User, filing_id: int, charter_sections: object | None = None,
                    members: list[dict[str, Any]] | None = None) -> FilingApplication:
    """The applicant sends a returned application back to the community, amended."""
    sections = charter_check(sections=charter_sections) if charter_sections is not None else None
    clean = _members(members) if members is not None else None
    with transaction.atomic():
        application = _locked(filing_id=filing_id)
        if application.applicant_id != user.id:
            raise Http404
        if application.status != S.RETURNED:
            raise Conflict("invalid_transition", "只有被退回的申请可以重新提交",
                           fields={"status": [application.status]})
        before = application.status
        if sections is not None:
            application.charter_sections = sections
        if clean is not None:
            application.members, application.individual_members, application.unit_members = clean
        application.status = S.SUBMITTED
        application.save()
        _step(application, action=FilingStep.Action.RESUBMIT, actor=user, before=before)
        _notify_staff(role=StaffRole.COMMUNITY, region_code=application.region_id, application=application,
                      title=f"备案申请已重新提交：{application.name}", body="请初审。")
    return application
