"""Sign-ups: a volunteer's own, a team leader's for several members, cancellation with
waitlist promotion, and a manager's decision on approval-required projects. Every path
takes the volunteer's user row, then the shift, then sign-ups (``projects.services``)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from projects.models import Attendance, ServiceProject, Shift, Signup
from projects.services.shared import fmt_when, lock_shift, overlapping_confirmed
from volunteers.eligibility import volunteer_eligibility_check


def signup_create(*, volunteer: User, shift_id: int) -> Signup:
    """Sign up for a shift: confirmed while seats remain, waitlisted in order after.

    Locks the shift row, so the seat count read here is the one written back; the check
    constraint ``shift_never_overbooked`` backs this up in the database. A repeat sign-up
    is caught by the partial unique constraint, which rolls the whole change back."""
    try:
        return _signup_create(volunteer=volunteer, shift_id=shift_id)
    except IntegrityError:
        raise Conflict("already_signed_up", "您已报名该班次") from None


def _signup_create(*, volunteer: User, shift_id: int) -> Signup:
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        shift = lock_shift(shift_id)
        return signup_place(volunteer=volunteer, shift=shift, now=timezone.now())


def shift_open_check(*, shift: Shift, now: datetime) -> None:
    if shift.project.status != ServiceProject.Status.PUBLISHED:
        raise DomainError("project_not_published", "该项目未发布，暂不能报名", status_code=409)
    if now >= shift.starts_at:
        raise DomainError("shift_started", "该班次已开始或已结束，不能报名", status_code=409)
    if now >= shift.signups_close_at:
        raise DomainError("signup_closed", "该班次已截止报名", status_code=409)


def _members_first_check(*, volunteer: User, project: ServiceProject, now: datetime) -> None:
    """Before ``members_first_until`` only active members of the project's team may sign
    up. The membership cannot change under us: its writers take the volunteer's user
    row, which the caller holds."""
    from volunteers.teams.selectors import is_team_member

    until = project.members_first_until
    if not until or now >= until or not project.team_id:
        return
    if is_team_member(team_id=project.team_id, volunteer_id=volunteer.id):
        return
    team_name = project.team.name if project.team else ""
    raise Forbidden("team_members_first", f"{fmt_when(until)} 前仅限服务队「{team_name}」队员报名，请届时再来",
                    fields={"members_first_until": [timezone.localtime(until).isoformat()]})


def signup_place(*, volunteer: User, shift: Shift, now: datetime, by: User | None = None,
                  approved_by: User | None = None, members_first: bool = True) -> Signup:
    """Put ``volunteer`` on ``shift`` by every sign-up rule. The caller holds the
    volunteer's user row, then the shift row (``lock_shift``), in that order.

    ``by``: a team leader signing the volunteer up (told in the notification);
    ``approved_by``: a manager of the project whose action counts as the approval of an
    approval-required project (a bulk sign-up by a manager, an accepted invitation);
    ``members_first=False``: an invitation from the project's social worker opens the
    members-first window to its invitee. Updates the counters of ``shift`` in memory.

    A repeat sign-up surfaces as the ``IntegrityError`` of the partial unique constraint
    ``signup_one_active_per_volunteer`` (no extra query per sign-up, see
    docs/benchmarks.md): the caller rolls back (a savepoint per member in bulk)."""
    project = shift.project
    shift_open_check(shift=shift, now=now)
    if members_first:
        _members_first_check(volunteer=volunteer, project=project, now=now)
    volunteer_eligibility_check(volunteer=volunteer, project=project, on=shift.starts_at)
    if overlapping_confirmed(volunteer_ids=[volunteer.id], shift=shift).exists():
        raise Conflict("time_conflict", "您已确认的另一个班次与该班次时间重叠")
    if project.requires_approval and approved_by is None:
        # Takes no seat until a social worker accepts it (signup_accept).
        status, queue_number = Signup.Status.PENDING, None
    elif shift.confirmed_count < shift.capacity:
        status, queue_number = Signup.Status.CONFIRMED, None
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
    else:
        status, queue_number = Signup.Status.WAITLISTED, shift.waitlist_seq + 1
        Shift.objects.filter(id=shift.id).update(waitlist_seq=queue_number,
                                                 waitlisted_count=F("waitlisted_count") + 1)
    decided = approved_by is not None and project.requires_approval
    signup = Signup.objects.create(
        shift=shift, volunteer=volunteer, status=status, queue_number=queue_number,
        created_at=now, confirmed_at=now if status == Signup.Status.CONFIRMED else None,
        decided_at=now if decided else None, decided_by=approved_by if decided else None,
    )
    signup.shift = shift
    # Everyone ahead in the queue is still waiting: promotion always takes the head.
    signup.position = (shift.waitlisted_count + 1) if queue_number else None
    if status == Signup.Status.CONFIRMED:
        shift.confirmed_count += 1
    elif status == Signup.Status.WAITLISTED:
        shift.waitlisted_count += 1
        shift.waitlist_seq = queue_number
    when = fmt_when(shift.starts_at)
    via = f"（由{by.name}代为报名）" if by is not None and by.id != volunteer.id else ""
    data = {"signup_id": signup.id, "shift_id": shift.id, "project_id": project.id}
    if status == Signup.Status.PENDING:
        notification_send(recipient_id=volunteer.id, kind="signup_pending", title="报名待审核",
                          body=f"您已报名「{project.title}」{when} 的班次，等待社工审核。{via}", data=data)
        notification_send(recipient_id=project.owner_id, kind="signup_review_requested",
                          title="有新的报名待审核",
                          body=f"{volunteer.name} 报名了「{project.title}」{when} 的班次，请审核。", data=data)
    elif status == Signup.Status.CONFIRMED:
        notification_send(recipient_id=volunteer.id, kind=Notification.Kind.SIGNUP_CONFIRMED,
                          title="报名成功", body=f"您已成功报名「{project.title}」{when} 的班次。{via}", data=data)
    else:
        notification_send(recipient_id=volunteer.id, kind=Notification.Kind.SIGNUP_WAITLISTED,
                          title="已进入候补",
                          body=f"「{project.title}」{when} 的班次已满，您是候补第 {signup.position} 位。{via}",
                          data={**data, "waitlist_position": signup.position})
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
        shift = lock_shift(shift_id)
        signup = Signup.objects.select_for_update().get(id=signup_id)
        if Attendance.objects.filter(signup_id=signup.id).exists():
            raise Conflict("already_checked_in", "您已签到，不能取消报名；如需离开请签退")
        if signup.status == Signup.Status.CANCELLED:
            raise Conflict("already_cancelled", "该报名已取消")
        if now >= shift.starts_at:
            raise DomainError("shift_started", "班次已开始，不能取消报名", status_code=409)
        if now >= shift.cancellations_close_at:
            raise DomainError("cancel_closed", "已过取消截止时间，如需请假请联系社工", status_code=409)
        if signup.status == Signup.Status.DECLINED:
            raise Conflict("already_declined", "该报名未通过审核，无需取消")
        was = signup.status
        signup.status, signup.cancelled_at = Signup.Status.CANCELLED, now
        signup.save(update_fields=["status", "cancelled_at"])
        if was == Signup.Status.CONFIRMED:
            _promote_first_waitlisted(shift=shift, now=now)
        elif was == Signup.Status.WAITLISTED:
            Shift.objects.filter(id=shift.id).update(waitlisted_count=F("waitlisted_count") - 1)
        notification_send(recipient_id=user.id, kind=Notification.Kind.SIGNUP_CANCELLED,
                          title="报名已取消",
                          body=f"您已取消「{shift.project.title}」{fmt_when(shift.starts_at)} 的报名。",
                          data={"signup_id": signup.id, "shift_id": shift.id})
    signup.shift = shift
    signup.position = None
    return signup


def _promote_first_waitlisted(*, shift: Shift, now: datetime) -> Signup | None:
    """Give the seat freed on a locked shift to the first on its waitlist who can take it,
    or free the seat."""
    head = take_first_waitlisted(shift=shift, now=now, why="有人取消了报名")
    if head is None:
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") - 1)
    return head


def take_first_waitlisted(*, shift: Shift, now: datetime, why: str) -> Signup | None:
    """Confirm the first on a locked shift's waitlist who can take a seat, and tell them;
    the caller accounts for the seat. A volunteer who has meanwhile confirmed an
    overlapping shift keeps their place but is passed over; so is one whose own sign-up
    is in flight right now (their user row is locked: SKIP LOCKED instead of waiting,
    see the module docstring)."""
    queue = list(Signup.objects.select_for_update()
                 .filter(shift=shift, status=Signup.Status.WAITLISTED).order_by("queue_number"))
    busy = set(overlapping_confirmed(volunteer_ids=[s.volunteer_id for s in queue], shift=shift)
               .values_list("volunteer_id", flat=True))
    head = None
    for candidate in queue:
        if candidate.volunteer_id in busy:
            continue
        if not User.objects.select_for_update(skip_locked=True).filter(id=candidate.volunteer_id).exists():
            continue
        if overlapping_confirmed(volunteer_ids=[candidate.volunteer_id], shift=shift).exists():
            continue  # confirmed elsewhere between our read and our lock
        head = candidate
        break
    if head is None:
        return None
    promoted = Signup.objects.filter(id=head.id, status=Signup.Status.WAITLISTED).update(
        status=Signup.Status.CONFIRMED, confirmed_at=now)
    if promoted != 1:  # impossible while the shift is locked; refuse rather than overbook
        raise Conflict("concurrent_change", "报名状态已变化，请重试")
    Shift.objects.filter(id=shift.id).update(waitlisted_count=F("waitlisted_count") - 1)
    notification_send(recipient_id=head.volunteer_id, kind=Notification.Kind.SIGNUP_PROMOTED,
                      title="候补转正", body=f"{why}，您已获得「{shift.project.title}」"
                      f"{fmt_when(shift.starts_at)} 的名额。",
                      data={"signup_id": head.id, "shift_id": shift.id, "project_id": shift.project_id})
    return head


def signup_accept(*, user: User, signup: Signup) -> Signup:
    """Accept a pending sign-up (``signup`` checked by ``signup_for_manager``): it takes a
    seat now. A full shift refuses with 409 ``shift_full`` rather than queueing the
    volunteer: the social worker raises the capacity or declines.

    Locks: the volunteer's user row, then the shift, then the sign-up (module order), so
    many accepts at once on a nearly full shift are serialised on the shift and never
    overbook; the check constraint ``shift_never_overbooked`` backs this up."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=signup.volunteer_id).exists()
        shift = lock_shift(signup.shift_id)
        signup = Signup.objects.select_for_update().get(id=signup.id)
        if signup.status != Signup.Status.PENDING:
            raise Conflict("not_pending", "该报名不在待审核状态")
        if shift.project.status != ServiceProject.Status.PUBLISHED:
            raise DomainError("project_not_published", "项目未发布或已结束", status_code=409)
        if now >= shift.starts_at:
            raise DomainError("shift_started", "该班次已开始或已结束", status_code=409)
        if overlapping_confirmed(volunteer_ids=[signup.volunteer_id], shift=shift).exists():
            raise Conflict("time_conflict", "该志愿者已确认的另一个班次与此班次时间重叠")
        if shift.is_full:
            raise Conflict("shift_full", "班次名额已满，请先增加名额")
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
        signup.status, signup.confirmed_at = Signup.Status.CONFIRMED, now
        signup.decided_at, signup.decided_by = now, user
        signup.save(update_fields=["status", "confirmed_at", "decided_at", "decided_by"])
        notification_send(recipient_id=signup.volunteer_id, kind="signup_accepted", title="报名已通过",
                          body=f"您报名的「{shift.project.title}」{fmt_when(shift.starts_at)} 的班次已通过审核。",
                          data={"signup_id": signup.id, "shift_id": shift.id, "project_id": shift.project_id})
    signup.shift = shift
    signup.position = None
    return signup


def signup_decline(*, user: User, signup: Signup, reason: str = "") -> Signup:
    """Decline a pending sign-up (checked by ``signup_for_manager``); no seat changes.
    Same lock order as ``signup_accept`` so the two cannot both decide one sign-up."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=signup.volunteer_id).exists()
        shift = lock_shift(signup.shift_id)
        changed = Signup.objects.filter(id=signup.id, status=Signup.Status.PENDING).update(
            status=Signup.Status.DECLINED, decided_at=now, decided_by=user)
        if changed != 1:
            raise Conflict("not_pending", "该报名不在待审核状态")
        signup.refresh_from_db()
        note = f"原因：{reason}" if reason else "感谢您的关注。"
        notification_send(recipient_id=signup.volunteer_id, kind="signup_declined", title="报名未通过",
                          body=f"您报名的「{shift.project.title}」{fmt_when(shift.starts_at)} 的班次未通过审核。{note}",
                          data={"signup_id": signup.id, "shift_id": shift.id, "project_id": shift.project_id,
                                "reason": reason})
    signup.shift = shift
    signup.position = None
    return signup


def signup_bulk_create(*, leader: User, team, shift_id: int, volunteer_ids: list[int]) -> list[dict]:
    """A team's leader signs several members up for one shift at once (``team`` checked
    by ``team_for_leader``).

    Per-member results, not all-or-nothing: each member is placed exactly as their own
    sign-up would be (members first, age, consent, overlap; confirmed while seats remain,
    then waitlisted in the order given; pending on an approval-required project unless
    the leader manages that project, whose own action is the approval). A member who
    cannot be placed gets ``{"status": "error", "code", "detail"}`` and the others are
    not held back by it. A shift that cannot take sign-ups at all refuses the whole
    request (409) and nothing is written.

    Locks: every listed volunteer's user row in id order (the same order for every bulk
    sign-up, so two leaders never wait on each other in a cycle), then the shift; each
    member is placed in a savepoint. Never overbooked: the seat count is read under the
    shift lock and the check constraint ``shift_never_overbooked`` backs it."""
    from projects.selectors import is_project_manager
    from volunteers.models import TeamMembership

    ordered = list(dict.fromkeys(volunteer_ids))
    now = timezone.now()
    with transaction.atomic():
        users = {u.id: u for u in User.objects.select_for_update().filter(id__in=ordered).order_by("id")}
        shift = lock_shift(shift_id)
        shift_open_check(shift=shift, now=now)
        members = set(TeamMembership.objects.filter(team=team, volunteer_id__in=ordered,
                                                    status=TeamMembership.Status.ACTIVE)
                      .values_list("volunteer_id", flat=True))
        approved_by = leader if is_project_manager(user=leader, project=shift.project) else None
        results = []
        for volunteer_id in ordered:
            user = users.get(volunteer_id)
            if user is None or volunteer_id not in members:
                results.append({"volunteer_id": volunteer_id, "status": "error", "code": "not_team_member",
                                "detail": "不是本服务队的队员", "signup_id": None, "waitlist_position": None})
                continue
            try:
                with transaction.atomic():
                    signup = signup_place(volunteer=user, shift=shift, now=now, by=leader,
                                           approved_by=approved_by)
            except IntegrityError:
                results.append({"volunteer_id": volunteer_id, "status": "error", "code": "already_signed_up",
                                "detail": "已报名该班次", "signup_id": None, "waitlist_position": None})
            except DomainError as exc:
                results.append({"volunteer_id": volunteer_id, "status": "error", "code": exc.code,
                                "detail": str(exc.detail), "signup_id": None, "waitlist_position": None})
            else:
                results.append({"volunteer_id": volunteer_id, "status": signup.status, "code": None,
                                "detail": "", "signup_id": signup.id, "waitlist_position": signup.position})
            # A rolled-back savepoint may have moved the in-memory counters: reread them.
            shift.refresh_from_db(fields=["confirmed_count", "waitlisted_count", "waitlist_seq"])
    return results
