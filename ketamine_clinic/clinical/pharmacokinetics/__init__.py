"""Pharmacokinetic simulator for ketamine (pure clinical core, no Django import).

Every parameter cites docs/clinical/pharmacokinetics.md ("PK ref" below) by section and
the paper or code it names. Concentrations are in ng/mL (= µg/L), amounts in mg, volumes in L,
time in min.
"""

from ketamine_clinic.clinical.pharmacokinetics.solver import (
    Bolus,
    Infusion,
    LinearSystem,
    simulate,
    simulate_amounts,
)

__all__ = ["Bolus", "Infusion", "LinearSystem", "simulate", "simulate_amounts"]
