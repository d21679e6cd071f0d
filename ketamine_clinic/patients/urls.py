from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_register, name="register"),
    path("<int:patient_id>/", views.chart, name="chart"),
    path("<int:patient_id>/weights/", views.chart_weights, name="weights"),
    path("<int:patient_id>/details/", views.chart_details, name="details"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/weights/new/", views.weight_add, name="weight_add"),
    path("<int:patient_id>/indications/new/", views.indication_add, name="indication_add"),
    path(
        "<int:patient_id>/indications/<int:indication_id>/remove/",
        views.indication_remove,
        name="indication_remove",
    ),
    path("<int:patient_id>/medications/new/", views.medication_add, name="medication_add"),
    path(
        "<int:patient_id>/medications/<int:medication_id>/stop/",
        views.medication_stop,
        name="medication_stop",
    ),
    path("<int:patient_id>/care-team/new/", views.care_team_add, name="care_team_add"),
    path(
        "<int:patient_id>/care-team/<int:member_id>/remove/",
        views.care_team_remove,
        name="care_team_remove",
    ),
]
