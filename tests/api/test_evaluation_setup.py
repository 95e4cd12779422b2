"""Shared set-up of the evaluation tests (no tests here): the cast of every role, an
organization that qualifies, a round opened through the API, metrics by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import StaffRole
from evaluation.default_templates import default_templates_load
from evaluation.models import Evaluation, Expert, IndicatorScore, Round, Template
from organizations.models import Inspection, Membership, Organization
from tests.conftest import as_user
from tests.factories import (
    CITY,
    COMMUNITY,
    OTHER_STREET,
    STREET,
    OrganizationFactory,
    StaffFactory,
    UserFactory,
    region,
)
from volunteers.models import OrganizationMetric

YEAR = 2026
CUTOFF = date(2025, 12, 31)


def qualified_org(**fields) -> Organization:
    """A registered 民非 founded in 2020 with last year's inspection qualified."""
    defaults = dict(org_type=Organization.Type.NON_ENTERPRISE, founded_on=date(2020, 1, 1),
                    party_building=Organization.PartyBuilding.STANDALONE, charter_has_party_clause=True,
                    individual_members=10)
    org = OrganizationFactory(**{**defaults, **fields})
    Inspection.objects.create(organization=org, year=YEAR - 1, result=Inspection.Result.QUALIFIED)
    return org


class Cast:
    def __init__(self) -> None:
        # A transactional test elsewhere may have flushed the migration's defaults.
        default_templates_load(Template)
        self.bureau = StaffFactory(name="周民政")
        self.street = StaffFactory(name="吴街道", staff_role=StaffRole.STREET, region=region(STREET))
        self.other_street = StaffFactory(name="胜街道", staff_role=StaffRole.STREET, region=region(OTHER_STREET))
        self.community = StaffFactory(name="郑社区", staff_role=StaffRole.COMMUNITY, region=region(COMMUNITY))
        self.org = qualified_org(name="春晖社会工作服务中心")
        self.org_admin = UserFactory(name="冯组织")
        Membership.objects.create(user=self.org_admin, organization=self.org, role=Membership.Role.ADMIN)
        self.other_org = qualified_org(name="另一家服务中心")
        self.other_admin = UserFactory(name="另一管理员")
        Membership.objects.create(user=self.other_admin, organization=self.other_org, role=Membership.Role.ADMIN)
        expert_user = UserFactory(name="陈专家")
        self.expert = Expert.objects.create(user=expert_user, region=region(CITY), title="濮阳职业技术学院 副教授")
        self.expert_user = expert_user
        other = UserFactory(name="刘专家")
        self.other_expert = Expert.objects.create(user=other, region=region(CITY))
        self.other_expert_user = other
        self.resident = UserFactory(name="居民")

    def client(self, who: str):
        return as_user(getattr(self, who))


def open_round(cast: Cast, **overrides) -> dict:
    body = {"year": YEAR, "region": CITY, "scope": "general", "cutoff_date": CUTOFF.isoformat(),
            "self_assessment_deadline": (timezone.localdate() + timedelta(days=10)).isoformat(), **overrides}
    response = cast.client("bureau").post("/api/v1/evaluation-rounds/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def evaluation_of(round_id: int, org: Organization) -> Evaluation:
    return Evaluation.objects.get(round_id=round_id, organization=org)


def metric(org: Organization, period: date, **values) -> OrganizationMetric:
    return OrganizationMetric.objects.create(organization=org, period=period, **values)


def manual_codes(evaluation: Evaluation) -> dict[str, Decimal]:
    return dict(evaluation.scores.filter(method=IndicatorScore.Method.MANUAL).values_list("code", "points"))


def score_all_manual(cast: Cast, evaluation: Evaluation, expert: str = "expert_user",
                     overrides: dict[str, str] | None = None) -> dict:
    """Assign ``expert`` and give every manual indicator full points (or ``overrides``)."""
    expert_row = Expert.objects.get(user=getattr(cast, expert))
    assign = cast.client("bureau").post(f"/api/v1/evaluation-rounds/{evaluation.round_id}/assignments/",
                                        {"expert": expert_row.id, "evaluations": [evaluation.id]}, format="json")
    assert assign.status_code == 201, assign.content
    scores = [{"indicator": code, "score": str((overrides or {}).get(code, points)), "comment": "材料齐全，符合要求"}
              for code, points in manual_codes(evaluation).items()]
    response = cast.client(expert).post(f"/api/v1/evaluations/{evaluation.id}/expert-scores/",
                                        {"scores": scores}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def compute(cast: Cast, evaluation: Evaluation) -> dict:
    response = cast.client("bureau").post(f"/api/v1/evaluations/{evaluation.id}/compute/")
    assert response.status_code == 200, response.content
    return response.json()


def round_row(round_id: int) -> Round:
    return Round.objects.get(id=round_id)
