"""Needs moved by several people at once (PostgreSQL): exactly one change lands, with
exactly one event and one notification."""

from __future__ import annotations

import pytest

from accounts.models import StaffRole
from config.exceptions import Conflict
from notifications.models import Notification
from organizations.models import Membership
from projects.models import Need, NeedEvent, ServiceFeedback
from projects.needs import need_accept, need_link_project, need_reject
from tests.factories import COMMUNITY, STREET, OrganizationFactory, ProjectFactory, UserFactory, region
from tests.postgres.conftest import make_volunteers, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _need(status=Need.Status.SUBMITTED) -> Need:
    return Need.objects.create(reporter=UserFactory(), region=region(COMMUNITY), category="elderly_care",
                               description="并发", status=status)


def _community_staff(count: int, prefix: str):
    staff = make_volunteers(count, prefix=prefix)
    User = type(staff[0])
    User.objects.filter(id__in=[s.id for s in staff]).update(staff_role=StaffRole.COMMUNITY, region_id=COMMUNITY)
    return list(User.objects.filter(id__in=[s.id for s in staff]).order_by("id"))


def test_staff_accepting_one_need_at_once_accept_it_once():
    need = _need()
    outcomes = run_together(lambda user: need_accept(user=user, need=need), [(u,) for u in _community_staff(20, "135")])
    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 19 and all(isinstance(e, Conflict) and e.code == "not_submitted" for e in errors), errors
    need.refresh_from_db()
    assert need.status == "triaged"
    assert NeedEvent.objects.filter(need=need).count() == 1
    assert Notification.objects.filter(recipient=need.reporter).count() == 1


def test_accepts_and_rejects_at_once_leave_a_consistent_trail():
    """Rejecting an accepted need is allowed, so accept-then-reject may both land; but
    every change that landed has exactly one event, in order, and nothing else does."""
    need = _need()

    def decide(user, index):
        if index % 2:
            return need_reject(user=user, need=need, reason="重复提交")
        return need_accept(user=user, need=need)

    outcomes = run_together(decide, [(u, i) for i, u in enumerate(_community_staff(20, "133"))])
    landed = [o.value for o in outcomes if o.error is None]
    assert all(isinstance(o.error, Conflict) for o in outcomes if o.error is not None)
    trail = list(NeedEvent.objects.filter(need=need).order_by("id").values_list("from_status", "to_status"))
    assert len(trail) == len(landed) >= 1
    assert trail in ([("submitted", "triaged")], [("submitted", "rejected")],
                     [("submitted", "triaged"), ("triaged", "rejected")])
    need.refresh_from_db()
    assert need.status == trail[-1][1]
    assert Notification.objects.filter(recipient=need.reporter).count() == len(landed)


def test_social_workers_linking_one_need_at_once_link_it_once():
    need = _need(Need.Status.TRIAGED)
    org = OrganizationFactory(region=region(STREET))
    workers = make_volunteers(10, prefix="134")
    Membership.objects.bulk_create([Membership(user=w, organization=org, role=Membership.Role.SOCIAL_WORKER)
                                    for w in workers])
    projects = [ProjectFactory(organization=org, owner=w) for w in workers]

    outcomes = run_together(lambda w, p: need_link_project(user=w, need=need, project_id=p.id),
                            list(zip(workers, projects, strict=True)))
    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 9 and all(isinstance(e, Conflict) and e.code == "not_triaged" for e in errors), errors
    need.refresh_from_db()
    assert need.status == "in_progress" and need.project_id in {p.id for p in projects}
    assert NeedEvent.objects.filter(need=need).count() == 1


def test_one_volunteer_rating_a_shift_twice_at_once_is_stored_once():
    from datetime import timedelta

    from django.utils import timezone

    from projects.feedback import activity_feedback_create
    from projects.models import ActivityFeedback, Attendance, Signup
    from tests.factories import ShiftFactory

    starts = timezone.now() - timedelta(hours=5)
    shift = ShiftFactory(starts_at=starts, ends_at=starts + timedelta(hours=2))
    volunteer = UserFactory()
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer, checked_in_at=starts)

    outcomes = run_together(lambda r: activity_feedback_create(volunteer=volunteer, shift_id=shift.id, rating=r),
                            [(r,) for r in (1, 2, 3, 4, 5, 5, 4, 3)])
    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 7 and all(isinstance(e, Conflict) and e.code == "already_rated" for e in errors), errors
    assert ActivityFeedback.objects.filter(shift=shift).count() == 1
    assert ServiceFeedback.objects.count() == 0
