"""Races on PostgreSQL with committed data: a round is published once, template versions
never share a number, an appeal is reviewed once. Skipped on SQLite (no row locks)."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings

from accounts.regions import regions_import
from config.exceptions import Conflict
from evaluation.default_templates import default_templates_load
from evaluation.models import Appeal, Grade, Round, Template
from evaluation.selectors import appeal_for_manager
from evaluation.services.grading import appeal_review, round_publish
from evaluation.services.templates import template_create_version
from tests.api.test_evaluation_grading import VOTE, appeal, scored_round
from tests.api.test_evaluation_setup import Cast, evaluation_of
from tests.factories import CITY, region
from tests.postgres.conftest import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs PostgreSQL (row locks, real concurrency)"),
]


@pytest.fixture(scope="module", autouse=True)
def _defaults_back_after_flush(django_db_blocker):
    """Transactional tests flush every table: put back the regions and the shipped
    templates for the test modules that run after this one."""
    yield
    with django_db_blocker.unblock():
        regions_import(city_code="4109")
        default_templates_load(Template)


@pytest.fixture
def cast(transactional_db) -> Cast:
    regions_import(city_code="4109")
    return Cast()


def test_ten_simultaneous_publishes_grade_each_organization_once(cast):
    rnd = scored_round(cast)
    cast.client("bureau").post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, format="json")
    row = Round.objects.get(id=rnd["id"])
    outcomes = run_together(lambda: round_publish(user=cast.bureau, rnd=row), [()] * 10)
    assert len([o for o in outcomes if o.error is None]) == 1
    assert all(isinstance(o.error, Conflict) and o.error.code == "already_published"
               for o in outcomes if o.error is not None), outcomes
    assert Grade.objects.count() == 2 and Grade.objects.filter(status=Grade.Status.CURRENT).count() == 2


def test_simultaneous_template_edits_never_share_a_version(cast):
    base = Template.objects.get(kind="community", region__isnull=True)
    city = region(CITY)
    outcomes = run_together(
        lambda n: template_create_version(user=cast.bureau, kind="community", region=city, name=f"修订{n}",
                                          total_points=1000, grade_bands=base.grade_bands,
                                          tree=copy.deepcopy(base.tree)), [(n,) for n in range(8)])
    saved = [o.value for o in outcomes if o.error is None]
    assert saved and all(isinstance(o.error, Conflict) for o in outcomes if o.error is not None), outcomes
    versions = list(Template.objects.filter(region=city).values_list("version", flat=True))
    assert sorted(versions) == list(range(1, len(saved) + 1))
    assert Template.objects.filter(region=city, is_current=True).count() == 1


def test_an_appeal_is_reviewed_once_when_two_reviewers_race(cast):
    rnd = scored_round(cast)
    client = cast.client("bureau")
    client.post(f"/api/v1/evaluation-rounds/{rnd['id']}/committee/", VOTE, format="json")
    client.post(f"/api/v1/evaluation-rounds/{rnd['id']}/publish/")
    appeal_id = appeal(cast, evaluation_of(rnd["id"], cast.org)).json()["id"]

    def review(score: str):
        from django.db import transaction

        with transaction.atomic():
            locked = appeal_for_manager(user=cast.bureau, appeal_id=appeal_id, lock=True)
            return appeal_review(user=cast.bureau, appeal=locked, decision="regraded", note="复核",
                                 changes=[{"indicator": "gov.finance", "score": score, "comment": ""}])

    from decimal import Decimal
    outcomes = run_together(review, [(Decimal("10"),), (Decimal("20"),)])
    assert len([o for o in outcomes if o.error is None]) == 1
    assert [o.error.code for o in outcomes if o.error is not None] == ["appeal_reviewed"]
    assert Appeal.objects.get(id=appeal_id).status == Appeal.Status.REGRADED
    assert Grade.objects.filter(organization=cast.org, status=Grade.Status.CURRENT).count() == 1
