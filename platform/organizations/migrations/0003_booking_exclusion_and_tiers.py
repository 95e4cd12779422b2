"""Existing rows get the tier their registration implies, and on PostgreSQL confirmed
room bookings get an exclusion constraint (the services' row lock is the guarantee on
SQLite; this one also catches writers that bypass the services)."""

from django.db import migrations

EXCLUSION = (
    "ALTER TABLE organizations_roombooking ADD CONSTRAINT booking_no_overlap "
    "EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
    "WHERE (status = 'confirmed')"
)


def tiers(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    Organization.objects.filter(registration_status="filed").update(tier="street_managed")
    Organization.objects.filter(registration_status="ledger").update(tier="community_guided")


def exclusion_add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        cursor.execute(EXCLUSION)


def exclusion_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE organizations_roombooking DROP CONSTRAINT IF EXISTS booking_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("organizations", "0002_registry")]

    operations = [
        migrations.RunPython(tiers, migrations.RunPython.noop),
        migrations.RunPython(exclusion_add, exclusion_drop),
    ]
