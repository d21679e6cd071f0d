"""API shapes. Inputs refuse unknown fields; field rules come from the models and services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from ketamine_clinic.common.api import ErrorOut, FieldError, Strict

__all__ = ["ErrorOut", "FieldError", "Strict"]

SexCode = Literal["female", "male", "other", "unknown"]


class PatientDetailsIn(Strict):
    legal_given_name: str | None = None
    legal_family_name: str | None = None
    preferred_name: str | None = None
    date_of_birth: date | None = None
    sex: SexCode | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None
    escort_name: str | None = None
    escort_phone: str | None = None
    allergies: str | None = None
    no_known_drug_allergies: bool | None = None


class PatientCreateIn(PatientDetailsIn):
    clinic_id: int
    legal_given_name: str
    legal_family_name: str
    date_of_birth: date
    sex: SexCode
    mrn: str | None = Field(None, description="Only when importing: otherwise one is issued")
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None


class PatientPatchIn(PatientDetailsIn):
    pass


class WeightIn(Strict):
    weight_kg: Decimal
    height_cm: Decimal | None = None
    measured_at: datetime | None = None
    # True to record a weight that differs from the previous one by more than the clinic's
    # share (default 10%) or by the kg/lb factor; without it such a weight answers 422.
    confirm_jump: bool = False


class IndicationIn(Strict):
    icd10_code: str
    description: str = ""
    treatment_resistant: bool = False
    is_primary: bool = False
    noted_on: date | None = None


class WeightOut(Schema):
    measured_at: datetime
    weight_kg: Decimal
    height_cm: Decimal | None


class IndicationOut(Schema):
    id: int
    icd10_code: str
    description: str
    treatment_resistant: bool
    is_primary: bool
    noted_on: date


class MedicationOut(Schema):
    id: int
    name: str
    dose_and_frequency: str
    ketamine_interaction_class: str
    started_on: date | None
    stopped_on: date | None


class CareTeamOut(Schema):
    staff_username: str
    staff_name: str
    responsibility: str


class PatientOut(Schema):
    id: int
    clinic_id: int
    mrn: str
    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    date_of_birth: date
    sex: str


class PatientDetailOut(PatientOut):
    """The chart; its clinical facts are null for a reader who treats no patient (front desk)."""

    age: int
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    escort_name: str
    escort_phone: str
    allergies: str | None
    no_known_drug_allergies: bool | None
    latest_weight: WeightOut | None
    bmi: Decimal | None
    indications: list[IndicationOut] | None
    medications: list[MedicationOut] | None
    care_team: list[CareTeamOut]


class PatientPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PatientOut]


class MembershipOut(Schema):
    clinic_id: int
    clinic: str
    role: str
    permissions: list[str]


class MeOut(Schema):
    username: str
    name: str
    email: str
    memberships: list[MembershipOut]


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime
    actor_username: str
    role: str
    clinic_id: int | None
    patient_id: int | None
    action: str
    object_type: str
    object_id: str
    ip: str | None
    channel: str
    changes: dict[str, list[str | None]]
    detail: dict[str, object]


class AuditEventPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]
