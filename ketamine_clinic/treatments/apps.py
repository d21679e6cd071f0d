from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketamine_clinic.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        from ketamine_clinic.patients.chart import ChartTab, register_tab

        register_tab(ChartTab("sessions", "Sessions", "treatments:patient", order=30))
