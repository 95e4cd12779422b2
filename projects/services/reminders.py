"""Beat-task work: no-shows, reminders 24 h and 2 h ahead, short-shift notices. Each
effect is guarded by a compare-and-set flag, so a task run twice sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.services import notification_send
from projects.models import ServiceProject, Shift, Signup
from projects.services.shared import fmt_when

NO_SHOW_GRACE = timedelta(minutes=30)


# The nearer reminder first: a shift already within two hours gets only that one.
REMINDERS = (("reminded_2h_at", timedelta(hours=2), "两小时后"), ("reminded_24h_at", timedelta(hours=24), "明天"))


def signups_mark_no_shows(*, now: datetime | None = None) -> int:
    """Mark confirmed volunteers of ended shifts who never checked in. One conditional
    UPDATE: running it again marks nobody twice."""
    now = now or timezone.now()
    return (Signup.objects.filter(status=Signup.Status.CONFIRMED, no_show_at__isnull=True,
                                  shift__ends_at__lte=now - NO_SHOW_GRACE, attendance__isnull=True)
            .update(no_show_at=now))


def shift_reminders_send(*, now: datetime | None = None) -> int:
    """Remind confirmed volunteers 24 hours and 2 hours before their shift, once each.

    The flag is set by compare-and-set in the same transaction as the notification, so a
    restarted beat or a task run twice cannot send a reminder again."""
    now = now or timezone.now()
    sent = 0
    for flag, ahead, when in REMINDERS:
        due = (Signup.objects.filter(status=Signup.Status.CONFIRMED, shift__starts_at__gt=now,
                                     shift__starts_at__lte=now + ahead, **{f"{flag}__isnull": True})
               .select_related("shift__project").order_by("id")[:1000])
        for signup in due:
            with transaction.atomic():
                if not Signup.objects.filter(id=signup.id, **{f"{flag}__isnull": True}).update(**{flag: now}):
                    continue
                # A 2-hour reminder makes the 24-hour one pointless: never send both late.
                if flag == "reminded_2h_at":
                    Signup.objects.filter(id=signup.id, reminded_24h_at__isnull=True).update(reminded_24h_at=now)
                shift = signup.shift
                notification_send(
                    recipient_id=signup.volunteer_id, kind="shift_reminder", title="服务提醒",
                    body=f"您报名的「{shift.project.title}」将于{when}（{fmt_when(shift.starts_at)}）开始，"
                         f"地点：{shift.project.address or '见项目详情'}。",
                    data={"signup_id": signup.id, "shift_id": shift.id, "project_id": shift.project_id})
                sent += 1
    return sent


def shifts_short_notify(*, now: datetime | None = None) -> int:
    """Tell the project's social worker, once, about a shift starting within a day that
    still has free seats, with a link to the shift's matching page."""
    now = now or timezone.now()
    sent = 0
    due = (Shift.objects.filter(starts_at__gt=now, starts_at__lte=now + timedelta(hours=24),
                                short_notice_sent_at__isnull=True, confirmed_count__lt=F("capacity"),
                                project__status=ServiceProject.Status.PUBLISHED)
           .select_related("project").order_by("id")[:1000])
    for shift in due:
        with transaction.atomic():
            if not Shift.objects.filter(id=shift.id, short_notice_sent_at__isnull=True).update(
                    short_notice_sent_at=now):
                continue
            notification_send(
                recipient_id=shift.project.owner_id, kind="shift_short", title="班次人数不足",
                body=f"「{shift.project.title}」{fmt_when(shift.starts_at)} 的班次还差 "
                     f"{shift.capacity - shift.confirmed_count} 人（{shift.confirmed_count}/{shift.capacity}）。",
                # ``url``: the console page where the social worker finds and invites
                # matched volunteers for this shift, opened from the notice in one click.
                data={"shift_id": shift.id, "project_id": shift.project_id,
                      "missing": shift.capacity - shift.confirmed_count,
                      "url": f"/console/shifts/{shift.id}/matches"})
            sent += 1
    return sent
