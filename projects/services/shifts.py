"""Shifts: creating one, and a manager's changes to it (time, place, capacity), which
reach everyone signed up. Changes start at the shift lock (``projects.services``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from config.exceptions import Conflict, DomainError
from notifications.services import notification_send
from projects.models import Attendance, ServiceProject, Shift, Signup
from projects.services.shared import MAX_CAPACITY, MAX_SHIFT_HOURS, fmt_when, lock_shift, overlapping_confirmed
from projects.services.signups import take_first_waitlisted


def shift_create(*, project: ServiceProject, starts_at: datetime, ends_at: datetime,
                 capacity: int, signup_deadline: datetime | None = None,
                 cancel_deadline: datetime | None = None, address: str = "") -> Shift:
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
    if project.status in (ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED):
        errors["project"] = ["项目已结束或已取消"]
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    return Shift.objects.create(project=project, starts_at=starts_at, ends_at=ends_at,
                                capacity=capacity, signup_deadline=signup_deadline,
                                cancel_deadline=cancel_deadline, address=address)


NOTIFIED_FIELDS = {"starts_at": "开始时间", "ends_at": "结束时间", "address": "地点"}


def _shown(field: str, value) -> str:
    return fmt_when(value) if isinstance(value, datetime) else (value or "（项目地点）")


def shift_update(*, shift: Shift, changes: dict, move_to_waitlist: list[int] | None = None) -> Shift:
    """Change a shift (checked by ``shift_for_manager``) before it starts.

    - A new time or place notifies everyone signed up (confirmed, waitlisted, pending)
      with what changed.
    - More seats promote the waitlist in queue order (as a cancellation does).
    - Fewer seats than confirmed volunteers is refused (409 ``capacity_below_confirmed``)
      unless ``move_to_waitlist`` names exactly that many confirmed sign-ups: they go to
      the end of the waitlist in the order named, and are told their position.

    Locks the shift, then the sign-ups it changes; promotion takes users with SKIP LOCKED.
    Any refusal rolls everything back."""
    now = timezone.now()
    with transaction.atomic():
        shift = lock_shift(shift.id)
        if shift.project.status in (ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED):
            raise DomainError("project_closed", "项目已结束或已取消，不能修改班次", status_code=409)
        if now >= shift.starts_at:
            raise DomainError("shift_started", "班次已开始，不能修改", status_code=409)
        new = {field: changes.get(field, getattr(shift, field)) for field in
               ("starts_at", "ends_at", "capacity", "address", "signup_deadline", "cancel_deadline")}
        errors: dict[str, list[str]] = {}
        if "starts_at" in changes and new["starts_at"] <= now:
            errors["starts_at"] = ["开始时间必须晚于当前时间"]
        if new["ends_at"] <= new["starts_at"]:
            errors["ends_at"] = ["结束时间必须晚于开始时间"]
        elif new["ends_at"] - new["starts_at"] > timedelta(hours=MAX_SHIFT_HOURS):
            errors["ends_at"] = [f"单个班次不能超过 {MAX_SHIFT_HOURS} 小时"]
        for field, label in (("signup_deadline", "报名截止"), ("cancel_deadline", "取消截止")):
            if new[field] and new[field] > new["starts_at"]:
                errors[field] = [f"{label}时间不能晚于开始时间"]
        if move_to_waitlist and new["capacity"] >= shift.confirmed_count:
            errors["move_to_waitlist"] = ["名额足够时无需移入候补"]
        if errors:
            raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
        if new["starts_at"] != shift.starts_at or new["ends_at"] != shift.ends_at:
            # Nobody may end up holding two overlapping confirmed shifts. Read only: the
            # volunteers' user rows come before the shift in the lock order.
            moved_shift = Shift(id=shift.id, starts_at=new["starts_at"], ends_at=new["ends_at"])
            confirmed = list(shift.signups.filter(status=Signup.Status.CONFIRMED)
                             .values_list("volunteer_id", flat=True))
            clashes = sorted(set(overlapping_confirmed(volunteer_ids=confirmed, shift=moved_shift)
                                 .values_list("volunteer_id", flat=True)))
            if clashes:
                raise Conflict("time_conflict", f"有 {len(clashes)} 位已确认的志愿者在新时间另有班次",
                               fields={"starts_at": [f"与志愿者 {clashes} 的其他班次时间重叠"]})

        moved: list[Signup] = []
        excess = shift.confirmed_count - new["capacity"]
        if excess > 0:
            if not move_to_waitlist:
                raise Conflict("capacity_below_confirmed",
                               f"已确认 {shift.confirmed_count} 人，名额不能少于此数；"
                               f"如需减少，请选择 {excess} 人移入候补",
                               fields={"capacity": [f"请在 move_to_waitlist 中选择 {excess} 个已确认的报名"]})
            moved = _move_to_waitlist(shift=shift, signup_ids=move_to_waitlist, count=excess)

        changed = {f: (getattr(shift, f), new[f]) for f in NOTIFIED_FIELDS if new[f] != getattr(shift, f)}
        for field, value in new.items():
            setattr(shift, field, value)
        shift.save(update_fields=list(new))
        for field in ("confirmed_count", "waitlisted_count", "waitlist_seq"):
            setattr(shift, field, getattr(Shift.objects.only(field).get(id=shift.id), field))

        seats = shift.capacity - shift.confirmed_count
        while seats > 0 and shift.waitlisted_count > 0:
            head = take_first_waitlisted(shift=shift, now=now, why="班次增加了名额")
            if head is None:
                break
            Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
            shift.refresh_from_db(fields=["confirmed_count", "waitlisted_count"])
            seats -= 1

        for position, signup in enumerate(moved, start=shift.waitlisted_count - len(moved) + 1):
            notification_send(recipient_id=signup.volunteer_id, kind="signup_moved_to_waitlist",
                              title="已转为候补",
                              body=f"「{shift.project.title}」{fmt_when(shift.starts_at)} 的班次名额减少，"
                                   f"您的报名已转为候补第 {position} 位，有空位时将自动转正。",
                              data={"signup_id": signup.id, "shift_id": shift.id,
                                    "project_id": shift.project_id, "waitlist_position": position})
        if changed:
            _notify_shift_changed(shift=shift, changed=changed)
    return shift


def _move_to_waitlist(*, shift: Shift, signup_ids: list[int], count: int) -> list[Signup]:
    if len(set(signup_ids)) != len(signup_ids) or len(signup_ids) != count:
        raise DomainError("invalid", f"请恰好选择 {count} 个已确认的报名移入候补",
                          fields={"move_to_waitlist": [f"须恰好包含 {count} 个不重复的报名"]})
    checked_in = Attendance.objects.filter(signup_id=OuterRef("id"))
    rows = {s.id: s for s in Signup.objects.select_for_update().filter(
        ~Exists(checked_in), shift=shift, id__in=signup_ids, status=Signup.Status.CONFIRMED)}
    if set(rows) != set(signup_ids):
        raise DomainError("invalid", "只能选择本班次已确认的报名",
                          fields={"move_to_waitlist": ["包含不属于本班次、未确认或已签到的报名"]})
    seq = shift.waitlist_seq
    moved = []
    for signup_id in signup_ids:
        seq += 1
        signup = rows[signup_id]
        signup.status, signup.queue_number, signup.confirmed_at = Signup.Status.WAITLISTED, seq, None
        signup.save(update_fields=["status", "queue_number", "confirmed_at"])
        moved.append(signup)
    Shift.objects.filter(id=shift.id).update(
        confirmed_count=F("confirmed_count") - count, waitlisted_count=F("waitlisted_count") + count,
        waitlist_seq=seq)
    return moved


def _notify_shift_changed(*, shift: Shift, changed: dict) -> None:
    lines = "；".join(f"{NOTIFIED_FIELDS[f]}：{_shown(f, old)} → {_shown(f, new)}"
                     for f, (old, new) in changed.items())
    data_changes = {f: [old.isoformat() if isinstance(old, datetime) else old,
                        new.isoformat() if isinstance(new, datetime) else new]
                    for f, (old, new) in changed.items()}
    recipients = (Signup.objects.filter(shift=shift, status__in=Signup.ACTIVE)
                  .values_list("id", "volunteer_id").order_by("id"))
    for signup_id, volunteer_id in recipients:
        notification_send(recipient_id=volunteer_id, kind="shift_changed", title="班次有变动",
                          body=f"您报名的「{shift.project.title}」班次有变动：{lines}。",
                          data={"signup_id": signup_id, "shift_id": shift.id, "project_id": shift.project_id,
                                "changes": data_changes})
