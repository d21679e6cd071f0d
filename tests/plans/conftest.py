"""Fixtures for plans: the protocols, a room with chairs, a patient ready for IV treatment."""

from __future__ import annotations

import base64
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from ketamine_clinic.plans import capacity as cap
from ketamine_clinic.plans.models import Chair, Room
from ketamine_clinic.plans.services import protocols_seed
from ketamine_clinic.screening import services as screening


def _png() -> str:
    image = Image.new("RGB", (120, 40), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def make_ready(world, patient, route="iv", kind="iv"):
    """Screen (eligible) and consent (signed, witnessed) `patient` for `route`."""
    screening.screening_record(
        actor=world.nurse,
        patient=patient,
        intake={
            "route": route,
            "age_years": 42,
            "systolic_bp": 124,
            "diastolic_bp": 78,
            "heart_rate": 72,
            "substance_use": "none",
            "failed_antidepressant_trials": 3,
            "depressive_indication": True,
        },
    )
    template = next(t for t in screening.current_templates(patient.clinic) if t.kind == kind)
    consent = screening.consent_sign(
        actor=world.frontdesk,
        patient=patient,
        template=template,
        signed_name=f"{patient.legal_given_name} {patient.legal_family_name}",
        signature_png=_png(),
        ip="10.0.0.7",
    )
    screening.consent_witness(actor=world.nurse, consent=consent)


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def clinic(world):
    """Clinic 1 with the protocols, New York time, two chairs in one room."""
    protocols_seed(clinic=world.clinic1)
    cap.settings_for(world.clinic1)
    room = Room.objects.create(clinic=world.clinic1, name="Room A")
    Chair.objects.create(clinic=world.clinic1, room=room, name="Chair 1")
    Chair.objects.create(clinic=world.clinic1, room=room, name="Chair 2")
    return world.clinic1
