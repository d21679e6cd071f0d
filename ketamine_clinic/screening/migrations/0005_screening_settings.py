import django.db.models.deletion
from django.db import migrations, models


def copy_from_clinics(apps, schema_editor):
    """Move each clinic's values, kept until now on accounts.Clinic, to its own row."""
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("screening", "ScreeningSettings")
    Settings.objects.bulk_create(
        Settings(clinic=clinic, screening_valid_days=clinic.screening_valid_days, allow_contraindication_override=clinic.allow_contraindication_override) for clinic in Clinic.objects.all()
    )


def copy_back_to_clinics(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("screening", "ScreeningSettings")
    for row in Settings.objects.all():
        Clinic.objects.filter(pk=row.clinic_id).update(screening_valid_days=row.screening_valid_days, allow_contraindication_override=row.allow_contraindication_override)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_clinic_count_every_hours'),
        ('screening', '0004_intakelink'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScreeningSettings',
            fields=[
                ('clinic', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='screening_settings', serialize=False, to='accounts.clinic')),
                ('screening_valid_days', models.PositiveSmallIntegerField(default=180, help_text='How long an eligibility screening stays current (a clinic policy, issue #4).')),
                ('allow_contraindication_override', models.BooleanField(default=False, help_text="The clinic's protocol lets two prescribers override a contraindication.")),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'screening settings',
            },
        ),
        migrations.RunPython(copy_from_clinics, copy_back_to_clinics),
    ]
