"""The demo's day: a session in every state, made through the services, and the ledger's draws
and witnessed wastes in the Schedule III record."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.inventory import services as ledger
from ketamine_clinic.inventory.models import LedgerEntry
from ketamine_clinic.treatments import selectors
from ketamine_clinic.treatments.models import TreatmentSession
from ketamine_clinic.web import demo_sessions
from ketamine_clinic.web.demo_data import seed


@pytest.mark.django_db
def test_demo_has_todays_sessions_in_every_state():
    seed()
    nurse = StaffMember.objects.get(username="nurse")
    today = selectors.today_sessions(nurse)
    now = demo_sessions._anchor()  # now, or 04:30 when loaded earlier in the night
    assert [selectors.display_state(s, now) for s in today] == [
        "Done (signed)",
        "Ready for discharge",
        "Monitoring",
        "Dosing",
        "Checked in",
        "Waiting",
    ]
    monitoring = today[2]
    assert [a.code for a in monitoring.alerts.all()] == ["sbp_rise"]
    # each drawn dose is in the ledger; the two closed sessions' remainders are wasted, witnessed
    draws = LedgerEntry.objects.filter(kind="dispense", session__isnull=False)
    assert draws.count() == 4
    wastes = LedgerEntry.objects.filter(kind="waste", related__session__isnull=False)
    assert wastes.count() == 2 and all(w.witness_id for w in wastes)
    signed = TreatmentSession.objects.get(state="signed")
    assert ledger.unaccounted_mg(signed.dose.dispense) == Decimal(0)
    assert ledger.verify(signed.clinic).ok
