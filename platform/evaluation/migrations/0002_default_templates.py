"""Ship the default indicator templates (``evaluation/defaults/*.json``) as version 1 of
each kind. Later changes to a default are new versions, never edits of this one."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults"


def load(apps, schema_editor):
    Template = apps.get_model("evaluation", "Template")
    for path in sorted(DEFAULTS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if Template.objects.filter(kind=doc["kind"], region__isnull=True).exists():
            continue
        Template.objects.create(kind=doc["kind"], region=None, version=1, name=doc["name"],
                                total_points=doc["total_points"], grade_bands=doc["grade_bands"],
                                tree=doc["tree"], is_current=True, note="默认指标")


def unload(apps, schema_editor):
    apps.get_model("evaluation", "Template").objects.filter(region__isnull=True, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
