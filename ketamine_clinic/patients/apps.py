from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "ketamine_clinic.patients"
    label = "patients"
    verbose_name = "Patient chart"

    def ready(self) -> None:
        from ketamine_clinic.accounts.permissions import Perm

        from .chart import ChartTab, register_tab

        register_tab(ChartTab("overview", "Overview", "patients:chart", order=10))
        register_tab(
            ChartTab(
                "weights",
                "Weight & height",
                "patients:weights",
                order=80,
                perm=Perm.CHART_CLINICAL_VIEW,
            )
        )
        register_tab(ChartTab("details", "Contact & escort", "patients:details", order=90))
