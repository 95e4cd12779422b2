"""Scores: automatic indicators from the metrics snapshot, the organization's
self-assessment with evidence, the experts' scores, and the total that follows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import Conflict, DomainError
from config.uploads import files_removed_on_failure
from evaluation.indicators import display_value, rule_score, rule_text, source_values
from evaluation.models import Evaluation, Evidence, Expert, IndicatorScore, Round
from evaluation.selectors import evaluation_for, expert_of


def _require_open(evaluation: Evaluation) -> None:
    """Called with the evaluation row locked. The round's status is read again in a
    statement of its own: the committee locks the round's evaluations before it decides
    (``committee_record``), so a score written while it decides either commits first
    (and the committee sees it) or waits and then sees the round decided here. The
    round fetched along with the locked row may predate the committee's commit."""
    status = Round.objects.filter(id=evaluation.round_id).values_list("status", flat=True).get()
    if status != Round.Status.OPEN or evaluation.status == Evaluation.Status.PUBLISHED:
        raise Conflict("evaluation_final", "评估结果已审定，分数不能再改动")


def _refresh_total(evaluation: Evaluation) -> Evaluation:
    """Total and proposed grade once every indicator has a score; back to in progress
    otherwise (a score can only be added or changed while the round is open)."""
    scores = list(evaluation.scores.values_list("score", flat=True))
    if scores and all(s is not None for s in scores):
        evaluation.total = sum(scores, Decimal("0.00"))
        evaluation.proposed_grade = evaluation.template.grade_for(evaluation.total)
        evaluation.status = Evaluation.Status.SCORED
    else:
        evaluation.total, evaluation.proposed_grade = None, ""
        evaluation.status = Evaluation.Status.IN_PROGRESS
    evaluation.save(update_fields=["total", "proposed_grade", "status"])
    return evaluation


def evaluation_compute(*, evaluation: Evaluation) -> Evaluation:
    """Compute the automatic indicators as of the round's cut-off date and store the
    value, the rule and the score (the snapshot); refresh the total.

    Refused before the cut-off date (the months are not complete) and once the round is
    decided (a finished score stands still). Repeating it while the round is open gives
    the same figures unless the metrics of the window themselves were corrected. The
    evaluation row is locked, so two computes cannot interleave."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related(
            "round", "organization", "template").get(id=evaluation.id)
        _require_open(evaluation)
        if timezone.localdate() <= evaluation.round.cutoff_date:
            raise Conflict("before_cutoff",
                           f"数据截止日期（{evaluation.round.cutoff_date:%Y-%m-%d}）之后才能计算自动指标")
        values = source_values(organization=evaluation.organization, cutoff=evaluation.round.cutoff_date,
                               year=evaluation.round.year)
        by_code = {ind["code"]: ind for ind in evaluation.template.indicators()}
        now = timezone.now()
        rows = list(evaluation.scores.filter(method=IndicatorScore.Method.AUTO))
        for row in rows:
            indicator = by_code[row.code]
            source = indicator["rule"]["source"]
            value = values[source]
            row.source_value = display_value(source, value)
            row.rule_text = rule_text(indicator)
            row.source_detail = {"source": source, "value": None if value is None else str(value),
                                 "window": values["_window"], "cutoff": evaluation.round.cutoff_date.isoformat()}
            row.score = rule_score(indicator, value)
            row.scored_at = now
        IndicatorScore.objects.bulk_update(rows, ["source_value", "rule_text", "source_detail", "score", "scored_at"])
        evaluation.computed_at = now
        evaluation.save(update_fields=["computed_at"])
        return _refresh_total(evaluation)


def round_compute_all(*, rnd: Round) -> int:
    """Compute every evaluation of a round (the manager's one button)."""
    if rnd.status != Round.Status.OPEN:
        raise Conflict("evaluation_final", "评估结果已审定，分数不能再改动")
    if timezone.localdate() <= rnd.cutoff_date:
        raise Conflict("before_cutoff", f"数据截止日期（{rnd.cutoff_date:%Y-%m-%d}）之后才能计算自动指标")
    count = 0
    for evaluation in rnd.evaluations.all():
        evaluation_compute(evaluation=evaluation)
        count += 1
    return count


def _manual_rows(evaluation: Evaluation, items: list[dict[str, Any]], field: str) -> dict[str, IndicatorScore]:
    """The manual indicator rows ``items`` name, checked: known, manual, within points."""
    rows = {r.code: r for r in evaluation.scores.all()}
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in items:
        code = item["indicator"]
        row = rows.get(code)
        if code in seen:
            errors[code] = ["同一指标只能提交一次"]
        elif row is None:
            errors[code] = ["本评估没有该指标"]
        elif row.method != IndicatorScore.Method.MANUAL:
            errors[code] = ["自动计算的指标不能人工打分"]
        elif item[field] > row.points:
            errors[code] = [f"得分 {item[field]:f} 超过该指标分值 {row.points:f}"]
        seen.add(code)
    if errors:
        over = any("超过" in m[0] for m in errors.values())
        raise DomainError("score_over_points" if over else "invalid", next(iter(errors.values()))[0], fields=errors)
    return rows


def self_assessment_save(*, user: User, evaluation_id: int, scores: list[dict[str, Any]],
                         submit: bool = False) -> Evaluation:
    """Save (and optionally submit) the organization's self-assessment of its manual
    indicators. Until the round's deadline and before submission only; all or nothing."""
    with transaction.atomic():
        evaluation = evaluation_for(user=user, evaluation_id=evaluation_id, capacity="org_admin", lock=True)
        _require_open(evaluation)
        if not evaluation.round.self_assessment_open(timezone.localdate()):
            raise Conflict("deadline_passed",
                           f"自评已于 {evaluation.round.self_assessment_deadline:%Y-%m-%d} 截止")
        if evaluation.self_submitted_at is not None:
            raise Conflict("already_submitted", "自评已提交，不能再修改")
        rows = _manual_rows(evaluation, scores, "score")
        changed = []
        for item in scores:
            row = rows[item["indicator"]]
            row.self_score, row.self_note = item["score"], item.get("note", "")
            changed.append(row)
        IndicatorScore.objects.bulk_update(changed, ["self_score", "self_note"])
        if submit:
            missing = [r.name for r in rows.values()
                       if r.method == IndicatorScore.Method.MANUAL and r.self_score is None]
            if missing:
                raise DomainError("self_assessment_incomplete", f"以下指标尚未自评：{'、'.join(missing)}",
                                  fields={"scores": missing})
            evaluation.self_submitted_at = timezone.now()
            evaluation.save(update_fields=["self_submitted_at"])
        return evaluation


def evidence_add(*, user: User, evaluation_id: int, indicator: str, file: UploadedFile) -> Evidence:
    """Attach an evidence file to a manual indicator, while the self-assessment is open.
    The file is written to storage only after every check, and removed again if the
    row is not committed."""
    with files_removed_on_failure() as keep, transaction.atomic():
        evaluation = evaluation_for(user=user, evaluation_id=evaluation_id, capacity="org_admin", lock=True)
        _require_open(evaluation)
        if not evaluation.round.self_assessment_open(timezone.localdate()):
            raise Conflict("deadline_passed",
                           f"自评已于 {evaluation.round.self_assessment_deadline:%Y-%m-%d} 截止")
        if evaluation.self_submitted_at is not None:
            raise Conflict("already_submitted", "自评已提交，不能再上传材料")
        row = evaluation.scores.filter(code=indicator).first()
        if row is None or row.method != IndicatorScore.Method.MANUAL:
            raise DomainError("invalid", "只能为人工评分的指标上传佐证材料", fields={"indicator": ["指标无效"]})
        item = Evidence(evaluation=evaluation, indicator=indicator, original_name=file.name[-200:],
                        size=file.size, uploaded_by=user)
        item.file.save(file.name, file, save=False)
        keep(item.file)
        item.save()
        return item


def expert_scores_save(*, user: User, evaluation_id: int, scores: list[dict[str, Any]]) -> Evaluation:
    """An assigned expert scores manual indicators, each with a comment; the total is
    refreshed. Refused for an expert not assigned to this organization, and once the
    round is decided. All or nothing."""
    with transaction.atomic():
        evaluation = evaluation_for(user=user, evaluation_id=evaluation_id, capacity="expert", lock=True)
        _require_open(evaluation)
        expert: Expert = expert_of(user=user)
        rows = _manual_rows(evaluation, scores, "score")
        now = timezone.now()
        changed = []
        for item in scores:
            row = rows[item["indicator"]]
            row.expert_score = row.score = item["score"]
            row.expert, row.expert_comment, row.expert_scored_at, row.scored_at = expert, item["comment"], now, now
            changed.append(row)
        IndicatorScore.objects.bulk_update(
            changed, ["expert_score", "score", "expert", "expert_comment", "expert_scored_at", "scored_at"])
        return _refresh_total(evaluation)
