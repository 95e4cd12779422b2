"""Real-name verification under concurrency (PostgreSQL): one account per ID number, and
one verification per account, whoever comes first."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import RealName
from accounts.services import real_name_verify
from config.exceptions import Conflict
from tests.api.test_real_name import id_number_for
from tests.postgres.conftest import make_volunteers, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_many_accounts_racing_for_one_number_leave_exactly_one_owner():
    number = id_number_for(date(1990, 5, 17))
    volunteers = make_volunteers(20)

    outcomes = run_together(lambda v: real_name_verify(user=v, name="张三", id_number=number),
                            [(v,) for v in volunteers])

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 19, errors
    assert all(isinstance(e, Conflict) and e.code == "id_number_taken" for e in errors), errors
    assert RealName.objects.count() == 1


def test_one_account_submitting_many_numbers_at_once_keeps_one():
    (volunteer,) = make_volunteers(1, prefix="135")
    numbers = [id_number_for(date(1990, 5, 17), sequence=f"{i:03d}") for i in range(10)]

    outcomes = run_together(lambda n: real_name_verify(user=volunteer, name="张三", id_number=n),
                            [(n,) for n in numbers])

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 9, errors
    assert all(isinstance(e, Conflict) and e.code == "real_name_already_verified" for e in errors), errors
    assert RealName.objects.filter(user=volunteer).count() == 1
