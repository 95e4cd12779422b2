"""Invitations: a social worker invites matched volunteers to a shift short of people;
accepting signs up through ``signups.signup_place``, in the lock order of
``projects.services`` (invitees' user rows, then the shift)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError
from notifications.services import notification_send
from projects.models import ServiceProject, Shift, Signup
from projects.services.shared import fmt_when, lock_shift
from projects.services.signups import signup_place


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
            shift = lock_shift(shift.id)
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
                    body=f"{user.name} 邀请您参加「{shift.project.title}」{fmt_when(shift.starts_at)} 的班次"
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
        shift = lock_shift(invitation.shift_id)
        inviter = User.objects.get(id=invitation.invited_by_id)
        try:
            with transaction.atomic():
                signup = signup_place(volunteer=user, shift=shift, now=now, approved_by=inviter,
                                       members_first=False)
        except IntegrityError:
            raise Conflict("already_signed_up", "您已报名该班次") from None
        ShiftInvitation.objects.filter(id=invitation.id).update(signup=signup)
        notification_send(recipient_id=inviter.id, kind="shift_invitation_accepted", title="邀请已接受",
                          body=f"{user.name} 接受了「{shift.project.title}」{fmt_when(shift.starts_at)} 的邀请"
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
