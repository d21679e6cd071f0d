"""Benchmark (a script, not a test): fill a month for a 10-chair clinic with 300 active plans.

300 plans (a mix of IV induction, IM, esketamine label and IV maintenance, starting on the
weekdays of the first four weeks) are placed one after another with `clinical.scheduling`
(per-chair sorted bookings, skipping to the end of a clash); the same placements are then done
by a naive earliest-slot loop (every 15-minute step, every chair, every booking, the nurse load
minute by minute) on the same input, and the two results are checked to be identical. Prints
the times and their ratio.

Run: .venv/bin/python bench/schedule_bench.py [--plans 300] [--chairs 10]
"""

from __future__ import annotations

import argparse
import time as clock
from datetime import date, datetime, time, timedelta

from ketamine_clinic.clinical import scheduling
from ketamine_clinic.clinical.protocol_library import BY_SLUG
from ketamine_clinic.clinical.scheduling import Capacity, PhaseRule, SessionTiming, Shift

FIRST = date(2026, 6, 1)  # a Monday
HORIZON = 31
OPEN = (time(8), time(20))
SHIFT = [Shift(time(8), time(20), 4)]
MIX = ["iv-ketamine-induction", "im-ketamine", "esketamine-label", "iv-ketamine-maintenance"]


def _opening(d: date) -> tuple[time, time] | None:
    return OPEN if d.weekday() < 5 else None


def _course(slug: str) -> tuple[list[PhaseRule], SessionTiming]:
    spec = BY_SLUG[slug]
    rules = [
        PhaseRule(
            p["name"],
            p["sessions"],
            p["min_gap_days"],
            p.get("max_gap_days"),
            p.get("per_week"),
            p.get("from_week"),
        )
        for p in spec.phases
    ]
    timing = SessionTiming(
        spec.prep_minutes,
        spec.administration_minutes,
        spec.min_monitoring_minutes,
        spec.turnover_minutes,
    )
    return rules, timing


def _requests(n: int) -> list[tuple[str, date]]:
    weekdays = [
        FIRST + timedelta(days=i) for i in range(28) if (FIRST + timedelta(days=i)).weekday() < 5
    ]
    return [(MIX[i % len(MIX)], weekdays[i % len(weekdays)]) for i in range(n)]


def fast(requests: list[tuple[str, date]], chairs: int) -> list[tuple[int, datetime]]:
    cap = Capacity(
        chairs=list(range(chairs)), opening=_opening, shifts=lambda d: SHIFT, patients_per_nurse=2
    )
    placed = []
    for slug, start in requests:
        rules, timing = _course(slug)
        proposal = scheduling.propose(
            rules, timing, cap, start=start, horizon_days=(FIRST + timedelta(HORIZON) - start).days
        )
        placed += [(s.chair, s.starts_at) for s in proposal.slots]
    return placed


def naive(requests: list[tuple[str, date]], chairs: int) -> list[tuple[int, datetime]]:
    """The same course rules, each session placed by `scheduling.naive_earliest`."""
    bookings: list[tuple[int, datetime, datetime, tuple[datetime, datetime]]] = []
    placed = []

    def nurses_at(t: datetime) -> int:
        return sum(s.nurses for s in SHIFT if s.starts <= t.time() < s.ends)

    last = FIRST + timedelta(HORIZON)
    for slug, start in requests:
        rules, timing = _course(slug)
        previous: date | None = None
        first_day: date | None = None
        weeks: dict[int, int] = {}
        for _seq, rule in scheduling.course_sessions(rules):
            day = start if previous is None else max(start, previous + timedelta(rule.min_gap_days))
            if rule.from_week is not None and first_day is not None:
                day = max(day, first_day + timedelta(days=7 * (rule.from_week - 1)))
            found = None
            while day <= last:
                if first_day is not None and rule.per_week is not None:
                    week = (day - first_day).days // 7
                    if weeks.get(week, 0) >= rule.per_week:
                        day = first_day + timedelta(days=7 * (week + 1))
                        continue
                same_day = [b for b in bookings if b[1].date() == day]
                found = scheduling.naive_earliest(
                    same_day, list(range(chairs)), _opening, nurses_at, 2, day, timing
                )
                if found is not None:
                    break
                day += timedelta(days=1)
            if found is None:
                continue
            chair, at = found
            first_day = first_day or at.date()
            week = (at.date() - first_day).days // 7
            weeks[week] = weeks.get(week, 0) + 1
            bookings.append((chair, at, timing.end(at), timing.nursing_window(at)))
            placed.append((chair, at))
            previous = at.date()
    return placed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=300)
    parser.add_argument("--chairs", type=int, default=10)
    args = parser.parse_args()
    requests = _requests(args.plans)
    t0 = clock.perf_counter()
    a = fast(requests, args.chairs)
    t1 = clock.perf_counter()
    b = naive(requests, args.chairs)
    t2 = clock.perf_counter()
    print(f"{args.plans} plans, {args.chairs} chairs, {HORIZON} days: {len(a)} sessions placed")
    print(f"clinical.scheduling: {t1 - t0:.2f} s")
    print(f"naive earliest-slot loop: {t2 - t1:.2f} s  (ratio {((t2 - t1) / (t1 - t0)):.1f}x)")
    print(f"same placements: {a == b}")


if __name__ == "__main__":
    main()
