import django.db.models.deletion
from django.db import migrations, models


def copy_from_clinics(apps, schema_editor):
    """Move each clinic's values, kept until now on accounts.Clinic, to its own row."""
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("measures", "MeasuresSettings")
    Settings.objects.bulk_create(
        Settings(clinic=clinic, crisis_resources=clinic.crisis_resources) for clinic in Clinic.objects.all()
    )


def copy_back_to_clinics(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("measures", "MeasuresSettings")
    for row in Settings.objects.all():
        Clinic.objects.filter(pk=row.clinic_id).update(crisis_resources=row.crisis_resources)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_clinic_count_every_hours'),
        ('measures', '0002_licenseditemtexts'),
    ]

    operations = [
        migrations.CreateModel(
            name='MeasuresSettings',
            fields=[
                ('clinic', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='measures_settings', serialize=False, to='accounts.clinic')),
                ('crisis_resources', models.TextField(blank=True, help_text='Shown to a patient whose self-report raises a safety alert. Empty: the default (988 Suicide & Crisis Lifeline, 911), which suits the US only.', max_length=1000)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'measures settings',
            },
        ),
        migrations.RunPython(copy_from_clinics, copy_back_to_clinics),
    ]
