"""Evaluation (评估): indicator templates, rounds, one organization's evaluation in a
round with its indicator scores, experts, the committee's decision, grades and appeals."""

from evaluation.models.grades import Appeal, CommitteeDecision, Grade, Sanction
from evaluation.models.rounds import (
    Candidate,
    Evaluation,
    Evidence,
    Expert,
    ExpertAssignment,
    IndicatorScore,
    Round,
    RoundTemplate,
)
from evaluation.models.templates import GRADES, Template, TemplateKind

__all__ = ["GRADES", "Appeal", "Candidate", "CommitteeDecision", "Evaluation", "Evidence", "Expert",
           "ExpertAssignment", "Grade", "IndicatorScore", "Round", "RoundTemplate", "Sanction", "Template",
           "TemplateKind"]
