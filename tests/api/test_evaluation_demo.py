"""A round can be run on the demo data: eligibility of the demo organizations, the demo
expert, and the street's community round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from evaluation.default_templates import default_templates_load
from evaluation.models import Template
from tests.conftest import as_user

pytestmark = pytest.mark.django_db


def test_the_demo_data_supports_a_round(db):
    default_templates_load(Template)  # in case a transactional test flushed the migration's rows
    call_command("seed_demo", volunteers=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", volunteers=3, stdout=open("/dev/null", "w"))  # noqa: SIM115  (idempotent)
    today = timezone.localdate()
    cutoff = today.replace(day=1) - timedelta(days=1)
    bureau = as_user(User.objects.get(phone="13800000000"))
    body = {"year": today.year, "region": "4109", "cutoff_date": cutoff.isoformat(),
            "self_assessment_deadline": (today + timedelta(days=14)).isoformat()}
    response = bureau.post("/api/v1/evaluation-rounds/", body, format="json")
    assert response.status_code == 201, response.content
    rows = bureau.get(f"/api/v1/evaluation-rounds/{response.json()['id']}/eligibility/").json()["results"]
    eligible = {r["organization_name"] for r in rows if r["eligible"]}
    assert eligible == {"濮阳市春晖社会工作服务中心", "濮阳市志愿者协会"}
    failed = {r["organization_name"]: {x["code"] for x in r["reasons"] if not x["passed"]} for r in rows}
    assert failed["华龙区老年人协会"] == {"years"}
    assert failed["濮阳市慈善基金会"] == {"basically_qualified_twice"}
    expert = as_user(User.objects.get(phone="13800000005"))
    assert "expert" in expert.get("/api/v1/me/").json()["roles"]
    street = as_user(User.objects.get(phone="13800000001"))
    community = street.post("/api/v1/evaluation-rounds/", {**body, "region": "410902001", "scope": "community"},
                            format="json")
    assert community.status_code == 201, community.content
    names = {e["organization_name"] for e in street.get("/api/v1/evaluations/",
                                                          {"round": community.json()["id"]}).json()["results"]}
    assert names == {"京东社区邻里互助会", "玉北社区文体队"}
