"""The session's vitals against time, the administration window shaded (matplotlib Figure to
SVG, embedded as a data: image like measures/charts.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from matplotlib.figure import Figure

from ketamine_clinic.common.images import as_data_uri

SERIES = (("sbp", "Systolic", "#b03a2e"), ("dbp", "Diastolic", "#1f5f8b"), ("hr", "HR", "#555"))


def vitals_chart(
    readings: Sequence[tuple[datetime, dict[str, float]]],
    start: datetime | None,
    end: datetime | None,
) -> str | None:
    """A data: URI of the chart (minutes from the first reading), or None with no readings."""
    if not readings:
        return None
    t0 = readings[0][0]

    def minutes(t: datetime) -> float:
        return (t - t0).total_seconds() / 60

    figure = Figure(figsize=(7.2, 2.6), dpi=100)
    axes = figure.add_subplot()
    if start is not None:
        axes.axvspan(
            minutes(start),
            minutes(end) if end else minutes(readings[-1][0]),
            color="#efe6f7",
            zorder=0,
            label="administration",
        )
    for key, label, colour in SERIES:
        points = [(minutes(t), v[key]) for t, v in readings if key in v]
        if points:
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                color=colour,
                linewidth=1.5,
                label=label,
            )
    axes.set_xlabel("minutes from check-in", fontsize=8)
    axes.set_title("Vital signs during the session", fontsize=10, loc="left")
    axes.tick_params(labelsize=8)
    axes.legend(fontsize=7, loc="upper right", frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return as_data_uri(buffer.getvalue())
