"""The request type of a signed-in staff member's views."""

from __future__ import annotations

from django.http import HttpRequest

from .models import Clinic, StaffMember
from .permissions import Perm


class StaffRequest(HttpRequest):
    """A request behind @login_required: its user is a StaffMember."""

    user: StaffMember


def chosen_clinic(request: StaffRequest, perm: Perm) -> Clinic:
    """The clinic a settings page works on: `?clinic=` (or the form's), else the first of the
    user's clinics where they hold `perm`; 403 without any, 404 for one not theirs."""
    from django.http import Http404

    from .access import clinics_where, require

    require(request.user, perm)
    clinics = clinics_where(request.user, perm)
    chosen = request.GET.get("clinic") or request.POST.get("clinic") or ""
    clinic = clinics.filter(pk=int(chosen)).first() if chosen.isdigit() else clinics.first()
    if clinic is None:
        raise Http404("No such clinic.")
    return clinic
