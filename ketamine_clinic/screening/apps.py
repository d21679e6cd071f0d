from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ketamine_clinic.screening"
    label = "screening"
    verbose_name = "Eligibility screening and consent"

    def ready(self) -> None:
        from ketamine_clinic.patients.chart import ChartTab, register_tab
        from ketamine_clinic.patients.selectors import ALERT_PROVIDERS

        from .selectors import readiness_alerts

        ALERT_PROVIDERS.append(readiness_alerts)
        register_tab(ChartTab("screening", "Screening & consent", "screening:patient", order=50))
