"""Writes to the patient chart. Each function is one business action: one transaction, with
its audit row, after the permission check. Validation comes from the model's field validators
(`full_clean`), so every path, UI or API, is held to the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.access import require
from ketamine_clinic.accounts.models import Clinic, Organization, StaffMember
from ketamine_clinic.accounts.permissions import Perm
from ketamine_clinic.audit.actions import Action
from ketamine_clinic.audit.services import diff, record
from ketamine_clinic.clinical import anthropometrics, icd10
from ketamine_clinic.common.limits import datetime_problem

from .models import (
    CareTeamMember,
    Indication,
    MedicationStatement,
    Patient,
    PatientChartSettings,
    WeightMeasurement,
)

# Identity and contact fields: front desk may edit them (Perm.PATIENT_REGISTER).
REGISTRATION_FIELDS = (
    "legal_given_name",
    "legal_family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "escort_name",
    "escort_phone",
)
# Clinical fields on the patient row: clinicians only (Perm.CHART_CLINICAL_EDIT).
CLINICAL_FIELDS = ("allergies", "no_known_drug_allergies")


def _now() -> datetime:
    return timezone.now()


def _next_mrn(organization_id: int) -> str:
    """Issue the organisation's next free MRN; call inside a transaction."""
    org = Organization.objects.select_for_update().get(pk=organization_id)
    while True:
        mrn = f"{org.mrn_prefix}{org.next_mrn_number:06d}"
        org.next_mrn_number += 1
        if not Patient.objects.filter(organization_id=org.pk, mrn=mrn).exists():
            break
    org.save(update_fields=["next_mrn_number"])
    return mrn


def _clean_values(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """Refuse unknown fields and nulls; strip text (a name of spaces is an empty name)."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: "This field is not known." for name in unknown})
    nulls = sorted(name for name, value in fields.items() if value is None)
    if nulls:
        raise ValidationError({name: "This field cannot be null." for name in nulls})
    return {
        name: value.strip() if isinstance(value, str) else value for name, value in fields.items()
    }


def patient_register(
    *,
    actor: StaffMember,
    clinic: Clinic,
    details: Mapping[str, Any],
    mrn: str | None = None,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> Patient:
    """Register a new patient at `clinic`, with an MRN and optionally a first weight."""
    require(actor, Perm.PATIENT_REGISTER, clinic)
    details = _clean_values(details, REGISTRATION_FIELDS + CLINICAL_FIELDS)
    # A blank allergy field records nothing clinical: someone who is a nurse at one clinic and
    # front desk at this one may leave it empty on the shared form.
    if any(details.get(name) for name in CLINICAL_FIELDS):
        require(actor, Perm.CHART_CLINICAL_EDIT, clinic)
    if (weight_kg is not None or height_cm is not None) and weight_kg is None:
        raise ValidationError({"weight_kg": "A height is recorded together with a weight."})
    with transaction.atomic():
        patient = Patient(clinic=clinic, organization=clinic.organization, created_by=actor)
        for name, value in details.items():
            setattr(patient, name, value)
        if mrn:
            patient.mrn = mrn.strip().upper()
            if Patient.objects.filter(organization=clinic.organization, mrn=patient.mrn).exists():
                raise ValidationError({"mrn": "This MRN is already used in this organisation."})
        else:
            patient.mrn = _next_mrn(clinic.organization_id)
        patient.full_clean()
        patient.save()
        record(
            actor=actor,
            action=Action.PATIENT_CREATE,
            patient=patient,
            obj=patient,
            changes=diff(
                {},
                {
                    name: getattr(patient, name)
                    for name in ("mrn", *details.keys())
                    if getattr(patient, name) not in ("", None)
                },
            ),
        )
        if weight_kg is not None:
            _weight_record(actor, patient, weight_kg, height_cm, _now())
    return patient


def patient_update(*, actor: StaffMember, patient: Patient, changes: Mapping[str, Any]) -> Patient:
    """Change a patient's identity, contact or allergy details; the audit row keeps old → new."""
    changes = _clean_values(changes, REGISTRATION_FIELDS + CLINICAL_FIELDS)
    require(actor, Perm.PATIENT_REGISTER, patient.clinic, patient)
    if set(changes) & set(CLINICAL_FIELDS):
        require(actor, Perm.CHART_CLINICAL_EDIT, patient.clinic, patient)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean()
        changed = diff(before, {name: getattr(locked, name) for name in changes})
        if not changed:
            return locked
        locked.save()
        record(
            actor=actor, action=Action.PATIENT_UPDATE, patient=locked, obj=locked, changes=changed
        )
    return locked


def weight_jump_share(clinic: Clinic) -> Decimal:
    """The share of change past which the clinic asks to confirm a new weight (default 10%)."""
    row = PatientChartSettings.objects.filter(clinic=clinic).first()
    return row.weight_jump_share if row else anthropometrics.WEIGHT_JUMP_SHARE_DEFAULT


def weight_jump_for(
    patient: Patient, weight_kg: Decimal, measured_at: datetime
) -> anthropometrics.WeightJump | None:
    """How far a new weight is from the one before it in time (else the one after it)."""
    weights = patient.weights.order_by("-measured_at", "-id")
    previous = (
        weights.filter(measured_at__lte=measured_at).first()
        or weights.filter(measured_at__gt=measured_at).last()
    )
    if previous is None:
        return None
    share = weight_jump_share(patient.clinic)
    return anthropometrics.weight_jump(previous.weight_kg, weight_kg, share)


def _weight_record(
    actor: StaffMember,
    patient: Patient,
    weight_kg: Decimal,
    height_cm: Decimal | None,
    measured_at: datetime,
    confirm_jump: bool = False,
) -> WeightMeasurement:
    if timezone.is_naive(measured_at):
        raise ValidationError(
            {"measured_at": "Give the time with its UTC offset, e.g. 2026-11-26T09:30:00Z."}
        )
    out_of_range = datetime_problem(measured_at)
    if out_of_range:
        raise ValidationError({"measured_at": out_of_range})
    if measured_at > _now():
        raise ValidationError({"measured_at": "A measurement cannot be in the future."})
    if measured_at.date() < patient.date_of_birth:
        raise ValidationError({"measured_at": "A measurement cannot be before the birth date."})
    row = WeightMeasurement(
        clinic=patient.clinic,
        patient=patient,
        weight_kg=weight_kg,
        height_cm=height_cm,
        measured_at=measured_at,
        recorded_by=actor,
    )
    row.full_clean()
    jump = weight_jump_for(patient, weight_kg, measured_at)
    if jump is not None and not confirm_jump:
        share = weight_jump_share(patient.clinic) * 100
        raise ValidationError(
            {
                "confirm_jump": f"Confirm this weight: {jump.describe()}. The clinic asks to "
                f"confirm a change of more than {share:.0f}% (clinic policy default 10%, no "
                "published source) because doses are computed from the latest weight."
            }
        )
    row.save()
    record(
        actor=actor,
        action=Action.WEIGHT_RECORD,
        patient=patient,
        obj=row,
        changes=diff({}, {"weight_kg": row.weight_kg, "height_cm": row.height_cm}),
        detail=(
            {
                "confirmed_jump": {
                    "previous_kg": str(jump.previous_kg),
                    "change": f"{jump.change:.3f}",
                    "units_swapped": jump.units_swapped,
                }
            }
            if jump is not None
            else None
        ),
    )
    return row


def weight_record(
    *,
    actor: StaffMember,
    patient: Patient,
    weight_kg: Decimal,
    height_cm: Decimal | None = None,
    measured_at: datetime | None = None,
    confirm_jump: bool = False,
) -> WeightMeasurement:
    """Record a weight (and optionally a height); doses are computed from the latest weight.

    A weight that differs from the previous one by more than the clinic's share, or by the
    kg/lb factor, is refused (field `confirm_jump`, naming the previous weight) unless
    `confirm_jump`; the confirmation is kept on the audit row.
    """
    require(actor, Perm.CHART_CLINICAL_EDIT, patient.clinic, patient)
    with transaction.atomic():
        return _weight_record(
            actor, patient, weight_kg, height_cm, measured_at or _now(), confirm_jump
        )


def indication_add(
    *,
    actor: StaffMember,
    patient: Patient,
    icd10_code: str,
    description: str = "",
    treatment_resistant: bool = False,
    is_primary: bool = False,
    noted_on: date | None = None,
) -> Indication:
    """Add an ICD-10-CM coded indication; a new primary one demotes the previous primary."""
    require(actor, Perm.CHART_CLINICAL_EDIT, patient.clinic, patient)
    try:
        code = icd10.normalise_code(icd10_code)
    except icd10.InvalidCode as error:
        raise ValidationError({"icd10_code": str(error)}) from error
    description = description.strip() or (icd10.catalogue_title(code) or "")
    if not description:
        raise ValidationError(
            {"description": "Describe this code (it is not in the built-in list)."}
        )
    if treatment_resistant and not icd10.is_depressive_disorder(code):
        raise ValidationError(
            {"treatment_resistant": "Only a depressive disorder can be treatment-resistant."}
        )
    with transaction.atomic():
        active = patient.indications.filter(removed_at=None)
        if active.filter(icd10_code=code).exists():
            raise ValidationError({"icd10_code": f"{code} is already on the chart."})
        indication = Indication(
            clinic=patient.clinic,
            patient=patient,
            icd10_code=code,
            description=description,
            treatment_resistant=treatment_resistant,
            is_primary=is_primary,
            noted_on=noted_on or timezone.localdate(),
            recorded_by=actor,
        )
        indication.full_clean()
        if is_primary:
            for previous in active.filter(is_primary=True):
                previous.is_primary = False
                previous.save(update_fields=["is_primary", "updated_at"])
        indication.save()
        record(
            actor=actor,
            action=Action.INDICATION_ADD,
            patient=patient,
            obj=indication,
            changes=diff(
                {},
                {
                    "icd10_code": code,
                    "description": description,
                    "treatment_resistant": treatment_resistant,
                    "is_primary": is_primary,
                },
            ),
        )
    return indication


def indication_remove(*, actor: StaffMember, indication: Indication) -> None:
    """Take an indication off the chart (kept, marked removed, for the record)."""
    require(actor, Perm.CHART_CLINICAL_EDIT, indication.clinic, indication.patient)
    with transaction.atomic():
        indication.removed_at = _now()
        indication.save(update_fields=["removed_at", "updated_at"])
        record(
            actor=actor,
            action=Action.INDICATION_REMOVE,
            patient=indication.patient,
            obj=indication,
            detail={"icd10_code": indication.icd10_code},
        )


def medication_add(
    *,
    actor: StaffMember,
    patient: Patient,
    name: str,
    ketamine_interaction_class: str,
    dose_and_frequency: str = "",
    started_on: date | None = None,
) -> MedicationStatement:
    """Record a current medication with the class that matters for ketamine."""
    require(actor, Perm.CHART_CLINICAL_EDIT, patient.clinic, patient)
    with transaction.atomic():
        medication = MedicationStatement(
            clinic=patient.clinic,
            patient=patient,
            name=name.strip(),
            dose_and_frequency=dose_and_frequency.strip(),
            ketamine_interaction_class=ketamine_interaction_class,
            started_on=started_on,
            recorded_by=actor,
        )
        medication.full_clean()
        medication.save()
        record(
            actor=actor,
            action=Action.MEDICATION_ADD,
            patient=patient,
            obj=medication,
            changes=diff(
                {},
                {
                    "name": medication.name,
                    "dose_and_frequency": medication.dose_and_frequency,
                    "ketamine_interaction_class": ketamine_interaction_class,
                },
            ),
        )
    return medication


def medication_stop(
    *, actor: StaffMember, medication: MedicationStatement, stopped_on: date | None = None
) -> MedicationStatement:
    """Mark a medication as no longer taken."""
    require(actor, Perm.CHART_CLINICAL_EDIT, medication.clinic, medication.patient)
    stopped_on = stopped_on or timezone.localdate()
    if medication.stopped_on is not None:
        raise ValidationError({"stopped_on": "This medication is already stopped."})
    if medication.started_on and stopped_on < medication.started_on:
        raise ValidationError({"stopped_on": "A medication cannot stop before it started."})
    with transaction.atomic():
        medication.stopped_on = stopped_on
        medication.full_clean()
        medication.save(update_fields=["stopped_on", "updated_at"])
        record(
            actor=actor,
            action=Action.MEDICATION_STOP,
            patient=medication.patient,
            obj=medication,
            changes={"stopped_on": [None, stopped_on.isoformat()]},
        )
    return medication


def care_team_add(
    *, actor: StaffMember, patient: Patient, staff: StaffMember, responsibility: str
) -> CareTeamMember:
    """Put a colleague of the patient's clinic on the care team."""
    require(actor, Perm.CHART_CLINICAL_EDIT, patient.clinic, patient)
    if not staff.memberships.filter(clinic=patient.clinic, is_active=True).exists():
        raise ValidationError({"staff": "This person does not work at the patient's clinic."})
    with transaction.atomic():
        if patient.care_team.filter(staff=staff).exists():
            raise ValidationError({"staff": "This person is already on the care team."})
        member = CareTeamMember(
            clinic=patient.clinic, patient=patient, staff=staff, responsibility=responsibility
        )
        member.full_clean()
        member.save()
        record(
            actor=actor,
            action=Action.CARE_TEAM_ADD,
            patient=patient,
            obj=member,
            detail={"staff": staff.username, "responsibility": responsibility},
        )
    return member


def care_team_remove(*, actor: StaffMember, member: CareTeamMember) -> None:
    """Take a colleague off the care team."""
    require(actor, Perm.CHART_CLINICAL_EDIT, member.clinic, member.patient)
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.CARE_TEAM_REMOVE,
            patient=member.patient,
            obj=member,
            detail={"staff": member.staff.username, "responsibility": member.responsibility},
        )
        member.delete()
