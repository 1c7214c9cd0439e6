"""No two confirmed bookings of one room overlap: an exclusion constraint on PostgreSQL.

SQLite has no exclusion constraints; there ``services.actions.booking_confirm`` (which also runs
on PostgreSQL) is the guard. Creating btree_gist needs a role allowed to create extensions.
"""

from django.db import migrations

CONSTRAINT = "services_roombooking_no_overlap"


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE services_roombooking ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE services_roombooking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("services", "0002_default_categories")]
    operations = [migrations.RunPython(add, drop)]
