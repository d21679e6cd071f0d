"""Between-subject variability: log-normal factors on CL, V1 (and ka for IM), seeded.

The Clements and Domino sets report no IIV (PK ref §1.1(a)(b), unconfirmed), so it has to be
borrowed. Presets:
- "otto2021" (default): ω² V1 0.084, CL 0.026, covariance 0.023, published for S-ketamine by
  Fanta 2015 / Otto 2021 (nlmixr2lib Otto_2021_s_ketamine.R; PK ref §1.1(a) and §1.2(a)). It is
  BORROWED from another model and another enantiomer.
- "herd2007": BSV CL 38%, V1 64%, published for children (Herd 2007; PK ref §1.1(a), §1.3),
  also borrowed; treated as CV% with no correlation.
IIV on the IM absorption rate ka is an ASSUMPTION (30% CV; no adult ka or its IIV is published,
PK ref §1.5). CV is converted to the log-scale variance by ω² = ln(1 + CV²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.models import (
    IntramuscularModel,
    MammillaryModel,
    im_system,
    iv_system,
)
from ketamine_clinic.clinical.pharmacokinetics.solver import FloatArray, LinearSystem


def omega2_from_cv(cv: float) -> float:
    return math.log(1.0 + cv * cv)


@dataclass(frozen=True)
class Variability:
    """Log-scale (co)variances of the between-subject random effects."""

    name: str
    omega2_cl: float
    omega2_v1: float
    covariance_cl_v1: float
    omega2_ka: float
    source: str


OTTO_2021 = Variability(
    name="otto2021",
    omega2_cl=0.026,  # PK ref §1.1(a)/§1.2(a), Otto 2021 (Fanta 2015 parent), borrowed
    omega2_v1=0.084,  # idem
    covariance_cl_v1=0.023,  # idem
    omega2_ka=omega2_from_cv(0.30),  # ASSUMPTION: 30% CV, no published value (PK ref §1.5)
    source="Fanta 2015 / Otto 2021 S-ketamine IIV, borrowed (PK ref §1.1(a))",
)
HERD_2007 = Variability(
    name="herd2007",
    omega2_cl=omega2_from_cv(0.381),  # PK ref §1.3, Herd 2007 BSV CL 38.1%, borrowed
    omega2_v1=omega2_from_cv(0.64),  # PK ref §1.3, Herd 2007 BSV V1 64%, borrowed
    covariance_cl_v1=0.0,  # not reported: ASSUMPTION of no correlation
    omega2_ka=omega2_from_cv(0.30),  # ASSUMPTION: 30% CV, no published value (PK ref §1.5)
    source="Herd 2007 paediatric BSV, borrowed (PK ref §1.3)",
)
VARIABILITY: dict[str, Variability] = {v.name: v for v in (OTTO_2021, HERD_2007)}


@dataclass(frozen=True)
class Factors:
    cl: FloatArray
    v1: FloatArray
    ka: FloatArray


def sample_factors(n: int, variability: Variability, seed: int) -> Factors:
    """Return n log-normal factors (median 1) for CL, V1 and ka from a seeded generator."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    cov = np.array(
        [
            [variability.omega2_cl, variability.covariance_cl_v1],
            [variability.covariance_cl_v1, variability.omega2_v1],
        ]
    )
    eta = rng.multivariate_normal(np.zeros(2), cov, size=n)
    eta_ka = rng.normal(0.0, math.sqrt(variability.omega2_ka), size=n)
    return Factors(cl=np.exp(eta[:, 0]), v1=np.exp(eta[:, 1]), ka=np.exp(eta_ka))


def population_system(
    model: MammillaryModel | IntramuscularModel,
    weight_kg: float,
    n: int,
    seed: int,
    variability: Variability = OTTO_2021,
) -> LinearSystem:
    """Return a LinearSystem of n virtual subjects of the same weight."""
    factors = sample_factors(n, variability, seed)
    if isinstance(model, IntramuscularModel):
        return im_system(model, weight_kg, n, factors.cl, factors.v1, factors.ka)
    return iv_system(model, weight_kg, n, factors.cl, factors.v1)


@dataclass(frozen=True)
class Percentiles:
    p05: FloatArray
    median: FloatArray
    p95: FloatArray


def percentiles(values: FloatArray) -> Percentiles:
    """Return the 5th, 50th and 95th percentiles over subjects (axis 0)."""
    p05, median, p95 = np.percentile(values, [5.0, 50.0, 95.0], axis=0)
    return Percentiles(p05=p05, median=median, p95=p95)
