"""The product's first consent templates (version 1, for every clinic)."""

from django.db import migrations

from ketamine_clinic.screening.consent_texts import TEXTS


def create(apps, schema_editor):
    ConsentTemplate = apps.get_model("screening", "ConsentTemplate")
    for kind, (title, body) in TEXTS.items():
        ConsentTemplate.objects.get_or_create(
            clinic=None, kind=kind, version=1, defaults={"title": title, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
