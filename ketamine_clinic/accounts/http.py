"""The request type of a signed-in staff member's views."""

from __future__ import annotations

from django.http import HttpRequest

from .models import StaffMember


class StaffRequest(HttpRequest):
    """A request behind @login_required: its user is a StaffMember."""

    user: StaffMember
