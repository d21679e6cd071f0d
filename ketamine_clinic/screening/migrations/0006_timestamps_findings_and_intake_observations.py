"""created_at/updated_at on screening and consent rows; each screening's findings and intake
measurements as rows (ScreeningFinding, IntakeObservation) next to the JSON kept for the record,
filled here for the screenings already made."""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def _created_from(apps, app, model, expression):
    """Date the existing rows' creation from the time they already carry (updated_at stays the
    migration's time, so an export asking "changed since" sends every existing row once)."""
    apps.get_model(app, model).objects.update(created_at=expression)


# The intake's measurements → LOINC code and UCUM unit, as clinical.observations had them when
# this migration was written (docs/clinical/reference.md §3.3).
_CODES = {
    "systolic_bp": ("8480-6", "mm[Hg]"),
    "diastolic_bp": ("8462-4", "mm[Hg]"),
    "heart_rate": ("8867-4", "/min"),
    "weight_kg": ("29463-7", "kg"),
    "height_cm": ("8302-2", "cm"),
}


def fill_existing_rows(apps, schema_editor):
    _created_from(apps, "screening", "Screening", F("screened_at"))
    _created_from(apps, "screening", "ScreeningReview", F("reviewed_at"))
    _created_from(apps, "screening", "Consent", F("signed_at"))
    Screening = apps.get_model("screening", "Screening")
    Finding = apps.get_model("screening", "ScreeningFinding")
    Observation = apps.get_model("screening", "IntakeObservation")
    for screening in Screening.objects.iterator():
        Finding.objects.bulk_create(
            Finding(
                clinic_id=screening.clinic_id,
                patient_id=screening.patient_id,
                screening=screening,
                position=position,
                rule=finding["rule"],
                level=finding["level"],
                route=screening.route,
                reason=finding["reason"],
                source=finding["source"],
            )
            for position, finding in enumerate(screening.findings)
        )
        Observation.objects.bulk_create(
            Observation(
                clinic_id=screening.clinic_id,
                patient_id=screening.patient_id,
                screening=screening,
                code=code,
                unit=unit,
                value=Decimal(str(screening.intake[name])),
                observed_at=screening.screened_at,
            )
            for name, (code, unit) in _CODES.items()
            if screening.intake.get(name) is not None
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_clinic_settings_moved_to_their_apps'),
        ('patients', '0002_timestamps_and_weight_codes'),
        ('screening', '0005_screening_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='consent',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='consent',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='consentlink',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='consenttemplate',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='intakelink',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='screening',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='screening',
            name='updated_at',
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name='screeningreview',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name='IntakeObservation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='LOINC', max_length=20)),
                ('unit', models.CharField(help_text='UCUM', max_length=20)),
                ('value', models.DecimalField(decimal_places=2, max_digits=7)),
                ('observed_at', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.clinic')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='patients.patient')),
                ('screening', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='observations', to='screening.screening')),
            ],
            options={
                'ordering': ['screening', 'id'],
                'constraints': [models.UniqueConstraint(fields=('screening', 'code'), name='one_intake_observation_per_code')],
            },
        ),
        migrations.CreateModel(
            name='ScreeningFinding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(help_text='0 is the most severe')),
                ('rule', models.CharField(help_text="the rule's id", max_length=60)),
                ('level', models.CharField(choices=[('contraindicated', 'contraindicated'), ('prescriber_review', 'prescriber_review'), ('caution', 'caution')], max_length=20)),
                ('route', models.CharField(choices=[('iv', 'IV racemic ketamine'), ('im', 'IM racemic ketamine'), ('intranasal', 'Intranasal esketamine'), ('oral', 'Oral ketamine')], max_length=12)),
                ('reason', models.TextField(help_text="in plain language, with the patient's own values")),
                ('source', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.clinic')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='patients.patient')),
                ('screening', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='finding_rows', to='screening.screening')),
            ],
            options={
                'ordering': ['screening', 'position'],
                'constraints': [models.UniqueConstraint(fields=('screening', 'position'), name='one_finding_per_position')],
            },
        ),
        migrations.RunPython(fill_existing_rows, migrations.RunPython.noop),
    ]
