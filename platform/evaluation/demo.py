"""Demo data for the evaluation: registry facts that make eligibility interesting
(founding dates, last year's inspections, party building) and an evaluation expert,
so the bureau can run a whole round on the demo city. Idempotent: only fills what is
empty, and never touches organizations other than the named demo ones."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from accounts.models import Region, User
from evaluation.models import Expert
from organizations.charter_template import charter_template
from organizations.models import Inspection, Organization
from organizations.services.charter import charter_version_add

EXPERT_PHONE = "13800000005"

# name: (founded_on, inspection results of the last two years (older first), party building)
FACTS = {
    # Eligible: registered in 2019, qualified last year, a standalone party branch.
    "濮阳市春晖社会工作服务中心": (date(2019, 3, 15), ("qualified", "qualified"), "standalone"),
    "濮阳市志愿者协会": (date(2015, 6, 1), ("qualified", "qualified"), "joint"),
    # Not eligible: founded last year.
    "华龙区老年人协会": (None, ("qualified", "qualified"), "none"),
    # Excluded: "basically qualified" two years running.
    "濮阳市慈善基金会": (date(2012, 9, 9), ("basically_qualified", "basically_qualified"), "instructor"),
    # Community organizations of 中原路街道, evaluated in the street's round.
    "京东社区邻里互助会": (date(2021, 4, 1), None, "joint"),
    "玉北社区文体队": (date(2022, 8, 1), None, "none"),
}


def evaluation_demo_seed(*, password_hash: str) -> Expert:
    today = timezone.localdate()
    for name, (founded, inspections, party) in FACTS.items():
        org = Organization.objects.filter(name=name).first()
        if org is None:
            continue
        changed = []
        if org.founded_on is None:
            org.founded_on = founded or today.replace(year=today.year - 1)
            changed.append("founded_on")
        if org.party_building == Organization.PartyBuilding.NONE and party != "none":
            org.party_building = party
            changed.append("party_building")
            if party == Organization.PartyBuilding.INSTRUCTOR and not org.party_instructor_name:
                org.party_instructor_name = "李指导员"
                changed.append("party_instructor_name")
        if changed:
            org.save(update_fields=changed)
        if party != "none" and org.charter_version == 0:
            # A real charter from the model text (it carries the party-building clause), so the
            # record's charter page and its "含党建条款" flag tell the same story.
            charter_version_add(organization=org, actor=None, note="演示数据：章程示范文本",
                                sections=charter_template(name=org.name, org_type=org.org_type))
        for offset, result in zip((2, 1), inspections or (), strict=False):
            Inspection.objects.get_or_create(organization=org, year=today.year - offset,
                                             defaults={"result": result, "note": "演示数据"})
    user, created = User.objects.get_or_create(phone=EXPERT_PHONE, defaults={"name": "陈专家",
                                                                             "password": password_hash})
    if created:
        user.volunteer_number = f"4109{user.id:08d}"
        user.save(update_fields=["volunteer_number"])
    expert, _ = Expert.objects.get_or_create(user=user, defaults={
        "region": Region.objects.get(code="4109"), "title": "濮阳职业技术学院 社会工作专业副教授"})
    return expert
