"""created_at on every ledger row, updated_at on those that change.

Ledger entries are append-only (audit/triggers.py): they get the column (as a new column with
the migration's time, never an UPDATE), and no other change."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def _created_from(apps, app, model, expression):
    """Date the existing rows' creation from the time they already carry (updated_at stays the
    migration's time, so an export asking "changed since" sends every existing row once)."""
    apps.get_model(app, model).objects.update(created_at=expression)


def date_existing_rows(apps, schema_editor):
    InventoryCount = apps.get_model("inventory", "InventoryCount")
    LedgerEntry = apps.get_model("inventory", "LedgerEntry")
    of_count = InventoryCount.objects.filter(pk=OuterRef("count_id")).values("counted_at")
    of_entry = LedgerEntry.objects.filter(pk=OuterRef("entry_id")).values("occurred_at")
    _created_from(apps, "inventory", "InventoryCount", F("counted_at"))
    _created_from(apps, "inventory", "CountLine", Subquery(of_count[:1]))
    _created_from(apps, "inventory", "Discrepancy", F("opened_at"))
    _created_from(apps, "inventory", "LossReport", Subquery(of_entry[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0006_inventory_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='container',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='container',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='countline',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='countline',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='discrepancy',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='discrepancy',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='inventorycount',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='inventorycount',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='lossreport',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='lossreport',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='lot',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='lot',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='product',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='product',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='supplier',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='supplier',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunPython(date_existing_rows, migrations.RunPython.noop),
    ]
