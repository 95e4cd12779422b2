"""The shipped default indicator templates (``evaluation/defaults/*.json``), loaded as
version 1 of each kind with no region. Used by the data migration and by tests whose
database was flushed; takes the model class so the migration can pass its historical
model. Idempotent: a kind that already has a default is left alone (a changed default
ships as a new version, never as an edit of this one)."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULTS = Path(__file__).resolve().parent / "defaults"


def default_templates_load(template_model) -> int:
    created = 0
    for path in sorted(DEFAULTS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if template_model.objects.filter(kind=doc["kind"], region__isnull=True).exists():
            continue
        template_model.objects.create(kind=doc["kind"], region=None, version=1, name=doc["name"],
                                      total_points=doc["total_points"], grade_bands=doc["grade_bands"],
                                      tree=doc["tree"], is_current=True, note="默认指标")
        created += 1
    return created
