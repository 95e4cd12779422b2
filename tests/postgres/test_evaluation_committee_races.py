"""The committee decides while an expert is still scoring (PostgreSQL, committed data).

The committee's decision freezes the scores it approved. A score written while the
committee decides must either land before the committee reads the scores or be
refused; it must never change a total the committee has already approved."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from config.exceptions import Conflict
from evaluation.default_templates import default_templates_load
from evaluation.models import CommitteeDecision, Evaluation, IndicatorScore, Round, Template
from evaluation.services.grading import committee_record
from evaluation.services.scoring import expert_scores_save
from tests.api.test_evaluation_grading import VOTE, scored_round
from tests.api.test_evaluation_setup import Cast, evaluation_of
from tests.postgres.conftest import Outcome

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module", autouse=True)
def _defaults_back_after_flush(django_db_blocker):
    """Transactional tests flush every table: put back the shipped templates for the
    test modules that run after this one."""
    yield
    with django_db_blocker.unblock():
        default_templates_load(Template)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def test_an_expert_score_sent_while_the_committee_decides_is_refused_not_slipped_in():
    cast = Cast()
    rnd = scored_round(cast)
    evaluation = evaluation_of(rnd["id"], cast.org)
    code = evaluation.scores.filter(method=IndicatorScore.Method.MANUAL).values_list("code", flat=True).first()
    total = evaluation.total
    row = Round.objects.get(id=rnd["id"])
    decided, release = threading.Event(), threading.Event()
    committee, expert = Outcome(), Outcome()

    def decide() -> None:
        try:
            # The committee's transaction stays open until the expert is waiting.
            with transaction.atomic():
                committee.value = committee_record(user=cast.bureau, rnd=row, **VOTE)
                decided.set()
                release.wait(30)
        except BaseException as exc:
            committee.error = exc
        finally:
            decided.set()
            connections.close_all()

    def score() -> None:
        try:
            expert.value = expert_scores_save(user=cast.expert_user, evaluation_id=evaluation.id, scores=[
                {"indicator": code, "score": Decimal("0"), "comment": "复查后扣分"}])
        except BaseException as exc:
            expert.error = exc
        finally:
            connections.close_all()

    committee_thread = threading.Thread(target=decide)
    committee_thread.start()
    assert decided.wait(30)
    expert_thread = threading.Thread(target=score)
    expert_thread.start()
    # Let the committee commit only once the expert waits on a row it holds (or, if the
    # expert is not made to wait, once it has finished: the assertions below then fail).
    deadline = time.monotonic() + 30
    while expert_thread.is_alive() and not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    committee_thread.join(60)
    expert_thread.join(60)

    assert committee.error is None and committee.value.approved
    assert isinstance(expert.error, Conflict) and expert.error.code == "evaluation_final", expert
    assert Evaluation.objects.get(id=evaluation.id).total == total
    assert CommitteeDecision.objects.get().approved
    assert IndicatorScore.objects.get(evaluation=evaluation, code=code).expert_comment != "复查后扣分"
