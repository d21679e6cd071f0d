"""Demo data: one organisation, two clinics, six staff and 40 patients with histories.

Everything is written through the services, so the demo's audit trail is real too. The names
are invented; the random generator is seeded, so every demo is the same.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
from ketamine_clinic.audit.context import AuditContext, set_context
from ketamine_clinic.clinical.medications import KetamineInteractionClass as MedClass
from ketamine_clinic.patients import services
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.web import (
    demo_inventory,
    demo_measures,
    demo_plans,
    demo_screening,
    demo_sessions,
)

DEMO_PASSWORD = "ketamine-demo-2026"
CLINIC_1 = "Riverbend Downtown"
CLINIC_2 = "Riverbend Northside"
DEMO_LOGINS = [
    ("admin", "admin", CLINIC_1),
    ("prescriber", "prescriber", CLINIC_1),
    ("nurse", "nurse", CLINIC_1),
    ("frontdesk", "front_desk", CLINIC_1),
    ("auditor", "auditor", CLINIC_1),
    ("nurse2", "nurse", CLINIC_2),
]
_STAFF_NAMES = {
    "admin": ("Grace", "Okafor", ""),
    "prescriber": ("Daniel", "Reyes", "MD"),
    "nurse": ("Priya", "Nair", "RN"),
    "frontdesk": ("Tom", "Becker", ""),
    "auditor": ("Helen", "Marsh", "CPA"),
    "nurse2": ("Samuel", "Ito", "RN"),
}
PATIENTS_PER_CLINIC = {CLINIC_1: 30, CLINIC_2: 10}

# fmt: off
_GIVEN_FEMALE = [
    "Ava", "Maya", "Chloe", "Zoe", "Nora", "Isla", "Ruby", "Hazel", "Leah", "Ivy", "Elena",
    "Sofia", "Naomi", "Clara", "Lena", "Katherine", "Elizabeth", "Margaret",
]
_GIVEN_MALE = [
    "Liam", "Noah", "Ethan", "Lucas", "Owen", "Caleb", "Mateo", "Julian", "Adrian", "Marcus",
    "Felix", "Gabriel", "Victor", "Simon", "Omar", "William", "Robert", "Jonathan",
]
# fmt: on
_GIVEN = _GIVEN_FEMALE + _GIVEN_MALE
# Preferred names, for some of the given names.
_NICKNAMES = {
    "Katherine": "Kate",
    "Elizabeth": "Liz",
    "Margaret": "Maggie",
    "William": "Will",
    "Robert": "Bob",
    "Jonathan": "Jon",
    "Gabriel": "Gabe",
    "Julian": "Jules",
}
# fmt: off
_FAMILY = [
    "Alvarez", "Brennan", "Castillo", "Dawson", "Ellison", "Fischer", "Garner", "Holloway",
    "Ibarra", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Oduya", "Petrov",
    "Quinlan", "Rasmussen", "Sandoval", "Thornton", "Underwood", "Valdez", "Whitaker", "Yilmaz",
    "Zamora", "Abernathy", "Bishop", "Carver", "Delgado", "Eriksen",
]
# fmt: on
# (code, treatment-resistant?, weight) — the mix a ketamine clinic sees, TRD most often.
_INDICATIONS = [
    ("F33.2", True, 10),
    ("F33.1", True, 5),
    ("F32.2", True, 3),
    ("F31.4", True, 3),
    ("F31.81", False, 2),
    ("F41.1", False, 4),
    ("F43.12", False, 4),
    ("G89.4", False, 2),
    ("G90.50", False, 1),
    ("M79.7", False, 1),
]
_MEDICATIONS = [
    ("Sertraline", "100 mg daily", MedClass.NONE),
    ("Bupropion XL", "300 mg daily", MedClass.NONE),
    ("Venlafaxine XR", "150 mg daily", MedClass.NONE),
    ("Lorazepam", "0.5 mg at night as needed", MedClass.BENZODIAZEPINE),
    ("Clonazepam", "0.5 mg twice daily", MedClass.BENZODIAZEPINE),
    ("Lamotrigine", "200 mg daily", MedClass.LAMOTRIGINE),
    ("Phenelzine", "15 mg three times daily", MedClass.MAOI),
    ("Methylphenidate ER", "36 mg every morning", MedClass.PSYCHOSTIMULANT),
    ("Tramadol", "50 mg twice daily", MedClass.OPIOID),
    ("Zolpidem", "5 mg at night", MedClass.OTHER_SEDATIVE),
    ("Lithium carbonate", "600 mg daily", MedClass.NONE),
    ("Quetiapine", "50 mg at night", MedClass.OTHER_SEDATIVE),
]
_STREETS = ["Oak", "Cedar", "Lake", "Hill", "Mill", "Orchard"]
_ALLERGIES = ["Penicillin (rash)", "Sulfa drugs (hives)", "Latex", "Codeine (nausea)"]


def _staff(org: Organization, username: str) -> StaffMember:
    first, last, credentials = _STAFF_NAMES[username]
    staff = StaffMember.objects.create_user(
        username=username,
        email=f"{username}@riverbend.example",
        password=DEMO_PASSWORD,
        first_name=first,
        last_name=last,
        credentials=credentials,
        organization=org,
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    return staff


def _pick_weighted(rng: random.Random, items: list[tuple[str, bool, int]]) -> tuple[str, bool]:
    code, resistant, _ = rng.choices(items, weights=[w for *_, w in items])[0]
    return code, resistant


@transaction.atomic
def seed() -> str:
    """Create the demo organisation and return a one-line summary."""
    set_context(AuditContext(channel="cli"))
    rng = random.Random(20261126)  # noqa: S311  (invented demo data, not secrets)
    org = Organization.objects.create(name="Riverbend Ketamine Health", mrn_prefix="RB")
    clinics = {
        CLINIC_1: Clinic.objects.create(
            organization=org,
            name=CLINIC_1,
            address="120 Main Street, Suite 300",
            phone="555-0100",
        ),
        CLINIC_2: Clinic.objects.create(
            organization=org, name=CLINIC_2, address="48 Elm Avenue", phone="555-0140"
        ),
    }
    staff = {}
    for username, role, clinic_name in DEMO_LOGINS:
        staff[username] = _staff(org, username)
        Membership.objects.create(staff=staff[username], clinic=clinics[clinic_name], role=role)
    clinician = {CLINIC_1: staff["prescriber"], CLINIC_2: staff["nurse2"]}
    nurses = {CLINIC_1: staff["nurse"], CLINIC_2: staff["nurse2"]}
    prescribers = {CLINIC_1: staff["prescriber"]}
    demo_measures.schedules(clinics[CLINIC_1])
    demo_measures.schedules(clinics[CLINIC_2])
    registrar = {CLINIC_1: staff["frontdesk"], CLINIC_2: staff["nurse2"]}

    today = timezone.localdate()
    families = list(_FAMILY)
    rng.shuffle(families)
    count = 0
    for clinic_name, how_many in PATIENTS_PER_CLINIC.items():
        clinic = clinics[clinic_name]
        for _ in range(how_many):
            sex = rng.choice(["female", "male", "female", "male", "other"])
            given = rng.choice({"female": _GIVEN_FEMALE, "male": _GIVEN_MALE}.get(sex, _GIVEN))
            family = families[count % len(families)]
            count += 1
            age_days = rng.randint(19 * 365, 74 * 365)
            patient = services.patient_register(
                actor=registrar[clinic_name],
                clinic=clinic,
                details={
                    "legal_given_name": given,
                    "legal_family_name": family,
                    "preferred_name": _NICKNAMES.get(given, ""),
                    "date_of_birth": today - timedelta(days=age_days),
                    "sex": sex,
                    "phone": f"555-01{rng.randint(10, 99)}",
                    "email": f"{given.lower()}.{family.lower()}@mail.example",
                    "address": f"{rng.randint(2, 980)} {rng.choice(_STREETS)} Road",
                    "emergency_contact_name": f"{rng.choice(_GIVEN)} {family}",
                    "emergency_contact_relationship": rng.choice(
                        ["spouse", "partner", "parent", "sibling", "friend"]
                    ),
                    "emergency_contact_phone": f"555-02{rng.randint(10, 99)}",
                    "escort_name": rng.choice(["", f"{rng.choice(_GIVEN)} {family}"]),
                },
            )
            _chart_history(rng, clinician[clinic_name], patient, today, sex)
            primary = patient.indications.get(is_primary=True).icd10_code
            demo_measures.history(
                rng, patient, nurses[clinic_name], prescribers.get(clinic_name), primary
            )
            # Demo charts were opened over the past year (their audit rows keep today's date).
            Patient.objects.filter(pk=patient.pk).update(
                created_at=timezone.now() - timedelta(days=rng.randint(5, 365))
            )
    clinic1_patients = list(Patient.objects.filter(clinic=clinics[CLINIC_1]).order_by("pk"))
    rng.shuffle(clinic1_patients)
    demo_measures.recent_alerts(rng, clinic1_patients[:2], staff["nurse"])
    demo_measures.links(clinic1_patients[2:4], staff["frontdesk"])
    demo_inventory.seed(
        rng, org, clinics[CLINIC_1], clinic1_patients[:20], staff["nurse"], staff["prescriber"]
    )
    demo_screening.seed(
        rng, clinic1_patients[4:16], staff["nurse"], staff["prescriber"], staff["frontdesk"]
    )
    demo_plans.seed(
        rng,
        clinics[CLINIC_1],
        clinic1_patients[4:16],
        clinic1_patients[16:20],
        staff["prescriber"],
        staff["nurse"],
        staff["admin"],
        staff["frontdesk"],
    )
    sessions = demo_sessions.seed(
        rng, clinics[CLINIC_1], clinic1_patients[20:], staff["nurse"], staff["prescriber"]
    )
    return (
        f"Demo loaded: 1 organisation, 2 clinics, {len(staff)} staff, {count} patients, "
        f"{sessions} sessions today."
    )


def _chart_history(
    rng: random.Random, clinician: StaffMember, patient: Patient, today: date, sex: str
) -> None:
    height = Decimal(rng.randint(152, 178) if sex == "female" else rng.randint(163, 193))
    weight = Decimal(rng.randint(480, 1250)) / 10
    now = timezone.now()
    for months_ago in sorted(rng.sample(range(1, 9), rng.randint(1, 4)), reverse=True):
        weight = max(Decimal(40), weight + Decimal(rng.randint(-25, 25)) / 10)
        services.weight_record(
            actor=clinician,
            patient=patient,
            weight_kg=weight,
            height_cm=height if rng.random() < 0.8 else None,
            measured_at=now - timedelta(days=30 * months_ago + rng.randint(0, 20)),
        )
    code, resistant = _pick_weighted(rng, _INDICATIONS)
    services.indication_add(
        actor=clinician,
        patient=patient,
        icd10_code=code,
        treatment_resistant=resistant,
        is_primary=True,
        noted_on=today - timedelta(days=rng.randint(30, 700)),
    )
    if rng.random() < 0.4:
        second, _ = _pick_weighted(rng, [i for i in _INDICATIONS if i[0] != code])
        services.indication_add(
            actor=clinician,
            patient=patient,
            icd10_code=second,
            noted_on=today - timedelta(days=rng.randint(30, 700)),
        )
    for name, dose, med_class in rng.sample(_MEDICATIONS, rng.randint(1, 3)):
        services.medication_add(
            actor=clinician,
            patient=patient,
            name=name,
            dose_and_frequency=dose,
            ketamine_interaction_class=med_class.value,
            started_on=today - timedelta(days=rng.randint(60, 1500)),
        )
    allergy = rng.random()
    if allergy < 0.6:
        services.patient_update(
            actor=clinician, patient=patient, changes={"no_known_drug_allergies": True}
        )
    elif allergy < 0.9:
        services.patient_update(
            actor=clinician, patient=patient, changes={"allergies": rng.choice(_ALLERGIES)}
        )
    if rng.random() < 0.7:
        services.care_team_add(
            actor=clinician, patient=patient, staff=clinician, responsibility="Treating clinician"
        )
