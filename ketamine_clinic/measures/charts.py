"""Score-over-time charts: matplotlib Figure (never pyplot) rendered to SVG.

The SVG is embedded as a data: image, so it draws under the strict Content-Security-Policy
(matplotlib's SVG carries style attributes that an inline <svg> would need 'unsafe-inline'
for); each chart has a title, and the page shows the same numbers as a table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display; the Figure API below never touches pyplot

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from ketamine_clinic.clinical.instruments import Instrument

# Light fills from "none" to "worst", in band order (colour-blind-safe sequential greys/ambers).
_BAND_FILLS = ["#eef6ee", "#f7f3df", "#fbe9d2", "#f8d9c4", "#f3c6c0", "#eab3b3"]


def _num(when: datetime) -> float:
    return float(date2num(when))  # type: ignore[no-untyped-call]


def score_chart_svg(
    instrument: Instrument,
    points: Sequence[tuple[datetime, int]],
    treatment_times: Sequence[datetime] = (),
) -> str:
    """Return the chart as SVG text: totals over time, bands shaded, treatments marked."""
    figure = Figure(figsize=(7.2, 2.6), dpi=100)
    axes = figure.add_subplot()
    low, high = instrument.total_range or (0, max(total for _, total in points) or 1)
    for i, band in enumerate(instrument.bands):
        axes.axhspan(
            band.low - 0.5 if i else low,
            band.high + 0.5 if band.high < high else high,
            color=_BAND_FILLS[min(i, len(_BAND_FILLS) - 1)],
            zorder=0,
            linewidth=0,
        )
        axes.text(
            1.005,
            (band.low + band.high) / 2,
            band.name,
            transform=axes.get_yaxis_transform(),
            fontsize=7,
            va="center",
            color="#5b6675",
        )
    for j, when in enumerate(treatment_times):
        axes.axvline(
            _num(when),
            color="#6b2fa0",
            linewidth=0.8,
            linestyle=":",
            zorder=1,
            label="treatment" if j == 0 else None,
        )
    times = [_num(t) for t, _ in points]
    totals = [v for _, v in points]
    axes.plot(
        times,
        totals,
        marker="o",
        color="#1f5f8b",
        linewidth=1.8,
        zorder=3,
        label=f"{instrument.name} total",
    )
    axes.set_ylim(low, high)
    axes.set_ylabel("total", fontsize=8)
    axes.set_title(f"{instrument.name} over time", fontsize=10, loc="left")
    locator = AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.tick_params(labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if treatment_times:
        axes.legend(fontsize=7, loc="upper right", frameon=False)
    figure.subplots_adjust(left=0.07, right=0.86, top=0.86, bottom=0.14)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
