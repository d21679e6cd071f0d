"""Capacity-aware scheduling of a treatment course: chairs, opening hours, nurses, spacing.

All times are the clinic's local wall-clock times (naive datetimes); the caller converts to and
from UTC. A session holds its chair for its whole chair time (preparation + administration +
minimum monitoring + turnover) and needs a nurse from the start of administration to the end of
monitoring. A nurse looks after at most `patients_per_nurse` such patients at once (issue #10:
"default 1 nurse to 2 dosing patients", a clinic policy value, no published source).

Spacing is the protocol's (reference.md §1.4, §2.2, §1.7): each phase says how many sessions,
the least and most days between two sessions, at most how many in one course week (weeks
counted from the day of the first session), and from which course week it may start.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionTiming:
    """The minutes of one session (protocol values)."""

    prep: int
    administration: int
    monitoring: int
    turnover: int

    @property
    def chair_minutes(self) -> int:
        return self.prep + self.administration + self.monitoring + self.turnover

    def nursing_window(self, start: datetime) -> tuple[datetime, datetime]:
        """Return when a nurse is needed: from the start of administration to the end of
        monitoring."""
        begin = start + timedelta(minutes=self.prep)
        return begin, begin + timedelta(minutes=self.administration + self.monitoring)

    def end(self, start: datetime) -> datetime:
        return start + timedelta(minutes=self.chair_minutes)


@dataclass(frozen=True)
class PhaseRule:
    """One phase of a protocol: its sessions and their spacing."""

    name: str
    sessions: int
    min_gap_days: int  # the least days from one session's day to the next (1 = next day)
    max_gap_days: int | None = None  # the most; None: no upper bound
    per_week: int | None = None  # at most this many in one course week
    from_week: int | None = None  # the phase starts no earlier than this course week (1-based)


@dataclass(frozen=True)
class Shift:
    """Nurses on duty between two local times of one day."""

    starts: time
    ends: time
    nurses: int


@dataclass(frozen=True)
class Slot:
    sequence: int
    phase: str
    chair: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Proposal:
    slots: list[Slot]
    warnings: list[str] = field(default_factory=list)
    unplaced: int = 0  # sessions for which no slot was found within the horizon


@dataclass
class _Day:
    opens: datetime
    closes: datetime
    shifts: list[tuple[datetime, datetime, int]]
    chair_busy: dict[int, list[tuple[datetime, datetime]]]  # sorted by start
    nursing: list[tuple[datetime, datetime]]  # sorted by start


class Capacity:
    """A clinic's chairs, opening hours, nurses and bookings, for finding and checking slots.

    `opening(day)` gives (opens, closes) local times or None when closed; `shifts(day)` the
    nurses on duty that day.
    """

    def __init__(
        self,
        *,
        chairs: Sequence[int],
        opening: Callable[[date], tuple[time, time] | None],
        shifts: Callable[[date], Sequence[Shift]],
        patients_per_nurse: int = 2,
        slot_minutes: int = 15,
    ) -> None:
        if patients_per_nurse < 1 or slot_minutes < 1:
            raise ValueError("patients_per_nurse and slot_minutes must be at least 1")
        self.chairs = list(chairs)
        self._opening = opening
        self._shifts = shifts
        self.patients_per_nurse = patients_per_nurse
        self.slot = timedelta(minutes=slot_minutes)
        self._days: dict[date, _Day | None] = {}

    def _day(self, day: date) -> _Day | None:
        if day not in self._days:
            hours = self._opening(day)
            if hours is None or hours[0] >= hours[1]:
                self._days[day] = None
            else:
                self._days[day] = _Day(
                    opens=datetime.combine(day, hours[0]),
                    closes=datetime.combine(day, hours[1]),
                    shifts=[
                        (datetime.combine(day, s.starts), datetime.combine(day, s.ends), s.nurses)
                        for s in self._shifts(day)
                    ],
                    chair_busy={c: [] for c in self.chairs},
                    nursing=[],
                )
        return self._days[day]

    def book(self, chair: int, start: datetime, timing: SessionTiming) -> None:
        """Record a booking (existing or new) so later searches avoid it."""
        self.hold(chair, start, timing.end(start), timing.nursing_window(start))

    def hold(
        self,
        chair: int | None,
        start: datetime,
        end: datetime,
        nursing: tuple[datetime, datetime] | None,
    ) -> None:
        """Record a booking given by its times (a chair of None holds no chair)."""
        day = self._day(start.date())
        if day is None:  # a booking on a day now closed still holds nothing we search
            return
        if chair is not None:
            bisect.insort(day.chair_busy.setdefault(chair, []), (start, end))
        if nursing is not None:
            bisect.insort(day.nursing, nursing)

    def why_not(self, chair: int, start: datetime, timing: SessionTiming) -> str | None:
        """Return why `chair` cannot take a session at `start`, or None if it can."""
        day = self._day(start.date())
        end = timing.end(start)
        if day is None:
            return f"The clinic is closed on {start:%A %Y-%m-%d}."
        if start < day.opens or end > day.closes:
            return (
                f"{start:%H:%M}–{end:%H:%M} is outside opening hours "
                f"({day.opens:%H:%M}–{day.closes:%H:%M})."
            )
        if chair not in day.chair_busy:
            return "No such chair."
        if _overlapping(day.chair_busy[chair], start, end) is not None:
            return "The chair is already booked then."
        if not self._nurse_ok(day, timing.nursing_window(start)):
            return (
                "No nurse free then: the nurse-to-patient ratio "
                f"(1 to {self.patients_per_nurse}) would be exceeded."
            )
        return None

    def earliest_on(
        self, day: date, timing: SessionTiming, not_before: datetime | None = None
    ) -> tuple[int, datetime] | None:
        """Return the earliest (chair, start) on `day` on the slot grid, or None."""
        d = self._day(day)
        if d is None:
            return None
        length = timedelta(minutes=timing.chair_minutes)
        start = d.opens
        if not_before is not None and not_before > start:
            start = _ceil_to_grid(not_before, d.opens, self.slot)
        while start + length <= d.closes:
            end = start + length
            next_start: datetime | None = None
            nurse_free: bool | None = None  # the same for every chair: asked at most once
            for chair in self.chairs:
                clash = _overlapping(d.chair_busy[chair], start, end)
                if clash is None:
                    if nurse_free is None:
                        nurse_free = self._nurse_ok(d, timing.nursing_window(start))
                    if nurse_free:
                        return chair, start
                    next_start = start + self.slot  # a chair is free: only the nurse waits
                    break
                # The earliest this chair frees up: jump there rather than step by step.
                candidate = _ceil_to_grid(clash[1], d.opens, self.slot)
                if next_start is None or candidate < next_start:
                    next_start = candidate
            step = start + self.slot
            start = max(step, next_start) if next_start is not None else step
        return None

    def _nurse_ok(self, day: _Day, window: tuple[datetime, datetime]) -> bool:
        begin, end = window
        # The load only rises where another window starts, and the nurses on duty only change
        # at shift boundaries: checking those instants inside [begin, end) covers all of it.
        hi = bisect.bisect_left(day.nursing, (end, end))
        overlapping = [w for w in day.nursing[:hi] if w[1] > begin]
        instants = {begin}
        instants.update(w[0] for w in overlapping if begin < w[0] < end)
        for s_start, s_end, _ in day.shifts:
            for t in (s_start, s_end):
                if begin < t < end:
                    instants.add(t)
        for t in instants:
            nurses = sum(n for s_start, s_end, n in day.shifts if s_start <= t < s_end)
            load = 1 + sum(1 for w in overlapping if w[0] <= t < w[1])
            if load > nurses * self.patients_per_nurse:
                return False
        return True


def _ceil_to_grid(t: datetime, origin: datetime, step: timedelta) -> datetime:
    offset = t - origin
    steps = -(-offset // step)  # ceiling division of timedeltas
    return origin + steps * step


def _overlapping(
    busy: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """Return a booking in `busy` (sorted, not overlapping each other) that overlaps
    [start, end), the one ending latest among those found, or None."""
    i = bisect.bisect_left(busy, (end, end))
    found = None
    for j in range(i - 1, -1, -1):
        b_start, b_end = busy[j]
        if b_end <= start:
            break
        if b_start < end and (found is None or b_end > found[1]):
            found = (b_start, b_end)
    return found


def course_sessions(phases: Sequence[PhaseRule]) -> list[tuple[int, PhaseRule]]:
    """Return (sequence, phase) for every session of the course, numbered from 1."""
    out = []
    seq = 0
    for phase in phases:
        for _ in range(phase.sessions):
            seq += 1
            out.append((seq, phase))
    return out


@dataclass(frozen=True)
class Done:
    """A session already held (or booked and kept) that the spacing counts from."""

    sequence: int
    phase: str
    day: date


def propose(
    phases: Sequence[PhaseRule],
    timing: SessionTiming,
    capacity: Capacity,
    *,
    start: date,
    not_before: datetime | None = None,
    done: Sequence[Done] = (),
    course_start: date | None = None,
    horizon_days: int = 120,
    book: bool = True,
) -> Proposal:
    """Find the earliest slots for the course's remaining sessions, in order.

    Each session goes on the earliest day that keeps the protocol's spacing from the previous
    session (the least days between them, at most `per_week` in a course week, the phase's first
    week), and at the earliest time and lowest chair that the clinic's capacity allows on that
    day. When no day within the most days allowed has room, the next day with room is taken and
    a warning says so. `done` are the sessions kept (the spacing and weekly counts start from
    them); the sessions proposed are the ones after them. With `book`, each slot found is
    booked in `capacity` at once (so that later searches, of this course or another, avoid it).
    """
    all_sessions = course_sessions(phases)
    done_by_seq = {d.sequence: d for d in done}
    first_day = course_start or (min(d.day for d in done) if done else None)
    days_held: list[date] = sorted(d.day for d in done)
    week_counts: dict[int, int] = {}
    if first_day is not None:
        for d in days_held:
            week = (d - first_day).days // 7
            week_counts[week] = week_counts.get(week, 0) + 1
    previous: date | None = days_held[-1] if days_held else None
    slots: list[Slot] = []
    warnings: list[str] = []
    unplaced = 0
    limit = start + timedelta(days=horizon_days)
    for seq, phase in all_sessions:
        if seq in done_by_seq:
            continue
        earliest = (
            start if previous is None else max(start, previous + timedelta(phase.min_gap_days))
        )
        if phase.from_week is not None and first_day is not None:
            earliest = max(earliest, first_day + timedelta(days=7 * (phase.from_week - 1)))
        day = earliest
        found: tuple[int, datetime] | None = None
        while day <= limit:
            if first_day is not None and phase.per_week is not None:
                week = (day - first_day).days // 7
                if week_counts.get(week, 0) >= phase.per_week:
                    day = first_day + timedelta(days=7 * (week + 1))
                    continue
            floor = not_before if not_before is not None and not_before.date() == day else None
            found = capacity.earliest_on(day, timing, floor)
            if found is not None:
                break
            day += timedelta(days=1)
        if found is None:
            unplaced += 1
            warnings.append(
                f"Session {seq} ({phase.name}): no free chair and nurse within {horizon_days} "
                "days; add capacity or book it by hand."
            )
            continue
        chair, at = found
        if previous is not None and phase.max_gap_days is not None:
            gap = (at.date() - previous).days
            if gap > phase.max_gap_days:
                warnings.append(
                    f"Session {seq} ({phase.name}) on {at:%Y-%m-%d} is {gap} days after the "
                    f"previous one, more than the protocol's {phase.max_gap_days}: the clinic "
                    "is closed or full in between."
                )
        if first_day is None:
            first_day = at.date()
        week = (at.date() - first_day).days // 7
        week_counts[week] = week_counts.get(week, 0) + 1
        if book:
            capacity.book(chair, at, timing)
        slots.append(Slot(seq, phase.name, chair, at, timing.end(at)))
        previous = at.date()
    return Proposal(slots=slots, warnings=warnings, unplaced=unplaced)


def spacing_problems(
    days: Sequence[tuple[int, str, date]], phases: Mapping[str, PhaseRule]
) -> list[str]:
    """Return every place where a course's session days break its protocol's least spacing or
    weekly count (an empty list when they keep it). `days` are (sequence, phase, day)."""
    problems = []
    ordered = sorted(days)
    first = min((d for _, _, d in ordered), default=None)
    per_week: dict[tuple[str, int], int] = {}
    for (_, _, prev), (seq, phase, day) in itertools.pairwise(ordered):
        rule = phases[phase]
        if (day - prev).days < rule.min_gap_days:
            problems.append(
                f"Session {seq} is {(day - prev).days} days after the previous one; the "
                f"protocol asks for at least {rule.min_gap_days}."
            )
    if first is not None:
        for seq, phase, day in ordered:
            rule = phases[phase]
            week = (day - first).days // 7
            per_week[(phase, week)] = per_week.get((phase, week), 0) + 1
            if rule.per_week is not None and per_week[(phase, week)] > rule.per_week:
                problems.append(
                    f"Session {seq} is more than {rule.per_week} in course week {week + 1}."
                )
    return problems


def naive_earliest(
    bookings: Iterable[tuple[int, datetime, datetime, tuple[datetime, datetime]]],
    chairs: Sequence[int],
    opening: Callable[[date], tuple[time, time] | None],
    nurses_at: Callable[[datetime], int],
    patients_per_nurse: int,
    day: date,
    timing: SessionTiming,
    step_minutes: int = 15,
) -> tuple[int, datetime] | None:
    """Return the earliest (chair, start) on `day` by checking every step against every booking.

    The plain loop the benchmark compares `Capacity.earliest_on` with; also a cross-check in
    the tests.
    """
    hours = opening(day)
    if hours is None:
        return None
    rows = list(bookings)
    start = datetime.combine(day, hours[0])
    closes = datetime.combine(day, hours[1])
    while start + timedelta(minutes=timing.chair_minutes) <= closes:
        end = timing.end(start)
        begin, finish = timing.nursing_window(start)
        for chair in chairs:
            if any(c == chair and s < end and start < e for c, s, e, _ in rows):
                continue
            ok = True
            t = begin
            while t < finish:
                load = 1 + sum(1 for *_, (a, b) in rows if a <= t < b)
                if load > nurses_at(t) * patients_per_nurse:
                    ok = False
                    break
                t += MINUTE
            if ok:
                return chair, start
        start += timedelta(minutes=step_minutes)
    return None
