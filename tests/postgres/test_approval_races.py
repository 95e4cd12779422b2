"""Accepting pending sign-ups, and cancelling a project, while others race (PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from config.exceptions import Conflict
from projects.models import ServiceProject, Shift, Signup
from projects.services.projects import project_cancel
from projects.services.signups import signup_accept, signup_create
from tests.factories import ShiftFactory
from tests.postgres.conftest import make_volunteers, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pending(shift: Shift, volunteers) -> list[Signup]:
    now = timezone.now()
    Signup.objects.bulk_create([Signup(shift=shift, volunteer=v, status=Signup.Status.PENDING, created_at=now)
                                for v in volunteers])
    return list(Signup.objects.filter(shift=shift, status=Signup.Status.PENDING).order_by("id"))


@pytest.mark.parametrize("already_confirmed", [9, 0], ids=["one-seat-left", "ten-seats-free"])
def test_many_accepts_at_once_never_overbook(already_confirmed):
    shift = ShiftFactory(capacity=10, project__requires_approval=True)
    now = timezone.now()
    Signup.objects.bulk_create([Signup(shift=shift, volunteer=v, status=Signup.Status.CONFIRMED,
                                       created_at=now, confirmed_at=now)
                                for v in make_volunteers(already_confirmed, prefix="136")])
    Shift.objects.filter(id=shift.id).update(confirmed_count=already_confirmed)
    pending = _pending(shift, make_volunteers(40))
    owner = shift.project.owner

    outcomes = run_together(lambda s: signup_accept(user=owner, signup=s), [(s,) for s in pending])

    errors = [o.error for o in outcomes if o.error is not None]
    free = 10 - already_confirmed
    assert len(errors) == 40 - free
    assert all(isinstance(e, Conflict) and e.code == "shift_full" for e in errors), errors
    shift.refresh_from_db()
    statuses = Counter(Signup.objects.filter(shift=shift).values_list("status", flat=True))
    assert statuses == {"confirmed": 10, "pending": 40 - free}
    assert shift.confirmed_count == 10 == shift.capacity


def test_cancelling_a_project_while_volunteers_sign_up_leaves_no_active_sign_up():
    shift = ShiftFactory(capacity=5)
    ShiftFactory(project=shift.project, capacity=5, starts_at=shift.starts_at + timedelta(days=1))
    volunteers = make_volunteers(30)
    project = shift.project

    def act(kind, arg):
        if kind == "cancel":
            return project_cancel(project=ServiceProject.objects.get(id=project.id), reason="暴雨预警")
        return signup_create(volunteer=arg, shift_id=shift.id)

    calls = [("join", v) for v in volunteers[:15]] + [("cancel", None)] + [("join", v) for v in volunteers[15:]]
    outcomes = run_together(act, calls)

    errors = [o.error for o in outcomes if o.error is not None]
    # Sign-ups after the cancellation are refused; nothing else fails (no deadlock, no 5xx).
    assert all(getattr(e, "code", None) == "project_not_published" for e in errors), errors
    assert not Signup.objects.filter(shift__project=project, status__in=Signup.ACTIVE).exists()
    assert set(Shift.objects.filter(project=project).values_list("confirmed_count", "waitlisted_count")) == {(0, 0)}
