"""The pure scheduler: spacing, chairs, opening hours, nurse ratio; the esketamine calendar."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.clinical import scheduling
from ketamine_clinic.clinical.protocol_library import BY_SLUG
from ketamine_clinic.clinical.scheduling import Capacity, PhaseRule, SessionTiming, Shift

MONDAY = date(2026, 6, 1)  # a Monday
IV = SessionTiming(prep=15, administration=40, monitoring=90, turnover=15)  # 160 min


def weekdays(opens: time = time(8), closes: time = time(18)):
    return lambda d: (opens, closes) if d.weekday() < 5 else None


def shifts(nurses: int = 2):
    return lambda d: [Shift(time(8), time(18), nurses)]


def capacity(chairs: int = 2, nurses: int = 2, ratio: int = 2) -> Capacity:
    return Capacity(
        chairs=list(range(1, chairs + 1)),
        opening=weekdays(),
        shifts=shifts(nurses),
        patients_per_nurse=ratio,
    )


def rules(slug: str) -> list[PhaseRule]:
    return [
        PhaseRule(
            name=p["name"],
            sessions=p["sessions"],
            min_gap_days=p["min_gap_days"],
            max_gap_days=p.get("max_gap_days"),
            per_week=p.get("per_week"),
            from_week=p.get("from_week"),
        )
        for p in BY_SLUG[slug].phases
    ]


def test_iv_induction_is_six_sessions_monday_wednesday_friday_at_opening():
    proposal = scheduling.propose(rules("iv-ketamine-induction"), IV, capacity(), start=MONDAY)
    days = [s.starts_at.date() for s in proposal.slots]
    assert days == [MONDAY + timedelta(d) for d in (0, 2, 4, 7, 9, 11)]
    assert all(s.starts_at.time() == time(8) and s.chair == 1 for s in proposal.slots)
    assert proposal.slots[0].ends_at == datetime(2026, 6, 1, 10, 40)
    assert proposal.warnings == []


def test_esketamine_label_calendar_week_by_week():
    timing = SessionTiming(prep=15, administration=15, monitoring=120, turnover=15)
    proposal = scheduling.propose(rules("esketamine-label"), timing, capacity(), start=MONDAY)
    per_week: dict[int, list[str]] = {}
    for s in proposal.slots:
        per_week.setdefault((s.starts_at.date() - MONDAY).days // 7 + 1, []).append(s.phase)
    # Weeks 1–4 twice weekly, weeks 5–8 weekly, week 9 on weekly or every two weeks (§2.2).
    assert [len(per_week[w]) for w in range(1, 9)] == [2, 2, 2, 2, 1, 1, 1, 1]
    assert set(per_week[1] + per_week[4]) == {"induction"}
    assert set(per_week[5] + per_week[8]) == {"maintenance weekly"}
    later = [s for s in proposal.slots if s.phase == "maintenance every 1–2 weeks"]
    assert len(later) == 4 and (later[0].starts_at.date() - MONDAY).days // 7 + 1 == 9
    gaps = [(b.starts_at - a.starts_at).days for a, b in itertools.pairwise(later)]
    assert all(7 <= g <= 14 for g in gaps)
    assert len(proposal.slots) == 16


def test_crps_ten_consecutive_days_warns_when_the_clinic_closes_at_the_weekend():
    timing = SessionTiming(prep=15, administration=240, monitoring=60, turnover=15)
    proposal = scheduling.propose(rules("iv-ketamine-crps"), timing, capacity(), start=MONDAY)
    assert len(proposal.slots) == 10
    assert any("3 days after the previous one" in w for w in proposal.warnings)


def test_full_day_moves_the_session_to_the_next_day_that_keeps_the_spacing():
    cap = capacity(chairs=1)
    # Three 160-minute sessions fill Monday 8:00–18:00 (a fourth at 16:00 would end 18:40).
    for start in ("08:00", "10:40", "13:20"):
        h, m = map(int, start.split(":"))
        cap.book(1, datetime(2026, 6, 1, h, m), IV)
    proposal = scheduling.propose(rules("iv-ketamine-induction"), IV, cap, start=MONDAY)
    assert proposal.slots[0].starts_at == datetime(2026, 6, 2, 8, 0)
    assert proposal.slots[1].starts_at.date() == date(2026, 6, 4)


def test_nurse_ratio_one_nurse_two_patients_third_waits():
    cap = capacity(chairs=3, nurses=1, ratio=2)
    first = cap.earliest_on(MONDAY, IV)
    assert first is not None
    cap.book(*first, IV)
    second = cap.earliest_on(MONDAY, IV)
    assert second == (2, datetime(2026, 6, 1, 8, 0))
    cap.book(*second, IV)
    third = cap.earliest_on(MONDAY, IV)
    # The first two need the nurse 8:15–10:25; the third may start its administration at 10:25
    # at the earliest, so its slot (15 min preparation) starts at 10:15 on the grid.
    assert third == (3, datetime(2026, 6, 1, 10, 15))
    assert "nurse" in (cap.why_not(3, datetime(2026, 6, 1, 9, 0), IV) or "")


def test_why_not_names_opening_hours_and_closed_days():
    cap = capacity()
    assert "outside opening hours" in (cap.why_not(1, datetime(2026, 6, 1, 16, 0), IV) or "")
    assert "closed" in (cap.why_not(1, datetime(2026, 6, 6, 9, 0), IV) or "")
    assert cap.why_not(1, datetime(2026, 6, 1, 9, 0), IV) is None


def test_spacing_problems_finds_too_close_and_too_many_in_a_week():
    phases = {r.name: r for r in rules("iv-ketamine-induction")}
    days = [(1, "induction", MONDAY), (2, "induction", MONDAY + timedelta(1))]
    assert scheduling.spacing_problems(days, phases) == [
        "Session 2 is 1 days after the previous one; the protocol asks for at least 2."
    ]


def test_reschedule_from_done_sessions_keeps_the_spacing_and_week_count():
    done = [
        scheduling.Done(1, "induction", MONDAY),
        scheduling.Done(2, "induction", MONDAY + timedelta(2)),
    ]
    proposal = scheduling.propose(
        rules("iv-ketamine-induction"), IV, capacity(), start=MONDAY + timedelta(4), done=done
    )
    assert [s.sequence for s in proposal.slots] == [3, 4, 5, 6]
    assert proposal.slots[0].starts_at.date() == MONDAY + timedelta(4)


def _naive_nurses(day_shifts):
    return lambda t: sum(s.nurses for s in day_shifts if s.starts <= t.time() < s.ends)


@settings(max_examples=40, deadline=None)
@given(
    chairs=st.integers(1, 4),
    nurses=st.integers(1, 3),
    ratio=st.integers(1, 3),
    courses=st.lists(
        st.sampled_from(["iv-ketamine-induction", "esketamine-label", "im-ketamine"]),
        min_size=1,
        max_size=12,
    ),
    offsets=st.lists(st.integers(0, 6), min_size=12, max_size=12),
)
def test_property_no_double_booking_spacing_and_nurse_ratio_hold(
    chairs, nurses, ratio, courses, offsets
):
    cap = capacity(chairs=chairs, nurses=nurses, ratio=ratio)
    timings = {
        "iv-ketamine-induction": IV,
        "esketamine-label": SessionTiming(15, 15, 120, 15),
        "im-ketamine": SessionTiming(15, 5, 90, 15),
    }
    booked = []  # (chair, start, end, nursing window)
    for i, slug in enumerate(courses):
        timing = timings[slug]
        phase_rules = rules(slug)
        proposal = scheduling.propose(
            phase_rules, timing, cap, start=MONDAY + timedelta(offsets[i]), horizon_days=200
        )
        by_name = {r.name: r for r in phase_rules}
        days = [(s.sequence, s.phase, s.starts_at.date()) for s in proposal.slots]
        assert scheduling.spacing_problems(days, by_name) == []
        for s in proposal.slots:
            booked.append((s.chair, s.starts_at, s.ends_at, timing.nursing_window(s.starts_at)))
            assert time(8) <= s.starts_at.time() and s.ends_at.time() <= time(18)
    for i, (c1, s1, e1, _) in enumerate(booked):
        for c2, s2, e2, _ in booked[i + 1 :]:
            assert not (c1 == c2 and s1 < e2 and s2 < e1), "chair double-booked"
    instants = {w[0] for *_, w in booked}
    for t in instants:
        load = sum(1 for *_, (a, b) in booked if a <= t < b)
        assert load <= nurses * ratio


@settings(max_examples=30, deadline=None)
@given(
    existing=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 36)), max_size=12),
    nurses=st.integers(1, 2),
)
def test_property_earliest_slot_matches_the_naive_loop(existing, nurses):
    cap = Capacity(
        chairs=[1, 2, 3], opening=weekdays(), shifts=shifts(nurses), patients_per_nurse=2
    )
    rows = []
    for chair, quarter in existing:
        start = datetime(2026, 6, 1, 8) + timedelta(minutes=15 * quarter)
        if cap.why_not(chair, start, IV) is None:
            cap.book(chair, start, IV)
            rows.append((chair, start, IV.end(start), IV.nursing_window(start)))
    fast = cap.earliest_on(MONDAY, IV)
    slow = scheduling.naive_earliest(
        rows,
        [1, 2, 3],
        weekdays(),
        _naive_nurses([Shift(time(8), time(18), nurses)]),
        2,
        MONDAY,
        IV,
    )
    assert fast == slow
