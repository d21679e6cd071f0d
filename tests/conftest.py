"""Shared fixtures: one organisation with two clinics, a staff member per role, patients.

Everything runs against the real database the settings name (SQLite file, or PostgreSQL
when DATABASE_URL says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from ketamine_clinic.accounts.models import Clinic, Membership, Organization, StaffMember
from ketamine_clinic.accounts.services import api_token_create
from ketamine_clinic.patients import services as patient_services
from ketamine_clinic.patients.models import Patient

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    org: Organization
    clinic1: Clinic
    clinic2: Clinic
    admin: StaffMember
    prescriber: StaffMember
    nurse: StaffMember
    frontdesk: StaffMember
    auditor: StaffMember
    nurse2: StaffMember  # clinic 2 only
    patient1: Patient  # clinic 1
    patient2: Patient  # clinic 2


def make_staff(
    org: Organization, username: str, clinic: Clinic | None, role: str | None
) -> StaffMember:
    staff = StaffMember.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        last_name="Tester",
        organization=org,
    )
    if clinic is not None and role is not None:
        Membership.objects.create(staff=staff, clinic=clinic, role=role)
    return staff


def enrol_totp(staff: StaffMember) -> None:
    """Give `staff` a TOTP authenticator so that the two-factor gate lets them through."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())


@pytest.fixture
def world(db: None) -> World:
    org = Organization.objects.create(name="Test Health", mrn_prefix="TH")
    clinic1 = Clinic.objects.create(organization=org, name="North")
    clinic2 = Clinic.objects.create(organization=org, name="South")
    users = {
        "admin": make_staff(org, "admin", clinic1, "admin"),
        "prescriber": make_staff(org, "prescriber", clinic1, "prescriber"),
        "nurse": make_staff(org, "nurse", clinic1, "nurse"),
        "frontdesk": make_staff(org, "frontdesk", clinic1, "front_desk"),
        "auditor": make_staff(org, "auditor", clinic1, "auditor"),
        "nurse2": make_staff(org, "nurse2", clinic2, "nurse"),
    }
    patient1 = patient_services.patient_register(
        actor=users["frontdesk"],
        clinic=clinic1,
        details={
            "legal_given_name": "Alice",
            "legal_family_name": "Moreno",
            "date_of_birth": date(1984, 3, 7),
            "sex": "female",
        },
        weight_kg=Decimal("82.4"),
        height_cm=Decimal("170.0"),
    )
    patient2 = patient_services.patient_register(
        actor=users["nurse2"],
        clinic=clinic2,
        details={
            "legal_given_name": "Bruno",
            "legal_family_name": "Keller",
            "date_of_birth": date(1975, 11, 30),
            "sex": "male",
        },
    )
    return World(
        org=org, clinic1=clinic1, clinic2=clinic2, patient1=patient1, patient2=patient2, **users
    )


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    """Return a function that signs `staff` in (with TOTP enrolled) on the test client."""

    def _login(staff: StaffMember) -> Client:
        if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
            enrol_totp(staff)
        client.force_login(staff)
        return client

    return _login


@pytest.fixture
def token_for(db: None):  # type: ignore[no-untyped-def]
    """Return a function that issues an API token and the Authorization header for it."""

    def _token_for(staff: StaffMember) -> dict[str, str]:
        issued = api_token_create(staff=staff, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {issued.token}"}

    return _token_for
