"""Reads of evaluation data and the permission-checked fetches every write starts from.

Who may do what (issue 6):
- bureau staff run the general rounds of the city or district they govern; street staff
  run the community rounds of their street; any government staff reads the rounds that
  cover or lie under their region and the evaluations of organizations they govern;
- an organization's admins read their own evaluations, write the self-assessment and
  file appeals;
- an expert reads and scores the evaluations assigned to them;
- everyone, signed in or not, reads the public list of current grades."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import StaffRole, User
from accounts.selectors import staff_region
from config.exceptions import DomainError, Forbidden
from evaluation.models import (
    Appeal,
    Candidate,
    Evaluation,
    Evidence,
    Expert,
    ExpertAssignment,
    Grade,
    IndicatorScore,
    Round,
    RoundTemplate,
    Template,
)
from organizations.models import Membership
from organizations.selectors import governs

MANAGER_ROLE = {Round.Scope.GENERAL: StaffRole.BUREAU, Round.Scope.COMMUNITY: StaffRole.STREET}


def _int_param(params, name: str) -> int | None:
    """A numeric query parameter, or None when absent or not a plain number. ASCII only
    (``"²".isdigit()`` is true but ``int("²")`` fails) and at most 18 digits (SQLite
    cannot bind a larger integer)."""
    raw = params.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def _text_params(params, *names: str) -> None:
    """Refuse a NUL byte in a text filter (PostgreSQL errors on it instead of matching nothing)."""
    bad = [name for name in names if "\x00" in params.get(name, "")]
    if bad:
        raise DomainError("invalid", "查询参数无效", fields={name: ["包含无效字符"] for name in bad})


def expert_of(*, user: User) -> Expert | None:
    if not user.is_authenticated:
        return None
    return Expert.objects.filter(user=user, is_active=True).first()


def can_manage_round(*, user: User, rnd: Round) -> bool:
    return (user.is_authenticated and user.staff_role == MANAGER_ROLE[rnd.scope]
            and governs(user=user, region_code=rnd.region_id))


def _in_or_above(code: str) -> Q:
    """Rows whose region lies under ``code`` or is one of its ancestors."""
    return Q(region__code__startswith=code) | Q(region_id__in=[code[:n] for n in range(2, len(code) + 1)])


def _staff_rounds(*, user: User) -> QuerySet[Round]:
    own = staff_region(user=user)
    if own is None:
        raise Forbidden("permission_denied", "仅民政、街道、社区工作人员可以查看评估轮次")
    return Round.objects.filter(_in_or_above(own.code))


def round_counts(qs: QuerySet[Round]) -> QuerySet[Round]:
    """The figures a round's row shows, annotated so a list costs a fixed number of queries."""
    def count(relation: str, **where) -> Subquery:
        model = Candidate if relation == "candidates" else Evaluation
        rows = model.objects.filter(round=OuterRef("pk"), **where).order_by().values("round")
        return Subquery(rows.annotate(n=Count("id")).values("n"), output_field=IntegerField())

    return qs.prefetch_related(Prefetch("templates", queryset=RoundTemplate.objects.select_related("template")
                                        .order_by("kind"))).annotate(
        n_candidates=Coalesce(count("candidates"), 0),
        n_eligible=Coalesce(count("candidates", eligible=True), 0),
        n_evaluations=Coalesce(count("evaluations"), 0),
        n_scored=Coalesce(count("evaluations", status__in=[Evaluation.Status.SCORED, Evaluation.Status.PUBLISHED]), 0),
        n_submitted=Coalesce(count("evaluations", self_submitted_at__isnull=False), 0))


def round_list(*, user: User, params) -> QuerySet[Round]:
    qs = round_counts(_staff_rounds(user=user).select_related("region"))
    if (year := _int_param(params, "year")) is not None:
        qs = qs.filter(year=year)
    if params.get("status") in Round.Status.values:
        qs = qs.filter(status=params["status"])
    return qs


def round_for_viewer(*, user: User, round_id: int) -> Round:
    found = round_counts(_staff_rounds(user=user).select_related("region")).filter(id=round_id).first()
    if found is None:
        raise Http404
    return found


def round_rows_for(*, user: User, rnd: Round, qs: QuerySet, organization: str = "organization") -> QuerySet:
    """Rows of a round that name organizations (candidates with their eligibility
    reasons, expert assignments, appeals): the round's managers see all of them; other
    staff who can see the round (a street's staff in the city's round) only those of
    organizations they govern, as with evaluations themselves."""
    if can_manage_round(user=user, rnd=rnd):
        return qs
    own = staff_region(user=user)
    if own is None:
        return qs.none()
    return qs.filter(**{f"{organization}__region__code__startswith": own.code})


def round_for_manager(*, user: User, round_id: int, lock: bool = False) -> Round:
    """A round ``user`` runs: bureau staff for general rounds, street staff for community
    ones, in their jurisdiction. 404 when the round is not theirs to see at all."""
    found = round_for_viewer(user=user, round_id=round_id)
    if not can_manage_round(user=user, rnd=found):
        raise Forbidden("permission_denied", "只有负责该轮评估的工作人员可以操作")
    if lock:
        found = Round.objects.select_for_update().select_related("region").get(id=round_id)
    return found


def evaluation_capacities(*, user: User, evaluation: Evaluation) -> set[str]:
    """The ways ``user`` relates to an evaluation: manager, staff, org_admin, expert."""
    caps: set[str] = set()
    if not user.is_authenticated:
        return caps
    if can_manage_round(user=user, rnd=evaluation.round):
        caps.add("manager")
    # Staff read the evaluations of organizations they govern, not every one of a
    # city-wide round that happens to cover their street.
    if governs(user=user, region_code=evaluation.organization.region_id):
        caps.add("staff")
    if Membership.objects.filter(user=user, organization_id=evaluation.organization_id,
                                 role=Membership.Role.ADMIN).exists():
        caps.add("org_admin")
    if ExpertAssignment.objects.filter(evaluation=evaluation, expert__user=user, expert__is_active=True).exists():
        caps.add("expert")
    return caps


def evaluation_for_viewer(*, user: User, evaluation_id: int) -> tuple[Evaluation, set[str]]:
    evaluation = (Evaluation.objects.select_related("round__region", "organization__region", "template")
                  .filter(id=evaluation_id).first())
    if evaluation is None:
        raise Http404
    caps = evaluation_capacities(user=user, evaluation=evaluation)
    if not caps:
        raise Http404  # an evaluation is not public: do not confirm that it exists
    return evaluation, caps


def evaluation_for(*, user: User, evaluation_id: int, capacity: str, lock: bool = False) -> Evaluation:
    """An evaluation ``user`` acts on in ``capacity`` (manager, org_admin or expert)."""
    try:
        evaluation, caps = evaluation_for_viewer(user=user, evaluation_id=evaluation_id)
    except Http404:
        # An expert is told plainly that the organization is not theirs to score.
        if (capacity == "expert" and expert_of(user=user) is not None
                and Evaluation.objects.filter(id=evaluation_id).exists()):
            raise Forbidden("not_assigned", "该组织未分配给您评分") from None
        raise
    if capacity not in caps:
        if capacity == "expert" and expert_of(user=user) is not None:
            raise Forbidden("not_assigned", "该组织未分配给您评分")
        raise Forbidden("permission_denied", {
            "manager": "只有负责该轮评估的工作人员可以操作",
            "org_admin": "只有该组织的管理员可以操作",
            "expert": "只有分配到该组织的评估专家可以评分",
        }[capacity])
    if lock:
        evaluation = (Evaluation.objects.select_for_update(of=("self",))
                      .select_related("round__region", "organization__region", "template").get(id=evaluation_id))
    return evaluation


def evaluation_list(*, user: User, params) -> QuerySet[Evaluation]:
    """Evaluations ``user`` may see: staff their jurisdiction's (and their rounds'),
    org admins their organizations', experts their assignments."""
    if not user.is_authenticated:
        raise Forbidden("permission_denied", "请先登录")
    visible = Q(organization__memberships__user=user, organization__memberships__role=Membership.Role.ADMIN)
    visible |= Q(assignments__expert__user=user, assignments__expert__is_active=True)
    own = staff_region(user=user)
    if own is not None:
        visible |= Q(organization__region__code__startswith=own.code)
    ids = Evaluation.objects.filter(visible).values("id")
    qs = (Evaluation.objects.filter(id__in=ids)
          .select_related("round", "organization__region", "template")
          .order_by("-round__year", "round_id", "organization_id"))
    if (round_id := _int_param(params, "round")) is not None:
        qs = qs.filter(round_id=round_id)
    if (organization_id := _int_param(params, "organization")) is not None:
        qs = qs.filter(organization_id=organization_id)
    if params.get("status") in Evaluation.Status.values:
        qs = qs.filter(status=params["status"])
    if params.get("assigned") in ("1", "true"):
        qs = qs.filter(assignments__expert__user=user)
    return qs


def evaluation_detail(*, evaluation: Evaluation) -> Evaluation:
    return (Evaluation.objects.select_related("round__region", "organization__region", "template")
            .prefetch_related(Prefetch("scores", queryset=IndicatorScore.objects.select_related("expert__user")),
                              Prefetch("evidence", queryset=Evidence.objects.order_by("id")),
                              Prefetch("assignments", queryset=ExpertAssignment.objects.select_related("expert__user")))
            .get(id=evaluation.id))


def evidence_for_viewer(*, user: User, evidence_id: int) -> Evidence:
    item = Evidence.objects.select_related("evaluation").filter(id=evidence_id).first()
    if item is None:
        raise Http404
    evaluation_for_viewer(user=user, evaluation_id=item.evaluation_id)
    return item


def template_list(*, params) -> QuerySet[Template]:
    _text_params(params, "kind", "region")
    qs = Template.objects.select_related("region")
    if params.get("current") in ("1", "true"):
        qs = qs.filter(is_current=True)
    if params.get("kind"):
        qs = qs.filter(kind=params["kind"])
    if "region" in params:
        qs = qs.filter(region_id=params["region"] or None)
    return qs.order_by("kind", "region_id", "-version")


def template_for_viewer(*, template_id: int) -> Template:
    found = Template.objects.select_related("region").filter(id=template_id).first()
    if found is None:
        raise Http404
    return found


def template_for_round(*, kind: str, region_code: str) -> Template | None:
    """The current version that applies under ``region_code``: the most specific
    region's own, else the shipped default."""
    candidates = Template.objects.filter(kind=kind, is_current=True).select_related("region")
    best = None
    for template in candidates:
        code = template.region_id or ""
        if region_code.startswith(code) and (best is None or len(code) > len(best.region_id or "")):
            best = template
    return best


def public_grades(*, params, today: date) -> QuerySet[Grade]:
    """Current, valid grades, for everyone; ``organization`` + ``history=1`` gives one
    organization's whole grade history instead."""
    _text_params(params, "region", "grade", "org_type", "search")
    organization_id = _int_param(params, "organization")
    qs = Grade.objects.select_related("organization__region", "round")
    if params.get("history") in ("1", "true") and organization_id is not None:
        return qs.filter(organization_id=organization_id).order_by("-published_at", "-id")
    qs = qs.filter(status=Grade.Status.CURRENT, valid_from__lte=today, valid_until__gte=today)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if params.get("region"):
        qs = qs.filter(organization__region__code__startswith=params["region"])
    if params.get("grade"):
        qs = qs.filter(grade=params["grade"])
    if params.get("org_type"):
        qs = qs.filter(organization__org_type=params["org_type"])
    if params.get("search"):
        qs = qs.filter(organization__name__icontains=params["search"])
    return qs.order_by("-grade", "organization__name")


def appeal_list(*, rnd: Round) -> QuerySet[Appeal]:
    return (Appeal.objects.filter(evaluation__round=rnd)
            .select_related("evaluation__organization", "filed_by", "reviewed_by"))


def appeal_for_manager(*, user: User, appeal_id: int, lock: bool = False) -> Appeal:
    appeal = Appeal.objects.select_related("evaluation__round").filter(id=appeal_id).first()
    if appeal is None:
        raise Http404
    round_for_manager(user=user, round_id=appeal.evaluation.round_id)
    if lock:
        appeal = Appeal.objects.select_for_update(of=("self",)).select_related(
            "evaluation__round", "evaluation__template", "evaluation__organization").get(id=appeal_id)
    return appeal


def expert_list(*, user: User) -> QuerySet[Expert]:
    own = staff_region(user=user)
    if own is None:
        raise Forbidden("permission_denied", "仅工作人员可以查看评估专家")
    return (Expert.objects.filter(_in_or_above(own.code))
            .select_related("user", "region"))
