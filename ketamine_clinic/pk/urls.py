from django.urls import path

from . import views

app_name = "pk"
urlpatterns = [path("", views.explorer, name="explorer")]
