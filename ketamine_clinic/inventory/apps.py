from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "ketamine_clinic.inventory"
    label = "inventory"
    verbose_name = "Controlled-substance ledger"
