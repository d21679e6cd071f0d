from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketamine_clinic.web"
    label = "web"
    verbose_name = "Web shell"
