from django.urls import path

from . import public, views

app_name = "measures"
urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("settings/", views.measure_settings, name="settings"),
    path(
        "settings/licensed-texts/<str:instrument_id>/",
        views.licensed_texts_edit,
        name="licensed_texts",
    ),
    path("patients/<int:patient_id>/", views.patient_measures, name="patient"),
    path(
        "patients/<int:patient_id>/enter/<str:instrument_id>/",
        views.assessment_enter,
        name="enter",
    ),
    path("patients/<int:patient_id>/send/", views.self_report_send, name="send"),
    path(
        "patients/<int:patient_id>/links/<int:link_id>/revoke/",
        views.self_report_revoke,
        name="revoke",
    ),
]

self_report_patterns = (
    [
        path("done/", public.done, name="done"),
        path("<str:token>/", public.start, name="start"),
        path("<str:token>/<str:instrument_id>/", public.questionnaire, name="questionnaire"),
    ],
    "self_report",
)
