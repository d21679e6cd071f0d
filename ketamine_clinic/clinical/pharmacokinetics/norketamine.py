"""Norketamine after IV/IM racemic ketamine: a LABELLED SURROGATE (PK ref §5.3).

PK ref = docs/clinical/pharmacokinetics.md. No racemic parent-plus-metabolite parameter
set was retrieved (PK ref §5.3; Kamp BJA 2020 has one, unconfirmed), so the metabolite uses the
Otto 2021 S-norketamine disposition (PK ref §1.2(a); Otto ME et al., Eur J Clin Pharmacol
2021;77:1181, as coded in nlmixr2/nlmixr2lib inst/modeldb/specificDrugs/Otto_2021_s_ketamine.R):
two compartments, all parent clearance forms norketamine (fm = 1). PK ref §5.3 calls this "a
workable surrogate" and computes a norketamine peak ≈85–90 min after the start of a 40-min
infusion.

Mass, not moles: the nlmixr2lib model moves parent clearance mg for mg into the metabolite
compartments, whose amounts it labels "mg (S-ketamine mass equivalents)", with "no
molecular-weight conversion, exactly as in the supplementary $DES". Otto's V and CL were
estimated that way, so we do the same (mass_conversion = 1): norketamine concentrations are
reported as the fitted model reports them.

Caveats:
- the disposition (and its IIV) of the S-enantiomer metabolite stands in for racemic
  norketamine;
- the parent is whatever system it is attached to (by default Clements250, PK ref §1.1(a)), so
  the Clements clearance, not Fanta's S-ketamine clearance, drives formation;
- only systemic elimination forms norketamine: the IM dose fraction that is not bioavailable
  (1 − F) forms none;
- the only racemic check is weak: Pharmacotherapy 2022 intranasal data put the norketamine Tmax
  at 56–79 min (PK ref §5.3), and its printed 2.8 ng/mL Cmax after a 10 mg IV bolus "looks low"
  (PK ref §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.solver import (
    NG_PER_ML_PER_MG_PER_L,
    FloatArray,
    LinearSystem,
)

REFERENCE_WEIGHT_KG = 70.0  # PK ref §1.2(a): Otto 2021 parameters are at 70 kg
V_WEIGHT_EXPONENT = 1.0  # PK ref §1.2(a): (WT/70)^1 on the central volume
CL_WEIGHT_EXPONENT = 0.75  # PK ref §1.2(a): (WT/70)^0.75 on CL
MIN_PER_H = 60.0

SURROGATE_LABEL = "norketamine (surrogate: Otto 2021 S-norketamine disposition, fm = 1)"


@dataclass(frozen=True)
class NorketamineModel:
    """Two-compartment metabolite disposition at 70 kg; Vp and Q are not weight-scaled."""

    name: str
    v_l: float
    cl_l_per_h: float
    vp_l: float
    q_l_per_h: float
    fraction_metabolised: float
    source: str
    mass_conversion: float = 1.0  # mg norketamine formed per mg parent metabolised


OTTO_2021_SURROGATE = NorketamineModel(
    name="otto2021-s-norketamine-surrogate",
    v_l=98.6,  # PK ref §1.2(a), Otto 2021 S-norketamine V at 70 kg
    cl_l_per_h=57.7,  # PK ref §1.2(a), CL at 70 kg
    vp_l=160.0,  # PK ref §1.2(a), Vp (not weight-scaled in the as-run code)
    q_l_per_h=42.8,  # PK ref §1.2(a), Q (not weight-scaled in the as-run code)
    fraction_metabolised=1.0,  # PK ref §1.2(a) and §5.3: fm = 1
    source="Otto 2021 S-norketamine, fm = 1, as a racemic surrogate (PK ref §1.2(a), §5.3)",
    # nlmixr2lib Otto_2021_s_ketamine.R: formation carried in parent mass, no MW conversion.
    mass_conversion=1.0,
)


@dataclass(frozen=True)
class NorketamineVariability:
    """Log-scale (co)variances of the norketamine random effects on CL and V."""

    omega2_cl: float
    omega2_v: float
    covariance_cl_v: float
    source: str


OTTO_2021_NORKETAMINE_IIV = NorketamineVariability(
    omega2_cl=0.103,  # PK ref §1.2(a), Otto 2021 S-norketamine ω² CL
    omega2_v=0.040,  # PK ref §1.2(a), ω² V
    # PK ref §1.2(a); nlmixr2lib prints 0.04456 (comment "Table 3 ... cov 0.044").
    covariance_cl_v=0.045,
    source="Otto 2021 S-norketamine IIV, borrowed for racemic norketamine (PK ref §1.2(a))",
)


def sample_norketamine_factors(
    n: int, seed: int, variability: NorketamineVariability = OTTO_2021_NORKETAMINE_IIV
) -> tuple[FloatArray, FloatArray]:
    """Return n log-normal (cl_factor, v_factor), median 1.

    The generator is seeded with [seed, 1], a stream independent of population.sample_factors,
    so adding the metabolite leaves the parent's sampled factors unchanged.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    cov = np.array(
        [
            [variability.omega2_cl, variability.covariance_cl_v],
            [variability.covariance_cl_v, variability.omega2_v],
        ]
    )
    eta = np.random.default_rng([seed, 1]).multivariate_normal(np.zeros(2), cov, size=n)
    return np.exp(eta[:, 0]), np.exp(eta[:, 1])


def _factor(n: int, factor: FloatArray | None) -> FloatArray:
    return np.ones(n) if factor is None else np.asarray(factor, dtype=np.float64).reshape(n)


def norketamine_volume_l(
    weight_kg: float,
    model: NorketamineModel = OTTO_2021_SURROGATE,
    v_factor: FloatArray | None = None,
    n: int = 1,
) -> FloatArray:
    """Return the norketamine central volume (L) per subject, shaped (n,)."""
    if weight_kg <= 0:
        raise ValueError("weight_kg must be positive")
    scale = (weight_kg / REFERENCE_WEIGHT_KG) ** V_WEIGHT_EXPONENT
    return np.asarray(model.v_l * scale * _factor(n, v_factor), dtype=np.float64)


def with_norketamine(
    system: LinearSystem,
    weight_kg: float,
    model: NorketamineModel = OTTO_2021_SURROGATE,
    cl_factor: FloatArray | None = None,
    v_factor: FloatArray | None = None,
) -> LinearSystem:
    """Append norketamine central and peripheral compartments (in that order) to `system`.

    Each parent compartment's elimination (its outflow not going to another parent compartment)
    forms norketamine at fm × mass_conversion. The parent block, doses, observed compartment and
    volume are unchanged; doses never enter the new compartments.
    """
    n_sub, n, _ = system.a.shape
    v = norketamine_volume_l(weight_kg, model, v_factor, n_sub)
    cl_scale = (weight_kg / REFERENCE_WEIGHT_KG) ** CL_WEIGHT_EXPONENT
    cl = model.cl_l_per_h / MIN_PER_H * cl_scale * _factor(n_sub, cl_factor)
    q = model.q_l_per_h / MIN_PER_H
    central, peripheral = n, n + 1
    a = np.zeros((n_sub, n + 2, n + 2))
    a[:, :n, :n] = system.a
    elimination = -system.a.sum(axis=1)  # (N, n): per-compartment outflow leaving the parent
    a[:, central, :n] = model.fraction_metabolised * model.mass_conversion * elimination
    a[:, central, central] = -(cl + q) / v
    a[:, peripheral, central] = q / v
    a[:, central, peripheral] = q / model.vp_l
    a[:, peripheral, peripheral] = -q / model.vp_l
    fraction = np.zeros((n_sub, n + 2))
    fraction[:, :n] = system.input_fraction
    return LinearSystem(a, fraction, system.observed, system.volume_l)


def norketamine_central(system_with_norketamine: LinearSystem) -> int:
    """Index of the norketamine central compartment in a system from with_norketamine."""
    if system_with_norketamine.compartments < 3:
        raise ValueError("the system has no norketamine compartments")
    return system_with_norketamine.compartments - 2


def norketamine_ng_per_ml(
    amounts: FloatArray, system_with_norketamine: LinearSystem, volume_l: FloatArray
) -> FloatArray:
    """Norketamine concentration (ng/mL), shaped (N, T), from simulate_amounts output."""
    mg = amounts[:, :, norketamine_central(system_with_norketamine)]
    mg_per_l = mg / np.asarray(volume_l, dtype=np.float64).reshape(-1, 1)
    return np.asarray(mg_per_l * NG_PER_ML_PER_MG_PER_L, dtype=np.float64)
