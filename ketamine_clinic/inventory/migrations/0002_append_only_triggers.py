"""The database refuses UPDATE and DELETE on ledger entries (PostgreSQL and SQLite)."""

from django.db import migrations

from ketamine_clinic.audit import triggers


def forwards(apps, schema_editor):
    triggers.create_triggers(schema_editor.connection, "inventory_ledgerentry")


def backwards(apps, schema_editor):
    triggers.drop_triggers(schema_editor.connection, "inventory_ledgerentry")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
