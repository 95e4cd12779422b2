"""Writes of the evaluation, split by sub-domain (templates, rounds, scoring, grading)."""
