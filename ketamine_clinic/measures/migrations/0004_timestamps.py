"""created_at/updated_at on every row of measurement-based care."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def _created_from(apps, app, model, expression):
    """Date the existing rows' creation from the time they already carry (updated_at stays the
    migration's time, so an export asking "changed since" sends every existing row once)."""
    apps.get_model(app, model).objects.update(created_at=expression)


def date_existing_rows(apps, schema_editor):
    Assessment = apps.get_model("measures", "Assessment")
    of_assessment = Assessment.objects.filter(pk=OuterRef("assessment_id")).values("created_at")
    _created_from(apps, "measures", "AssessmentAnswer", Subquery(of_assessment[:1]))
    _created_from(apps, "measures", "SafetyAlert", F("opened_at"))
    _created_from(apps, "measures", "LicensedItemTexts", F("updated_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0003_measures_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='assessment',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='assessmentanswer',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='assessmentanswer',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='licenseditemtexts',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='measuredue',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='measureschedule',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='selfreportlink',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.RunPython(date_existing_rows, migrations.RunPython.noop),
    ]
