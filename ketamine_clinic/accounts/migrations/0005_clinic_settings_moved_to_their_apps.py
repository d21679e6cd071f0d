"""The screening, measures and inventory settings now live in those apps (their migrations copy
the values first), so that a capability's settings never land as accounts migrations."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_clinic_count_every_hours'),
        ('inventory', '0006_inventory_settings'),
        ('measures', '0003_measures_settings'),
        ('screening', '0005_screening_settings'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='clinic',
            name='allow_contraindication_override',
        ),
        migrations.RemoveField(
            model_name='clinic',
            name='count_every_hours',
        ),
        migrations.RemoveField(
            model_name='clinic',
            name='crisis_resources',
        ),
        migrations.RemoveField(
            model_name='clinic',
            name='screening_valid_days',
        ),
    ]
