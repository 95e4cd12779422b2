"""Check-in and check-out with the rotating code scanned on site."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from projects.checkin import checkin_code_verify
from projects.models import Attendance, Shift, Signup


def attendance_check_in(*, volunteer: User, code: str, lat: Decimal | None = None,
                        lng: Decimal | None = None) -> Attendance:
    """Check in with the code scanned on site. Only a confirmed sign-up of that shift
    counts, and only from shortly before the start until the end."""
    from dashboard.live import live_checkin

    shift_id = checkin_code_verify(code=code)
    now = timezone.now()
    with transaction.atomic():
        # The documented lock order (volunteer, shift, sign-up): the attendance row's
        # foreign keys take share locks on both, which would otherwise invert it.
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        if Shift.objects.select_for_update().filter(id=shift_id).first() is None:
            raise Forbidden("not_signed_up", "您没有该班次的有效报名，不能签到")
        signup = (Signup.objects.select_for_update(of=("self",)).select_related("shift")
                  .filter(shift_id=shift_id, volunteer=volunteer, status=Signup.Status.CONFIRMED)
                  .first())
        if signup is None:
            raise Forbidden("not_signed_up", "您没有该班次的有效报名，不能签到")
        shift = signup.shift
        if now < shift.starts_at - timedelta(minutes=settings.CHECKIN_OPENS_BEFORE_MINUTES):
            raise DomainError("checkin_not_open", "还未到签到时间", status_code=409)
        if now > shift.ends_at:
            raise DomainError("checkin_closed", "班次已结束，不能签到", status_code=409)
        if Attendance.objects.filter(signup=signup).exists():
            raise Conflict("already_checked_in", "您已签到")
        attendance = Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer,
                                               checked_in_at=now, check_in_lat=lat, check_in_lng=lng)
        live_checkin(attendance_id=attendance.id)  # the dashboard's live counter, after commit
        return attendance


def attendance_check_out(*, volunteer: User, code: str) -> Attendance:
    """Check out; after commit a task turns the attendance into a service record."""
    from dashboard.live import live_checkout
    from volunteers.tasks import service_record_from_attendance

    shift_id = checkin_code_verify(code=code)
    now = timezone.now()
    with transaction.atomic():
        attendance = (Attendance.objects.select_for_update(of=("self",)).select_related("shift", "signup")
                      .filter(shift_id=shift_id, volunteer=volunteer).first())
        if attendance is None:
            if not Signup.objects.filter(shift_id=shift_id, volunteer=volunteer,
                                         status=Signup.Status.CONFIRMED).exists():
                raise Forbidden("not_signed_up", "您没有该班次的有效报名")
            raise DomainError("not_checked_in", "您还没有签到", status_code=409)
        if attendance.checked_out_at is not None:
            raise Conflict("already_checked_out", "您已签退")
        if attendance.signup.status != Signup.Status.CONFIRMED:  # e.g. the project was cancelled
            raise Conflict("signup_not_confirmed", "该报名已不再有效，不能签退计时")
        closes = attendance.shift.ends_at + timedelta(minutes=settings.CHECKOUT_CLOSES_AFTER_MINUTES)
        if now > closes:
            raise DomainError("checkout_closed", "已超过签退时间，请联系社工补录", status_code=409)
        attendance.checked_out_at = now
        attendance.save(update_fields=["checked_out_at"])
        service_record_from_attendance.delay_on_commit(attendance.id)
        live_checkout(attendance_id=attendance.id)
    return attendance
