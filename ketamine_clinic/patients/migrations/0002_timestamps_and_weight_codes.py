"""created_at/updated_at on the chart's rows, and the LOINC code and UCUM unit of weight and height
(clinical.observations; existing rows take the defaults: 29463-7 kg, 8302-2 cm)."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def _created_from(apps, app, model, expression):
    """Date the existing rows' creation from the time they already carry (updated_at stays the
    migration's time, so an export asking "changed since" sends every existing row once)."""
    apps.get_model(app, model).objects.update(created_at=expression)


def date_existing_rows(apps, schema_editor):
    _created_from(apps, "patients", "WeightMeasurement", F("recorded_at"))
    _created_from(apps, "patients", "MedicationStatement", F("recorded_at"))
    _created_from(apps, "patients", "CareTeamMember", F("added_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='careteammember',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='careteammember',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='indication',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='indication',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='medicationstatement',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='medicationstatement',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='height_code',
            field=models.CharField(default='8302-2', editable=False, help_text='LOINC, of height_cm when it is given', max_length=20),
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='height_unit',
            field=models.CharField(default='cm', editable=False, help_text='UCUM', max_length=20),
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='weight_code',
            field=models.CharField(default='29463-7', editable=False, help_text='LOINC', max_length=20),
        ),
        migrations.AddField(
            model_name='weightmeasurement',
            name='weight_unit',
            field=models.CharField(default='kg', editable=False, help_text='UCUM', max_length=20),
        ),
        migrations.RunPython(date_existing_rows, migrations.RunPython.noop),
    ]
