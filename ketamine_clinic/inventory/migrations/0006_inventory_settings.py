import django.db.models.deletion
from django.db import migrations, models


def copy_from_clinics(apps, schema_editor):
    """Move each clinic's values, kept until now on accounts.Clinic, to its own row."""
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("inventory", "InventorySettings")
    Settings.objects.bulk_create(
        Settings(clinic=clinic, count_every_hours=clinic.count_every_hours) for clinic in Clinic.objects.all()
    )


def copy_back_to_clinics(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    Settings = apps.get_model("inventory", "InventorySettings")
    for row in Settings.objects.all():
        Clinic.objects.filter(pk=row.clinic_id).update(count_every_hours=row.count_every_hours)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_clinic_count_every_hours'),
        ('inventory', '0005_product_supplier_active'),
    ]

    operations = [
        migrations.CreateModel(
            name='InventorySettings',
            fields=[
                ('clinic', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='inventory_settings', serialize=False, to='accounts.clinic')),
                ('count_every_hours', models.PositiveSmallIntegerField(default=24, help_text='How often the controlled-substance stock is counted (a clinic policy: e.g. 8 for each shift, 24 daily, 168 weekly).')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'inventory settings',
            },
        ),
        migrations.RunPython(copy_from_clinics, copy_back_to_clinics),
    ]
