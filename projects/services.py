"""Writes for projects, shifts, sign-ups and attendance.

Locking: to avoid deadlocks the lock order is always the volunteer's user row, then the
shift row, then the sign-up rows it touches. The user lock serialises one volunteer's
sign-ups (so two overlapping shifts cannot both be confirmed); the shift lock serialises
the seats. Promotion from a waitlist needs another volunteer's user row while holding a
shift: it takes it with SKIP LOCKED, never waiting, so it cannot close a cycle. On SQLite
``select_for_update`` is a no-op, but transactions begin IMMEDIATE (settings), which
serialises writers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from organizations.models import Membership, Organization
from projects.checkin import checkin_code_verify
from projects.models import Attendance, ServiceProject, Shift, Signup

MAX_SHIFT_HOURS = 24
MAX_CAPACITY = 10_000


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def project_create(*, user: User, organization: Organization, title: str, region: Region,
                   description: str = "", address: str = "", lat: Decimal | None = None,
                   lng: Decimal | None = None, skills: list[str] | None = None,
                   targets: list[str] | None = None) -> ServiceProject:
    """A social worker of ``organization`` drafts a project that they will lead."""
    if not Membership.objects.filter(user=user, organization=organization,
                                     role=Membership.Role.SOCIAL_WORKER).exists():
        raise Forbidden("not_social_worker", "只有该组织的社工可以发布服务项目",
                        fields={"organization": ["您不是该组织的社工"]})
    return ServiceProject.objects.create(
        organization=organization, owner=user, title=title, region=region,
        description=description, address=address, lat=lat, lng=lng,
        skills=skills or [], targets=targets or [],
    )


def project_publish(*, project: ServiceProject) -> ServiceProject:
    """Draft → published, exactly once (compare-and-set on the status)."""
    now = timezone.now()
    with transaction.atomic():
        changed = ServiceProject.objects.filter(id=project.id, status=ServiceProject.Status.DRAFT).update(
            status=ServiceProject.Status.PUBLISHED, published_at=now)
        if changed != 1:
            raise Conflict("not_draft", "只有草稿状态的项目可以发布")
    project.refresh_from_db(fields=["status", "published_at"])
    return project


def shift_create(*, project: ServiceProject, starts_at: datetime, ends_at: datetime,
                 capacity: int, signup_deadline: datetime | None = None,
                 cancel_deadline: datetime | None = None) -> Shift:
    errors: dict[str, list[str]] = {}
    if signup_deadline and signup_deadline > starts_at:
        errors["signup_deadline"] = ["报名截止时间不能晚于开始时间"]
    if cancel_deadline and cancel_deadline > starts_at:
        errors["cancel_deadline"] = ["取消截止时间不能晚于开始时间"]
    if starts_at <= timezone.now():
        errors["starts_at"] = ["开始时间必须晚于当前时间"]
    if ends_at <= starts_at:
        errors["ends_at"] = ["结束时间必须晚于开始时间"]
    elif ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        errors["ends_at"] = [f"单个班次不能超过 {MAX_SHIFT_HOURS} 小时"]
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"名额须在 1 到 {MAX_CAPACITY} 之间"]
    if project.status == ServiceProject.Status.CLOSED:
        errors["project"] = ["项目已结束"]
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    return Shift.objects.create(project=project, starts_at=starts_at, ends_at=ends_at,
                                capacity=capacity, signup_deadline=signup_deadline,
                                cancel_deadline=cancel_deadline)


def _lock_shift(shift_id: int) -> Shift:
    shift = Shift.objects.select_for_update().filter(id=shift_id).select_related("project").first()
    if shift is None:
        raise Http404
    return shift


def signup_create(*, volunteer: User, shift_id: int) -> Signup:
    """Sign up for a shift: confirmed while seats remain, waitlisted in order after.

    Locks the shift row, so the seat count read here is the one written back; the check
    constraint ``shift_never_overbooked`` backs this up in the database. A repeat sign-up
    is caught by the partial unique constraint, which rolls the whole change back."""
    try:
        return _signup_create(volunteer=volunteer, shift_id=shift_id)
    except IntegrityError:
        raise Conflict("already_signed_up", "您已报名该班次") from None


def _overlapping_confirmed(*, volunteer_ids, shift: Shift):
    return Signup.objects.filter(
        volunteer_id__in=volunteer_ids, status=Signup.Status.CONFIRMED,
        shift__starts_at__lt=shift.ends_at, shift__ends_at__gt=shift.starts_at,
    ).exclude(shift_id=shift.id)


def _signup_create(*, volunteer: User, shift_id: int) -> Signup:
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        shift = _lock_shift(shift_id)
        project = shift.project
        if project.status != ServiceProject.Status.PUBLISHED:
            raise DomainError("project_not_published", "该项目未发布，暂不能报名", status_code=409)
        if now >= shift.starts_at:
            raise DomainError("shift_started", "该班次已开始或已结束，不能报名", status_code=409)
        if now >= shift.signups_close_at:
            raise DomainError("signup_closed", "该班次已截止报名", status_code=409)
        if _overlapping_confirmed(volunteer_ids=[volunteer.id], shift=shift).exists():
            raise Conflict("time_conflict", "您已确认的另一个班次与该班次时间重叠")
        if shift.confirmed_count < shift.capacity:
            status, queue_number = Signup.Status.CONFIRMED, None
            Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
        else:
            status, queue_number = Signup.Status.WAITLISTED, shift.waitlist_seq + 1
            Shift.objects.filter(id=shift.id).update(waitlist_seq=queue_number,
                                                     waitlisted_count=F("waitlisted_count") + 1)
        signup = Signup.objects.create(
            shift=shift, volunteer=volunteer, status=status, queue_number=queue_number,
            created_at=now, confirmed_at=now if status == Signup.Status.CONFIRMED else None,
        )
        signup.shift = shift
        # Everyone ahead in the queue is still waiting: promotion always takes the head.
        signup.position = (shift.waitlisted_count + 1) if queue_number else None
        when = _fmt(shift.starts_at)
        if status == Signup.Status.CONFIRMED:
            notification_send(recipient_id=volunteer.id, kind=Notification.Kind.SIGNUP_CONFIRMED,
                              title="报名成功", body=f"您已成功报名「{project.title}」{when} 的班次。",
                              data={"signup_id": signup.id, "shift_id": shift.id, "project_id": project.id})
        else:
            notification_send(recipient_id=volunteer.id, kind=Notification.Kind.SIGNUP_WAITLISTED,
                              title="已进入候补",
                              body=f"「{project.title}」{when} 的班次已满，您是候补第 {signup.position} 位。",
                              data={"signup_id": signup.id, "shift_id": shift.id, "project_id": project.id,
                                    "waitlist_position": signup.position})
    return signup


def signup_for_volunteer(*, user: User, signup_id: int) -> Signup:
    """A volunteer's own sign-up; anyone else's is reported as not found."""
    signup = Signup.objects.filter(id=signup_id, volunteer=user).only("id", "shift_id").first()
    if signup is None:
        raise Http404
    return signup


def signup_cancel(*, user: User, signup_id: int) -> Signup:
    """Cancel a sign-up; a freed seat goes to the first on the waitlist, exactly once.

    Lock order: shift, then sign-ups (see module docstring)."""
    now = timezone.now()
    shift_id = signup_for_volunteer(user=user, signup_id=signup_id).shift_id
    with transaction.atomic():
        User.objects.select_for_update().filter(id=user.id).exists()
        shift = _lock_shift(shift_id)
        signup = Signup.objects.select_for_update().get(id=signup_id)
        if signup.status == Signup.Status.CANCELLED:
            raise Conflict("already_cancelled", "该报名已取消")
        if now >= shift.starts_at:
            raise DomainError("shift_started", "班次已开始，不能取消报名", status_code=409)
        if now >= shift.cancellations_close_at:
            raise DomainError("cancel_closed", "已过取消截止时间，如需请假请联系社工", status_code=409)
        was_confirmed = signup.status == Signup.Status.CONFIRMED
        signup.status, signup.cancelled_at = Signup.Status.CANCELLED, now
        signup.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            _promote_first_waitlisted(shift=shift, now=now)
        else:
            Shift.objects.filter(id=shift.id).update(waitlisted_count=F("waitlisted_count") - 1)
        notification_send(recipient_id=user.id, kind=Notification.Kind.SIGNUP_CANCELLED,
                          title="报名已取消",
                          body=f"您已取消「{shift.project.title}」{_fmt(shift.starts_at)} 的报名。",
                          data={"signup_id": signup.id, "shift_id": shift.id})
    signup.shift = shift
    signup.position = None
    return signup


def _promote_first_waitlisted(*, shift: Shift, now: datetime) -> Signup | None:
    """Give the seat freed on a locked shift to the first on its waitlist who can take it,
    or free the seat. A volunteer who has meanwhile confirmed an overlapping shift keeps
    their place but is passed over; so is one whose own sign-up is in flight right now
    (their user row is locked: SKIP LOCKED instead of waiting, see the module docstring)."""
    queue = list(Signup.objects.select_for_update()
                 .filter(shift=shift, status=Signup.Status.WAITLISTED).order_by("queue_number"))
    busy = set(_overlapping_confirmed(volunteer_ids=[s.volunteer_id for s in queue], shift=shift)
               .values_list("volunteer_id", flat=True))
    head = None
    for candidate in queue:
        if candidate.volunteer_id in busy:
            continue
        if not User.objects.select_for_update(skip_locked=True).filter(id=candidate.volunteer_id).exists():
            continue
        if _overlapping_confirmed(volunteer_ids=[candidate.volunteer_id], shift=shift).exists():
            continue  # confirmed elsewhere between our read and our lock
        head = candidate
        break
    if head is None:
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") - 1)
        return None
    promoted = Signup.objects.filter(id=head.id, status=Signup.Status.WAITLISTED).update(
        status=Signup.Status.CONFIRMED, confirmed_at=now)
    if promoted != 1:  # impossible while the shift is locked; refuse rather than overbook
        raise Conflict("concurrent_change", "报名状态已变化，请重试")
    Shift.objects.filter(id=shift.id).update(waitlisted_count=F("waitlisted_count") - 1)
    notification_send(recipient_id=head.volunteer_id, kind=Notification.Kind.SIGNUP_PROMOTED,
                      title="候补转正", body=f"有人取消了报名，您已获得「{shift.project.title}」"
                      f"{_fmt(shift.starts_at)} 的名额。",
                      data={"signup_id": head.id, "shift_id": shift.id, "project_id": shift.project_id})
    return head


def attendance_check_in(*, volunteer: User, code: str, lat: Decimal | None = None,
                        lng: Decimal | None = None) -> Attendance:
    """Check in with the code scanned on site. Only a confirmed sign-up of that shift
    counts, and only from shortly before the start until the end."""
    shift_id = checkin_code_verify(code=code)
    now = timezone.now()
    with transaction.atomic():
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
        return Attendance.objects.create(signup=signup, shift=shift, volunteer=volunteer,
                                         checked_in_at=now, check_in_lat=lat, check_in_lng=lng)


def attendance_check_out(*, volunteer: User, code: str) -> Attendance:
    """Check out; after commit a task turns the attendance into a service record."""
    from volunteers.tasks import service_record_from_attendance

    shift_id = checkin_code_verify(code=code)
    now = timezone.now()
    with transaction.atomic():
        attendance = (Attendance.objects.select_for_update(of=("self",)).select_related("shift")
                      .filter(shift_id=shift_id, volunteer=volunteer).first())
        if attendance is None:
            if not Signup.objects.filter(shift_id=shift_id, volunteer=volunteer,
                                         status=Signup.Status.CONFIRMED).exists():
                raise Forbidden("not_signed_up", "您没有该班次的有效报名")
            raise DomainError("not_checked_in", "您还没有签到", status_code=409)
        if attendance.checked_out_at is not None:
            raise Conflict("already_checked_out", "您已签退")
        closes = attendance.shift.ends_at + timedelta(minutes=settings.CHECKOUT_CLOSES_AFTER_MINUTES)
        if now > closes:
            raise DomainError("checkout_closed", "已超过签退时间，请联系社工补录", status_code=409)
        attendance.checked_out_at = now
        attendance.save(update_fields=["checked_out_at"])
        service_record_from_attendance.delay_on_commit(attendance.id)
    return attendance


# --- beat tasks: no-shows, reminders, short shifts ---------------------------------------

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
                    body=f"您报名的「{shift.project.title}」将于{when}（{_fmt(shift.starts_at)}）开始，"
                         f"地点：{shift.project.address or '见项目详情'}。",
                    data={"signup_id": signup.id, "shift_id": shift.id, "project_id": shift.project_id})
                sent += 1
    return sent


def shifts_short_notify(*, now: datetime | None = None) -> int:
    """Tell the project's social worker, once, about a shift starting within a day that
    still has free seats."""
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
                body=f"「{shift.project.title}」{_fmt(shift.starts_at)} 的班次还差 "
                     f"{shift.capacity - shift.confirmed_count} 人（{shift.confirmed_count}/{shift.capacity}）。",
                data={"shift_id": shift.id, "project_id": shift.project_id,
                      "missing": shift.capacity - shift.confirmed_count})
            sent += 1
    return sent
