"""Writes for teams (志愿服务队): creating a team, applying, joining by invite code,
the leader's decisions, leaving, removing a member, and resetting the invite code.

Locking: every change to a volunteer's membership takes that volunteer's user row
first, the same first lock as a sign-up (``projects.services``). A sign-up to a
members-first project therefore reads a membership that cannot change under it, and a
leader's bulk sign-up (which locks all its volunteers first) sees stable memberships.
Status changes are compare-and-set on the membership row; the partial unique
constraint ``team_membership_one_open`` refuses a second pending or active row."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.models import Membership, Organization
from volunteers.models import Team, TeamMembership

# No 0/O, 1/I/L: the code is read aloud and typed on phones.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace(" ", "").replace("-", "")


def team_create(*, user: User, organization: Organization, name: str, description: str = "") -> Team:
    """A social worker of ``organization`` founds a team and leads it."""
    if not Membership.objects.filter(user=user, organization=organization,
                                     role=Membership.Role.SOCIAL_WORKER).exists():
        raise Forbidden("not_social_worker", "只有该组织的社工可以组建志愿服务队",
                        fields={"organization": ["您不是该组织的社工"]})
    name = name.strip()
    if not name:
        raise DomainError("invalid", "请填写队名", fields={"name": ["请填写队名"]})
    if Team.objects.filter(organization=organization, name=name).exists():
        raise Conflict("team_name_taken", "本组织已有同名的服务队", fields={"name": ["队名已被使用"]})
    for _ in range(5):
        try:
            with transaction.atomic():
                return Team.objects.create(organization=organization, leader=user, name=name,
                                           description=description, invite_code=_new_code())
        except IntegrityError:
            # A concurrent create of the same name, or (rarely) a code collision: retry
            # the code; a taken name is reported.
            if Team.objects.filter(organization=organization, name=name).exists():
                raise Conflict("team_name_taken", "本组织已有同名的服务队", fields={"name": ["队名已被使用"]}) from None
    raise Conflict("concurrent_change", "请稍后重试")  # pragma: no cover - five code collisions in a row


def team_invite_code_reset(*, team: Team) -> Team:
    """Replace the invite code (checked leader): the old one stops working at once."""
    for _ in range(5):
        try:
            with transaction.atomic():
                Team.objects.filter(id=team.id).update(invite_code=_new_code(), invite_code_reset_at=timezone.now())
            break
        except IntegrityError:  # pragma: no cover - code collision, try another
            continue
    team.refresh_from_db(fields=["invite_code", "invite_code_reset_at"])
    return team


def _open_membership(*, team_id: int, volunteer_id: int) -> TeamMembership | None:
    return TeamMembership.objects.filter(team_id=team_id, volunteer_id=volunteer_id,
                                         status__in=TeamMembership.OPEN).first()


def _refuse_leader(*, volunteer: User, team: Team) -> None:
    if team.leader_id == volunteer.id:
        raise Conflict("is_leader", "您是该服务队的队长，无需加入")


def team_apply(*, volunteer: User, team: Team, message: str = "") -> TeamMembership:
    """Apply to join: a pending membership that the leader accepts or declines. The
    leader is told. Lock: the volunteer's user row."""
    _refuse_leader(volunteer=volunteer, team=team)
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        current = _open_membership(team_id=team.id, volunteer_id=volunteer.id)
        if current is not None:
            if current.status == TeamMembership.Status.ACTIVE:
                raise Conflict("already_member", "您已是该服务队队员")
            raise Conflict("already_applied", "您已申请加入，请等待队长审核")
        membership = TeamMembership.objects.create(team=team, volunteer=volunteer,
                                                   status=TeamMembership.Status.PENDING,
                                                   via=TeamMembership.Via.APPLICATION, message=message)
        notification_send(recipient_id=team.leader_id, kind="team_application", title="新的入队申请",
                          body=f"{volunteer.name} 申请加入「{team.name}」。{message}".strip(),
                          data={"team_id": team.id, "membership_id": membership.id})
    return membership


def _refuse_removed_rejoining_by_code(*, volunteer: User, team: Team) -> None:
    """A removed member still knows the code; it must not undo the leader's removal.
    Once the leader resets the code after the removal, the new code is a fresh
    invitation and works. Applying stays open: the leader decides it."""
    last_removal = (TeamMembership.objects.filter(team_id=team.id, volunteer_id=volunteer.id,
                                                  status=TeamMembership.Status.REMOVED)
                    .order_by("-left_at").values_list("left_at", flat=True).first())
    if last_removal is None:
        return
    if team.invite_code_reset_at is None or team.invite_code_reset_at < last_removal:
        raise Forbidden("removed_from_team", "您已被移出该服务队，如需重新加入请提交申请",
                        fields={"invite_code": ["您已被移出该服务队"]})


def team_join_by_code(*, volunteer: User, code: str) -> TeamMembership:
    """Join with the leader's invite code: active at once (the code is the leader's
    invitation). A pending application of the same volunteer becomes the membership."""
    team = Team.objects.filter(invite_code=normalise_code(code)).first()
    if team is None:
        raise DomainError("invalid_invite_code", "邀请码无效或已重置", fields={"invite_code": ["邀请码无效"]})
    _refuse_leader(volunteer=volunteer, team=team)
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        current = _open_membership(team_id=team.id, volunteer_id=volunteer.id)
        if current is not None and current.status == TeamMembership.Status.ACTIVE:
            raise Conflict("already_member", "您已是该服务队队员")
        _refuse_removed_rejoining_by_code(volunteer=volunteer, team=team)
        if current is not None:
            TeamMembership.objects.filter(id=current.id, status=TeamMembership.Status.PENDING).update(
                status=TeamMembership.Status.ACTIVE, via=TeamMembership.Via.INVITE_CODE, joined_at=now,
                decided_at=now)
            membership = TeamMembership.objects.get(id=current.id)
        else:
            membership = TeamMembership.objects.create(team=team, volunteer=volunteer,
                                                       status=TeamMembership.Status.ACTIVE,
                                                       via=TeamMembership.Via.INVITE_CODE, joined_at=now)
        notification_send(recipient_id=team.leader_id, kind="team_member_joined", title="新队员加入",
                          body=f"{volunteer.name} 通过邀请码加入了「{team.name}」。",
                          data={"team_id": team.id, "membership_id": membership.id})
    membership.team = team
    return membership


def _decide(*, user: User, membership: TeamMembership, to: str, kind: str, title: str, body: str,
            reason: str = "") -> TeamMembership:
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=membership.volunteer_id).exists()
        changes = {"status": to, "decided_at": now, "decided_by": user}
        if to == TeamMembership.Status.ACTIVE:
            changes["joined_at"] = now
        if TeamMembership.objects.filter(id=membership.id, status=TeamMembership.Status.PENDING).update(
                **changes) != 1:
            raise Conflict("not_pending", "该申请已处理")
        membership.refresh_from_db()
        notification_send(recipient_id=membership.volunteer_id, kind=kind, title=title, body=body,
                          data={"team_id": membership.team_id, "membership_id": membership.id, "reason": reason})
    return membership


def team_membership_accept(*, user: User, membership: TeamMembership) -> TeamMembership:
    """The leader accepts a pending application (``membership`` checked by
    ``membership_for_leader``). Compare-and-set: decided exactly once."""
    return _decide(user=user, membership=membership, to=TeamMembership.Status.ACTIVE,
                   kind="team_application_accepted", title="入队申请已通过",
                   body=f"欢迎加入「{membership.team.name}」！")


def team_membership_decline(*, user: User, membership: TeamMembership, reason: str = "") -> TeamMembership:
    note = f"原因：{reason}" if reason else "感谢您的关注。"
    return _decide(user=user, membership=membership, to=TeamMembership.Status.DECLINED,
                   kind="team_application_declined", title="入队申请未通过",
                   body=f"您加入「{membership.team.name}」的申请未通过。{note}", reason=reason)


def team_leave(*, volunteer: User, team: Team) -> TeamMembership:
    """Leave a team (or withdraw a pending application). Confirmed sign-ups stay: they
    are the volunteer's own commitments."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        current = _open_membership(team_id=team.id, volunteer_id=volunteer.id)
        if current is None:
            raise Conflict("not_member", "您不是该服务队队员")
        if TeamMembership.objects.filter(id=current.id, status=current.status).update(
                status=TeamMembership.Status.LEFT, left_at=now) != 1:
            raise Conflict("concurrent_change", "状态已变化，请重试")  # pragma: no cover - user row is locked
        current.refresh_from_db()
        if current.joined_at is not None:
            notification_send(recipient_id=team.leader_id, kind="team_member_left", title="队员退出",
                              body=f"{volunteer.name} 退出了「{team.name}」。",
                              data={"team_id": team.id, "membership_id": current.id})
    return current


def team_membership_remove(*, user: User, membership: TeamMembership, reason: str) -> TeamMembership:
    """The leader, or an admin of the team's organization, removes an active member
    (``membership`` checked by ``membership_for_leader``). The row stays as history with
    who removed the member and why; the member is told the reason (and the leader too
    when an admin did it).

    The member's existing sign-ups are NOT cancelled: each is the volunteer's own
    commitment to a shift, made under the rules of its time (a members-first sign-up
    was valid when made), and the shift's social worker may be counting on that seat.
    Cancelling them here would also notify and promote waitlisted volunteers as a side
    effect of a team decision; whoever manages the shift can cancel a sign-up on its own
    if that is wanted. What removal does end is the member's right to sign up during a
    members-first window (``_members_first_check`` asks for an active membership) and
    to be signed up in bulk by the leader.

    Lock: the volunteer's user row, like every membership change, so a sign-up of this
    volunteer to a members-first project runs wholly before or after the removal.
    Compare-and-set on the active row: removed exactly once."""
    reason = reason.strip()
    if not reason:
        raise DomainError("invalid", "请填写移出原因", fields={"reason": ["请填写移出原因"]})
    now = timezone.now()
    team = membership.team
    with transaction.atomic():
        User.objects.select_for_update().filter(id=membership.volunteer_id).exists()
        if TeamMembership.objects.filter(id=membership.id, status=TeamMembership.Status.ACTIVE).update(
                status=TeamMembership.Status.REMOVED, left_at=now, removed_by=user,
                removal_reason=reason) != 1:
            raise Conflict("not_active", "该志愿者已不是队员")
        membership.refresh_from_db()
        notification_send(recipient_id=membership.volunteer_id, kind="team_member_removed",
                          title="您已被移出服务队",
                          body=f"您已被移出「{team.name}」。原因：{reason}",
                          data={"team_id": team.id, "membership_id": membership.id, "reason": reason})
        if user.id != team.leader_id:
            notification_send(recipient_id=team.leader_id, kind="team_member_removed_by_admin",
                              title="队员被移出",
                              body=f"{user.name} 将 {membership.volunteer.name} 移出了「{team.name}」。原因：{reason}",
                              data={"team_id": team.id, "membership_id": membership.id, "reason": reason})
    return membership
