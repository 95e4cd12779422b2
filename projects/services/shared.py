"""What the service modules share: limits, the time format of notifications, and the
two building blocks of the lock order (see ``projects.services``): ``lock_shift`` and the
overlap query."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils import timezone

from projects.models import ServiceProject, Shift, Signup

MAX_SHIFT_HOURS = 24


MAX_CAPACITY = 10_000


def fmt_when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def lock_shift(shift_id: int) -> Shift:
    """Lock the shift row only. Its project is read by a second statement *after* the lock
    is held: in READ COMMITTED a row joined into the locking statement keeps that
    statement's snapshot, so a project cancelled by the transaction we waited for would
    still read as published (project_cancel holds the shifts until it commits)."""
    shift = Shift.objects.select_for_update().filter(id=shift_id).first()
    if shift is None:
        raise Http404
    shift.project = ServiceProject.objects.get(id=shift.project_id)
    return shift


def overlapping_confirmed(*, volunteer_ids, shift: Shift):
    return Signup.objects.filter(
        volunteer_id__in=volunteer_ids, status=Signup.Status.CONFIRMED,
        shift__starts_at__lt=shift.ends_at, shift__ends_at__gt=shift.starts_at,
    ).exclude(shift_id=shift.id)
