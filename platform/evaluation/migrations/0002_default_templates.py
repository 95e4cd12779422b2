"""Ship the default indicator templates (``evaluation/defaults/*.json``) as version 1 of
each kind. Later changes to a default are new versions, never edits of this one."""

from django.db import migrations

from evaluation.default_templates import default_templates_load


def load(apps, schema_editor):
    default_templates_load(apps.get_model("evaluation", "Template"))


def unload(apps, schema_editor):
    apps.get_model("evaluation", "Template").objects.filter(region__isnull=True, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
