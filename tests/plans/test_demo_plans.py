"""The demo's plans: every phase, made through the services, and a booked schedule."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.plans import selectors
from ketamine_clinic.plans.models import PlannedSession, TreatmentPlan
from ketamine_clinic.web.demo_data import seed


@pytest.mark.django_db
def test_demo_has_plans_in_every_phase_and_a_booked_schedule(django_assert_max_num_queries):
    seed()
    statuses = set(TreatmentPlan.objects.values_list("status", flat=True))
    assert {"draft", "active", "paused", "completed"} <= statuses
    views = [selectors.plan_view(p) for p in TreatmentPlan.objects.filter(status="active")]
    assert any(v.review_due for v in views)
    assert any(v.booster_due for v in views)
    assert PlannedSession.objects.filter(status="booked").count() >= 20
    prescriber = StaffMember.objects.get(username="prescriber")
    # the plans, one outcomes query for all their patients, the schedule settings per clinic
    with django_assert_max_num_queries(3):
        rows = selectors.booster_worklist(prescriber)
    assert [r.plan.protocol.slug for r in rows] == ["iv-ketamine-maintenance"]
