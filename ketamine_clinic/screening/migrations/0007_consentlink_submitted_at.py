"""Consent links share the patient links' fields (patients.links.PatientLink): a link that has
been signed is marked submitted at the signature's time."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def mark_signed_links(apps, schema_editor):
    ConsentLink = apps.get_model("screening", "ConsentLink")
    Consent = apps.get_model("screening", "Consent")
    ConsentLink.objects.filter(consent__isnull=False).update(
        submitted_at=Subquery(Consent.objects.filter(pk=OuterRef("consent_id")).values("signed_at")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0006_timestamps_findings_and_intake_observations"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="consentlink",
            options={"ordering": ["-created_at"]},
        ),
        migrations.AddField(
            model_name="consentlink",
            name="submitted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_signed_links, migrations.RunPython.noop),
    ]
