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
Japanese race (FRn × 1.34) is not offered. No between-subject variability is applied.
Body weight had no effect on any parameter (PK ref §1.4 covariates): no weight scaling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.solver import (
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

    def frn_of_device(self, index: int) -> float:
        """Fraction absorbed through the nasal mucosa for device `index` (0 = the 1st)."""
        return self.frn * (1.0 if index == 0 else self.later_device_frn_factor)


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
)


def hepatic_blood_flow_l_per_h(model: EsketamineModel, age_years: float | None) -> float:
    """Qh with the age covariate: minus 2.19 L/h per year above 60 (PK ref §1.4)."""
    over = max(0.0, (age_years or 0.0) - 60.0)
    return model.qh_l_per_h - model.qh_age_slope_l_per_h_per_year * over


def hepatic_extraction(
    model: EsketamineModel, age_years: float | None = None, asian: bool = False
) -> float:
    """Well-stirred extraction E = CLint / (Qh + CLint), CLint = Vh·(kel + kmet)."""
    kel = model.kel_per_h * (model.asian_kel_factor if asian else 1.0)
    clint = model.vh_l * (kel + model.kmet_per_h)
    qh = hepatic_blood_flow_l_per_h(model, age_years)
    return clint / (qh + clint)


def esketamine_system(
    model: EsketamineModel = PEREZ_RUIXO_2021,
    age_years: float | None = None,
    asian: bool = False,
    metabolite: bool = True,
) -> LinearSystem:
    """The linear system (one subject) in 1/min; without `metabolite`, the first 8 compartments.

    The observed compartment is the esketamine central one (volume Vc).
    """
    kel = model.kel_per_h * (model.asian_kel_factor if asian else 1.0)
    cln = model.cln_l_per_h * (model.asian_cln_factor if asian else 1.0)
    qh = hepatic_blood_flow_l_per_h(model, age_years)
    if qh <= 0:
        raise ValueError("hepatic blood flow must stay positive")
    a = np.zeros((SIZE, SIZE))

    def flow(source: int, target: int, rate_per_h: float) -> None:
        a[target, source] += rate_per_h * PER_H
        a[source, source] -= rate_per_h * PER_H

    flow(CENTRAL, PERIPHERAL_1, model.q1_l_per_h / model.vc_l)
    flow(PERIPHERAL_1, CENTRAL, model.q1_l_per_h / model.vp1_l)
    flow(CENTRAL, PERIPHERAL_2, model.q2_l_per_h / model.vc_l)
    flow(PERIPHERAL_2, CENTRAL, model.q2_l_per_h / model.vp2_l)
    flow(CENTRAL, LIVER, qh / model.vc_l)
    flow(LIVER, CENTRAL, qh / model.vh_l)
    a[LIVER, LIVER] -= kel * PER_H  # to other metabolites (leaves the system)
    flow(LIVER, NOR_CENTRAL, model.kmet_per_h)
    for nasal in (NASAL_FIRST, NASAL_LATER):
        flow(nasal, CENTRAL, model.ka_n_per_h)
    for gut in (GUT_FIRST, GUT_LATER):
        flow(gut, LIVER, model.ka_sw_per_h)
    a[NOR_CENTRAL, NOR_CENTRAL] -= cln / model.vcn_l * PER_H
    flow(NOR_CENTRAL, NOR_PERIPHERAL, model.q3_l_per_h / model.vcn_l)
    flow(NOR_PERIPHERAL, NOR_CENTRAL, model.q3_l_per_h / model.vpn_l)
    fraction = np.zeros(SIZE)
    fraction[CENTRAL] = 1.0  # an IV dose (not offered by `predict`, used in tests)
    fraction[NASAL_FIRST] = model.frn_of_device(0)
    fraction[NASAL_LATER] = model.frn_of_device(1)
    fraction[GUT_FIRST] = (1.0 - model.frn_of_device(0)) * model.fgut
    fraction[GUT_LATER] = (1.0 - model.frn_of_device(1)) * model.fgut
    if not metabolite:
        a = a[PARENT, PARENT].copy()  # the liver's diagonal keeps −kmet: still elimination
        fraction = fraction[PARENT]
    return LinearSystem(a[None], fraction[None], CENTRAL, np.array([model.vc_l]))


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
) -> list[Dose]:
    """One session: each 28-mg device `interval_min` apart (nasal bolus + swallowed infusion)."""
    regimen: list[Dose] = []
    dsw_min = model.dsw_h * 60.0
    for i in range(devices_for(dose_mg)):
        t = start_min + i * interval_min
        nasal, gut = (NASAL_FIRST, GUT_FIRST) if i == 0 else (NASAL_LATER, GUT_LATER)
        regimen.append(Bolus(t, DEVICE_MG, nasal))
        regimen.append(Infusion(t, t + dsw_min, DEVICE_MG / dsw_min, gut))
    return regimen


def absolute_bioavailability(
    dose_mg: float, age_years: float | None = None, asian: bool = False
) -> float:
    """F of a session: Σ [FRn_i + (1 − FRn_i)·Fgut·(1 − E)] / devices (PK ref §1.4 derived)."""
    model = PEREZ_RUIXO_2021
    survive = 1.0 - hepatic_extraction(model, age_years, asian)
    count = devices_for(dose_mg)
    total = 0.0
    for i in range(count):
        frn = model.frn_of_device(i)
        total += frn + (1.0 - frn) * model.fgut * survive
    return total / count


def noresketamine_ng_per_ml(amounts: FloatArray, model: EsketamineModel) -> FloatArray:
    """Apparent noresketamine concentration from simulate_amounts output (N, T, SIZE)."""
    return np.asarray(amounts[:, :, NOR_CENTRAL] / model.vcn_l * 1000.0, dtype=np.float64)
