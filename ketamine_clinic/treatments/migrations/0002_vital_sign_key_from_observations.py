"""Readings take their key from clinical.observations.VITAL_SIGNS: temperature is "temperature"
(it was "temp" in the flowsheet's own table, now removed)."""

from django.db import migrations, models


def temperature_key(apps, schema_editor):
    reading = apps.get_model("treatments", "VitalSignReading")
    reading._base_manager.filter(key="temp").update(key="temperature")


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_treatments_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="vitalsignreading",
            name="key",
            field=models.CharField(help_text="clinical.observations.VITAL_SIGNS key", max_length=12),
        ),
        migrations.RunPython(temperature_key, migrations.RunPython.noop),
    ]
