"""Intranasal esketamine (Spravato): Perez-Ruixo et al. 2021 as a linear compartment system.

Source: PK ref §1.4 — Perez-Ruixo C et al., Clin Pharmacokinet 2021;60(4):501–516,
doi 10.1007/s40262-020-00953-4, Table 3, as coded in nlmixr2/nlmixr2lib
inst/modeldb/specificDrugs/PerezRuixo_2020_esketamine.R (commit 00785fd…). Device practice from
PK ref §3.2 and §5.4: each 28-mg device is dosed separately, 5 minutes apart, and the nasal
fraction FRn of the 2nd and 3rd device is FRn × 0.62.

Structure (all first-order or zero-order, so the existing exact solver runs it):
- esketamine: central (Vc, sampled), two peripherals (Q1/Vp1, Q2/Vp2) and a hepato-portal
  "liver" compartment (Vh) exchanging with the central one at hepatic blood flow Qh and
  eliminating at kel (other metabolites) + kmet (to noresketamine): the well-stirred model;
- nasal route: a dose into a nasal depot with fraction FRn, absorbed at ka_n into the central
  compartment;
- swallowed route: the rest, (1 − FRn)·Fgut, enters a gut depot zero-order over Dsw (an
  infusion of the device's 28 mg over Dsw), then is absorbed at ka_sw into the liver;
- noresketamine: formed at kmet from the liver into an apparent two-compartment model (Vcn/F,
  CLn/F, Q3/F, Vpn/F). PK ref §1.4 "Known issues": this reproduces the noresketamine Cmax
  within 2% but over-predicts its AUC0–24 by ~1.38–1.56× (nlmixr2lib vignette errata).

Because the 2nd and later devices have a smaller FRn, and a LinearSystem's bioavailability is
per compartment, the first device and the later devices use separate (kinetically identical)
nasal and gut depots. The oral-solution route (Dpo, ka_po) is not a Spravato route: left out.

Covariates (PK ref §1.4): Qh − 2.19 L/h per year above 60; Asian race kel × 0.36 and
CLn/F × 0.81; Japanese race FRn × 1.34. A Japanese subject is also Asian: `japanese=True`
applies the Asian effects too, whatever `asian` says. Body weight had no effect on any
parameter: no weight scaling.

Between-subject variability (PK ref §1.4 Table 3 IIV column), applied only when per-subject
`EsketamineFactors` are given: independent (no correlations reported) log-normal etas,
ω² = ln(1 + CV²), on ka_n, ka_sw, Vc, Vp1, Qh, Vh, kel, kmet, Vcn/F and CLn/F, and an additive
eta on logit(FRn) with SD 0.708; the later-device factor 0.62 and the Japanese factor 1.34
multiply the per-subject FRn on the linear scale (capped at 1, see device_nasal_fractions). Qh_i
= (151 − 2.19·max(0, age − 60))·exp(eta_Qh). The IIV on kmet is an ASSUMPTION (30% CV, the
nlmixr2lib placeholder): the paper's Table 3 leaves its estimate blank. Without factors, every
function here gives the typical subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.population import omega2_from_cv
from ketamine_clinic.clinical.pharmacokinetics.solver import (
    NG_PER_ML_PER_MG_PER_L,
    Bolus,
    Dose,
    FloatArray,
    Infusion,
    LinearSystem,
)

PER_H = 1.0 / 60.0  # 1/h → 1/min, L/h → L/min

DEVICE_MG = 28.0  # PK ref §5.5: one device holds 32.3 mg esketamine HCl = 28 mg base
MAX_DEVICES = 3  # 84 mg = 3 devices (PK ref §3.2)
DEVICE_INTERVAL_MIN = 5.0  # PK ref §3.2 and §5.4: devices 5 min apart
MIN_AGE_YEARS = 18.0  # PK ref §1.4 (nlmixr2lib population: age range 18–86 years)
MAX_AGE_YEARS = 86.0
QH_AGE_THRESHOLD_YEARS = 60.0  # Qh falls only above 60 years, PK ref §1.4 covariates

# Compartment indices.
CENTRAL = 0
PERIPHERAL_1 = 1
PERIPHERAL_2 = 2
LIVER = 3
NASAL_FIRST = 4  # nasal depot of the 1st device (fraction FRn)
NASAL_LATER = 5  # nasal depot of the 2nd and 3rd device (fraction FRn × 0.62)
GUT_FIRST = 6  # swallowed part of the 1st device
GUT_LATER = 7  # swallowed part of the later devices
NOR_CENTRAL = 8  # noresketamine, apparent central
NOR_PERIPHERAL = 9
SIZE = 10
PARENT = slice(0, 8)  # the esketamine compartments (noresketamine does not feed back)


@dataclass(frozen=True)
class EsketamineModel:
    """Typical values of Perez-Ruixo 2021 Table 3 (PK ref §1.4), rates in 1/h, volumes in L."""

    name: str
    frn: float
    later_device_frn_factor: float
    ka_n_per_h: float
    dsw_h: float
    ka_sw_per_h: float
    fgut: float
    vc_l: float
    q1_l_per_h: float
    vp1_l: float
    q2_l_per_h: float
    vp2_l: float
    qh_l_per_h: float
    qh_age_slope_l_per_h_per_year: float
    vh_l: float
    kel_per_h: float
    asian_kel_factor: float
    kmet_per_h: float
    vcn_l: float
    cln_l_per_h: float
    asian_cln_factor: float
    vpn_l: float
    q3_l_per_h: float
    source: str
    japanese_frn_factor: float = 1.34  # PK ref §1.4 covariates, "Japanese: FRn × 1.34"

    def frn_of_device(self, index: int, japanese: bool = False) -> float:
        """Fraction absorbed through the nasal mucosa for device `index` (0 = the 1st)."""
        frn = self.frn * (1.0 if index == 0 else self.later_device_frn_factor)
        return frn * (self.japanese_frn_factor if japanese else 1.0)


PEREZ_RUIXO_2021 = EsketamineModel(
    name="perez-ruixo2021",
    frn=0.54,  # per 28-mg device, PK ref §1.4 Table 3
    later_device_frn_factor=0.62,  # dose effect on FRn, 2nd and later devices, PK ref §1.4
    ka_n_per_h=2.93,  # PK ref §1.4 Table 3
    dsw_h=0.53,  # zero-order duration of the swallowed part, PK ref §1.4 Table 3
    ka_sw_per_h=1.45,  # PK ref §1.4 Table 3
    fgut=0.64,  # PK ref §1.4 Table 3
    vc_l=192.0,  # PK ref §1.4 Table 3
    q1_l_per_h=84.3,  # PK ref §1.4 Table 3
    vp1_l=143.0,  # PK ref §1.4 Table 3
    q2_l_per_h=37.6,  # PK ref §1.4 Table 3
    vp2_l=417.0,  # PK ref §1.4 Table 3
    qh_l_per_h=151.0,  # hepatic blood flow, PK ref §1.4 Table 3
    qh_age_slope_l_per_h_per_year=2.19,  # Qh falls 2.19 L/h per year above 60, PK ref §1.4
    vh_l=101.0,  # PK ref §1.4 Table 3
    kel_per_h=1.11,  # to other metabolites, PK ref §1.4 Table 3
    asian_kel_factor=0.36,  # PK ref §1.4 covariates
    kmet_per_h=2.77,  # to noresketamine, PK ref §1.4 Table 3
    vcn_l=70.0,  # noresketamine Vcn/F, PK ref §1.4 Table 3
    cln_l_per_h=38.0,  # noresketamine CLn/F, PK ref §1.4 Table 3
    asian_cln_factor=0.81,  # PK ref §1.4 covariates
    vpn_l=115.0,  # noresketamine Vpn/F, PK ref §1.4 Table 3
    q3_l_per_h=26.1,  # noresketamine Q3/F, PK ref §1.4 Table 3
    source="Perez-Ruixo et al. 2021 Table 3 via nlmixr2lib (PK ref §1.4)",
    japanese_frn_factor=1.34,  # PK ref §1.4 covariates, "Japanese: FRn × 1.34"
)


@dataclass(frozen=True)
class EsketamineVariability:
    """Variances ω² of the independent between-subject random effects (etas).

    Every eta is log-normal (exponential: P_i = P·exp(eta)) except FRn's, which is additive on
    the logit scale: FRn_i = expit(logit(FRn) + eta). No correlations were reported, so the
    etas are independent. `omega2_kmet` is an ASSUMPTION in PEREZ_RUIXO_2021_IIV (see there).
    """

    name: str
    omega2_frn_logit: float
    omega2_ka_n: float
    omega2_ka_sw: float
    omega2_vc: float
    omega2_vp1: float
    omega2_qh: float
    omega2_vh: float
    omega2_kel: float
    omega2_kmet: float
    omega2_vcn: float
    omega2_cln: float
    source: str


PEREZ_RUIXO_2021_IIV = EsketamineVariability(
    name="perez-ruixo2021",
    omega2_frn_logit=0.708**2,  # SD 0.708 additive on logit, PK ref §1.4 Table 3 "70.8"
    omega2_ka_n=omega2_from_cv(0.615),  # 61.5% CV, PK ref §1.4 Table 3
    omega2_ka_sw=omega2_from_cv(1.32),  # 132% CV, PK ref §1.4 Table 3
    omega2_vc=omega2_from_cv(0.275),  # 27.5% CV, PK ref §1.4 Table 3
    omega2_vp1=omega2_from_cv(0.493),  # 49.3% CV, PK ref §1.4 Table 3
    omega2_qh=omega2_from_cv(0.232),  # 23.2% CV, PK ref §1.4 Table 3
    omega2_vh=omega2_from_cv(0.346),  # 34.6% CV, PK ref §1.4 Table 3
    omega2_kel=omega2_from_cv(1.20),  # 120% CV, PK ref §1.4 Table 3
    # ASSUMPTION: 30% CV. The paper estimated an IIV on kmet but Table 3 leaves the value blank
    # (PK ref §1.4 "not reported in paper (nlmixr2lib uses a 30% placeholder)").
    omega2_kmet=omega2_from_cv(0.30),
    omega2_vcn=omega2_from_cv(0.316),  # Vcn/F 31.6% CV, PK ref §1.4 Table 3
    omega2_cln=omega2_from_cv(0.254),  # CLn/F 25.4% CV, PK ref §1.4 Table 3
    source="Perez-Ruixo et al. 2021 Table 3 IIV (PK ref §1.4); kmet 30% CV is an assumption",
)


@dataclass(frozen=True)
class EsketamineFactors:
    """Per-subject random effects, each shaped (n,).

    `frn_logit_eta` is the additive eta on logit(FRn); the others are multiplicative factors
    exp(eta) (median 1) on the parameter of the same name.
    """

    frn_logit_eta: FloatArray
    ka_n: FloatArray
    ka_sw: FloatArray
    vc: FloatArray
    vp1: FloatArray
    qh: FloatArray
    vh: FloatArray
    kel: FloatArray
    kmet: FloatArray
    vcn: FloatArray
    cln: FloatArray

    def __post_init__(self) -> None:
        shapes = {np.shape(getattr(self, field.name)) for field in fields(self)}
        if len(shapes) != 1 or len(shapes.pop()) != 1:
            raise ValueError("every factor must be an array of the same shape (n,)")

    @property
    def subjects(self) -> int:
        return int(self.vc.size)


def sample_esketamine_factors(
    n: int, seed: int, variability: EsketamineVariability = PEREZ_RUIXO_2021_IIV
) -> EsketamineFactors:
    """Draw n subjects' independent etas from np.random.default_rng(seed)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    omega2 = np.array(
        [
            variability.omega2_frn_logit,
            variability.omega2_ka_n,
            variability.omega2_ka_sw,
            variability.omega2_vc,
            variability.omega2_vp1,
            variability.omega2_qh,
            variability.omega2_vh,
            variability.omega2_kel,
            variability.omega2_kmet,
            variability.omega2_vcn,
            variability.omega2_cln,
        ]
    )
    if np.any(omega2 < 0):
        raise ValueError("variances must not be negative")
    eta = rng.standard_normal((n, omega2.size)) * np.sqrt(omega2)
    factor = np.exp(eta[:, 1:])
    return EsketamineFactors(
        frn_logit_eta=eta[:, 0].copy(),
        ka_n=factor[:, 0].copy(),
        ka_sw=factor[:, 1].copy(),
        vc=factor[:, 2].copy(),
        vp1=factor[:, 3].copy(),
        qh=factor[:, 4].copy(),
        vh=factor[:, 5].copy(),
        kel=factor[:, 6].copy(),
        kmet=factor[:, 7].copy(),
        vcn=factor[:, 8].copy(),
        cln=factor[:, 9].copy(),
    )


def _no_variability(n: int) -> EsketamineFactors:
    """Factors of n typical subjects: every eta 0."""
    return EsketamineFactors(
        **{
            field.name: np.zeros(n) if field.name == "frn_logit_eta" else np.ones(n)
            for field in fields(EsketamineFactors)
        }
    )


def hepatic_blood_flow_l_per_h(model: EsketamineModel, age_years: float | None) -> float:
    """Qh with the age covariate: minus 2.19 L/h per year above 60 (PK ref §1.4)."""
    over = max(0.0, (age_years or 0.0) - QH_AGE_THRESHOLD_YEARS)
    return model.qh_l_per_h - model.qh_age_slope_l_per_h_per_year * over


def hepatic_extraction(
    model: EsketamineModel, age_years: float | None = None, asian: bool = False
) -> float:
    """Well-stirred extraction E = CLint / (Qh + CLint), CLint = Vh·(kel + kmet)."""
    kel = model.kel_per_h * (model.asian_kel_factor if asian else 1.0)
    clint = model.vh_l * (kel + model.kmet_per_h)
    qh = hepatic_blood_flow_l_per_h(model, age_years)
    return clint / (qh + clint)


def device_nasal_fractions(
    model: EsketamineModel = PEREZ_RUIXO_2021,
    factors: EsketamineFactors | None = None,
    *,
    japanese: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Per-subject FRn of the 1st device and of each later device, each shaped (N,).

    FRn_i = expit(logit(FRn) + eta) (PK ref §1.4 Table 3: additive IIV on the logit scale);
    the later-device factor 0.62 and the Japanese factor 1.34 multiply it on the linear scale.
    For a Japanese subject with a large eta, FRn_i × 1.34 can exceed 1 (about 1 in 10 first
    devices at SD 0.708): that would absorb more than the dose and make the swallowed fraction
    negative, so FRn is capped at 1 (ASSUMPTION: a physical bound, not from the paper). The
    typical Japanese subject (0.54 × 1.34 = 0.72) is not affected.
    """
    if factors is None:
        frn = np.array([model.frn])
    else:
        # expit(logit(FRn) + eta), written so that eta = 0 gives FRn itself.
        frn = model.frn / (model.frn + (1.0 - model.frn) * np.exp(-factors.frn_logit_eta))
    japanese_factor = model.japanese_frn_factor if japanese else 1.0
    first = frn * japanese_factor
    later = frn * model.later_device_frn_factor * japanese_factor
    return np.minimum(first, 1.0), np.minimum(later, 1.0)


def esketamine_system(
    model: EsketamineModel = PEREZ_RUIXO_2021,
    age_years: float | None = None,
    asian: bool = False,
    metabolite: bool = True,
    *,
    japanese: bool = False,
    factors: EsketamineFactors | None = None,
) -> LinearSystem:
    """The linear system in 1/min; without `metabolite`, the first 8 compartments.

    Without `factors`: one typical subject. With `factors` (n subjects): an n-subject system
    with the between-subject variability of the factors, built without a loop over subjects.
    `japanese` (FRn × 1.34) implies the Asian effects too (a Japanese subject is Asian).
    The observed compartment is the esketamine central one (volume Vc, per subject).
    """
    asian = asian or japanese
    f = _no_variability(1) if factors is None else factors
    qh_typical = hepatic_blood_flow_l_per_h(model, age_years)
    if qh_typical <= 0:
        raise ValueError("hepatic blood flow must stay positive")
    # Qh_i = (151 − 2.19·max(0, age − 60))·exp(eta_Qh), PK ref §1.4: positive for every eta.
    qh = qh_typical * f.qh
    kel = model.kel_per_h * (model.asian_kel_factor if asian else 1.0) * f.kel
    cln = model.cln_l_per_h * (model.asian_cln_factor if asian else 1.0) * f.cln
    ka_n = model.ka_n_per_h * f.ka_n
    ka_sw = model.ka_sw_per_h * f.ka_sw
    vc = model.vc_l * f.vc
    vp1 = model.vp1_l * f.vp1
    vh = model.vh_l * f.vh
    kmet = model.kmet_per_h * f.kmet
    vcn = model.vcn_l * f.vcn
    n = f.subjects
    a = np.zeros((n, SIZE, SIZE))

    def flow(source: int, target: int, rate_per_h: FloatArray | float) -> None:
        rate = np.asarray(rate_per_h) * PER_H
        a[:, target, source] += rate
        a[:, source, source] -= rate

    flow(CENTRAL, PERIPHERAL_1, model.q1_l_per_h / vc)
    flow(PERIPHERAL_1, CENTRAL, model.q1_l_per_h / vp1)
    flow(CENTRAL, PERIPHERAL_2, model.q2_l_per_h / vc)
    flow(PERIPHERAL_2, CENTRAL, model.q2_l_per_h / model.vp2_l)
    flow(CENTRAL, LIVER, qh / vc)
    flow(LIVER, CENTRAL, qh / vh)
    a[:, LIVER, LIVER] -= kel * PER_H  # to other metabolites (leaves the system)
    flow(LIVER, NOR_CENTRAL, kmet)
    for nasal in (NASAL_FIRST, NASAL_LATER):
        flow(nasal, CENTRAL, ka_n)
    for gut in (GUT_FIRST, GUT_LATER):
        flow(gut, LIVER, ka_sw)
    a[:, NOR_CENTRAL, NOR_CENTRAL] -= cln / vcn * PER_H
    flow(NOR_CENTRAL, NOR_PERIPHERAL, model.q3_l_per_h / vcn)
    flow(NOR_PERIPHERAL, NOR_CENTRAL, model.q3_l_per_h / model.vpn_l)
    frn_first, frn_later = device_nasal_fractions(model, factors, japanese=japanese)
    fraction = np.zeros((n, SIZE))
    fraction[:, CENTRAL] = 1.0  # an IV dose (not offered by `predict`, used in tests)
    fraction[:, NASAL_FIRST] = frn_first
    fraction[:, NASAL_LATER] = frn_later
    fraction[:, GUT_FIRST] = (1.0 - frn_first) * model.fgut
    fraction[:, GUT_LATER] = (1.0 - frn_later) * model.fgut
    if not metabolite:
        a = a[:, PARENT, PARENT].copy()  # the liver's diagonal keeps −kmet: still elimination
        fraction = fraction[:, PARENT].copy()
    return LinearSystem(a, fraction, CENTRAL, vc)


def noresketamine_volume_l(
    model: EsketamineModel = PEREZ_RUIXO_2021, factors: EsketamineFactors | None = None
) -> FloatArray:
    """Apparent noresketamine central volume Vcn/F per subject (L), shaped (N,)."""
    if factors is None:
        return np.array([model.vcn_l])
    return np.asarray(model.vcn_l * factors.vcn, dtype=np.float64)


def esketamine_population(
    n: int,
    seed: int,
    age_years: float | None = None,
    asian: bool = False,
    japanese: bool = False,
    metabolite: bool = True,
    *,
    model: EsketamineModel = PEREZ_RUIXO_2021,
    variability: EsketamineVariability = PEREZ_RUIXO_2021_IIV,
) -> tuple[LinearSystem, FloatArray]:
    """n virtual subjects (seeded): the system and each subject's noresketamine Vcn/F (L)."""
    factors = sample_esketamine_factors(n, seed, variability)
    system = esketamine_system(
        model, age_years, asian, metabolite, japanese=japanese, factors=factors
    )
    return system, noresketamine_volume_l(model, factors)


def devices_for(dose_mg: float) -> int:
    """Number of 28-mg devices; ValueError unless a whole number of 1 to 3 devices."""
    devices = dose_mg / DEVICE_MG
    count = round(devices)
    if count < 1 or abs(devices - count) > 1e-9:
        raise ValueError(f"the dose must be a multiple of {DEVICE_MG:g} mg (one device).")
    if count > MAX_DEVICES:
        raise ValueError(
            f"at most {MAX_DEVICES} devices ({MAX_DEVICES * DEVICE_MG:g} mg) in one session."
        )
    return count


def intranasal_regimen(
    dose_mg: float,
    start_min: float = 0.0,
    interval_min: float = DEVICE_INTERVAL_MIN,
    model: EsketamineModel = PEREZ_RUIXO_2021,
    *,
    device_times_min: Sequence[float] | None = None,
) -> list[Dose]:
    """One session: each 28-mg device `interval_min` apart (nasal bolus + swallowed infusion).

    `device_times_min`, when given, are the times (min) at which the devices were used, one per
    device in order; they replace `start_min` and `interval_min`.
    """
    count = devices_for(dose_mg)
    if device_times_min is None:
        times = [start_min + i * interval_min for i in range(count)]
    else:
        times = [float(t) for t in device_times_min]
        if len(times) != count:
            raise ValueError(f"{len(times)} device times for {count} devices ({dose_mg:g} mg).")
        if times != sorted(times):
            raise ValueError("device times must be in increasing order.")
    regimen: list[Dose] = []
    dsw_min = model.dsw_h * 60.0
    for i, t in enumerate(times):
        nasal, gut = (NASAL_FIRST, GUT_FIRST) if i == 0 else (NASAL_LATER, GUT_LATER)
        regimen.append(Bolus(t, DEVICE_MG, nasal))
        regimen.append(Infusion(t, t + dsw_min, DEVICE_MG / dsw_min, gut))
    return regimen


def absolute_bioavailability(
    dose_mg: float,
    age_years: float | None = None,
    asian: bool = False,
    *,
    japanese: bool = False,
) -> float:
    """F of a session: Σ [FRn_i + (1 − FRn_i)·Fgut·(1 − E)] / devices (PK ref §1.4 derived).

    `japanese` (FRn × 1.34) implies the Asian effect on kel too.
    """
    model = PEREZ_RUIXO_2021
    survive = 1.0 - hepatic_extraction(model, age_years, asian or japanese)
    count = devices_for(dose_mg)
    total = 0.0
    for i in range(count):
        frn = model.frn_of_device(i, japanese)
        total += frn + (1.0 - frn) * model.fgut * survive
    return total / count


def noresketamine_ng_per_ml(
    amounts: FloatArray, model: EsketamineModel, vcn_l: FloatArray | None = None
) -> FloatArray:
    """Apparent noresketamine concentration from simulate_amounts output (N, T, SIZE).

    `vcn_l` (N,): per-subject Vcn/F (noresketamine_volume_l); the typical Vcn/F without it.
    """
    nor = amounts[:, :, NOR_CENTRAL]
    if vcn_l is None:
        return np.asarray(nor / model.vcn_l * NG_PER_ML_PER_MG_PER_L, dtype=np.float64)
    volume = np.asarray(vcn_l, dtype=np.float64)
    return np.asarray(nor / volume[:, None] * NG_PER_ML_PER_MG_PER_L, dtype=np.float64)
