"""Registry rules that a bureau may tune in settings (``ORGANIZATIONS = {...}``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A filed organization reaching either count is flagged ready to register.
    "REGISTRATION_MIN_INDIVIDUAL_MEMBERS": 20,
    "REGISTRATION_MIN_UNIT_MEMBERS": 10,
    # Coverage targets: community organizations per community.
    "COVERAGE_TARGET_URBAN": 10,
    "COVERAGE_TARGET_RURAL": 5,
    # Excel import limits.
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 20_000,
}


def org_setting(name: str) -> Any:
    return getattr(settings, "ORGANIZATIONS", {}).get(name, DEFAULTS[name])
