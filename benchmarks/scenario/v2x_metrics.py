"""The V2X day's metrics, the same for a simulated run and for the optimum.

- At target: a car counts when it left with its target SoC, within TARGET_TOLERANCE_WH
  (the engine's energy tolerance: meter registers are read every 10-60 s and rounded).
- Below reserve: the seconds a car's SoC was below its reserve, or below the highest SoC
  it had so far for a car that arrived under its reserve (it must not go lower either).
- Above the fuse (any phase, import) and above the import cap (total import, W): every
  excursion is allowed the reaction time of the meter and the car (`reaction_time`); the
  seconds beyond it count. The raw seconds are reported too.
- Net cost: import at the import price, less export at the export (feed-in) price, plus
  the battery wear of every kWh discharged (grid side, the connector's export register).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

from simulator.site.model import ScenarioDay

from .interface import PhaseCurrents
from .metrics import WH_PER_J

type FloatArray = npt.NDArray[np.float64]

TARGET_TOLERANCE_WH = 100.0  # battery side
FUSE_TOLERANCE_A = 1e-6
CAP_TOLERANCE_W = 1e-3
COST_GOAL_PCT = 103.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionResult:
    """What one visit got, and whether the promises to its driver held."""

    label: str
    target_soc: float
    departure_soc: float
    capacity_wh: float
    reserve_soc: float
    min_soc: float
    seconds_below_reserve: float
    charged_wh: float  # grid side
    discharged_wh: float  # grid side

    @property
    def shortfall_wh(self) -> float:
        """Battery Wh it left without (0 at or above its target)."""
        return max(0.0, self.target_soc - self.departure_soc) / 100.0 * self.capacity_wh

    @property
    def at_target(self) -> bool:
        """It left with its target SoC (within the tolerance)."""
        return self.shortfall_wh <= TARGET_TOLERANCE_WH


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XMetrics:
    """What one strategy achieved over a V2X day."""

    cars: int
    cars_at_target: int
    shortfall_kwh: float  # battery side, summed over the cars short
    seconds_below_reserve: float
    fuse_seconds: float  # raw: any phase above the fuse
    fuse_seconds_beyond: float  # beyond the reaction time of each excursion
    max_fuse_excess_a: float
    cap_seconds: float
    cap_seconds_beyond: float
    max_cap_excess_kw: float
    import_kwh: float
    export_kwh: float
    discharged_kwh: float  # grid side
    import_cost_eur: float
    export_revenue_eur: float
    wear_eur: float
    net_cost_eur: float  # import cost - export revenue + wear

    @property
    def at_target_pct(self) -> float:
        """Share of the cars that left at their target."""
        return 100.0 * self.cars_at_target / self.cars if self.cars else 100.0


def reaction_time(day: ScenarioDay) -> float:
    """Seconds an excursion may last: a meter period, then the slowest car's reaction.

    A car reacts after its response delay and reaches its full discharge at its ramp rate.
    """
    reactions = [
        visit.ev.response_delay
        + (visit.v2x.max_discharge_current / visit.ev.ramp_rate if visit.v2x else 0.0)
        for visit in day.visits
    ]
    return day.meter_period + (max(reactions) if reactions else 0.0)


def excursions(mask: npt.ArrayLike, step_s: float, allowed_s: float) -> tuple[float, float]:
    """Seconds `mask` holds, and those beyond `allowed_s` into each run of it."""
    flags = np.asarray(mask, dtype=bool)
    if not flags.any():
        return 0.0, 0.0
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lengths = (ends - starts) * step_s
    return float(lengths.sum()), float(np.maximum(lengths - allowed_s, 0.0).sum())


def summarize_v2x(
    *,
    grid_current: npt.ArrayLike,
    step_s: float,
    fuse: float | PhaseCurrents,
    import_cap: npt.ArrayLike,
    voltage: float,
    import_price: npt.ArrayLike,
    export_price: npt.ArrayLike,
    sessions: Sequence[SessionResult],
    wear_eur_per_kwh: float,
    reaction_s: float,
) -> V2XMetrics:
    """Metrics from per-step arrays ((n, 3) A; (n,) W with inf for no cap; EUR/kWh)."""
    current = np.asarray(grid_current, dtype=np.float64).reshape(-1, 3)
    excess = current - np.asarray(fuse, dtype=np.float64)
    over_fuse = (excess > FUSE_TOLERANCE_A).any(axis=1)
    net = current.sum(axis=1) * voltage
    imported, exported = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    cap = np.asarray(import_cap, dtype=np.float64)
    cap_excess = np.where(np.isfinite(cap), imported - cap, 0.0)
    over_cap = cap_excess > CAP_TOLERANCE_W
    fuse_s, fuse_beyond = excursions(over_fuse, step_s, reaction_s)
    cap_s, cap_beyond = excursions(over_cap, step_s, reaction_s)
    kwh = step_s * WH_PER_J / 1000.0
    import_cost = float((imported * np.asarray(import_price, dtype=np.float64)).sum()) * kwh
    revenue = float((exported * np.asarray(export_price, dtype=np.float64)).sum()) * kwh
    discharged = sum(s.discharged_wh for s in sessions) / 1000.0
    wear = discharged * wear_eur_per_kwh
    short = [s for s in sessions if not s.at_target]
    return V2XMetrics(
        cars=len(sessions),
        cars_at_target=len(sessions) - len(short),
        shortfall_kwh=sum(s.shortfall_wh for s in short) / 1000.0,
        seconds_below_reserve=sum(s.seconds_below_reserve for s in sessions),
        fuse_seconds=fuse_s,
        fuse_seconds_beyond=fuse_beyond,
        max_fuse_excess_a=float(np.maximum(excess, 0.0).max(initial=0.0)),
        cap_seconds=cap_s,
        cap_seconds_beyond=cap_beyond,
        max_cap_excess_kw=float(np.maximum(cap_excess, 0.0).max(initial=0.0)) / 1000.0,
        import_kwh=float(imported.sum()) * kwh,
        export_kwh=float(exported.sum()) * kwh,
        discharged_kwh=discharged,
        import_cost_eur=import_cost,
        export_revenue_eur=revenue,
        wear_eur=wear,
        net_cost_eur=import_cost - revenue + wear,
    )


def cost_pct(cost: float, best: float) -> float:
    """100 plus the extra cost in % of the optimum's |net cost|."""
    if best == 0:
        return 100.0 if cost <= 0 else math.inf
    return 100.0 + 100.0 * (cost - best) / abs(best)
