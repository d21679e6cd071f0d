from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "ketamine_clinic.measures"
    label = "measures"
    verbose_name = "Measurement-based care"

    def ready(self) -> None:
        from ketamine_clinic.patients.chart import ChartTab, register_tab
        from ketamine_clinic.patients.selectors import ALERT_PROVIDERS

        from .selectors import open_alerts_for_chart

        ALERT_PROVIDERS.append(open_alerts_for_chart)
        register_tab(ChartTab("measures", "Measures", "measures:patient", order=40))
