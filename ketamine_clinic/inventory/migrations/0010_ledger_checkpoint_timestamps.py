import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0009_ledger_checkpoint"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
    ]
