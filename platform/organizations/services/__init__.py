"""Writes of the organizations app, one module per sub-domain."""

from organizations.services.registry import (
    inspection_record,
    membership_add,
    organization_create,
    organization_status_change,
    organization_tier_change,
    organization_update,
)

__all__ = [
    "inspection_record",
    "membership_add",
    "organization_create",
    "organization_status_change",
    "organization_tier_change",
    "organization_update",
]
