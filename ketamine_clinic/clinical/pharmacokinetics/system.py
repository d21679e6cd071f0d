"""Linear compartment systems and their inputs: the types every solver here shares.

dx/dt = A·x + F⊙u(t) for N subjects at once: boluses are instantaneous (a concentration asked
for at the time of a bolus is the value just after it), an infusion runs on [start, end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NG_PER_ML_PER_MG_PER_L = 1000.0  # 1 mg/L = 1000 µg/L = 1000 ng/mL


@dataclass(frozen=True)
class Bolus:
    time_min: float
    amount_mg: float
    compartment: int


@dataclass(frozen=True)
class Infusion:
    start_min: float
    end_min: float
    rate_mg_per_min: float
    compartment: int


Dose = Bolus | Infusion
Regimen = Sequence[Dose]


@dataclass(frozen=True)
class LinearSystem:
    """dx/dt = A·x + F⊙u(t) for N subjects.

    a: (N, n, n) rate matrix in 1/min (a[i, j] = rate from compartment j to compartment i);
    input_fraction: (N, n) fraction of each dose that enters the compartment (bioavailability);
    observed: index of the compartment whose concentration is reported;
    volume_l: (N,) volume of the observed compartment in L.
    """

    a: FloatArray
    input_fraction: FloatArray
    observed: int
    volume_l: FloatArray

    @property
    def subjects(self) -> int:
        return int(self.a.shape[0])

    @property
    def compartments(self) -> int:
        return int(self.a.shape[1])

    def subset(self, rows: npt.NDArray[np.intp] | slice) -> LinearSystem:
        """Return the system of the subjects `rows` only."""
        return LinearSystem(
            self.a[rows], self.input_fraction[rows], self.observed, self.volume_l[rows]
        )


def with_elimination_sink(system: LinearSystem) -> LinearSystem:
    """Return the system with one more compartment that collects everything eliminated.

    The total amount over all compartments is then conserved (used to check mass balance).
    """
    n_sub, n, _ = system.a.shape
    a = np.zeros((n_sub, n + 1, n + 1))
    a[:, :n, :n] = system.a
    a[:, n, :n] = -system.a.sum(axis=1)  # outflow of each compartment not going elsewhere
    fraction = np.zeros((n_sub, n + 1))
    fraction[:, :n] = system.input_fraction
    return LinearSystem(a, fraction, system.observed, system.volume_l)


def check_regimen(regimen: Regimen, compartments: int) -> None:
    """Raise ValueError for a dose into a missing compartment or an infusion ending early."""
    for dose in regimen:
        if not 0 <= dose.compartment < compartments:
            raise ValueError(f"dose compartment {dose.compartment} does not exist")
        if isinstance(dose, Infusion) and dose.end_min < dose.start_min:
            raise ValueError("an infusion must not end before it starts")


def check_kept(keep: Sequence[int] | None, compartments: int) -> list[int]:
    """Return the compartments to store (all of them without `keep`), checked."""
    kept = list(range(compartments)) if keep is None else list(keep)
    if any(not 0 <= k < compartments for k in kept):
        raise ValueError("keep names a compartment that does not exist")
    return kept


def input_times(regimen: Regimen) -> list[float]:
    """Return every time at which an input changes: bolus times, infusion starts and ends."""
    times: list[float] = []
    for dose in regimen:
        if isinstance(dose, Bolus):
            times.append(dose.time_min)
        else:
            times.extend((dose.start_min, dose.end_min))
    return times


def infusion_rates(regimen: Regimen, compartments: int, start_min: float) -> FloatArray:
    """Return the rate (mg/min) into each compartment on the interval from `start_min`."""
    rate = np.zeros(compartments)
    for dose in regimen:
        if isinstance(dose, Infusion) and dose.start_min <= start_min < dose.end_min:
            rate[dose.compartment] += dose.rate_mg_per_min
    return rate


def bolus_amounts(regimen: Regimen, compartments: int, time_min: float) -> FloatArray:
    """Return the amount (mg) given as boluses into each compartment at `time_min`."""
    amount = np.zeros(compartments)
    for dose in regimen:
        if isinstance(dose, Bolus) and dose.time_min == time_min:
            amount[dose.compartment] += dose.amount_mg
    return amount
