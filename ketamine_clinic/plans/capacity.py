"""The bridge between the database and the pure scheduler: a clinic's capacity in local time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F

from ketamine_clinic.accounts.models import Clinic
from ketamine_clinic.clinical import scheduling
from ketamine_clinic.clinical.scheduling import PhaseRule, SessionTiming

from .models import (
    Chair,
    ClinicScheduleSettings,
    OpeningHours,
    PlannedSession,
    Protocol,
    StaffShift,
)

# Clinic policy defaults for a clinic that has set nothing yet (no published source).
DEFAULT_OPENING = (time(8, 0), time(18, 0))
DEFAULT_WEEKDAYS = range(5)  # Monday to Friday


def tz_of(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.timezone)


def local(dt: datetime, clinic: Clinic) -> datetime:
    """Return `dt` as the clinic's naive local wall-clock time."""
    return dt.astimezone(tz_of(clinic)).replace(tzinfo=None)


def aware(naive: datetime, clinic: Clinic) -> datetime:
    """Return the clinic's local wall-clock time `naive` as an aware datetime."""
    return naive.replace(tzinfo=tz_of(clinic))


def settings_for(clinic: Clinic) -> ClinicScheduleSettings:
    """Return the clinic's schedule settings, creating the defaults on first use."""
    row, created = ClinicScheduleSettings.objects.get_or_create(clinic=clinic)
    if created:
        for weekday in DEFAULT_WEEKDAYS:
            OpeningHours.objects.create(
                clinic=clinic, weekday=weekday, opens=DEFAULT_OPENING[0], closes=DEFAULT_OPENING[1]
            )
            StaffShift.objects.create(
                clinic=clinic,
                weekday=weekday,
                starts=DEFAULT_OPENING[0],
                ends=DEFAULT_OPENING[1],
                nurses=2,
                label="day (clinic default)",
            )
    return row


def lock_schedule(clinic: Clinic) -> ClinicScheduleSettings:
    """Take the clinic's booking lock for the rest of the transaction.

    A write is the lock on both databases: on PostgreSQL the UPDATE holds the row until commit;
    on SQLite it takes the database's write lock first, so the capacity read afterwards sees
    every booking committed before.
    """
    row = settings_for(clinic)
    ClinicScheduleSettings.objects.filter(pk=row.pk).update(slot_minutes=F("slot_minutes"))
    return ClinicScheduleSettings.objects.select_for_update().get(pk=row.pk)


def timing_of(protocol: Protocol) -> SessionTiming:
    return SessionTiming(
        prep=protocol.prep_minutes,
        administration=protocol.administration_minutes,
        monitoring=protocol.min_monitoring_minutes,
        turnover=protocol.turnover_minutes,
    )


def phase_rules(protocol: Protocol) -> list[PhaseRule]:
    return [
        PhaseRule(
            name=str(p["name"]),
            sessions=int(p["sessions"]),
            min_gap_days=int(p.get("min_gap_days", 1)),
            max_gap_days=None if p.get("max_gap_days") is None else int(p["max_gap_days"]),
            per_week=None if p.get("per_week") is None else int(p["per_week"]),
            from_week=None if p.get("from_week") is None else int(p["from_week"]),
        )
        for p in protocol.phases
    ]


def clinic_capacity(
    clinic: Clinic,
    first: date,
    last: date,
    *,
    exclude: list[int] | None = None,
) -> scheduling.Capacity:
    """Return the clinic's capacity from `first` to `last` (local days) with its bookings."""
    cfg = settings_for(clinic)
    hours = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.filter(clinic=clinic)}
    shifts: dict[int, list[scheduling.Shift]] = {}
    for s in StaffShift.objects.filter(clinic=clinic):
        shifts.setdefault(s.weekday, []).append(scheduling.Shift(s.starts, s.ends, s.nurses))
    chairs = list(
        Chair.objects.filter(clinic=clinic, is_active=True)
        .order_by("room__name", "name")
        .values_list("pk", flat=True)
    )
    capacity = scheduling.Capacity(
        chairs=chairs,
        opening=lambda d: hours.get(d.weekday()),
        shifts=lambda d: shifts.get(d.weekday(), []),
        patients_per_nurse=cfg.patients_per_nurse,
        slot_minutes=cfg.slot_minutes,
    )
    tz = tz_of(clinic)
    begin = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    booked = (
        PlannedSession.objects.filter(
            clinic=clinic,
            status__in=PlannedSession.HOLDS_CHAIR,
            kind=PlannedSession.Kind.DOSING,
            starts_at__lt=end,
            ends_at__gt=begin,
        )
        .exclude(pk__in=exclude or [])
        .select_related("plan__protocol")
    )
    for row in booked:
        start = local(row.starts_at, clinic)
        timing = timing_of(row.plan.protocol)
        capacity.hold(row.chair_id, start, local(row.ends_at, clinic), timing.nursing_window(start))
    return capacity
