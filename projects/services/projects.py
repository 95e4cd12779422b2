"""Projects: drafting, the review lifecycle (draft → submitted → published → closed, or
cancelled), and the team that carries a project. Status changes are compare-and-set on
the project row; cancelling locks the project, then its shifts in id order, then their
sign-ups (``projects.services``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.models import Membership, Organization
from projects.models import ServiceProject, Shift, Signup
from volunteers.models import Team


def project_create(*, user: User, organization: Organization, title: str, region: Region,
                   description: str = "", address: str = "", lat: Decimal | None = None,
                   lng: Decimal | None = None, skills: list[str] | None = None,
                   targets: list[str] | None = None, domain: str = "",
                   funding_source: str = ServiceProject.Funding.SELF_FUNDED,
                   funding_contract_ref: str = "", funding_amount: Decimal | None = None,
                   risk_disclosure: str = "", accident_insurance: bool = False,
                   min_age: int | None = None, guardian_required_for_minors: bool = False,
                   requires_approval: bool = False, team_id: int | None = None,
                   members_first_until: datetime | None = None) -> ServiceProject:
    """A social worker of ``organization`` drafts a project that they will lead,
    optionally carried by one of the organization's teams (``team_id``) with a
    members-first window (same rules as ``project_team_set``).

    The funding rule (a government purchase needs a contract reference and an amount) is
    checked here as well as by a database constraint."""
    if not Membership.objects.filter(user=user, organization=organization,
                                     role=Membership.Role.SOCIAL_WORKER).exists():
        raise Forbidden("not_social_worker", "只有该组织的社工可以发布服务项目",
                        fields={"organization": ["您不是该组织的社工"]})
    errors: dict[str, list[str]] = {}
    if funding_source == ServiceProject.Funding.GOVERNMENT_PURCHASE:
        if not funding_contract_ref:
            errors["funding_contract_ref"] = ["政府购买服务须填写合同编号"]
        if funding_amount is None:
            errors["funding_amount"] = ["政府购买服务须填写金额"]
    team, team_errors = _team_of(organization_id=organization.id, team_id=team_id,
                                 members_first_until=members_first_until)
    errors.update(team_errors)
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    return ServiceProject.objects.create(
        organization=organization, owner=user, title=title, region=region,
        description=description, address=address, lat=lat, lng=lng,
        skills=skills or [], targets=targets or [], domain=domain, funding_source=funding_source,
        funding_contract_ref=funding_contract_ref, funding_amount=funding_amount,
        risk_disclosure=risk_disclosure, accident_insurance=accident_insurance, min_age=min_age,
        guardian_required_for_minors=guardian_required_for_minors, requires_approval=requires_approval,
        team=team, members_first_until=members_first_until,
    )


def _team_of(*, organization_id: int, team_id: int | None,
             members_first_until: datetime | None) -> tuple[Team | None, dict[str, list[str]]]:
    """The team a project of ``organization_id`` may be carried by, and the field errors:
    only a team the project's own organization owns (its members are that
    organization's volunteers, its leader one of its social workers), and a
    members-first window only with a team."""
    errors: dict[str, list[str]] = {}
    team = None
    if team_id is not None:
        team = Team.objects.filter(id=team_id).first()
        if team is None:
            errors["team"] = ["服务队不存在"]
        elif team.organization_id != organization_id:
            errors["team"] = ["只能选择本组织的服务队"]
    if members_first_until is not None and team_id is None:
        errors["members_first_until"] = ["设置队员优先报名须先选择服务队"]
    return team, errors


def _project_cas(*, project: ServiceProject, from_statuses, code: str, detail: str, **changes) -> ServiceProject:
    """Move ``project`` on by compare-and-set: exactly one row in one of ``from_statuses``."""
    if ServiceProject.objects.filter(id=project.id, status__in=from_statuses).update(**changes) != 1:
        raise Conflict(code, detail)
    project.refresh_from_db()
    return project


def project_submit(*, user: User, project: ServiceProject) -> ServiceProject:
    """Draft → submitted for review (by a checked manager). The reviewers are told."""
    from projects.selectors import project_reviewers

    with transaction.atomic():
        project = _project_cas(project=project, from_statuses=[ServiceProject.Status.DRAFT],
                               code="not_draft", detail="只有草稿状态的项目可以提交审核",
                               status=ServiceProject.Status.SUBMITTED, submitted_at=timezone.now(),
                               review_note="")
        for reviewer_id in project_reviewers(project=project).values_list("id", flat=True):
            notification_send(recipient_id=reviewer_id, kind="project_submitted", title="服务项目待审核",
                              body=f"「{project.title}」已提交审核，请审核后发布。",
                              data={"project_id": project.id})
    return project


def project_publish(*, user: User, project: ServiceProject) -> ServiceProject:
    """``POST /projects/{id}/publish/``: a reviewer publishes a draft or a submitted project;
    a manager who is not a reviewer submits a draft for review instead. Both by
    compare-and-set on the status, so each happens exactly once."""
    from projects.selectors import is_project_reviewer

    if not is_project_reviewer(user=user, project=project):
        if project.status == ServiceProject.Status.SUBMITTED:
            raise Conflict("already_submitted", "项目已提交审核，请等待审核")
        return project_submit(user=user, project=project)
    with transaction.atomic():
        project = _project_cas(
            project=project, from_statuses=[ServiceProject.Status.DRAFT, ServiceProject.Status.SUBMITTED],
            code="not_draft", detail="只有草稿或待审核的项目可以发布",
            status=ServiceProject.Status.PUBLISHED, published_at=timezone.now(), reviewed_by_id=user.id)
        if project.owner_id != user.id:
            notification_send(recipient_id=project.owner_id, kind="project_published", title="项目已发布",
                              body=f"「{project.title}」已审核通过并发布。", data={"project_id": project.id})
    return project


def project_reject(*, user: User, project: ServiceProject, reason: str) -> ServiceProject:
    """Submitted → back to draft with the reviewer's note (a checked reviewer)."""
    with transaction.atomic():
        project = _project_cas(project=project, from_statuses=[ServiceProject.Status.SUBMITTED],
                               code="not_submitted", detail="只有待审核的项目可以退回",
                               status=ServiceProject.Status.DRAFT, review_note=reason, reviewed_by_id=user.id)
        notification_send(recipient_id=project.owner_id, kind="project_rejected", title="项目未通过审核",
                          body=f"「{project.title}」被退回修改：{reason}",
                          data={"project_id": project.id, "reason": reason})
    return project


def project_close(*, project: ServiceProject) -> ServiceProject:
    """Published → closed: no new sign-ups; existing ones and their hours stand."""
    with transaction.atomic():
        return _project_cas(project=project, from_statuses=[ServiceProject.Status.PUBLISHED],
                            code="not_published", detail="只有已发布的项目可以结束",
                            status=ServiceProject.Status.CLOSED, closed_at=timezone.now())


def project_cancel(*, project: ServiceProject, reason: str) -> ServiceProject:
    """Cancel a project that is not closed: every active sign-up of a shift that has not
    started is cancelled and its volunteer told (one notification each). Sign-ups of
    shifts already started keep their attendance and hours.

    Locks: the project (its compare-and-set), then its shifts in id order, then their
    sign-ups; a sign-up committed just before we took its shift is seen and cancelled."""
    now = timezone.now()
    with transaction.atomic():
        project = _project_cas(
            project=project, from_statuses=[ServiceProject.Status.DRAFT, ServiceProject.Status.SUBMITTED,
                                            ServiceProject.Status.PUBLISHED],
            code="not_cancellable", detail="项目已结束或已取消", status=ServiceProject.Status.CANCELLED,
            cancelled_at=now, cancel_reason=reason)
        shifts = list(Shift.objects.select_for_update().filter(project=project, starts_at__gt=now)
                      .order_by("id"))
        signups = list(Signup.objects.select_for_update().filter(shift__in=shifts, status__in=Signup.ACTIVE)
                       .order_by("id"))
        Signup.objects.filter(id__in=[s.id for s in signups]).update(status=Signup.Status.CANCELLED,
                                                                     cancelled_at=now)
        Shift.objects.filter(id__in=[s.id for s in shifts]).update(confirmed_count=0, waitlisted_count=0)
        by_volunteer: dict[int, list[int]] = {}
        for signup in signups:
            by_volunteer.setdefault(signup.volunteer_id, []).append(signup.id)
        for volunteer_id, signup_ids in by_volunteer.items():
            notification_send(recipient_id=volunteer_id, kind="project_cancelled", title="项目已取消",
                              body=f"您报名的「{project.title}」已取消，报名随之取消。原因：{reason}",
                              data={"project_id": project.id, "signup_ids": signup_ids, "reason": reason})
    return project


def project_team_set(*, project: ServiceProject, team_id: int | None,
                     members_first_until: datetime | None = None) -> ServiceProject:
    """Attach a team of the project's own organization to a project (checked manager),
    optionally opening sign-ups to its members first until ``members_first_until``.
    ``team_id=None`` detaches the team and ends any members-first window."""
    team, errors = _team_of(organization_id=project.organization_id, team_id=team_id,
                            members_first_until=members_first_until)
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        if ServiceProject.objects.filter(id=project.id).exclude(
                status__in=[ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED]).update(
                team=team, members_first_until=members_first_until) != 1:
            raise Conflict("project_closed", "项目已结束或已取消")
    project.refresh_from_db()
    return project
