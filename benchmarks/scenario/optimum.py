"""The offline optimum: a linear program with perfect foresight of the whole day.

It is a *ceiling*, a relaxation of what any controller can do: it knows the house load, the
PV, the prices and every visit in advance; a car takes any current between 0 and its maximum
(no 6 A minimum, no taper, no response delay); the LP sees the fuse exactly (no margin) and
each step's mean values (no peaks within a step).

Energy is counted on the grid side, as `metrics` does: a visit asks for
`requested_grid_wh(visit)` = min(energy_wh, what the battery can take up to its target SoC)
divided by the car's efficiency. A visit's current is bounded by the car's and the connector's
maximum, times the share of the step the car is plugged in (0 outside arrive..depart); the day
ends at 24 h (a car that stays longer gets nothing after).

Objective: net energy cost, plus SHORTFALL_EUR_PER_KWH on energy not delivered (energy comes
first), plus OVERLOAD_EUR_PER_KWH on power above the fuse or `max_import_power` (only used when
the house alone exceeds them, so the LP stays feasible), plus a negligible preference for
charging early (to break ties between equally cheap steps). The home battery, if any, is
dispatched freely but must end the day at least as full as it started (no free energy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

from simulator.ev import EVSpec
from simulator.site.driver import requested_grid_wh
from simulator.site.model import DAY, BatterySpec, ChargerPlan, PhaseWatts, ScenarioDay, Visit

from .metrics import Metrics, summarize

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

SHORTFALL_EUR_PER_KWH = 10.0  # far above any price: deliver the energy first
OVERLOAD_EUR_PER_KWH = 1000.0  # far above the shortfall: never overload to deliver energy
EARLY_EUR_PER_KWH_H = 1e-6  # tie-breaker: per kWh and hour of delay
HOURS_PER_S = 1 / 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSeries:
    """The day's inputs as per-step means."""

    step_s: float
    house_w: FloatArray  # (n, 3) W per phase
    pv_w: FloatArray  # (n,) W
    import_price: FloatArray  # (n,) EUR/kWh
    export_price: FloatArray  # (n,) EUR/kWh

    @property
    def steps(self) -> int:
        """Number of steps."""
        return len(self.pv_w)


def site_series(
    day: ScenarioDay, step_s: float = 300.0, sample_s: float = 60.0, horizon_s: float = DAY
) -> SiteSeries:
    """Per-step means of the day's house load, PV and prices over `horizon_s` from the run start.

    Uses an input's exact `series(step_s)` when it has one (the simulator's do), else samples
    its `at(t)` every ~`sample_s` s.
    """
    steps = math.ceil(horizon_s / step_s)
    sampler = _Sampler(step_s, sample_s, steps)
    house = _exact(day.house, step_s, steps, lambda: sampler.mean(day.house.at))
    plant, prices = day.pv, day.prices
    pv: FloatArray = np.zeros(steps)
    if plant is not None:
        pv = _exact(plant, step_s, steps, lambda: sampler.mean(plant.at))
    tariff = _exact(
        prices,
        step_s,
        steps,
        lambda: np.column_stack(
            [sampler.mean(prices.import_price), sampler.mean(prices.export_price)]
        ),
    )
    return SiteSeries(
        step_s=step_s,
        house_w=house.reshape(steps, 3),
        pv_w=pv.reshape(steps),
        import_price=tariff[:, 0],
        export_price=tariff[:, 1],
    )


def _exact(
    source: object, step_s: float, steps: int, sampled: Callable[[], FloatArray]
) -> FloatArray:
    """`source.series(step_s)` cut to `steps` if it has that method and covers them, else `sampled()`."""
    series = getattr(source, "series", None)
    if callable(series):
        values = np.asarray(series(step_s), dtype=np.float64)
        if len(values) >= steps:
            return values[:steps]
    return sampled()


@dataclass(frozen=True, slots=True)
class _Sampler:
    """Step means of a function of time, from samples at the middle of equal sub-steps."""

    step_s: float
    sample_s: float
    steps: int

    def mean(self, sample: Callable[[float], float | PhaseWatts]) -> FloatArray:
        """Per-step means of `sample(t)`: shape (steps,) or (steps, 3)."""
        per_step = max(1, round(self.step_s / self.sample_s))
        offsets = (np.arange(per_step) + 0.5) * self.step_s / per_step
        times = (np.arange(self.steps)[:, None] * self.step_s + offsets[None, :]).ravel()
        values = np.array([sample(float(t)) for t in times], dtype=np.float64)
        means: FloatArray = values.reshape(self.steps, per_step, *values.shape[1:]).mean(axis=1)
        return means


def grid_phases(ev: EVSpec, charger: ChargerPlan) -> tuple[int, ...]:
    """Grid phases (0 = L1) a car draws on: the charger's first phases, after its rotation."""
    count = 1 if min(ev.phases, charger.phases) < 3 else 3
    return tuple((charger.phase_rotation + i) % 3 for i in range(count))


def connector_max_current(charger: ChargerPlan, connector_id: int) -> float:
    """A per phase a connector (1-based) offers at most."""
    return charger.max_current[min(connector_id, len(charger.max_current)) - 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptimumResult:
    """The optimal day: per-step arrays (step `step_s`) and its metrics."""

    step_s: float
    grid_current: FloatArray  # (n, 3) A per phase, import positive
    ev_power: FloatArray  # (visits, n) W grid side
    import_w: FloatArray  # (n,)
    export_w: FloatArray  # (n,)
    battery_w: FloatArray  # (n,) AC side, charging positive
    battery_wh: FloatArray  # (n,) stored energy at the end of each step
    delivered_wh: FloatArray  # (visits,) grid side
    requested_wh: FloatArray  # (visits,) grid side
    objective_eur: float
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class _Plan:
    """One visit as the LP sees it."""

    station: str
    phases: tuple[int, ...]
    steps: IntArray  # steps in which the car is plugged in
    bound: FloatArray  # A: max current times the share of the step it is plugged in
    requested_wh: float


def _plan(visit: Visit, chargers: dict[str, ChargerPlan], step_s: float, steps: int) -> _Plan:
    """Where, when and how much a visit can draw."""
    charger = chargers[visit.charger_id]
    starts = np.arange(steps) * step_s
    present = np.clip(
        np.minimum(starts + step_s, visit.depart) - np.maximum(starts, visit.arrive), 0.0, step_s
    )
    on = np.flatnonzero(present > 0)
    top = min(visit.ev.max_current, connector_max_current(charger, visit.connector_id))
    return _Plan(
        station=visit.charger_id,
        phases=grid_phases(visit.ev, charger),
        steps=on.astype(np.int64),
        bound=top * present[on] / step_s,
        requested_wh=requested_grid_wh(visit),
    )


class _Layout:
    """Column offsets of the LP variables."""

    def __init__(self, plans: Sequence[_Plan], steps: int, battery: bool, import_cap: bool) -> None:
        """Lay out: currents, import, export, [charge, discharge, stored], shortfall, overloads."""
        self.steps = steps
        sizes = np.array([len(p.steps) for p in plans], dtype=np.int64)
        self.current = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        cursor = int(self.current[-1])
        self.imp, cursor = cursor, cursor + steps
        self.exp, cursor = cursor, cursor + steps
        self.charge = self.discharge = self.stored = -1
        if battery:
            self.charge, cursor = cursor, cursor + steps
            self.discharge, cursor = cursor, cursor + steps
            self.stored, cursor = cursor, cursor + steps
        self.short, cursor = cursor, cursor + len(plans)
        self.over, cursor = cursor, cursor + 3 * steps  # W above the fuse, phase-major
        self.over_imp = -1
        if import_cap:
            self.over_imp, cursor = cursor, cursor + steps
        self.size = cursor


class _Rows:
    """Sparse constraint rows built as triplets."""

    def __init__(self) -> None:
        """No rows yet."""
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.rhs: list[FloatArray] = []
        self.count = 0
        self.base = 0

    def add(self, rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike) -> None:
        """Add coefficients; row indices count from the block last `reserve`d."""
        rows_a, cols_a = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        self.rows.append(rows_a + self.base)
        self.cols.append(cols_a)
        self.vals.append(np.broadcast_to(np.asarray(vals, np.float64), rows_a.shape).copy())

    def reserve(self, rhs: npt.ArrayLike) -> None:
        """Start a block of rows with these right-hand sides."""
        rhs_a = np.atleast_1d(np.asarray(rhs, np.float64))
        self.base = self.count
        self.count += len(rhs_a)
        self.rhs.append(rhs_a)

    def matrix(self, columns: int) -> tuple[sparse.csr_array, FloatArray]:
        """The (rows, columns) matrix and the right-hand side."""
        if not self.count:
            return sparse.csr_array((0, columns)), np.zeros(0)
        coo = sparse.coo_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, columns),
        )
        return coo.tocsr(), np.concatenate(self.rhs)


def solve_optimum(
    day: ScenarioDay, step_s: float = 300.0, series: SiteSeries | None = None
) -> OptimumResult:
    """Solve the day's optimum at `step_s` resolution (HiGHS); `series` overrides the sampling."""
    series = series or site_series(day, step_s)
    steps = series.steps
    chargers = {c.charger_id: c for c in day.chargers}
    plans = [_plan(v, chargers, step_s, steps) for v in day.visits]
    layout = _Layout(plans, steps, day.battery is not None, day.max_import_power is not None)
    ub, eq = _Rows(), _Rows()
    _fuse_rows(ub, layout, plans, series, day)
    _station_rows(ub, layout, plans, chargers)
    _import_cap_rows(ub, layout, day.max_import_power)
    _balance_rows(eq, layout, plans, series, day.voltage)
    _energy_rows(eq, layout, plans, step_s, day.voltage)
    if day.battery is not None:
        _battery_rows(eq, layout, day.battery, step_s)
    a_ub, b_ub = ub.matrix(layout.size)
    a_eq, b_eq = eq.matrix(layout.size)
    solution = linprog(
        _costs(layout, plans, series, day.voltage),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=_bounds(layout, plans, series, day),
        method="highs",
    )
    if solution.status != 0:
        raise RuntimeError(f"optimum LP failed: {solution.message}")
    return _result(
        np.asarray(solution.x, np.float64), float(solution.fun), layout, plans, series, day
    )


def _ev_columns(layout: _Layout, index: int) -> IntArray:
    """Columns of a visit's currents."""
    return np.arange(layout.current[index], layout.current[index + 1], dtype=np.int64)


def _fuse_rows(
    ub: _Rows, layout: _Layout, plans: Sequence[_Plan], series: SiteSeries, day: ScenarioDay
) -> None:
    """Per phase and step (row phase*n + t): house + EVs - PV/3 + battery/3 - overload <= fuse."""
    n, volts = layout.steps, day.voltage
    ub.reserve((day.grid_limit * volts - series.house_w + series.pv_w[:, None] / 3).T.ravel())
    for index, plan in enumerate(plans):
        cols = _ev_columns(layout, index)
        for phase in plan.phases:
            ub.add(phase * n + plan.steps, cols, volts)
    for phase in range(3):
        rows = phase * n + np.arange(n)
        ub.add(rows, layout.over + rows, -1.0)
        if layout.charge >= 0:
            ub.add(rows, layout.charge + np.arange(n), 1 / 3)
            ub.add(rows, layout.discharge + np.arange(n), -1 / 3)


def _station_rows(
    ub: _Rows, layout: _Layout, plans: Sequence[_Plan], chargers: dict[str, ChargerPlan]
) -> None:
    """Per station with a shared maximum, phase and step: the sum of its currents <= maximum."""
    n = layout.steps
    for charger in chargers.values():
        if charger.station_max_current is None:
            continue
        ub.reserve(np.full(3 * n, charger.station_max_current))
        for index, plan in enumerate(plans):
            if plan.station != charger.charger_id:
                continue
            cols = _ev_columns(layout, index)
            for phase in plan.phases:
                ub.add(phase * n + plan.steps, cols, 1.0)


def _import_cap_rows(ub: _Rows, layout: _Layout, cap: float | None) -> None:
    """Import - overload <= max_import_power, per step."""
    if cap is None:
        return
    steps = np.arange(layout.steps)
    ub.reserve(np.full(layout.steps, cap))
    ub.add(steps, layout.imp + steps, 1.0)
    ub.add(steps, layout.over_imp + steps, -1.0)


def _balance_rows(
    eq: _Rows, layout: _Layout, plans: Sequence[_Plan], series: SiteSeries, volts: float
) -> None:
    """Per step: import - export - EVs - battery = house - PV."""
    steps = np.arange(layout.steps)
    eq.reserve(series.house_w.sum(axis=1) - series.pv_w)
    eq.add(steps, layout.imp + steps, 1.0)
    eq.add(steps, layout.exp + steps, -1.0)
    for index, plan in enumerate(plans):
        eq.add(plan.steps, _ev_columns(layout, index), -volts * len(plan.phases))
    if layout.charge >= 0:
        eq.add(steps, layout.charge + steps, -1.0)
        eq.add(steps, layout.discharge + steps, 1.0)


def _energy_rows(
    eq: _Rows, layout: _Layout, plans: Sequence[_Plan], step_s: float, volts: float
) -> None:
    """Per visit: grid-side energy + shortfall = requested."""
    eq.reserve([p.requested_wh for p in plans])
    for index, plan in enumerate(plans):
        wh_per_a = volts * len(plan.phases) * step_s * HOURS_PER_S
        eq.add(np.full(len(plan.steps), index), _ev_columns(layout, index), wh_per_a)
        eq.add([index], [layout.short + index], 1.0)


def _battery_rows(eq: _Rows, layout: _Layout, battery: BatterySpec, step_s: float) -> None:
    """Per step: stored_t - stored_{t-1} - eff*charge*h + discharge*h/eff = 0 (stored_-1 given)."""
    steps = np.arange(layout.steps)
    hours = step_s * HOURS_PER_S
    rhs = np.zeros(layout.steps)
    rhs[0] = battery.capacity_wh * battery.initial_soc / 100
    eq.reserve(rhs)
    eq.add(steps, layout.stored + steps, 1.0)
    eq.add(steps[1:], layout.stored + steps[:-1], -1.0)
    eq.add(steps, layout.charge + steps, -battery.efficiency * hours)
    eq.add(steps, layout.discharge + steps, hours / battery.efficiency)


def _costs(layout: _Layout, plans: Sequence[_Plan], series: SiteSeries, volts: float) -> FloatArray:
    """Objective coefficients (EUR per unit of each variable)."""
    kwh_per_w = series.step_s * HOURS_PER_S / 1000
    costs = np.zeros(layout.size)
    n = layout.steps
    costs[layout.imp : layout.imp + n] = series.import_price * kwh_per_w
    costs[layout.exp : layout.exp + n] = -series.export_price * kwh_per_w
    costs[layout.short : layout.short + len(plans)] = SHORTFALL_EUR_PER_KWH / 1000
    costs[layout.over : layout.over + 3 * n] = OVERLOAD_EUR_PER_KWH * kwh_per_w
    if layout.over_imp >= 0:
        costs[layout.over_imp : layout.over_imp + n] = OVERLOAD_EUR_PER_KWH * kwh_per_w
    for index, plan in enumerate(plans):
        delay_h = plan.steps * series.step_s * HOURS_PER_S
        kwh_per_a = volts * len(plan.phases) * kwh_per_w
        costs[_ev_columns(layout, index)] = EARLY_EUR_PER_KWH_H * delay_h * kwh_per_a
    return costs


def _bounds(
    layout: _Layout, plans: Sequence[_Plan], series: SiteSeries, day: ScenarioDay
) -> FloatArray:
    """(size, 2) lower and upper bounds; export never exceeds PV plus battery discharge."""
    bounds = np.zeros((layout.size, 2))
    bounds[:, 1] = np.inf
    n = layout.steps
    for index, plan in enumerate(plans):
        bounds[_ev_columns(layout, index), 1] = plan.bound
        bounds[layout.short + index, 1] = plan.requested_wh
    battery = day.battery
    discharge = battery.max_power if battery is not None else 0.0
    bounds[layout.exp : layout.exp + n, 1] = np.maximum(series.pv_w, 0.0) + discharge
    if battery is not None:
        bounds[layout.charge : layout.charge + 2 * n, 1] = battery.max_power
        initial = battery.capacity_wh * battery.initial_soc / 100
        floor = min(battery.capacity_wh * battery.min_soc / 100, initial)
        stored = bounds[layout.stored : layout.stored + n]
        stored[:] = (floor, battery.capacity_wh)
        stored[-1, 0] = initial
    return bounds


def _result(
    x: FloatArray,
    objective: float,
    layout: _Layout,
    plans: Sequence[_Plan],
    series: SiteSeries,
    day: ScenarioDay,
) -> OptimumResult:
    """Per-step arrays from the LP solution, and their metrics."""
    n, volts = layout.steps, day.voltage
    ev_power = np.zeros((len(plans), n))
    phase_w: FloatArray = series.house_w - series.pv_w[:, None] / 3
    for index, plan in enumerate(plans):
        current = x[_ev_columns(layout, index)]
        ev_power[index, plan.steps] = current * volts * len(plan.phases)
        for phase in plan.phases:
            phase_w[plan.steps, phase] += current * volts
    battery_w: FloatArray = np.zeros(n)
    stored: FloatArray = np.zeros(n)
    if layout.charge >= 0:
        battery_w = (
            x[layout.charge : layout.charge + n] - x[layout.discharge : layout.discharge + n]
        )
        stored = x[layout.stored : layout.stored + n]
        phase_w += battery_w[:, None] / 3
    net = phase_w.sum(axis=1)
    import_w, export_w = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    delivered = ev_power.sum(axis=1) * series.step_s * HOURS_PER_S
    requested = np.array([p.requested_wh for p in plans], dtype=np.float64)
    grid_current = np.asarray(phase_w / volts, dtype=np.float64)
    metrics = summarize(
        grid_current=grid_current,
        step_s=series.step_s,
        fuse=day.grid_limit,
        delivered_wh=delivered,
        requested_wh=requested,
        pv_w=series.pv_w,
        import_w=import_w,
        export_w=export_w,
        import_price=series.import_price,
        export_price=series.export_price,
    )
    return OptimumResult(
        step_s=series.step_s,
        grid_current=grid_current,
        ev_power=ev_power,
        import_w=import_w,
        export_w=export_w,
        battery_w=battery_w,
        battery_wh=stored,
        delivered_wh=delivered,
        requested_wh=requested,
        objective_eur=objective,
        metrics=metrics,
    )
