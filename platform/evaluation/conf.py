"""Evaluation rules a bureau may tune in settings (``EVALUATION = {...}``); a round copies
the eligibility rules when it opens, and its own values may override them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

ELIGIBILITY_DEFAULTS: dict[str, Any] = {
    # 《社会组织评估管理办法》: registered (founded) at least two full years.
    "min_years": 2,
    # Excluded when last year's annual inspection is missing or unqualified…
    "require_last_inspection": True,
    # …or was "basically qualified" two years running…
    "exclude_basically_qualified_twice": True,
    # …or the organization is under penalty or investigation, or suspended.
    "exclude_sanctioned": True,
}

# Filed community organizations have no annual inspection: the street's rounds skip it.
COMMUNITY_ELIGIBILITY_DEFAULTS: dict[str, Any] = {**ELIGIBILITY_DEFAULTS, "require_last_inspection": False,
                                                  "exclude_basically_qualified_twice": False, "min_years": 1}

DEFAULTS: dict[str, Any] = {
    "GRADE_VALID_YEARS": 5,
    "APPEAL_WINDOW_DAYS": 30,
    # Reminders: the self-assessment deadline this many days ahead; grades expiring
    # within this many days (six months).
    "DEADLINE_REMINDER_DAYS": 7,
    "EXPIRY_REMINDER_DAYS": 183,
    "EVIDENCE_MAX_BYTES": 10 * 1024 * 1024,
    "ELIGIBILITY": ELIGIBILITY_DEFAULTS,
    "COMMUNITY_ELIGIBILITY": COMMUNITY_ELIGIBILITY_DEFAULTS,
}


def eval_setting(name: str) -> Any:
    return getattr(settings, "EVALUATION", {}).get(name, DEFAULTS[name])
