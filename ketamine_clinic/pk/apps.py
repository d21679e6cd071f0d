from django.apps import AppConfig


class PkConfig(AppConfig):
    name = "ketamine_clinic.pk"
    label = "pk"
    verbose_name = "Pharmacokinetics"
