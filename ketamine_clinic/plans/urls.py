from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_plan, name="patient"),
    path("patients/<int:patient_id>/create/", views.plan_create, name="create"),
    path("patients/<int:patient_id>/appointments.ics", views.patient_ics, name="ics"),
    path("<int:plan_id>/action/", views.plan_action, name="action"),
    path("sessions/<int:session_id>/missed/", views.session_missed, name="missed"),
    path("schedule/", views.schedule_day, name="schedule"),
    path("schedule/week/", views.schedule_week, name="week"),
    path("protocols/", views.protocol_list, name="protocols"),
    path("protocols/<int:protocol_id>/", views.protocol_detail, name="protocol"),
    path("settings/", views.schedule_settings, name="settings"),
]
