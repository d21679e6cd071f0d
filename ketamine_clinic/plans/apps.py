from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketamine_clinic.plans"
    label = "plans"
    verbose_name = "Protocols, treatment plans and the schedule"
