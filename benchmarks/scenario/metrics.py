"""Summary metrics of one run, computed the same way for the simulation and the optimum.

Conventions:
- Currents are signed, import positive. The fuse counts as exceeded on import only: no
  controller can curtail the export of a PV inverter.
- EV energy is counted on the grid side (what the charger drew) against the grid-side request,
  `requested_grid_wh(visit)` (simulator.site.driver): what the battery can and should take, over
  the car's efficiency.
- Power and price arrays hold one mean value per step of `step_s` seconds starting at the
  scenario start (local midnight), so 15-min windows are clock aligned.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

from .interface import PhaseCurrents

type FloatArray = npt.NDArray[np.float64]

FUSE_TOLERANCE = 1e-6  # A: solver round-off at the fuse is not an overload
SHORT_MARGIN_WH = 500.0  # a car left short if it got less than requested minus this
PEAK_WINDOW_S = 900.0  # s: the billing window of the peak import (quarter hour)
WH_PER_J = 1 / 3600
ENERGY_GOAL_PCT = 98.0  # energy delivered: at least this share of the optimum
PV_GOAL_PCT = 95.0  # PV self-consumption: at least this share of the optimum
COST_GOAL_PCT = 103.0  # net cost: at most this share of the optimum


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    """What one strategy achieved over the day."""

    seconds_above_fuse: float  # s with any phase above the fuse
    ampere_seconds_above_fuse: float  # A·s summed over phases
    max_excess_a: float  # A: the largest excess over the fuse (0 if never above)
    energy_delivered_kwh: float  # grid side
    energy_requested_kwh: float  # grid side
    energy_delivered_pct: float  # of requested (100 if nothing was requested)
    cars: int
    cars_short: int  # left with less than requested - SHORT_MARGIN_WH
    pv_energy_kwh: float
    import_kwh: float
    export_kwh: float
    pv_self_consumption_pct: float  # 1 - export / PV (100 without PV)
    import_cost_eur: float  # what the imported energy cost
    net_cost_eur: float  # import cost minus export revenue
    peak_import_kw: float  # the largest single-step import
    peak_import_15min_kw: float  # the largest clock-aligned 15-min mean import


def summarize(
    *,
    grid_current: npt.ArrayLike,
    step_s: float,
    fuse: float | PhaseCurrents,
    delivered_wh: npt.ArrayLike,
    requested_wh: npt.ArrayLike,
    pv_w: npt.ArrayLike,
    import_w: npt.ArrayLike,
    export_w: npt.ArrayLike,
    import_price: npt.ArrayLike,
    export_price: npt.ArrayLike,
) -> Metrics:
    """Compute the metrics from per-step arrays (n,3) / (n,) and per-visit arrays (Wh).

    Prices are EUR/kWh, powers W (import and export both >= 0), currents A.
    """
    current = np.asarray(grid_current, dtype=np.float64).reshape(-1, 3)
    excess = np.maximum(current - np.asarray(fuse, dtype=np.float64), 0.0)
    excess[excess <= FUSE_TOLERANCE] = 0.0
    delivered = np.asarray(delivered_wh, dtype=np.float64)
    requested = np.asarray(requested_wh, dtype=np.float64)
    imported = np.asarray(import_w, dtype=np.float64)
    exported = np.asarray(export_w, dtype=np.float64)
    pv_kwh = _kwh(np.asarray(pv_w, dtype=np.float64), step_s)
    export_kwh = _kwh(exported, step_s)
    import_cost = _kwh(imported * np.asarray(import_price, dtype=np.float64), step_s)
    export_revenue = _kwh(exported * np.asarray(export_price, dtype=np.float64), step_s)
    return Metrics(
        seconds_above_fuse=float(np.count_nonzero(excess.max(axis=1, initial=0.0)) * step_s),
        ampere_seconds_above_fuse=float(excess.sum() * step_s),
        max_excess_a=float(excess.max(initial=0.0)),
        energy_delivered_kwh=float(delivered.sum()) / 1000,
        energy_requested_kwh=float(requested.sum()) / 1000,
        energy_delivered_pct=_pct(float(delivered.sum()), float(requested.sum())),
        cars=len(requested),
        cars_short=int(np.count_nonzero(delivered < requested - SHORT_MARGIN_WH)),
        pv_energy_kwh=pv_kwh,
        import_kwh=_kwh(imported, step_s),
        export_kwh=export_kwh,
        pv_self_consumption_pct=_self_consumption(pv_kwh, export_kwh),
        import_cost_eur=import_cost,
        net_cost_eur=import_cost - export_revenue,
        peak_import_kw=float(imported.max(initial=0.0)) / 1000,
        peak_import_15min_kw=_peak_window_mean(imported, step_s, PEAK_WINDOW_S) / 1000,
    )


def _kwh(power: FloatArray, step_s: float) -> float:
    """Energy in kWh of per-step mean powers (W, or W·EUR/kWh to get EUR)."""
    return float(power.sum()) * step_s * WH_PER_J / 1000


def _pct(part: float, whole: float) -> float:
    """`part` as a percentage of `whole` (100 when there is nothing to get)."""
    return 100.0 * part / whole if whole > 0 else 100.0


def _self_consumption(pv_kwh: float, export_kwh: float) -> float:
    """Share of the PV energy used on site (export beyond the PV energy counts as none)."""
    if pv_kwh <= 0:
        return 100.0
    return max(0.0, 100.0 * (1.0 - export_kwh / pv_kwh))


def _peak_window_mean(power: FloatArray, step_s: float, window_s: float) -> float:
    """The largest mean power over clock-aligned windows (a trailing partial window counts)."""
    if not len(power):
        return 0.0
    edges = np.arange(len(power) + 1) * step_s
    cumulative = np.concatenate(([0.0], np.cumsum(power * step_s)))
    bounds = np.append(np.arange(0.0, edges[-1], window_s), edges[-1])
    energy = np.interp(bounds, edges, cumulative)
    return float(np.max(np.diff(energy) / np.diff(bounds)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """A strategy against the optimum, in % of the optimum, with the goals met or not."""

    energy_pct: float  # delivered / optimum's delivered (goal >= ENERGY_GOAL_PCT)
    pv_self_consumption_pct: float  # self-consumption / optimum's (goal >= PV_GOAL_PCT)
    net_cost_pct: float  # 100 + excess cost over |optimum's net cost| (goal <= COST_GOAL_PCT)
    seconds_above_fuse: float  # goal 0

    @property
    def energy_ok(self) -> bool:
        """Enough energy delivered."""
        return self.energy_pct >= ENERGY_GOAL_PCT

    @property
    def pv_ok(self) -> bool:
        """Enough PV used on site."""
        return self.pv_self_consumption_pct >= PV_GOAL_PCT

    @property
    def cost_ok(self) -> bool:
        """Not too expensive."""
        return self.net_cost_pct <= COST_GOAL_PCT

    @property
    def fuse_ok(self) -> bool:
        """Never above the fuse."""
        return self.seconds_above_fuse == 0

    @property
    def all_ok(self) -> bool:
        """Every goal met."""
        return self.energy_ok and self.pv_ok and self.cost_ok and self.fuse_ok


def compare(ours: Metrics, optimum: Metrics) -> Comparison:
    """Goal ratios of `ours` against the offline optimum."""
    return Comparison(
        energy_pct=_pct(ours.energy_delivered_kwh, optimum.energy_delivered_kwh),
        pv_self_consumption_pct=_pct(ours.pv_self_consumption_pct, optimum.pv_self_consumption_pct),
        net_cost_pct=_cost_pct(ours.net_cost_eur, optimum.net_cost_eur),
        seconds_above_fuse=ours.seconds_above_fuse,
    )


def _cost_pct(ours: float, best: float) -> float:
    """100 plus the extra cost in % of the optimum's |net cost| (the net cost may be negative)."""
    if best == 0:
        return 100.0 if ours <= 0 else math.inf
    return 100.0 + 100.0 * (ours - best) / abs(best)


_COLUMNS = (
    "strategy",
    "energy kWh",
    "energy %",
    "cars short",
    "s > fuse",
    "A·s > fuse",
    "max excess A",
    "PV self %",
    "import EUR",
    "net EUR",
    "peak 15 min kW",
    "peak kW",
)


def format_table(rows: dict[str, Metrics]) -> str:
    """A markdown table, one row per strategy."""
    lines = [_row(_COLUMNS), _row(("---",) * len(_COLUMNS))]
    lines.extend(
        _row(
            (
                name,
                f"{m.energy_delivered_kwh:.1f} / {m.energy_requested_kwh:.1f}",
                f"{m.energy_delivered_pct:.1f}",
                f"{m.cars_short} / {m.cars}",
                f"{m.seconds_above_fuse:.0f}",
                f"{m.ampere_seconds_above_fuse:.0f}",
                f"{m.max_excess_a:.1f}",
                f"{m.pv_self_consumption_pct:.1f}",
                f"{m.import_cost_eur:.2f}",
                f"{m.net_cost_eur:.2f}",
                f"{m.peak_import_15min_kw:.1f}",
                f"{m.peak_import_kw:.1f}",
            )
        )
        for name, m in rows.items()
    )
    return "\n".join(lines)


def format_comparison(rows: dict[str, Comparison]) -> str:
    """A markdown table of the goal ratios, one row per strategy (✓ = goal met)."""
    header = ("strategy", "energy % of opt", "PV self % of opt", "net cost % of opt", "s > fuse")
    lines = [_row(header), _row(("---",) * len(header))]
    lines.extend(
        _row(
            (
                name,
                _mark(f"{c.energy_pct:.1f}", c.energy_ok),
                _mark(f"{c.pv_self_consumption_pct:.1f}", c.pv_ok),
                _mark(f"{c.net_cost_pct:.1f}", c.cost_ok),
                _mark(f"{c.seconds_above_fuse:.0f}", c.fuse_ok),
            )
        )
        for name, c in rows.items()
    )
    return "\n".join(lines)


def _mark(text: str, ok: bool) -> str:
    """A value with ✓ or ✗."""
    return f"{text} {'✓' if ok else '✗'}"


def _row(cells: tuple[str, ...]) -> str:
    """One markdown table row."""
    return "| " + " | ".join(cells) + " |"
