"""Make the database itself refuse UPDATE and DELETE on audit events (PostgreSQL and SQLite)."""

from django.db import migrations

from ketamine_clinic.audit import triggers


def forwards(apps, schema_editor):
    triggers.create_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    triggers.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
