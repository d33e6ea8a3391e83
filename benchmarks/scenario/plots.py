"""PNG plots of a scenario day: grid current per phase against the fuse, EV power, PV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no screen here: render straight to files

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray

_PHASE_COLOURS = ("#8c564b", "#1f77b4", "#7f7f7f")  # brown, blue, grey: L1, L2, L3
_STRATEGY_STYLES = {
    "ours": {"color": "#2ca02c", "linewidth": 1.6},
    "optimum": {"color": "#000000", "linestyle": ":", "linewidth": 1.4},
    "uncontrolled": {"color": "#d62728", "linewidth": 0.9, "alpha": 0.8},
    "static": {"color": "#9467bd", "linewidth": 0.9, "alpha": 0.8},
    "evcc": {"color": "#ff7f0e", "linewidth": 0.9, "alpha": 0.8},
}


@dataclass(frozen=True, slots=True)
class Series:
    """One strategy's day, resampled for plotting: hours, grid A (n, 3), EV W, PV W."""

    hours: NDArray[np.float64]
    grid: NDArray[np.float64]
    ev: NDArray[np.float64]
    pv: NDArray[np.float64]


def resample(
    step: float,
    grid: NDArray[np.float64],
    ev: NDArray[np.float64],
    pv: NDArray[np.float64],
    start_hour: float,
    every: float = 60.0,
) -> Series:
    """Per-`every`-second bins: the grid's maximum (peaks matter), EV and PV means."""
    size = max(1, round(every / step))
    bins = len(ev) // size
    if bins == 0:
        return Series(np.array([start_hour]), grid[:1], ev[:1], pv[:1])
    cut = bins * size
    hours = start_hour + (np.arange(bins) * size * step + size * step / 2) / 3600
    return Series(
        hours=hours,
        grid=grid[:cut].reshape(bins, size, 3).max(axis=1),
        ev=ev[:cut].reshape(bins, size).mean(axis=1),
        pv=pv[:cut].reshape(bins, size).mean(axis=1),
    )


def plot_day(
    path: Path, title: str, fuse: float, series: dict[str, Series], focus: str = "ours"
) -> None:
    """Three panels: `focus`'s grid current per phase and the fuse, EV power, PV."""
    fig, (grid_ax, ev_ax, pv_ax) = plt.subplots(
        3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.3]}
    )
    fig.suptitle(title)
    mine = series[focus]
    for phase, colour in enumerate(_PHASE_COLOURS):
        grid_ax.plot(
            mine.hours,
            mine.grid[:, phase],
            color=colour,
            linewidth=0.9,
            label=f"L{phase + 1} ({focus})",
        )
    for name, colour in (("uncontrolled", "#d62728"), ("evcc", "#ff7f0e")):
        if name in series:
            grid_ax.plot(
                series[name].hours,
                series[name].grid.max(axis=1),
                color=colour,
                linewidth=0.7,
                alpha=0.55,
                label=f"{name}, highest phase",
            )
    grid_ax.axhline(fuse, color="#d62728", linestyle="--", linewidth=1.2, label=f"fuse {fuse:g} A")
    grid_ax.set_ylabel("grid current per phase (A)\nper-minute maximum")
    grid_ax.legend(loc="upper left", fontsize=8, ncol=2)
    grid_ax.grid(alpha=0.3)
    for name, data in series.items():
        style = _STRATEGY_STYLES.get(name, {})
        ev_ax.plot(data.hours, data.ev / 1000, label=name, **style)
    ev_ax.set_ylabel("EV power (kW)")
    ev_ax.legend(loc="upper left", fontsize=8, ncol=3)
    ev_ax.grid(alpha=0.3)
    pv_ax.fill_between(mine.hours, mine.pv / 1000, color="#ffbf00", alpha=0.6, label="PV")
    pv_ax.set_ylabel("PV (kW)")
    pv_ax.set_xlabel("local time")
    start = float(np.floor(mine.hours[0]))
    ticks = np.arange(start, start + 25, 3)
    pv_ax.set_xticks(ticks, [f"{int(hour) % 24:02d}:00" for hour in ticks])
    pv_ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
