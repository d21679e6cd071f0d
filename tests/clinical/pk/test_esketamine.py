"""Intranasal esketamine (Perez-Ruixo 2021, PK ref §1.4) against the published numbers.

PK ref = docs/clinical/pharmacokinetics.md. Tolerances are stated per assertion; no
parameter was fitted to these numbers.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ketamine_clinic.clinical.pharmacokinetics import esketamine as esk
from ketamine_clinic.clinical.pharmacokinetics.metrics import exposure
from ketamine_clinic.clinical.pharmacokinetics.prediction import (
    PredictionError,
    PredictionRequest,
    predict,
)
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    simulate,
    simulate_amounts,
    with_elimination_sink,
)

MODEL = esk.PEREZ_RUIXO_2021
PARENT = esk.esketamine_system(metabolite=False)
FULL = esk.esketamine_system()


def half_lives_h(a: np.ndarray) -> list[float]:
    return sorted(float(np.log(2) / -ev.real / 60) for ev in np.linalg.eigvals(a))


def session(dose_mg: float) -> tuple[float, float, float]:
    """(Cmax ng/mL, Tmax after the last device in min, AUC0–∞ ng·h/mL) for one session."""
    regimen = esk.intranasal_regimen(dose_mg)
    metrics = exposure(PARENT, regimen)
    last = max(d.time_min for d in regimen if isinstance(d, Bolus))
    return (
        float(metrics.cmax_ng_per_ml[0]),
        float(metrics.tmax_min[0]) - last,
        float(metrics.auc_ng_h_per_ml[0]),
    )


@pytest.mark.parametrize("dose_mg", [28, 56, 84])
def test_tmax_20_to_40_min_after_the_last_device(dose_mg: float) -> None:
    # PK ref §3.2 / §1.5: Tmax 20–40 min after the last spray (Swiss PI; J&J Medical Connect).
    _, tmax_after_last, _ = session(dose_mg)
    assert 20.0 <= tmax_after_last <= 40.0


def test_detectable_within_7_min_of_28_mg() -> None:
    # PK ref §3.2: first detectable within 7 min of 28 mg (Swiss PI); model gives ≈21 ng/mL.
    c7 = simulate(PARENT, esk.intranasal_regimen(28), np.array([7.0]))[0, 0]
    assert c7 > 1.0


def test_biphasic_decline_and_terminal_half_life() -> None:
    # PK ref §3.2: terminal t½ 7–12 h; fast decline over the first 2–4 h (J&J Medical Connect).
    parent = half_lives_h(PARENT.a[0])
    assert 7.0 <= parent[-1] <= 12.0  # model: 11.0 h
    assert 1.0 <= parent[-2] <= 4.0  # model: 2.2 h, the fast phase
    conc = simulate(PARENT, esk.intranasal_regimen(56), np.array([60.0, 240.0, 720.0, 1440.0]))
    assert conc[0, 1] / conc[0, 0] < 0.3  # more than 70% gone from 1 h to 4 h


def test_derived_constants_against_the_abstract() -> None:
    # PK ref §1.4 derived: E = 0.722, CL = 109 L/h [computed]; abstract CL 114 L/h, Vss 752 L.
    extraction = esk.hepatic_extraction(MODEL)
    assert extraction == pytest.approx(0.722, abs=0.001)
    assert MODEL.qh_l_per_h * extraction == pytest.approx(109.0, abs=0.5)
    assert MODEL.qh_l_per_h * extraction == pytest.approx(114.0, rel=0.05)  # abstract, 5%
    assert MODEL.vc_l + MODEL.vp1_l + MODEL.vp2_l == pytest.approx(752.0)  # abstract Vss
    assert MODEL.vcn_l + MODEL.vpn_l == pytest.approx(185.0)  # noresketamine Vss (abstract)
    # Abstract: 18.6% of the swallowed portion reaches the circulation: Fgut·(1 − E) = 17.8%.
    assert MODEL.fgut * (1 - extraction) == pytest.approx(0.186, rel=0.05)


@pytest.mark.parametrize(("dose_mg", "published"), [(56, 0.54), (84, 0.51)])
def test_absolute_bioavailability(dose_mg: float, published: float) -> None:
    # PK ref §1.4 / §3.2: absolute F 54% (56 mg) and 51% (84 mg), abstract; computed 0.538 / 0.509.
    assert esk.absolute_bioavailability(dose_mg) == pytest.approx(published, abs=0.005)
    # The label's ≈48% for 84 mg (PK ref §1.5), within 10%.
    if dose_mg == 84:
        assert esk.absolute_bioavailability(dose_mg) == pytest.approx(0.48, rel=0.10)


def test_absolute_bioavailability_equals_simulated_auc_ratio() -> None:
    # AUC(intranasal)/AUC(IV) of the same dose is F: the simulated system agrees with the formula.
    auc_in = session(84)[2]
    iv = exposure(PARENT, [Bolus(0.0, 84.0, esk.CENTRAL)])
    assert auc_in / float(iv.auc_ng_h_per_ml[0]) == pytest.approx(
        esk.absolute_bioavailability(84), rel=0.002
    )


def test_dose_proportionality_as_the_label_says() -> None:
    # PK ref §3.2 (Swiss PI): less than proportional 28 → 56 mg, proportional 56 → 84 mg.
    # The per-device FRn × 0.62 (PK ref §1.4) makes 28 → 56 clearly less than double.
    auc28, auc56, auc84 = (session(d)[2] for d in (28, 56, 84))
    assert auc56 / auc28 < 2 * 0.9  # model: 1.73
    assert auc84 / auc56 == pytest.approx(1.5, rel=0.06)  # model: 1.42 (5% below 1.5)
    # Not simply linear: the third device adds what the second did, the second less than the 1st.
    assert auc84 - auc56 == pytest.approx(auc56 - auc28, rel=1e-3)
    assert auc56 - auc28 < auc28


def test_second_device_is_given_5_min_after_the_first() -> None:
    regimen = esk.intranasal_regimen(56)
    boluses = [d for d in regimen if isinstance(d, Bolus)]
    infusions = [d for d in regimen if isinstance(d, Infusion)]
    assert [(b.time_min, b.amount_mg) for b in boluses] == [(0.0, 28.0), (5.0, 28.0)]
    assert [b.compartment for b in boluses] == [esk.NASAL_FIRST, esk.NASAL_LATER]
    # The swallowed part enters zero-order over Dsw = 0.53 h from each device.
    assert [(i.start_min, i.end_min) for i in infusions] == [(0.0, 31.8), (5.0, 36.8)]
    # Before 5 min a 56-mg session equals 28 mg; right after, the 2nd device's depot fills.
    times = np.array([4.0, 5.0])
    one = simulate_amounts(FULL, esk.intranasal_regimen(28), times)[0]
    two = simulate_amounts(FULL, regimen, times)[0]
    assert two[0] == pytest.approx(one[0])
    assert two[1, esk.NASAL_LATER] == pytest.approx(28.0 * MODEL.frn * 0.62)
    assert one[1, esk.NASAL_LATER] == 0.0


def test_device_fractions() -> None:
    # PK ref §1.4: effective FRn 0.54 / 0.4375 / 0.4032 for 28 / 56 / 84 mg (vignette formula).
    for dose, expected in ((28, 0.54), (56, 0.4375), (84, 0.4032)):
        n = esk.devices_for(dose)
        average = sum(MODEL.frn_of_device(i) for i in range(n)) / n
        assert average == pytest.approx(expected, abs=1e-4)


def test_mass_balance() -> None:
    sink = with_elimination_sink(FULL)
    amounts = simulate_amounts(sink, esk.intranasal_regimen(84), np.array([60.0, 1440.0]))
    absorbed = sum(
        28.0 * (MODEL.frn_of_device(i) + (1 - MODEL.frn_of_device(i)) * MODEL.fgut)
        for i in range(3)
    )
    assert amounts[0].sum(axis=1) == pytest.approx([absorbed, absorbed], rel=1e-9)


def test_covariates() -> None:
    # PK ref §1.4: Qh − 2.19 L/h per year above 60; Asian kel × 0.36 (more exposure).
    assert esk.hepatic_blood_flow_l_per_h(MODEL, 60) == 151.0
    assert esk.hepatic_blood_flow_l_per_h(MODEL, 70) == pytest.approx(151.0 - 21.9)
    base = exposure(PARENT, esk.intranasal_regimen(56)).auc_ng_h_per_ml[0]
    old = exposure(
        esk.esketamine_system(age_years=80, metabolite=False), esk.intranasal_regimen(56)
    )
    asian = exposure(
        esk.esketamine_system(asian=True, metabolite=False), esk.intranasal_regimen(56)
    )
    assert old.auc_ng_h_per_ml[0] > base
    assert asian.auc_ng_h_per_ml[0] > base


def _solve_ivp_reference(times: np.ndarray, regimen: list) -> np.ndarray:
    a = FULL.a[0]
    frac = FULL.input_fraction[0]
    events = sorted(
        {0.0, *times.tolist()}
        | {d.time_min for d in regimen if isinstance(d, Bolus)}
        | {t for d in regimen if isinstance(d, Infusion) for t in (d.start_min, d.end_min)}
    )
    x = np.zeros(a.shape[0])
    out = {}
    for i, t in enumerate(events):
        if i:
            t0 = events[i - 1]
            b = np.zeros(a.shape[0])
            for d in regimen:
                if isinstance(d, Infusion) and d.start_min <= t0 < d.end_min:
                    b[d.compartment] += d.rate_mg_per_min * frac[d.compartment]
            sol = solve_ivp(
                lambda _t, y, b=b: a @ y + b, (t0, t), x, method="LSODA", rtol=1e-10, atol=1e-12
            )
            x = sol.y[:, -1]
        for d in regimen:
            if isinstance(d, Bolus) and d.time_min == t:
                x[d.compartment] += d.amount_mg * frac[d.compartment]
        out[t] = x.copy()
    return np.array([out[t] for t in times])


def test_exact_solver_matches_solve_ivp_for_84_mg() -> None:
    times = np.array([0.0, 3.0, 5.0, 7.0, 10.0, 15.0, 31.8, 40.0, 60.0, 120.0, 480.0, 1440.0])
    regimen = esk.intranasal_regimen(84)
    exact = simulate_amounts(FULL, regimen, times)[0]
    reference = _solve_ivp_reference(times, regimen)
    np.testing.assert_allclose(exact, reference, rtol=1e-6, atol=1e-9)


def test_predict_esketamine() -> None:
    result = predict(
        PredictionRequest(drug="esketamine", route="intranasal", dose_mg=56, times_min=[0, 40])
    )
    assert result["model"] == "perez-ruixo2021"
    assert result["devices"] == 2
    assert result["device_times_min"] == [0.0, 5.0]
    assert result["concentration_ng_per_ml"][0] == 0.0
    assert len(result["noresketamine_ng_per_ml"]) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dose_mg": 70}, "dose_mg"),
        ({"dose_mg": 112}, "dose_mg"),
        ({"dose_mg": 0}, "dose_mg"),
        ({"dose_mg": None}, "dose_mg"),
        ({"dose_mg": "x"}, "dose_mg"),
        ({"dose_mg_per_kg": 0.5}, "dose_mg_per_kg"),
        ({"age_years": 12}, "age_years"),
        # Esketamine populations are offered now (prediction.py): only a bad size is refused.
        ({"population": -1}, "population"),
    ],
)
def test_bad_esketamine_requests_name_the_field(change: dict, field: str) -> None:
    fields = {"drug": "esketamine", "route": "intranasal", "dose_mg": 56, "times_min": [30]}
    with pytest.raises(PredictionError) as caught:
        predict(PredictionRequest(**{**fields, **change}))
    assert caught.value.field == field


def test_device_times_as_given() -> None:
    regimen = esk.intranasal_regimen(84, device_times_min=[0.0, 4.0, 11.0])
    boluses = [d for d in regimen if isinstance(d, Bolus)]
    assert [(b.time_min, b.compartment) for b in boluses] == [
        (0.0, esk.NASAL_FIRST),
        (4.0, esk.NASAL_LATER),
        (11.0, esk.NASAL_LATER),
    ]
    infusions = [d for d in regimen if isinstance(d, Infusion)]
    assert [i.start_min for i in infusions] == [0.0, 4.0, 11.0]
    with pytest.raises(ValueError, match="2 device times for 3 devices"):
        esk.intranasal_regimen(84, device_times_min=[0.0, 5.0])
    with pytest.raises(ValueError, match="increasing"):
        esk.intranasal_regimen(56, device_times_min=[5.0, 0.0])


def test_japanese_covariate() -> None:
    # PK ref §1.4 covariates: Japanese FRn × 1.34; a Japanese subject is also Asian.
    japanese = esk.esketamine_system(japanese=True)
    both = esk.esketamine_system(asian=True, japanese=True)
    asian = esk.esketamine_system(asian=True)
    np.testing.assert_array_equal(japanese.a, both.a)
    np.testing.assert_array_equal(japanese.a, asian.a)  # FRn is an input, not a rate
    fraction = japanese.input_fraction[0]
    assert fraction[esk.NASAL_FIRST] == pytest.approx(0.54 * 1.34)
    assert fraction[esk.NASAL_LATER] == pytest.approx(0.54 * 0.62 * 1.34)
    assert fraction[esk.GUT_FIRST] == pytest.approx((1 - 0.54 * 1.34) * 0.64)
    # F = FRn + (1 − FRn)·Fgut·(1 − E), with the Asian kel in E.
    survive = 1 - esk.hepatic_extraction(MODEL, asian=True)
    frn = 0.54 * 1.34
    assert esk.absolute_bioavailability(28, japanese=True) == pytest.approx(
        frn + (1 - frn) * 0.64 * survive
    )
    assert esk.absolute_bioavailability(84, japanese=True) > esk.absolute_bioavailability(
        84, asian=True
    )


# Perez-Ruixo 2021 Table 4, as transcribed in the nlmixr2lib vignette
# PerezRuixo_2020_esketamine.Rmd: model-predicted typical-value exposure after intranasal
# esketamine. Per stratum and dose (mg): esketamine Cmax (ng/mL), esketamine AUC0–24 (ng·h/mL),
# noresketamine Cmax (ng/mL), noresketamine AUC0–24 (ng·h/mL).
# The vignette simulates the 18–60 y strata at 45 years and the > 60 y strata at 70 years.
TABLE_4_STRATA: dict[str, tuple[float, bool, bool]] = {  # age, Asian, Japanese
    "18-60 y Caucasian": (45.0, False, False),
    "18-60 y Asian non-Japanese": (45.0, True, False),
    "18-60 y Asian Japanese": (45.0, True, True),
    "> 60 y Caucasian": (70.0, False, False),
    "> 60 y Asian non-Japanese": (70.0, True, False),
    "> 60 y Asian Japanese": (70.0, True, True),
}
TABLE_4 = [
    ("18-60 y Caucasian", 28, 43.8, 147.3, 59.1, 274.4),
    ("18-60 y Caucasian", 56, 72.5, 254.7, 119.7, 516.3),
    ("18-60 y Caucasian", 84, 101.0, 362.2, 180.0, 758.0),
    ("18-60 y Asian non-Japanese", 28, 44.1, 158.2, 73.4, 371.8),
    ("18-60 y Asian non-Japanese", 56, 73.2, 275.9, 148.5, 704.8),
    ("18-60 y Asian non-Japanese", 84, 102.4, 393.5, 223.5, 1037.0),
    ("18-60 y Asian Japanese", 28, 57.5, 194.7, 72.1, 406.4),
    ("18-60 y Asian Japanese", 56, 94.5, 335.1, 146.3, 760.8),
    ("18-60 y Asian Japanese", 84, 131.3, 475.4, 220.4, 1114.0),
    ("> 60 y Caucasian", 28, 44.6, 160.4, 57.3, 277.9),
    ("> 60 y Caucasian", 56, 73.8, 275.8, 117.2, 522.0),
    ("> 60 y Caucasian", 84, 102.7, 391.2, 177.0, 765.9),
    ("> 60 y Asian non-Japanese", 28, 44.9, 171.0, 71.4, 373.9),
    ("> 60 y Asian non-Japanese", 56, 74.4, 296.3, 145.9, 708.0),
    ("> 60 y Asian non-Japanese", 84, 103.8, 421.5, 220.4, 1042.0),
    ("> 60 y Asian Japanese", 28, 58.8, 212.2, 69.0, 409.2),
    ("> 60 y Asian Japanese", 56, 96.5, 363.1, 141.7, 765.3),
    ("> 60 y Asian Japanese", 84, 133.8, 513.9, 214.4, 1121.0),
]
# The vignette doses all devices at t = 0 (with the averaged FRn_eff, the same exposure as FRn
# and FRn × 0.62 in separate depots, PK ref §5.4); we dose them 5 min apart (PK ref §3.2).
REGIMENS = {"all devices at 0": 0.0, "devices 5 min apart": esk.DEVICE_INTERVAL_MIN}
TABLE_4_GRID = np.arange(0.0, 24 * 60 + 0.125, 0.25)  # 0–24 h every 0.25 min
# Tolerances, from what the data support (largest deviation over the 18 rows in brackets,
# all devices at 0 / 5 min apart): esketamine Cmax 1.5% (+1.2% / +0.5%), esketamine AUC0–24 1%
# (−0.4% / −0.4%), noresketamine Cmax 1% (+0.4% / +0.4%). The published values are rounded to
# 0.1, and the vignette's own reproduction is within ~4% (esketamine) and ~2% (noresketamine
# Cmax). Spacing the devices 5 min apart needs no looser tolerance: it lowers the esketamine
# Cmax by at most 1.0% (84 mg), which moves it towards Table 4, and leaves AUC0–24 within 0.1%.
ESKETAMINE_CMAX_REL = 0.015
ESKETAMINE_AUC_REL = 0.01
NORESKETAMINE_CMAX_REL = 0.01
# PK ref §1.4 "Known issues" (nlmixr2lib vignette errata): noresketamine AUC0–24 is over-predicted
# ~1.38–1.56× by the model as published (Vcn/F read literally), Cmax reproduced within 2%. We
# reproduce the same over-prediction (1.375–1.556 here); this band fails if the model changes.
NORESKETAMINE_AUC_RATIO = (1.35, 1.60)


def stacked(systems: list[LinearSystem]) -> LinearSystem:
    return LinearSystem(
        np.concatenate([s.a for s in systems]),
        np.concatenate([s.input_fraction for s in systems]),
        systems[0].observed,
        np.concatenate([s.volume_l for s in systems]),
    )


@functools.cache
def table_4_simulation(dose_mg: int, interval_min: float) -> dict[str, tuple[float, ...]]:
    """Per stratum: esketamine Cmax, AUC0–24 (trapezoid), noresketamine Cmax, AUC0–24."""
    system = stacked(
        [
            esk.esketamine_system(age_years=age, asian=asian, japanese=japanese)
            for age, asian, japanese in TABLE_4_STRATA.values()
        ]
    )
    regimen = esk.intranasal_regimen(dose_mg, interval_min=interval_min)
    amounts = simulate_amounts(system, regimen, TABLE_4_GRID)
    parent = amounts[:, :, esk.CENTRAL] / system.volume_l[:, None] * 1000.0
    metabolite = esk.noresketamine_ng_per_ml(amounts, MODEL)
    hours = TABLE_4_GRID / 60.0
    return {
        stratum: (
            float(parent[i].max()),
            float(np.trapezoid(parent[i], hours)),
            float(metabolite[i].max()),
            float(np.trapezoid(metabolite[i], hours)),
        )
        for i, stratum in enumerate(TABLE_4_STRATA)
    }


@pytest.mark.parametrize("interval_min", REGIMENS.values(), ids=REGIMENS.keys())
@pytest.mark.parametrize(
    ("stratum", "dose_mg", "cmax", "auc", "nor_cmax", "nor_auc"),
    TABLE_4,
    ids=[f"{row[0]} {row[1]} mg" for row in TABLE_4],
)
def test_table_4_typical_exposure(
    interval_min: float,
    stratum: str,
    dose_mg: int,
    cmax: float,
    auc: float,
    nor_cmax: float,
    nor_auc: float,
) -> None:
    # Perez-Ruixo 2021 Table 4, as transcribed in the nlmixr2lib vignette
    # PerezRuixo_2020_esketamine.Rmd (see TABLE_4 above for the tolerances).
    sim_cmax, sim_auc, sim_nor_cmax, sim_nor_auc = table_4_simulation(dose_mg, interval_min)[
        stratum
    ]
    assert sim_cmax == pytest.approx(cmax, rel=ESKETAMINE_CMAX_REL)
    assert sim_auc == pytest.approx(auc, rel=ESKETAMINE_AUC_REL)
    assert sim_nor_cmax == pytest.approx(nor_cmax, rel=NORESKETAMINE_CMAX_REL)
    low, high = NORESKETAMINE_AUC_RATIO
    assert low <= sim_nor_auc / nor_auc <= high  # the known over-prediction, PK ref §1.4


def test_spacing_the_devices_only_lowers_the_peak() -> None:
    # 84 mg, 18–60 y Caucasian: 102.2 ng/mL all at 0, 101.2 ng/mL 5 min apart.
    at_0 = table_4_simulation(84, 0.0)["18-60 y Caucasian"]
    spaced = table_4_simulation(84, esk.DEVICE_INTERVAL_MIN)["18-60 y Caucasian"]
    assert 0.985 < spaced[0] / at_0[0] < 0.995
    assert spaced[1] == pytest.approx(at_0[1], rel=0.002)  # AUC0–24
    assert spaced[2] == pytest.approx(at_0[2], rel=0.002)  # noresketamine Cmax


def apparent_half_life_h(
    times_min: np.ndarray, conc: np.ndarray, hours: tuple[float, float]
) -> float:
    """t½ from a log-linear least-squares fit over the window `hours`."""
    window = (times_min >= hours[0] * 60) & (times_min <= hours[1] * 60)
    slope_per_h = np.polyfit(times_min[window] / 60, np.log(conc[window]), 1)[0]
    return float(np.log(2) / -slope_per_h)


def test_noresketamine_half_life_against_the_label() -> None:
    # PK ref §3.2 (J&J Medical Connect): noresketamine t½ ≈8 h. The metabolite's own
    # disposition (CLn/F, Vcn/F, Q3/F, Vpn/F) has a terminal t½ of 5.75 h, but noresketamine
    # keeps being formed from the parent, whose terminal t½ is 11.0 h, so its curve declines
    # more slowly than its own disposition: over 8–24 h after 56 mg the apparent t½ is 7.5 h
    # (the ≈8 h of the label, within 1 h), over 24–48 h 9.3 h, and it tends to the parent's
    # 11.0 h (formation-rate-limited) only after 2 days.
    disposition = half_lives_h(FULL.a[0][esk.NOR_CENTRAL :, esk.NOR_CENTRAL :])
    assert disposition[-1] == pytest.approx(5.75, abs=0.01)
    slowest = half_lives_h(FULL.a[0])[-1]
    assert slowest == pytest.approx(half_lives_h(PARENT.a[0])[-1])  # the parent's phase
    assert slowest == pytest.approx(11.03, abs=0.01)
    times = np.arange(0.0, 96 * 60 + 1, 10.0)
    amounts = simulate_amounts(FULL, esk.intranasal_regimen(56), times)
    conc = esk.noresketamine_ng_per_ml(amounts, MODEL)[0]
    first_day = apparent_half_life_h(times, conc, (8, 24))
    assert first_day == pytest.approx(8.0, abs=1.0)  # label ≈8 h; model 7.5 h
    assert first_day > disposition[-1]
    assert apparent_half_life_h(times, conc, (24, 48)) == pytest.approx(9.3, abs=0.1)
    assert 10.3 < apparent_half_life_h(times, conc, (48, 96)) < slowest
