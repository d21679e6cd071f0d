from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_screening, name="patient"),
    path("patients/<int:patient_id>/new/", views.screening_new, name="new"),
    path(
        "patients/<int:patient_id>/consent/<int:template_id>/sign/",
        views.consent_sign,
        name="sign",
    ),
    path("<int:screening_id>/", views.screening_detail, name="detail"),
    path("consents/<int:consent_id>/", views.consent_detail, name="consent"),
    path("consents/<int:consent_id>/witness/", views.consent_witness, name="witness"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="withdraw"),
    path("consents/<int:consent_id>/pdf/", views.consent_pdf, name="pdf"),
    path(
        "patients/<int:patient_id>/consent/<int:template_id>/link/",
        views.consent_link_new,
        name="consent_link",
    ),
    path("patients/<int:patient_id>/intake-link/", views.intake_link_new, name="intake_link"),
    path("rules/", views.rules, name="rules"),
    path("rules/consent-templates/", views.consent_template_new, name="template_new"),
]

consent_link_patterns = (
    [
        path("done/", views.consent_by_link_done, name="done"),
        path("<str:token>/", views.consent_by_link, name="sign"),
    ],
    "consent_link",
)

intake_link_patterns = (
    [
        path("done/", views.intake_by_link_done, name="done"),
        path("<str:token>/", views.intake_by_link, name="answer"),
    ],
    "intake_link",
)
