"""Rollup writers racing on PostgreSQL: tasks for the same volunteers and regions, some
replayed, some correcting a record, all at once. The advisory lock serializes them, so
the distinct volunteer counts and the sums end exactly equal to the raw records."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard import rollups
from dashboard.models import RegionPeriod
from tests.factories import COMMUNITY, OrganizationFactory, ProjectFactory, ShiftFactory, region
from tests.postgres.conftest import make_volunteers, run_together
from volunteers.models import ServiceRecord

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _records(volunteers, projects) -> list[ServiceRecord]:
    now = timezone.now()
    out = []
    for i, volunteer in enumerate(volunteers):
        for j, project in enumerate(projects):
            start = timezone.make_aware(datetime(2026, 3, 1 + (i + j) % 27, 9))
            shift = ShiftFactory(project=project, starts_at=start, ends_at=start + timedelta(hours=3), capacity=50)
            out.append(ServiceRecord.objects.create(
                volunteer=volunteer, shift=shift, project=project, organization=project.organization,
                started_at=start, ended_at=start + timedelta(hours=2), hours=Decimal("2.00"), status="approved",
                reviewed_by=project.owner, reviewed_at=now, notice_ends_at=now, finalized_at=now))
    return out


def test_concurrent_applies_replays_and_corrections_end_exactly_at_the_raw_totals():
    org = OrganizationFactory()
    projects = [ProjectFactory(organization=org, region=region(COMMUNITY)),
                ProjectFactory(organization=org, region=region("410902001002")),
                ProjectFactory(organization=org, region=region("410902002"))]
    records = _records(make_volunteers(12), projects)
    ids = [r.id for r in records]
    # Every record applied by three tasks at once (the hook, a replay, the sweep), in
    # overlapping batches that share volunteers and regions.
    batches = [ids[i::4] for i in range(4)] * 3
    corrected = records[:5]
    ServiceRecord.objects.filter(id__in=[r.id for r in corrected]).update(status="superseded")
    batches.append([r.id for r in corrected])
    outcomes = run_together(lambda batch: rollups.facts_apply(record_ids=batch), [(b,) for b in batches])
    assert [o.error for o in outcomes if o.error is not None] == []
    assert rollups.rollups_compare() == []
    street = RegionPeriod.objects.get(region_code="410902001", kind="m", start=datetime(2026, 3, 1).date())
    counting = ServiceRecord.objects.filter(status="approved", project__region__code__startswith="410902001")
    assert street.records == counting.count()
    assert street.volunteers == counting.values("volunteer_id").distinct().count()
