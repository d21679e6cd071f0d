"""The database refuses UPDATE, DELETE (TRUNCATE on PostgreSQL; REPLACE over a row on SQLite) on
the session's append-only tables."""

from django.db import migrations

from ketamine_clinic.audit import triggers


def forwards(apps, schema_editor):
    for table in triggers.SESSION_TABLES:
        triggers.create_triggers(schema_editor.connection, table)


def backwards(apps, schema_editor):
    for table in triggers.SESSION_TABLES:
        triggers.drop_triggers(schema_editor.connection, table)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_liver_tests")]
    operations = [migrations.RunPython(forwards, backwards)]
