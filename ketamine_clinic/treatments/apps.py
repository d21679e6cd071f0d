from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketamine_clinic.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        from ketamine_clinic.measures.selectors import TREATMENT_TIMES_PROVIDERS
        from ketamine_clinic.patients.chart import ChartTab, register_tab

        from .selectors import administration_starts

        register_tab(ChartTab("sessions", "Sessions", "treatments:patient", order=30))
        if administration_starts not in TREATMENT_TIMES_PROVIDERS:
            TREATMENT_TIMES_PROVIDERS.append(administration_starts)
