from django.urls import include, path

from ketamine_clinic.api.api import api
from ketamine_clinic.measures.urls import self_report_patterns
from ketamine_clinic.screening.urls import consent_link_patterns, intake_link_patterns
from ketamine_clinic.web import views as web_views

handler500 = "ketamine_clinic.api.openapi.server_error"

urlpatterns = [
    path("", web_views.dashboard, name="dashboard"),
    path("healthz", web_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("patients/", include("ketamine_clinic.patients.urls")),
    path("staff/", include("ketamine_clinic.accounts.urls")),
    path("audit/", include("ketamine_clinic.audit.urls")),
    path("measures/", include("ketamine_clinic.measures.urls")),
    path("screening/", include("ketamine_clinic.screening.urls")),
    path("inventory/", include("ketamine_clinic.inventory.urls")),
    path("pk/", include("ketamine_clinic.pk.urls")),
    path("sessions/", include("ketamine_clinic.treatments.urls")),
    path("plans/", include("ketamine_clinic.plans.urls")),
    path("r/", include(self_report_patterns)),
    path("c/", include(consent_link_patterns)),
    path("i/", include(intake_link_patterns)),
    path("api/v1/", api.urls),
]
