"""Demo screenings and consents: most patients screened eligible and consented; one awaiting a
prescriber's review (blood pressure 150/95), one reviewed and approved, one not eligible
(current psychosis), one whose consent was withdrawn."""

from __future__ import annotations

import base64
import io
import random
from typing import Any

from PIL import Image, ImageDraw

from ketamine_clinic.accounts.models import StaffMember
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening import services


def signature_png(name: str, rng: random.Random) -> str:
    """A scribbled signature as a PNG data URI (invented, like everything in the demo)."""
    image = Image.new("RGB", (480, 140), "white")
    pen = ImageDraw.Draw(image)
    x, y = 20.0, 80.0
    points = [(x, y)]
    for _ in range(14 + len(name)):
        x += rng.uniform(12, 26)
        y = max(25.0, min(115.0, y + rng.uniform(-35, 35)))
        points.append((x, y))
    pen.line(points, fill="black", width=3, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def intake_for(patient: Patient, rng: random.Random, **overrides: Any) -> dict[str, Any]:
    intake: dict[str, Any] = {
        "route": "iv",
        "age_years": patient.age_on(patient.created_at.date()),
        "systolic_bp": rng.randint(112, 136),
        "diastolic_bp": rng.randint(68, 86),
        "heart_rate": rng.randint(60, 88),
        "substance_use": "none",
        "failed_antidepressant_trials": rng.randint(2, 5),
        "depressive_indication": True,
        "medication_classes": sorted(
            {
                m.ketamine_interaction_class
                for m in patient.medications.filter(stopped_on=None)
                if m.ketamine_interaction_class != "none"
            }
        ),
    }
    intake.update(overrides)
    return intake


def seed(
    rng: random.Random,
    patients: list[Patient],
    nurse: StaffMember,
    prescriber: StaffMember,
    frontdesk: StaffMember,
) -> None:
    """Screen and consent the clinic's patients (a list in a fixed order)."""
    template = next(t for t in services.current_templates(patients[0].clinic) if t.kind == "iv")
    for index, patient in enumerate(patients):
        if index == 0:  # awaiting review
            services.screening_record(
                actor=nurse,
                patient=patient,
                intake=intake_for(patient, rng, systolic_bp=150, diastolic_bp=95),
            )
            continue
        if index == 1:  # not eligible
            services.screening_record(
                actor=nurse,
                patient=patient,
                intake=intake_for(patient, rng, conditions=["psychosis_current"]),
                notes="Hears voices most days since the spring; referred back to psychiatry.",
            )
            continue
        if index == 2:  # reviewed and approved
            screening = services.screening_record(
                actor=nurse,
                patient=patient,
                intake=intake_for(patient, rng, systolic_bp=146, diastolic_bp=88),
            )
            services.screening_review(
                actor=prescriber,
                screening=screening,
                outcome="approved",
                reasoning="Treated hypertension, repeat reading 138/86 after rest; proceed with "
                "BP every 10 minutes and hold if above 180/100.",
            )
        elif index % 4 == 3:
            continue  # not screened yet: shows on the chart as "screen the patient first"
        else:
            services.screening_record(actor=nurse, patient=patient, intake=intake_for(patient, rng))
        name = f"{patient.legal_given_name} {patient.legal_family_name}"
        consent = services.consent_sign(
            actor=frontdesk,
            patient=patient,
            template=template,
            signed_name=name,
            signature_png=signature_png(name, rng),
            ip="127.0.0.1",
        )
        services.consent_witness(actor=nurse, consent=consent)
        if index == 5:
            services.consent_withdraw(
                actor=nurse,
                consent=consent,
                reason="Decided to stop treatment after discussing with family.",
            )
