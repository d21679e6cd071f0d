from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketamine_clinic.plans"
    label = "plans"
    verbose_name = "Protocols, treatment plans and the schedule"

    def ready(self) -> None:
        from ketamine_clinic.accounts.permissions import Perm
        from ketamine_clinic.measures.selectors import (
            TREATMENT_TIMES_PROVIDERS,
            WORKLIST_PROVIDERS,
        )
        from ketamine_clinic.patients.chart import ChartTab, register_header_items, register_tab

        from .selectors import (
            booster_worklist_items,
            completed_without_a_session,
            plan_header_items,
        )

        register_tab(ChartTab("plan", "Plan", "plans:patient", order=20, perm=Perm.PLAN_VIEW))
        register_header_items(plan_header_items)
        if booster_worklist_items not in WORKLIST_PROVIDERS:
            WORKLIST_PROVIDERS.append(booster_worklist_items)
        if completed_without_a_session not in TREATMENT_TIMES_PROVIDERS:
            TREATMENT_TIMES_PROVIDERS.append(completed_without_a_session)
