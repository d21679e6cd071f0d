from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_list, name="staff"),
    path("invite/", views.staff_invite, name="staff_invite"),
    path("<int:membership_id>/role/", views.staff_change_role, name="staff_change_role"),
    path("<int:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path(
        "<int:membership_id>/reset-two-factor/",
        views.staff_reset_two_factor,
        name="staff_reset_two_factor",
    ),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("roles/", views.role_matrix, name="role_matrix"),
    path("me/api-tokens/", views.api_tokens, name="api_tokens"),
    path("me/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
