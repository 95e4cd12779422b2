"""The committee's vote, publishing grades, appeals (复核), and the reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError
from evaluation.conf import eval_setting
from evaluation.models import Appeal, CommitteeDecision, Evaluation, Grade, IndicatorScore, Round
from evaluation.selectors import evaluation_for
from notifications.services import notification_send
from organizations.models import Membership


def _org_admin_ids(organization_id: int) -> list[int]:
    return list(Membership.objects.filter(organization_id=organization_id, role=Membership.Role.ADMIN)
                .values_list("user_id", flat=True))


def _unscored(rnd: Round) -> list[str]:
    return list(rnd.evaluations.exclude(status__in=[Evaluation.Status.SCORED, Evaluation.Status.PUBLISHED])
                .values_list("organization__name", flat=True))


def _valid_until(start: date) -> date:
    years = eval_setting("GRADE_VALID_YEARS")
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return end - timedelta(days=1)


def committee_record(*, user: User, rnd: Round, members_present: list[str], votes_for: int,
                     votes_against: int, votes_abstain: int, note: str = "") -> CommitteeDecision:
    """Record the committee's vote on the round's proposed grades. Every member present
    votes once; a majority of those present approves, which moves the round to
    ``decided`` (compare-and-set from ``open``) and freezes the scores. A vote that does
    not pass is recorded too, and the round stays open for rescoring."""
    members = [m.strip() for m in members_present if m.strip()]
    if len(set(members)) != len(members) or not members:
        raise DomainError("invalid", "出席委员名单为空或有重复", fields={"members_present": ["名单为空或有重复"]})
    if votes_for + votes_against + votes_abstain != len(members):
        raise DomainError("votes_mismatch", f"赞成、反对、弃权票数之和应等于出席委员人数 {len(members)}",
                          fields={"votes_for": ["票数之和与出席人数不一致"]})
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(id=rnd.id)
        if rnd.status != Round.Status.OPEN:
            raise Conflict("round_not_open", "该轮评估已审定")
        # Lock order round → evaluations (as in ``round_publish``). Score writers lock
        # their evaluation row and then check the round: one still writing finishes
        # before the scores below are read, one that comes later finds the round decided.
        list(rnd.evaluations.select_for_update().values_list("id", flat=True))
        unscored = _unscored(rnd)
        if unscored:
            raise Conflict("not_all_scored", f"还有 {len(unscored)} 家组织未完成评分：{'、'.join(unscored[:5])}",
                           fields={"evaluations": unscored})
        if not rnd.evaluations.exists():
            raise Conflict("not_all_scored", "本轮没有参评组织")
        approved = votes_for * 2 > len(members)
        decision = CommitteeDecision.objects.create(
            round=rnd, members_present=members, members_count=len(members), votes_for=votes_for,
            votes_against=votes_against, votes_abstain=votes_abstain, approved=approved, note=note,
            recorded_by=user)
        if approved:
            rnd.status = Round.Status.DECIDED
            rnd.save(update_fields=["status"])
        return decision


def round_publish(*, user: User, rnd: Round) -> Round:
    """Publish the grades: each organization whose total reaches a band gets a grade
    valid for five years (the previous current grade is superseded and points at it),
    its admins are notified. Needs every evaluation scored and an approved committee
    decision; the round goes ``decided`` → ``published`` under its row lock."""
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(id=rnd.id)
        unscored = _unscored(rnd)
        if unscored:
            raise Conflict("not_all_scored", f"还有 {len(unscored)} 家组织未完成评分，不能公布",
                           fields={"evaluations": unscored})
        if rnd.status == Round.Status.PUBLISHED:
            raise Conflict("already_published", "该轮评估结果已公布")
        if rnd.status != Round.Status.DECIDED:
            raise Conflict("no_committee_decision", "评估委员会审定通过后才能公布")
        now = timezone.now()
        today = timezone.localdate()
        for evaluation in rnd.evaluations.select_related("organization").select_for_update(of=("self",)):
            if evaluation.proposed_grade:
                _grade_replace(evaluation=evaluation, grade=evaluation.proposed_grade, total=evaluation.total,
                               valid_from=today, valid_until=_valid_until(today), source=Grade.Source.ROUND)
            evaluation.status = Evaluation.Status.PUBLISHED
            evaluation.save(update_fields=["status"])
            result = f"评估等级 {evaluation.proposed_grade}" if evaluation.proposed_grade else "未达到评估等级"
            for admin_id in _org_admin_ids(evaluation.organization_id):
                notification_send(
                    recipient_id=admin_id, kind="evaluation_published", title=f"{rnd.name}结果已公布",
                    body=f"{evaluation.organization.name}：总分 {evaluation.total}，{result}。"
                         f"如有异议，可在 {rnd.appeal_window_days} 天内申请复核。",
                    data={"evaluation": evaluation.id, "round": rnd.id})
        rnd.status, rnd.published_at = Round.Status.PUBLISHED, now
        rnd.save(update_fields=["status", "published_at"])
        return rnd


def _grade_replace(*, evaluation: Evaluation, grade: str, total: Decimal, valid_from: date, valid_until: date,
                   source: str) -> Grade:
    previous = Grade.objects.select_for_update().filter(organization_id=evaluation.organization_id,
                                                        status=Grade.Status.CURRENT).first()
    if previous is not None:
        # Out of the one-current slot first: the partial unique index checks every row.
        Grade.objects.filter(id=previous.id).update(status=Grade.Status.SUPERSEDED)
    new = Grade.objects.create(organization_id=evaluation.organization_id, grade=grade, total=total,
                               valid_from=valid_from, valid_until=valid_until, round_id=evaluation.round_id,
                               evaluation=evaluation, source=source)
    if previous is not None:
        Grade.objects.filter(id=previous.id).update(superseded_by=new)
    return new


def appeal_file(*, user: User, evaluation_id: int, reason: str) -> Appeal:
    """An organization's admin asks for a review within the round's window after
    publication; one appeal per evaluation."""
    with transaction.atomic():
        evaluation = evaluation_for(user=user, evaluation_id=evaluation_id, capacity="org_admin", lock=True)
        rnd = evaluation.round
        if rnd.status != Round.Status.PUBLISHED:
            raise Conflict("not_published", "评估结果公布后才能申请复核")
        closes = timezone.localtime(rnd.published_at).date() + timedelta(days=rnd.appeal_window_days)
        if timezone.localdate() > closes:
            raise Conflict("appeal_window_closed", f"复核申请已于 {closes:%Y-%m-%d} 截止")
        if Appeal.objects.filter(evaluation=evaluation).exists():
            raise Conflict("already_appealed", "该评估已申请过复核")
        appeal = Appeal.objects.create(evaluation=evaluation, reason=reason, filed_by=user,
                                       old_total=evaluation.total, old_grade=evaluation.proposed_grade)
        if rnd.opened_by_id:
            notification_send(recipient_id=rnd.opened_by_id, kind="evaluation_appeal", title="收到评估复核申请",
                              body=f"{evaluation.organization.name}申请复核{rnd.name}结果。",
                              data={"appeal": appeal.id, "round": rnd.id})
        return appeal


def appeal_review(*, user: User, appeal: Appeal, decision: str, note: str,
                  changes: list[dict[str, Any]]) -> Appeal:
    """Record the review. ``upheld`` keeps the result; ``regraded`` changes the listed
    indicator scores (each within its points, old and new kept in ``changes``),
    recomputes the total and, when the grade moves, replaces the current grade (a
    grade the new total no longer reaches is revoked). ``appeal`` comes locked from
    ``appeal_for_manager``; pending → reviewed is checked under that lock."""
    with transaction.atomic():
        if appeal.status != Appeal.Status.PENDING:
            raise Conflict("appeal_reviewed", "该复核申请已处理")
        evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related(
            "template", "organization", "round").get(id=appeal.evaluation_id)
        now = timezone.now()
        record: list[dict[str, Any]] = []
        if decision == Appeal.Status.REGRADED:
            if not changes:
                raise DomainError("invalid", "改定须列出调整的指标", fields={"changes": ["请列出调整的指标"]})
            rows = {r.code: r for r in evaluation.scores.all()}
            errors = {}
            for item in changes:
                row = rows.get(item["indicator"])
                if row is None:
                    errors[item["indicator"]] = ["本评估没有该指标"]
                elif item["score"] > row.points:
                    errors[item["indicator"]] = [f"得分 {item['score']:f} 超过该指标分值 {row.points:f}"]
            if errors:
                over = any("超过" in m[0] for m in errors.values())
                raise DomainError("score_over_points" if over else "invalid", next(iter(errors.values()))[0],
                                  fields=errors)
            for item in changes:
                row = rows[item["indicator"]]
                record.append({"indicator": row.code, "name": row.name, "old": str(row.score),
                               "new": str(item["score"]), "comment": item.get("comment", "")})
                row.score, row.scored_at = item["score"], now
            IndicatorScore.objects.bulk_update([rows[i["indicator"]] for i in changes], ["score", "scored_at"])
            total = sum((r.score for r in rows.values()), Decimal("0.00"))
            grade = evaluation.template.grade_for(total)
            evaluation.total, evaluation.proposed_grade = total, grade
            evaluation.save(update_fields=["total", "proposed_grade"])
            current = Grade.objects.select_for_update().filter(organization=evaluation.organization,
                                                               status=Grade.Status.CURRENT,
                                                               round=evaluation.round).first()
            if grade and (current is None or current.grade != grade or current.total != total):
                start = current.valid_from if current else timezone.localdate()
                _grade_replace(evaluation=evaluation, grade=grade, total=total, valid_from=start,
                               valid_until=current.valid_until if current else _valid_until(start),
                               source=Grade.Source.APPEAL)
            elif not grade and current is not None:
                Grade.objects.filter(id=current.id).update(status=Grade.Status.REVOKED)
        elif decision != Appeal.Status.UPHELD:
            raise DomainError("invalid", "复核结论须为维持或改定", fields={"decision": ["无效"]})
        appeal.status, appeal.review_note, appeal.changes = decision, note, record
        appeal.new_total, appeal.new_grade = evaluation.total, evaluation.proposed_grade
        appeal.reviewed_by, appeal.reviewed_at = user, now
        appeal.save(update_fields=["status", "review_note", "changes", "new_total", "new_grade", "reviewed_by",
                                   "reviewed_at"])
        verdict = ("维持原评估结论" if decision == Appeal.Status.UPHELD
                   else f"改定为总分 {evaluation.total}，{evaluation.proposed_grade or '未达到评估等级'}")
        for admin_id in _org_admin_ids(evaluation.organization_id):
            notification_send(recipient_id=admin_id, kind="evaluation_appeal_reviewed", title="评估复核结果",
                              body=f"{evaluation.organization.name}：{verdict}。{note}",
                              data={"appeal": appeal.id, "evaluation": evaluation.id})
        return appeal


def deadline_reminders_send(*, today: date | None = None) -> int:
    """Remind the admins of organizations that have not submitted their self-assessment
    when an open round's deadline is near. Once per evaluation: the reminder stamp is
    set by compare-and-set before anything is sent, so a repeated run sends nothing."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=eval_setting("DEADLINE_REMINDER_DAYS"))
    due = Evaluation.objects.filter(round__status=Round.Status.OPEN, self_submitted_at__isnull=True,
                                    deadline_reminded_at__isnull=True, round__self_assessment_deadline__gte=today,
                                    round__self_assessment_deadline__lte=horizon)
    sent = 0
    for evaluation in due.select_related("round", "organization"):
        with transaction.atomic():
            if not Evaluation.objects.filter(id=evaluation.id, deadline_reminded_at__isnull=True).update(
                    deadline_reminded_at=timezone.now()):
                continue
            for admin_id in _org_admin_ids(evaluation.organization_id):
                notification_send(
                    recipient_id=admin_id, kind="evaluation_deadline", title="评估自评即将截止",
                    body=f"{evaluation.round.name}的自评将于 {evaluation.round.self_assessment_deadline:%Y-%m-%d} "
                         f"截止，{evaluation.organization.name}尚未提交。",
                    data={"evaluation": evaluation.id})
            sent += 1
    return sent


def expiry_reminders_send(*, today: date | None = None) -> int:
    """Remind organizations whose current grade expires within six months (once per
    grade, by compare-and-set on ``expiry_reminded_at``)."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=eval_setting("EXPIRY_REMINDER_DAYS"))
    due = Grade.objects.filter(status=Grade.Status.CURRENT, expiry_reminded_at__isnull=True,
                               valid_until__gte=today, valid_until__lte=horizon)
    sent = 0
    for grade in due.select_related("organization"):
        with transaction.atomic():
            if not Grade.objects.filter(id=grade.id, expiry_reminded_at__isnull=True).update(
                    expiry_reminded_at=timezone.now()):
                continue
            for admin_id in _org_admin_ids(grade.organization_id):
                notification_send(
                    recipient_id=admin_id, kind="evaluation_grade_expiring", title="评估等级即将到期",
                    body=f"{grade.organization.name}的评估等级 {grade.grade} 将于 {grade.valid_until:%Y-%m-%d} 到期，"
                         "请关注下一轮评估。",
                    data={"grade": grade.id})
            sent += 1
    return sent
