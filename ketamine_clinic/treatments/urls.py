from django.urls import path

from . import views

app_name = "treatments"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("rems-forms/", views.rems_forms, name="rems_forms"),
    path("patient/<int:patient_id>/", views.patient_sessions, name="patient"),
    path("patient/<int:patient_id>/liver-tests/", views.liver_test_add, name="liver_test_add"),
    path("<int:session_id>/", views.session_page, name="session"),
    path("<int:session_id>/pdf/", views.session_pdf, name="pdf"),
    path("<int:session_id>/rems-form.pdf", views.rems_form_pdf, name="rems_form_pdf"),
    path("<int:session_id>/<str:step>/", views.session_step, name="step"),
    path("rooms/readiness/", views.room_readiness, name="readiness"),
]
