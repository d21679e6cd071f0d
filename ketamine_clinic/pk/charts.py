"""The concentration-time chart: a reusable component. The explorer draws planned regimens with
it; a treatment plan draws its planned dose and a session page its doses as given (see
`pk/prediction_block.py`). matplotlib Figure → SVG data URI, no script."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from ketamine_clinic.clinical.pharmacokinetics.metrics import DISSOCIATION_THRESHOLD_NG_PER_ML
from ketamine_clinic.common.images import as_data_uri

_COLOURS = ["#1f5f8b", "#b3541e", "#2e7d32", "#6b2fa0"]


@dataclass(frozen=True)
class Curve:
    label: str
    times_min: Sequence[float]
    median: Sequence[float]
    p05: Sequence[float] | None = None
    p95: Sequence[float] | None = None
    # When doses were given: bolus or device times, and infusion spans (start, end), in min.
    dose_times_min: Sequence[float] = field(default_factory=tuple)
    infusions_min: Sequence[tuple[float, float]] = field(default_factory=tuple)


def concentration_chart(
    curves: Sequence[Curve],
    threshold_ng_per_ml: float | None = DISSOCIATION_THRESHOLD_NG_PER_ML,
    *,
    substance: str = "ketamine",
    title: str = "Predicted concentration (median, 5–95% band)",
) -> str:
    """Curves (median and 5–95% band), dose marks and a threshold line, as a data URI."""
    figure = Figure(figsize=(7.6, 3.0), dpi=100)
    axes = figure.add_subplot()
    for i, curve in enumerate(curves):
        colour = _COLOURS[i % len(_COLOURS)]
        hours = [t / 60 for t in curve.times_min]
        if curve.p05 is not None and curve.p95 is not None:
            axes.fill_between(hours, curve.p05, curve.p95, color=colour, alpha=0.15, linewidth=0)
        axes.plot(hours, curve.median, color=colour, linewidth=1.8, label=curve.label)
        # Doses under the curve: a tick per bolus or device, a bar per infusion segment.
        for start, end in curve.infusions_min:
            axes.axvspan(start / 60, end / 60, ymax=0.03, color=colour, alpha=0.6, linewidth=0)
        if curve.dose_times_min:
            axes.plot(
                [t / 60 for t in curve.dose_times_min],
                [0] * len(curve.dose_times_min),
                linestyle="none",
                marker="^",
                markersize=6,
                color=colour,
                clip_on=False,
            )
    if threshold_ng_per_ml:
        axes.axhline(
            threshold_ng_per_ml,
            color="#a61b1b",
            linestyle=":",
            linewidth=1,
            label=f"{threshold_ng_per_ml:g} ng/mL",
        )
    axes.set_xlabel("hours from the start of dosing", fontsize=8)
    axes.set_ylabel(f"plasma {substance} (ng/mL)", fontsize=8)
    axes.set_title(title, fontsize=10, loc="left")
    axes.tick_params(labelsize=8)
    axes.set_ylim(bottom=0)
    axes.set_xlim(left=0)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(fontsize=7, frameon=False)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.16)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return as_data_uri(buffer.getvalue())
