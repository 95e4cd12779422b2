"""Opening a round, enrolling organizations, experts and their assignments, sanctions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Region, StaffRole, User
from config.exceptions import Conflict, DomainError, Forbidden
from evaluation.conf import eval_setting
from evaluation.models import (
    Candidate,
    Evaluation,
    Expert,
    ExpertAssignment,
    IndicatorScore,
    Round,
    RoundTemplate,
    Sanction,
    Template,
)
from evaluation.selectors import MANAGER_ROLE, template_for_round
from evaluation.services.eligibility import eligibility_check, round_scope_organizations, template_kind_for
from organizations.models import Membership, Organization
from organizations.selectors import governs, organization_for_staff

RULE_KEYS = {"min_years": int, "require_last_inspection": bool, "exclude_basically_qualified_twice": bool,
             "exclude_sanctioned": bool}


def _rules(*, scope: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    base = dict(eval_setting("COMMUNITY_ELIGIBILITY" if scope == Round.Scope.COMMUNITY else "ELIGIBILITY"))
    for key, value in (overrides or {}).items():
        kind = RULE_KEYS.get(key)
        if kind is None or not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
            raise DomainError("invalid", f"参评条件 {key} 无效", fields={"eligibility_rules": [f"{key} 无效"]})
        base[key] = value
    return base


def round_open(*, user: User, year: int, region: Region, scope: str, cutoff_date: date,
               self_assessment_deadline: date, name: str = "", appeal_window_days: int | None = None,
               eligibility_rules: dict[str, Any] | None = None, templates: dict[str, int] | None = None) -> Round:
    """Open a round: fix the template version per kind, compute every candidate's
    eligibility with reasons, enrol the eligible with one empty score per indicator.

    Bureau staff open general rounds for a city or district they govern; street staff
    open community rounds for their street. One round per (year, region, scope)."""
    role = MANAGER_ROLE.get(scope)
    if role is None:
        raise DomainError("invalid", "未知的评估范围", fields={"scope": ["未知的评估范围"]})
    if user.staff_role != role or not governs(user=user, region_code=region.code):
        who = "民政局工作人员" if role == StaffRole.BUREAU else "街道工作人员"
        raise Forbidden("permission_denied", f"该类评估由{who}在本辖区内组织")
    if scope == Round.Scope.COMMUNITY and region.level != Region.Level.STREET:
        raise DomainError("invalid", "社区社会组织评估以街道为单位组织", fields={"region": ["须为街道"]})
    if scope == Round.Scope.GENERAL and region.level > Region.Level.DISTRICT:
        raise DomainError("invalid", "社会组织评估由市或县区民政部门组织", fields={"region": ["须为市或县区"]})
    if self_assessment_deadline < timezone.localdate():
        raise DomainError("invalid", "自评截止日期不能早于今天",
                          fields={"self_assessment_deadline": ["不能早于今天"]})
    rules = _rules(scope=scope, overrides=eligibility_rules)
    kinds = ["community"] if scope == Round.Scope.COMMUNITY else ["social_group", "foundation", "non_enterprise"]
    chosen: dict[str, Template] = {}
    for kind in kinds:
        template_id = (templates or {}).get(kind)
        template = template_for_round(kind=kind, region_code=region.code)
        if template_id is not None:
            template = Template.objects.filter(id=template_id, kind=kind).first()
            if template is None or not region.code.startswith(template.region_id or ""):
                raise DomainError("invalid", "所选指标模板不适用于该区划", fields={"templates": [kind]})
        if template is None:
            raise DomainError("no_template", f"没有可用的{kind}评估指标", fields={"templates": [kind]})
        chosen[kind] = template
    default_name = f"{year}年度{region.name}{Round.Scope(scope).label}"
    try:
        with transaction.atomic():
            rnd = Round.objects.create(
                name=(name or default_name).strip()[:100], year=year, region=region, scope=scope,
                cutoff_date=cutoff_date, self_assessment_deadline=self_assessment_deadline,
                appeal_window_days=appeal_window_days if appeal_window_days is not None
                else eval_setting("APPEAL_WINDOW_DAYS"),
                eligibility_rules=rules, opened_by=user)
            RoundTemplate.objects.bulk_create([RoundTemplate(round=rnd, kind=k, template=t)
                                               for k, t in chosen.items()])
            today = timezone.localdate()
            candidates, enrolled = [], []
            for org in round_scope_organizations(rnd=rnd):
                eligible, reasons = eligibility_check(organization=org, rnd=rnd, today=today)
                candidates.append(Candidate(round=rnd, organization=org, eligible=eligible, reasons=reasons))
                if eligible:
                    enrolled.append(org)
            Candidate.objects.bulk_create(candidates, batch_size=1000)
            for org in enrolled:
                _enrol(rnd=rnd, organization=org, template=chosen[template_kind_for(organization=org, rnd=rnd)])
    except IntegrityError as exc:
        raise Conflict("round_exists", f"{year} 年度该区划的此类评估已经开启") from exc
    return rnd


def _enrol(*, rnd: Round, organization: Organization, template: Template) -> Evaluation:
    evaluation = Evaluation.objects.create(round=rnd, organization=organization, template=template)
    IndicatorScore.objects.bulk_create([
        IndicatorScore(evaluation=evaluation, code=ind["code"], category=ind["category"],
                       category_name=ind["category_name"], name=ind["name"], method=ind["method"],
                       points=ind["points"], position=index)
        for index, ind in enumerate(template.indicators())])
    return evaluation


def evaluation_create(*, user: User, rnd: Round, organization_id: int) -> Evaluation:
    """Enrol one more organization in an open round (e.g. one whose record was corrected
    after opening). Its eligibility is checked again now; an ineligible one is refused
    with the reasons. ``rnd`` (the round) comes from ``round_for_manager``."""
    if rnd.status != Round.Status.OPEN:
        raise Conflict("round_closed", "该轮评估已审定，不能再增加参评组织")
    org = organization_for_staff(user=user, organization_id=organization_id)
    if not round_scope_organizations(rnd=rnd).filter(id=org.id).exists():
        raise DomainError("out_of_scope", "该组织不属于本轮评估的范围", fields={"organization": ["不在本轮范围内"]})
    eligible, reasons = eligibility_check(organization=org, rnd=rnd, today=timezone.localdate())
    if not eligible:
        failed = [r["text"] for r in reasons if not r["passed"]]
        raise DomainError("not_eligible", f"不符合参评条件：{'；'.join(failed)}", fields={"organization": failed})
    kind = template_kind_for(organization=org, rnd=rnd)
    template = RoundTemplate.objects.get(round=rnd, kind=kind).template
    try:
        with transaction.atomic():
            # Under the round's lock (the committee takes it to decide): an organization
            # enrolled into a round decided meanwhile could never be scored or published.
            if Round.objects.select_for_update().get(id=rnd.id).status != Round.Status.OPEN:
                raise Conflict("round_closed", "该轮评估已审定，不能再增加参评组织")
            Candidate.objects.update_or_create(round=rnd, organization=org,
                                               defaults={"eligible": True, "reasons": reasons})
            return _enrol(rnd=rnd, organization=org, template=template)
    except IntegrityError as exc:
        raise Conflict("already_enrolled", "该组织已在本轮评估中") from exc


def expert_register(*, user: User, phone: str, title: str = "") -> Expert:
    """Bureau or street staff make a user an evaluation expert of their region."""
    if user.staff_role not in (StaffRole.BUREAU, StaffRole.STREET):
        raise Forbidden("permission_denied", "只有民政局、街道工作人员可以登记评估专家")
    person = User.objects.filter(phone=phone, is_active=True).first()
    if person is None:
        raise DomainError("user_not_found", "该手机号尚未注册", fields={"phone": ["该手机号尚未注册"]})
    if person.staff_role:
        raise DomainError("invalid", "政府工作人员不能担任评估专家", fields={"phone": ["政府工作人员不能担任评估专家"]})
    with transaction.atomic():
        expert, created = Expert.objects.select_for_update().get_or_create(
            user=person, defaults={"region": user.region, "title": title, "added_by": user})
        if not created:
            if expert.is_active:
                raise Conflict("already_expert", "该用户已是评估专家")
            expert.is_active, expert.title = True, title or expert.title
            expert.save(update_fields=["is_active", "title"])
    return expert


def experts_assign(*, user: User, rnd: Round, expert_id: int, evaluation_ids: list[int]) -> list[ExpertAssignment]:
    """Assign an expert to evaluations of the round (idempotent per pair). An expert who
    belongs to an organization may not score it (conflict of interest)."""
    if rnd.status != Round.Status.OPEN:
        raise Conflict("round_closed", "该轮评估已审定，不能再分配专家")
    expert = Expert.objects.select_related("user").filter(id=expert_id, is_active=True).first()
    if expert is None or not (rnd.region_id.startswith(expert.region_id) or expert.region_id.startswith(rnd.region_id)):
        raise DomainError("invalid", "评估专家不存在或不属于本辖区", fields={"expert": ["专家不存在或不属于本辖区"]})
    evaluations = list(Evaluation.objects.filter(round=rnd, id__in=evaluation_ids).select_related("organization"))
    missing = sorted(set(evaluation_ids) - {e.id for e in evaluations})
    if missing or not evaluation_ids:
        raise DomainError("invalid", "所选组织不在本轮评估中", fields={"evaluations": missing or ["请选择组织"]})
    own = set(Membership.objects.filter(user=expert.user).values_list("organization_id", flat=True))
    conflicted = [e.organization.name for e in evaluations if e.organization_id in own]
    if conflicted:
        raise DomainError("conflict_of_interest", f"专家是以下组织的成员，应当回避：{'、'.join(conflicted)}",
                          fields={"evaluations": conflicted})
    with transaction.atomic():
        return [ExpertAssignment.objects.get_or_create(evaluation=e, expert=expert,
                                                       defaults={"assigned_by": user})[0] for e in evaluations]


def sanction_record(*, user: User, organization_id: int, kind: str, started_on: date, note: str = "",
                    ended_on: date | None = None) -> Sanction:
    org = organization_for_staff(user=user, organization_id=organization_id,
                                 roles=(StaffRole.STREET, StaffRole.BUREAU))
    if ended_on is not None and ended_on < started_on:
        raise DomainError("invalid", "结束日期不能早于开始日期", fields={"ended_on": ["不能早于开始日期"]})
    return Sanction.objects.create(organization=org, kind=kind, started_on=started_on, ended_on=ended_on,
                                   note=note, recorded_by=user)
