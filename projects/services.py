"""Writes for projects, shifts, sign-ups and attendance.

Locking: to avoid deadlocks the lock order is always the volunteer's user row, then the
shift row, then the sign-up rows it touches. The user lock serialises one volunteer's
sign-ups (so two overlapping shifts cannot both be confirmed); the shift lock serialises
the seats. Promotion from a waitlist needs another volunteer's user row while holding a
shift: it takes it with SKIP LOCKED, never waiting, so it cannot close a cycle. On SQLite
``select_for_update`` is a no-op, but transactions begin IMMEDIATE (settings), which
serialises writers.

Work that is not about one volunteer enters the same order further down: a manager's
change to a shift (capacity, time, accept/decline takes the volunteer first) starts at
the shift; cancelling a whole project locks the project row, then its shifts in id
order, then their sign-ups. ``_lock_shift`` locks the shift row only (never its
project), so no path holds a shift while waiting for a project."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.utils import timezone

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from organizations.models import Membership, Organization
from projects.checkin import checkin_code_verify
from projects.models import Attendance, ServiceProject, Shift, Signup
from volunteers.eligibility import volunteer_eligibility_check

MAX_SHIFT_HOURS = 24
MAX_CAPACITY = 10_000


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def project_create(*, user: User, organization: Organization, title: str, region: Region,
                   description: str = "", address: str = "", lat: Decimal | None = None,
                   lng: Decimal | None = None, skills: list[str] | None = None,
                   targets: list[str] | None = None, domain: str = "",
                   funding_source: str = ServiceProject.Funding.SELF_FUNDED,
                   funding_contract_ref: str = "", funding_amount: Decimal | None = None,
                   risk_disclosure: str = "", accident_insurance: bool = False,
                   min_age: int | None = None, guardian_required_for_minors: bool = False,
                   requires_approval: bool = False) -> ServiceProject:
    """A social worker of ``organization`` drafts a project that they will lead.

    The funding rule (a government purchase needs a contract reference and an amount) is
    checked here as well as by a database constraint."""
    if not Membership.objects.filter(user=user, organization=organization,
                                     role=Membership.Role.SOCIAL_WORKER).exists():
        raise Forbidden("not_social_worker", "只有该组织的社工可以发布服务项目",
                        fields={"organization": ["您不是该组织的社工"]})
    if funding_source == ServiceProject.Funding.GOVERNMENT_PURCHASE:
        errors = {}
        if not funding_contract_ref:
            errors["funding_contract_ref"] = ["政府购买服务须填写合同编号"]
        if funding_amount is None:
            errors["funding_amount"] = ["政府购买服务须填写金额"]
        if errors:
            raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    return ServiceProject.objects.create(
        organization=organization, owner=user, title=title, region=region,
        description=description, address=address, lat=lat, lng=lng,
        skills=skills or [], targets=targets or [], domain=domain, funding_source=funding_source,
        funding_contract_ref=funding_contract_ref, funding_amount=funding_amount,
        risk_disclosure=risk_disclosure, accident_insurance=accident_insurance, min_age=min_age,
        guardian_required_for_minors=guardian_required_for_minors, requires_approval=requires_approval,
    )


def _project_cas(*, project: ServiceProject, from_statuses, code: str, detail: str, **changes) -> ServiceProject:
    """Move ``project`` on by compare-and-set: exactly one row in one of ``from_statuses``."""
    if ServiceProject.objects.filter(id=project.id, status__in=from_statuses).update(**changes) != 1:
        raise Conflict(code, detail)
    project.refresh_from_db()
    return project


def project_submit(*, user: User, project: ServiceProject) -> ServiceProject:
    """Draft → submitted for review (by a checked manager). The reviewers are told."""
    from projects.selectors import project_reviewers

    with transaction.atomic():
        project = _project_cas(project=project, from_statuses=[ServiceProject.Status.DRAFT],
                               code="not_draft", detail="只有草稿状态的项目可以提交审核",
                               status=ServiceProject.Status.SUBMITTED, submitted_at=timezone.now(),
                               review_note="")
        for reviewer_id in project_reviewers(project=project).values_list("id", flat=True):
            notification_send(recipient_id=reviewer_id, kind="project_submitted", title="服务项目待审核",
                              body=f"「{project.title}」已提交审核，请审核后发布。",
                              data={"project_id": project.id})
    return project


def project_publish(*, user: User, project: ServiceProject) -> ServiceProject:
    """``POST /projects/{id}/publish/``: a reviewer publishes a draft or a submitted project;
    a manager who is not a reviewer submits a draft for review instead. Both by
    compare-and-set on the status, so each happens exactly once."""
    from projects.selectors import is_project_reviewer

    if not is_project_reviewer(user=user, project=project):
        if project.status == ServiceProject.Status.SUBMITTED:
            raise Conflict("already_submitted", "项目已提交审核，请等待审核")
        return project_submit(user=user, project=project)
    with transaction.atomic():
        project = _project_cas(
            project=project, from_statuses=[ServiceProject.Status.DRAFT, ServiceProject.Status.SUBMITTED],
            code="not_draft", detail="只有草稿或待审核的项目可以发布",
            status=ServiceProject.Status.PUBLISHED, published_at=timezone.now(), reviewed_by_id=user.id)
        if project.owner_id != user.id:
            notification_send(recipient_id=project.owner_id, kind="project_published", title="项目已发布",
                              body=f"「{project.title}」已审核通过并发布。", data={"project_id": project.id})
    return project


def project_reject(*, user: User, project: ServiceProject, reason: str) -> ServiceProject:
    """Submitted → back to draft with the reviewer's note (a checked reviewer)."""
    with transaction.atomic():
        project = _project_cas(project=project, from_statuses=[ServiceProject.Status.SUBMITTED],
                               code="not_submitted", detail="只有待审核的项目可以退回",
                               status=ServiceProject.Status.DRAFT, review_note=reason, reviewed_by_id=user.id)
        notification_send(recipient_id=project.owner_id, kind="project_rejected", title="项目未通过审核",
                          body=f"「{project.title}」被退回修改：{reason}",
                          data={"project_id": project.id, "reason": reason})
    return project


def project_close(*, project: ServiceProject) -> ServiceProject:
    """Published → closed: no new sign-ups; existing ones and their hours stand."""
    with transaction.atomic():
        return _project_cas(project=project, from_statuses=[ServiceProject.Status.PUBLISHED],
                            code="not_published", detail="只有已发布的项目可以结束",
                            status=ServiceProject.Status.CLOSED, closed_at=timezone.now())


def project_cancel(*, project: ServiceProject, reason: str) -> ServiceProject:
    """Cancel a project that is not closed: every active sign-up of a shift that has not
    started is cancelled and its volunteer told (one notification each). Sign-ups of
    shifts already started keep their attendance and hours.

    Locks: the project (its compare-and-set), then its shifts in id order, then their
    sign-ups; a sign-up committed just before we took its shift is seen and cancelled."""
    now = timezone.now()
    with transaction.atomic():
        project = _project_cas(
            project=project, from_statuses=[ServiceProject.Status.DRAFT, ServiceProject.Status.SUBMITTED,
                                            ServiceProject.Status.PUBLISHED],
            code="not_cancellable", detail="项目已结束或已取消", status=ServiceProject.Status.CANCELLED,
            cancelled_at=now, cancel_reason=reason)
        shifts = list(Shift.objects.select_for_update().filter(project=project, starts_at__gt=now)
                      .order_by("id"))
        signups = list(Signup.objects.select_for_update().filter(shift__in=shifts, status__in=Signup.ACTIVE)
                       .order_by("id"))
        Signup.objects.filter(id__in=[s.id for s in signups]).update(status=Signup.Status.CANCELLED,
                                                                     cancelled_at=now)
        Shift.objects.filter(id__in=[s.id for s in shifts]).update(confirmed_count=0, waitlisted_count=0)
        by_volunteer: dict[int, list[int]] = {}
        for signup in signups:
            by_volunteer.setdefault(signup.volunteer_id, []).append(signup.id)
        for volunteer_id, signup_ids in by_volunteer.items():
            notification_send(recipient_id=volunteer_id, kind="project_cancelled", title="项目已取消",
                              body=f"您报名的「{project.title}」已取消，报名随之取消。原因：{reason}",
                              data={"project_id": project.id, "signup_ids": signup_ids, "reason": reason})
    return project


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


def _lock_shift(shift_id: int) -> Shift:
    """Lock the shift row only. Its project is read by a second statement *after* the lock
    is held: in READ COMMITTED a row joined into the locking statement keeps that
    statement's snapshot, so a project cancelled by the transaction we waited for would
    still read as published (project_cancel holds the shifts until it commits)."""
    shift = Shift.objects.select_for_update().filter(id=shift_id).first()
    if shift is None:
        raise Http404
    shift.project = ServiceProject.objects.get(id=shift.project_id)
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
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        shift = _lock_shift(shift_id)
        return _signup_place(volunteer=volunteer, shift=shift, now=timezone.now())


def _shift_open_check(*, shift: Shift, now: datetime) -> None:
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
    from volunteers.models import TeamMembership

    until = project.members_first_until
    if not until or now >= until or not project.team_id:
        return
    if TeamMembership.objects.filter(team_id=project.team_id, volunteer_id=volunteer.id,
                                     status=TeamMembership.Status.ACTIVE).exists():
        return
    team_name = project.team.name if project.team else ""
    raise Forbidden("team_members_first", f"{_fmt(until)} 前仅限服务队「{team_name}」队员报名，请届时再来",
                    fields={"members_first_until": [timezone.localtime(until).isoformat()]})


def _signup_place(*, volunteer: User, shift: Shift, now: datetime, by: User | None = None,
                  approved_by: User | None = None, members_first: bool = True) -> Signup:
    """Put ``volunteer`` on ``shift`` by every sign-up rule. The caller holds the
    volunteer's user row, then the shift row (``_lock_shift``), in that order.

    ``by``: a team leader signing the volunteer up (told in the notification);
    ``approved_by``: a manager of the project whose action counts as the approval of an
    approval-required project (a bulk sign-up by a manager, an accepted invitation);
    ``members_first=False``: an invitation from the project's social worker opens the
    members-first window to its invitee. Updates the counters of ``shift`` in memory."""
    project = shift.project
    _shift_open_check(shift=shift, now=now)
    if members_first:
        _members_first_check(volunteer=volunteer, project=project, now=now)
    volunteer_eligibility_check(volunteer=volunteer, project=project, on=shift.starts_at)
    if _overlapping_confirmed(volunteer_ids=[volunteer.id], shift=shift).exists():
        raise Conflict("time_conflict", "您已确认的另一个班次与该班次时间重叠")
    if Signup.objects.filter(shift=shift, volunteer=volunteer, status__in=Signup.ACTIVE).exists():
        # The partial unique constraint catches a race; this catches the common case
        # without spending a counter update first.
        raise Conflict("already_signed_up", "您已报名该班次")
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
    when = _fmt(shift.starts_at)
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
        shift = _lock_shift(shift_id)
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
                          body=f"您已取消「{shift.project.title}」{_fmt(shift.starts_at)} 的报名。",
                          data={"signup_id": signup.id, "shift_id": shift.id})
    signup.shift = shift
    signup.position = None
    return signup


def _promote_first_waitlisted(*, shift: Shift, now: datetime) -> Signup | None:
    """Give the seat freed on a locked shift to the first on its waitlist who can take it,
    or free the seat."""
    head = _take_first_waitlisted(shift=shift, now=now, why="有人取消了报名")
    if head is None:
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") - 1)
    return head


def _take_first_waitlisted(*, shift: Shift, now: datetime, why: str) -> Signup | None:
    """Confirm the first on a locked shift's waitlist who can take a seat, and tell them;
    the caller accounts for the seat. A volunteer who has meanwhile confirmed an
    overlapping shift keeps their place but is passed over; so is one whose own sign-up
    is in flight right now (their user row is locked: SKIP LOCKED instead of waiting,
    see the module docstring)."""
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
        return None
    promoted = Signup.objects.filter(id=head.id, status=Signup.Status.WAITLISTED).update(
        status=Signup.Status.CONFIRMED, confirmed_at=now)
    if promoted != 1:  # impossible while the shift is locked; refuse rather than overbook
        raise Conflict("concurrent_change", "报名状态已变化，请重试")
    Shift.objects.filter(id=shift.id).update(waitlisted_count=F("waitlisted_count") - 1)
    notification_send(recipient_id=head.volunteer_id, kind=Notification.Kind.SIGNUP_PROMOTED,
                      title="候补转正", body=f"{why}，您已获得「{shift.project.title}」"
                      f"{_fmt(shift.starts_at)} 的名额。",
                      data={"signup_id": head.id, "shift_id": shift.id, "project_id": shift.project_id})
    return head


# --- approval-required projects: a manager decides on pending sign-ups -----------------


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
        shift = _lock_shift(signup.shift_id)
        signup = Signup.objects.select_for_update().get(id=signup.id)
        if signup.status != Signup.Status.PENDING:
            raise Conflict("not_pending", "该报名不在待审核状态")
        if shift.project.status != ServiceProject.Status.PUBLISHED:
            raise DomainError("project_not_published", "项目未发布或已结束", status_code=409)
        if now >= shift.starts_at:
            raise DomainError("shift_started", "该班次已开始或已结束", status_code=409)
        if _overlapping_confirmed(volunteer_ids=[signup.volunteer_id], shift=shift).exists():
            raise Conflict("time_conflict", "该志愿者已确认的另一个班次与此班次时间重叠")
        if shift.is_full:
            raise Conflict("shift_full", "班次名额已满，请先增加名额")
        Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
        signup.status, signup.confirmed_at = Signup.Status.CONFIRMED, now
        signup.decided_at, signup.decided_by = now, user
        signup.save(update_fields=["status", "confirmed_at", "decided_at", "decided_by"])
        notification_send(recipient_id=signup.volunteer_id, kind="signup_accepted", title="报名已通过",
                          body=f"您报名的「{shift.project.title}」{_fmt(shift.starts_at)} 的班次已通过审核。",
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
        shift = _lock_shift(signup.shift_id)
        changed = Signup.objects.filter(id=signup.id, status=Signup.Status.PENDING).update(
            status=Signup.Status.DECLINED, decided_at=now, decided_by=user)
        if changed != 1:
            raise Conflict("not_pending", "该报名不在待审核状态")
        signup.refresh_from_db()
        note = f"原因：{reason}" if reason else "感谢您的关注。"
        notification_send(recipient_id=signup.volunteer_id, kind="signup_declined", title="报名未通过",
                          body=f"您报名的「{shift.project.title}」{_fmt(shift.starts_at)} 的班次未通过审核。{note}",
                          data={"signup_id": signup.id, "shift_id": shift.id, "project_id": shift.project_id,
                                "reason": reason})
    signup.shift = shift
    signup.position = None
    return signup


# --- a manager changes a shift ---------------------------------------------------------

NOTIFIED_FIELDS = {"starts_at": "开始时间", "ends_at": "结束时间", "address": "地点"}


def _shown(field: str, value) -> str:
    return _fmt(value) if isinstance(value, datetime) else (value or "（项目地点）")


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
        shift = _lock_shift(shift.id)
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
            clashes = sorted(set(_overlapping_confirmed(volunteer_ids=confirmed, shift=moved_shift)
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
            head = _take_first_waitlisted(shift=shift, now=now, why="班次增加了名额")
            if head is None:
                break
            Shift.objects.filter(id=shift.id).update(confirmed_count=F("confirmed_count") + 1)
            shift.refresh_from_db(fields=["confirmed_count", "waitlisted_count"])
            seats -= 1

        for position, signup in enumerate(moved, start=shift.waitlisted_count - len(moved) + 1):
            notification_send(recipient_id=signup.volunteer_id, kind="signup_moved_to_waitlist",
                              title="已转为候补",
                              body=f"「{shift.project.title}」{_fmt(shift.starts_at)} 的班次名额减少，"
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


# --- teams on projects: members first, a leader's bulk sign-up ------------------------


def project_team_set(*, project: ServiceProject, team_id: int | None,
                     members_first_until: datetime | None = None) -> ServiceProject:
    """Attach a team of the project's own organization to a project (checked manager),
    optionally opening sign-ups to its members first until ``members_first_until``.
    ``team_id=None`` detaches the team and ends any members-first window."""
    from volunteers.models import Team

    errors: dict[str, list[str]] = {}
    team = None
    if team_id is not None:
        team = Team.objects.filter(id=team_id).first()
        if team is None:
            errors["team"] = ["服务队不存在"]
        elif team.organization_id != project.organization_id:
            errors["team"] = ["只能选择本组织的服务队"]
    if members_first_until is not None and team_id is None:
        errors["members_first_until"] = ["设置队员优先报名须先选择服务队"]
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        if ServiceProject.objects.filter(id=project.id).exclude(
                status__in=[ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED]).update(
                team=team, members_first_until=members_first_until) != 1:
            raise Conflict("project_closed", "项目已结束或已取消")
    project.refresh_from_db()
    return project


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
        shift = _lock_shift(shift_id)
        _shift_open_check(shift=shift, now=now)
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
                    signup = _signup_place(volunteer=user, shift=shift, now=now, by=leader,
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


# --- invitations: a social worker invites matched volunteers to a short shift ------------


def shift_invitations_create(*, user: User, shift: Shift, volunteer_ids: list[int],
                             reasons: dict[int, list[str]] | None = None) -> list:
    """Invite volunteers to a shift (``shift`` checked by ``shift_for_manager``). Each is
    told by a notification (kind ``shift_invitation``, data carries ``invitation_id``)
    that they can accept with one tap. An invitation lapses when the shift starts.

    All or nothing: an unknown volunteer, one already signed up, or one with an open
    invitation refuses the whole request (the partial unique constraint
    ``invitation_one_open_per_volunteer_shift`` settles a race between two inviters)."""
    from projects.models import ShiftInvitation

    now = timezone.now()
    ordered = list(dict.fromkeys(volunteer_ids))
    if shift.project.status != ServiceProject.Status.PUBLISHED:
        raise DomainError("project_not_published", "项目未发布，不能邀请", status_code=409)
    if now >= shift.signups_close_at:
        raise DomainError("signup_closed", "班次已开始或已截止报名，不能邀请", status_code=409)
    found = set(User.objects.filter(id__in=ordered, is_active=True).values_list("id", flat=True))
    missing = [v for v in ordered if v not in found]
    if missing:
        raise DomainError("invalid", "志愿者不存在", fields={"volunteer_ids": [f"不存在的志愿者：{missing}"]})
    if user.id in found:
        raise DomainError("invalid", "不能邀请自己", fields={"volunteer_ids": ["不能邀请自己"]})
    signed = sorted(set(Signup.objects.filter(shift=shift, volunteer_id__in=ordered, status__in=Signup.ACTIVE)
                        .values_list("volunteer_id", flat=True)))
    if signed:
        raise Conflict("already_signed_up", "所选志愿者中有人已报名该班次",
                       fields={"volunteer_ids": [f"已报名：{signed}"]})
    reasons = reasons or {}
    try:
        with transaction.atomic():
            # The module's lock order: the invitees' user rows (id order), then the shift.
            # Each invitation row's foreign keys take share locks on both, which would
            # otherwise invert the order against an invitee accepting at this moment.
            list(User.objects.select_for_update().filter(id__in=ordered).order_by("id").values_list("id"))
            shift = _lock_shift(shift.id)
            if Signup.objects.filter(shift=shift, volunteer_id__in=ordered, status__in=Signup.ACTIVE).exists():
                raise Conflict("already_signed_up", "所选志愿者中有人已报名该班次")
            invitations = []
            for volunteer_id in ordered:
                invitation = ShiftInvitation.objects.create(
                    shift=shift, volunteer_id=volunteer_id, invited_by=user, created_at=now,
                    expires_at=shift.signups_close_at, reasons=reasons.get(volunteer_id, []))
                why = "；".join(invitation.reasons[:3])
                notification_send(
                    recipient_id=volunteer_id, kind="shift_invitation", title="服务邀请",
                    body=f"{user.name} 邀请您参加「{shift.project.title}」{_fmt(shift.starts_at)} 的班次"
                         f"{'（' + why + '）' if why else ''}，点击即可接受。",
                    data={"invitation_id": invitation.id, "shift_id": shift.id, "project_id": shift.project_id})
                invitations.append(invitation)
    except IntegrityError:
        raise Conflict("already_invited", "所选志愿者中有人已收到该班次的邀请，尚未回复",
                       fields={"volunteer_ids": ["已有未回复的邀请"]}) from None
    return invitations


def invitation_for_volunteer(*, user: User, invitation_id: int):
    """The volunteer's own invitation; anyone else's is reported as not found."""
    from projects.models import ShiftInvitation

    invitation = ShiftInvitation.objects.filter(id=invitation_id, volunteer=user).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_accept(*, user: User, invitation_id: int):
    """Accept an invitation with one tap: the sign-up goes through the ordinary sign-up
    rules (age, consent, overlap, capacity: confirmed while seats remain, else
    waitlisted). The invitation is the project's approval and opens a members-first
    window to the invitee.

    Locks: the volunteer's user row, then the invitation (compare-and-set open →
    accepted, still before expiry), then the shift. Any refusal rolls the acceptance
    back, so the invitation stays open for another try."""
    from projects.models import ShiftInvitation

    invitation = invitation_for_volunteer(user=user, invitation_id=invitation_id)
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=user.id).exists()
        changed = ShiftInvitation.objects.filter(
            id=invitation.id, status=ShiftInvitation.Status.OPEN, expires_at__gt=now,
        ).update(status=ShiftInvitation.Status.ACCEPTED, responded_at=now)
        if changed != 1:
            invitation.refresh_from_db()
            if invitation.status == ShiftInvitation.Status.OPEN:
                raise DomainError("invitation_expired", "邀请已过期（班次已开始或已截止报名）", status_code=409)
            raise Conflict("invitation_answered", "该邀请已回复")
        shift = _lock_shift(invitation.shift_id)
        inviter = User.objects.get(id=invitation.invited_by_id)
        try:
            with transaction.atomic():
                signup = _signup_place(volunteer=user, shift=shift, now=now, approved_by=inviter,
                                       members_first=False)
        except IntegrityError:
            raise Conflict("already_signed_up", "您已报名该班次") from None
        ShiftInvitation.objects.filter(id=invitation.id).update(signup=signup)
        notification_send(recipient_id=inviter.id, kind="shift_invitation_accepted", title="邀请已接受",
                          body=f"{user.name} 接受了「{shift.project.title}」{_fmt(shift.starts_at)} 的邀请"
                               f"（{signup.get_status_display()}）。",
                          data={"invitation_id": invitation.id, "shift_id": shift.id, "signup_id": signup.id})
    invitation.refresh_from_db()
    invitation.signup = signup
    return invitation


def invitation_decline(*, user: User, invitation_id: int):
    """Decline an invitation (compare-and-set; the inviter is told)."""
    from projects.models import ShiftInvitation

    invitation = invitation_for_volunteer(user=user, invitation_id=invitation_id)
    now = timezone.now()
    with transaction.atomic():
        if ShiftInvitation.objects.filter(id=invitation.id, status=ShiftInvitation.Status.OPEN).update(
                status=ShiftInvitation.Status.DECLINED, responded_at=now) != 1:
            raise Conflict("invitation_answered", "该邀请已回复")
        invitation.refresh_from_db()
        notification_send(recipient_id=invitation.invited_by_id, kind="shift_invitation_declined",
                          title="邀请被婉拒", body=f"{user.name} 婉拒了您的班次邀请。",
                          data={"invitation_id": invitation.id, "shift_id": invitation.shift_id})
    return invitation
