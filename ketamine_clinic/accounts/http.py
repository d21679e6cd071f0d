"""The request type of a signed-in staff member's views, and the guard of the public links."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from ketamine_clinic.common.http import client_ip

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


def public_link_rate_limited(request: HttpRequest) -> bool:
    """Count a visit to a patient-facing link (self-report, consent, intake) from this address;
    True once the address is over `SELF_REPORT_RATE_PER_MINUTE` in the current minute."""
    key = f"public-link-rate:{client_ip(request)}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        count = 1
    return count > settings.SELF_REPORT_RATE_PER_MINUTE
