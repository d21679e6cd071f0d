from django.urls import path

from . import catalog_views, views

app_name = "inventory"
urlpatterns = [
    path("", views.stock, name="stock"),
    path("receive/", views.receive, name="receive"),
    path("dispense/", views.dispense, name="dispense"),
    path("entries/<int:entry_id>/waste/", views.waste, name="waste"),
    path("containers/<int:container_id>/", views.container, name="container"),
    path("count/", views.count, name="count"),
    path("discrepancies/<int:discrepancy_id>/", views.discrepancy, name="discrepancy"),
    path("log.csv", views.log_csv, name="log"),
    path("reports/", views.report, name="report"),
    path("containers/<int:container_id>/disposal/", views.disposal, name="disposal"),
    path("containers/<int:container_id>/loss/", views.loss, name="loss"),
    path("containers/<int:container_id>/transfer/", views.transfer, name="transfer"),
    path("losses/<int:report_id>/progress/", views.loss_progress, name="loss_progress"),
    path("settings/", catalog_views.settings_page, name="settings"),
    path("settings/products/new/", catalog_views.product_create, name="product_create"),
    path("settings/products/<int:product_id>/", catalog_views.product_edit, name="product_edit"),
    path("settings/suppliers/new/", catalog_views.supplier_create, name="supplier_create"),
    path(
        "settings/suppliers/<int:supplier_id>/", catalog_views.supplier_edit, name="supplier_edit"
    ),
]
