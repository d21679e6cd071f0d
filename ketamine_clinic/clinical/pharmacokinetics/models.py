"""Parameter sets for racemic ketamine (PK ref = docs/clinical/pharmacokinetics.md).

Mammillary models are stored as published (per-kg V1 and micro-rate constants in 1/min) and
converted to clearances and volumes, so that between-subject variability can act on CL and V1
while the distribution clearances Q and peripheral volumes stay at their typical values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketamine_clinic.clinical.pharmacokinetics.solver import FloatArray, LinearSystem

CENTRAL = 0  # index of the central (sampled) compartment in every model below


@dataclass(frozen=True)
class MammillaryModel:
    """Central compartment plus peripheral ones; V1 scales linearly with weight."""

    name: str
    v1_l_per_kg: float
    k10_per_min: float
    k_central_to_peripheral_per_min: tuple[float, ...]  # k12, k13, …
    k_peripheral_to_central_per_min: tuple[float, ...]  # k21, k31, …
    source: str

    def clearance_l_per_min(self, weight_kg: float) -> float:
        return self.k10_per_min * self.v1_l_per_kg * weight_kg


# PK ref §0 and §1.1(a): Clements & Nimmo 1981 (Br J Anaesth 53:27, PMID 7459184) as coded in
# opentiva/opentiva opentiva/ketamine.py class Clements250 ("250 mcg/kg bolus data"); values as
# coded there, not checked against the paper (unconfirmed). ke0 (5.2/min) is not used: we report
# plasma concentrations, and the reference says it is not a literature value.
CLEMENTS_250 = MammillaryModel(
    name="clements250",
    v1_l_per_kg=1.7522,  # V1 = 1.7522 × WT L (PK ref §1.1(a))
    k10_per_min=0.0109,  # PK ref §1.1(a)
    k_central_to_peripheral_per_min=(0.0186,),  # k12, PK ref §1.1(a)
    k_peripheral_to_central_per_min=(0.0137,),  # k21, PK ref §1.1(a)
    source="Clements & Nimmo 1981 via opentiva Clements250 (PK ref §1.1(a))",
)

# PK ref §1.1(b): Domino 3-compartment TCI set, opentiva/opentiva opentiva/ketamine.py class
# Domino (docstring cites PMID 7198883; primary reference unconfirmed). opentiva values; the
# fus_anes copy rounds them. ke0 is not used (not a literature value, PK ref §1.1(b)).
DOMINO = MammillaryModel(
    name="domino",
    v1_l_per_kg=0.063,  # V1 = 0.063 × WT L (PK ref §1.1(b))
    k10_per_min=0.4381,  # PK ref §1.1(b)
    k_central_to_peripheral_per_min=(0.5921, 0.5900),  # k12, k13, PK ref §1.1(b)
    k_peripheral_to_central_per_min=(0.2470, 0.0146),  # k21, k31, PK ref §1.1(b)
    source="Domino TCI set via opentiva Domino (PK ref §1.1(b); primary source unconfirmed)",
)

IV_MODELS: dict[str, MammillaryModel] = {"clements": CLEMENTS_250, "domino": DOMINO}


@dataclass(frozen=True)
class IntramuscularModel:
    """First-order absorption from an IM depot into a mammillary disposition model."""

    name: str
    disposition: MammillaryModel
    bioavailability: float
    ka_per_min: float
    ka_is_assumption: bool
    source: str


# PK ref §1.5: IM racemic ketamine in adults, F = 0.93 (secondary sources; primary Clements,
# Nimmo & Grant, J Pharm Sci 1982, unconfirmed). No published adult ka was retrieved: the
# reference suggests ka ≈ 0.1–0.2 /min "to reproduce a 15–20 min Tmax" and labels it an
# assumption. We take the midpoint, 0.15 /min (ASSUMPTION, configurable via `ka_per_min`).
# Disposition: Clements250 (PK ref §0, the recommended adult IV set).
IM_KETAMINE = IntramuscularModel(
    name="clements250-im",
    disposition=CLEMENTS_250,
    bioavailability=0.93,  # PK ref §1.5 (adults; Clements, Nimmo & Grant 1982, unconfirmed)
    ka_per_min=0.15,  # ASSUMPTION: midpoint of the 0.1–0.2 /min suggested in PK ref §1.5
    ka_is_assumption=True,
    source="F 0.93 (PK ref §1.5); ka assumed; disposition Clements250 (PK ref §1.1(a))",
)


def _ones(n: int, factor: FloatArray | None) -> FloatArray:
    return np.ones(n) if factor is None else np.asarray(factor, dtype=np.float64).reshape(n)


def mammillary_matrix(
    model: MammillaryModel,
    weight_kg: float,
    n: int = 1,
    cl_factor: FloatArray | None = None,
    v1_factor: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Return (A (n, c, c) in 1/min, V1 (n,) in L) for n subjects of `weight_kg`.

    cl_factor and v1_factor multiply CL and V1 per subject (between-subject variability); the
    distribution clearances Q_i = k1i·V1 and volumes V_i = Q_i/ki1 keep their typical values.
    """
    if weight_kg <= 0:
        raise ValueError("weight_kg must be positive")
    v1_typical = model.v1_l_per_kg * weight_kg
    v1 = v1_typical * _ones(n, v1_factor)
    cl = model.clearance_l_per_min(weight_kg) * _ones(n, cl_factor)
    peripherals = len(model.k_central_to_peripheral_per_min)
    size = 1 + peripherals
    a = np.zeros((n, size, size))
    a[:, 0, 0] = -cl / v1
    for i, (k1p, kp1) in enumerate(
        zip(
            model.k_central_to_peripheral_per_min,
            model.k_peripheral_to_central_per_min,
            strict=True,
        ),
        start=1,
    ):
        q = k1p * v1_typical
        vp = q / kp1
        a[:, 0, 0] -= q / v1
        a[:, i, 0] = q / v1
        a[:, 0, i] = q / vp
        a[:, i, i] = -q / vp
    return a, v1


def iv_system(
    model: MammillaryModel,
    weight_kg: float,
    n: int = 1,
    cl_factor: FloatArray | None = None,
    v1_factor: FloatArray | None = None,
) -> LinearSystem:
    """IV model: doses go into the central compartment (index CENTRAL)."""
    a, v1 = mammillary_matrix(model, weight_kg, n, cl_factor, v1_factor)
    return LinearSystem(a, np.ones((n, a.shape[1])), CENTRAL, v1)


def im_depot(model: IntramuscularModel) -> int:
    """Index of the IM depot compartment (after the disposition compartments)."""
    return 1 + len(model.disposition.k_central_to_peripheral_per_min)


def im_system(
    model: IntramuscularModel,
    weight_kg: float,
    n: int = 1,
    cl_factor: FloatArray | None = None,
    v1_factor: FloatArray | None = None,
    ka_factor: FloatArray | None = None,
) -> LinearSystem:
    """IM model: a dose into the depot (im_depot(model)) is absorbed at ka with fraction F."""
    disposition, v1 = mammillary_matrix(model.disposition, weight_kg, n, cl_factor, v1_factor)
    size = disposition.shape[1] + 1
    depot = size - 1
    ka = model.ka_per_min * _ones(n, ka_factor)
    a = np.zeros((n, size, size))
    a[:, :depot, :depot] = disposition
    a[:, depot, depot] = -ka
    a[:, CENTRAL, depot] = ka
    fraction = np.ones((n, size))
    fraction[:, depot] = model.bioavailability
    return LinearSystem(a, fraction, CENTRAL, v1)
