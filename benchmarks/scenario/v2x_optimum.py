"""The V2X optimum: a linear program with perfect foresight, where cars also discharge.

A ceiling, as `optimum.py` is for charging: it knows the house load, the PV, the prices,
the grid events and every visit in advance, and sees the fuse and the cap exactly (each
step's means). Per visit and step it picks a charging current c and a discharging
current d (A per phase, grid side, 0..maximum times the share of the step plugged in);
the battery follows

    E_t = E_t-1 + eta_c * c * V * phases * h - d * V * phases * h / eta_d

(the car's own efficiencies, so a round trip loses eta_c * eta_d), between the reserve
(or the arrival SoC, if lower) and the target SoC, which it must reach at the departure
(or pay SHORTFALL_EUR_PER_KWH). No 6 A minimum, no taper, no response delay.

Objective: import cost - export revenue + wear per kWh discharged (grid side), plus
OVERLOAD_EUR_PER_KWH on power above the fuse or the import cap (only used where the site
cannot hold them at all) and the same tie-breaker as `optimum.py` (charge early). A home
battery is not modelled: a V2X day has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

from simulator.site.model import DAY, ScenarioDay, Visit
from simulator.site.plant import wanted_ev
from simulator.site.v2x_plant import connector_phases

from .optimum import (
    EARLY_EUR_PER_KWH_H,
    HOURS_PER_S,
    OVERLOAD_EUR_PER_KWH,
    SHORTFALL_EUR_PER_KWH,
    SiteSeries,
    _Rows,
    connector_max_current,
    site_series,
)
from .v2x_metrics import SessionResult, V2XMetrics, summarize_v2x

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Car:
    """One visit as the LP sees it."""

    phases: tuple[int, ...]
    steps: IntArray  # steps it is plugged in
    charge_max: FloatArray  # A per step (times the share plugged in)
    discharge_max: FloatArray
    charge_eff: float
    discharge_eff: float
    initial_wh: float
    floor_wh: float
    target_wh: float
    top_wh: float


def _car(visit: Visit, day: ScenarioDay, step_s: float, steps: int, *, discharge: bool) -> _Car:
    plan = next(c for c in day.chargers if c.charger_id == visit.charger_id)
    ev = wanted_ev(visit)
    starts = np.arange(steps) * step_s
    present = np.clip(
        np.minimum(starts + step_s, visit.depart) - np.maximum(starts, visit.arrive), 0.0, step_s
    )
    on = np.flatnonzero(present > 0)
    share = present[on] / step_s
    top = min(ev.max_current, connector_max_current(plan, visit.connector_id))
    v2x = visit.v2x if plan.bidirectional else None
    give = min(top, v2x.max_discharge_current) if v2x is not None and discharge else 0.0
    capacity = ev.capacity_wh
    initial = capacity * ev.initial_soc / 100
    reserve = capacity * visit.reserve_soc / 100
    floor = min(reserve, initial)  # a car that arrives below its reserve: not lower
    if v2x is not None:  # nor below the car's own floor
        floor = max(floor, min(initial, capacity * v2x.min_soc / 100))
    target = capacity * ev.target_soc / 100
    return _Car(
        phases=connector_phases(plan, ev.phases),
        steps=on.astype(np.int64),
        charge_max=top * share,
        discharge_max=give * share,
        charge_eff=ev.efficiency,
        discharge_eff=v2x.discharge_efficiency if v2x is not None else 1.0,
        initial_wh=initial,
        floor_wh=floor,
        target_wh=target,
        top_wh=max(target, initial),
    )


class _Layout:
    """Column offsets: per car [c | d | e], then import, export, shortfalls, overloads."""

    def __init__(self, cars: Sequence[_Car], steps: int) -> None:
        """Lay the variables out."""
        self.steps = steps
        self.car: list[int] = []
        cursor = 0
        for car in cars:
            self.car.append(cursor)
            cursor += 3 * len(car.steps)
        self.imp, cursor = cursor, cursor + steps
        self.exp, cursor = cursor, cursor + steps
        self.short, cursor = cursor, cursor + len(cars)
        self.over, cursor = cursor, cursor + 3 * steps  # W above the fuse, phase-major
        self.over_cap, cursor = cursor, cursor + steps
        self.size = cursor

    def cols(self, index: int, car: _Car, kind: int) -> IntArray:
        """Columns of a car's c (0), d (1) or e (2)."""
        m = len(car.steps)
        first = self.car[index] + kind * m
        return np.arange(first, first + m, dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XOptimum:
    """The optimal day: per-step arrays and its metrics."""

    step_s: float
    grid_current: FloatArray  # (n, 3) A
    import_cap: FloatArray  # (n,) W, inf without a cap
    ev_power: FloatArray  # (n,) W, signed
    sessions: tuple[SessionResult, ...]
    objective_eur: float
    metrics: V2XMetrics


def step_caps(day: ScenarioDay, step_s: float, steps: int) -> FloatArray:
    """W the import may reach in each step: the lowest cap that holds in any part of it."""
    caps = np.full(steps, math.inf if day.max_import_power is None else day.max_import_power)
    starts = np.arange(steps) * step_s
    for event in day.grid_events:
        hit = (starts < event.end) & (starts + step_s > event.start)
        caps[hit] = np.minimum(caps[hit], event.import_cap)
    return caps


def solve_v2x_optimum(
    day: ScenarioDay,
    step_s: float = 300.0,
    series: SiteSeries | None = None,
    *,
    discharge: bool = True,
) -> V2XOptimum:
    """Solve the day's V2X optimum at `step_s` resolution (HiGHS).

    `discharge=False`: the best a charge-only plan can do, with the same foresight; where
    the house alone is above the fuse or the cap it pays the overload, which is kept as
    small as charging allows and left out of its net cost.
    """
    if day.battery is not None:
        raise ValueError("the V2X optimum does not model a home battery")
    series = series or site_series(day, step_s, horizon_s=DAY)
    n = series.steps
    cars = [_car(visit, day, step_s, n, discharge=discharge) for visit in day.visits]
    layout = _Layout(cars, n)
    caps = step_caps(day, step_s, n)
    ub, eq = _Rows(), _Rows()
    _fuse_rows(ub, layout, cars, series, day)
    _cap_rows(ub, layout, caps)
    _balance_rows(eq, layout, cars, series, day.voltage)
    _battery_rows(eq, layout, cars, step_s, day.voltage)
    a_ub, b_ub = ub.matrix(layout.size)
    a_eq, b_eq = eq.matrix(layout.size)
    wear = day.v2x.wear_eur_per_kwh if day.v2x else 0.0
    solution = linprog(
        _costs(layout, cars, series, day.voltage, wear),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=_bounds(layout, cars, series, day),
        method="highs",
    )
    if solution.status != 0:
        raise RuntimeError(f"V2X optimum LP failed: {solution.message}")
    x = np.asarray(solution.x, np.float64)
    return _result(x, float(solution.fun), layout, cars, series, day, caps, wear)


def _fuse_rows(
    ub: _Rows, layout: _Layout, cars: Sequence[_Car], series: SiteSeries, day: ScenarioDay
) -> None:
    """Per phase and step: house + cars (c - d) - PV/3 - overload <= fuse (W)."""
    n, volts = layout.steps, day.voltage
    ub.reserve((day.grid_limit * volts - series.house_w + series.pv_w[:, None] / 3).T.ravel())
    for index, car in enumerate(cars):
        for phase in car.phases:
            rows = phase * n + car.steps
            ub.add(rows, layout.cols(index, car, 0), volts)
            ub.add(rows, layout.cols(index, car, 1), -volts)
    rows = np.arange(3 * n)
    ub.add(rows, layout.over + rows, -1.0)


def _cap_rows(ub: _Rows, layout: _Layout, caps: FloatArray) -> None:
    """Import - overload <= cap, in every step with a cap."""
    capped = np.flatnonzero(np.isfinite(caps))
    if not len(capped):
        return
    ub.reserve(caps[capped])
    rows = np.arange(len(capped))
    ub.add(rows, layout.imp + capped, 1.0)
    ub.add(rows, layout.over_cap + capped, -1.0)


def _balance_rows(
    eq: _Rows, layout: _Layout, cars: Sequence[_Car], series: SiteSeries, volts: float
) -> None:
    """Per step: import - export - cars (c - d) = house - PV."""
    steps = np.arange(layout.steps)
    eq.reserve(series.house_w.sum(axis=1) - series.pv_w)
    eq.add(steps, layout.imp + steps, 1.0)
    eq.add(steps, layout.exp + steps, -1.0)
    for index, car in enumerate(cars):
        watts = volts * len(car.phases)
        eq.add(car.steps, layout.cols(index, car, 0), -watts)
        eq.add(car.steps, layout.cols(index, car, 1), watts)


def _battery_rows(
    eq: _Rows, layout: _Layout, cars: Sequence[_Car], step_s: float, volts: float
) -> None:
    """Per car and step: e_t - e_t-1 - eta_c c Wh + d Wh / eta_d = 0; e_last + short = target."""
    for index, car in enumerate(cars):
        m = len(car.steps)
        if not m:
            continue
        wh_per_a = volts * len(car.phases) * step_s * HOURS_PER_S
        rhs = np.zeros(m)
        rhs[0] = car.initial_wh
        eq.reserve(rhs)
        k = np.arange(m)
        e = layout.cols(index, car, 2)
        eq.add(k, e, 1.0)
        eq.add(k[1:], e[:-1], -1.0)
        eq.add(k, layout.cols(index, car, 0), -car.charge_eff * wh_per_a)
        eq.add(k, layout.cols(index, car, 1), wh_per_a / car.discharge_eff)
        eq.reserve([car.target_wh])
        eq.add([0], [e[-1]], 1.0)
        eq.add([0], [layout.short + index], 1.0)


def _costs(
    layout: _Layout, cars: Sequence[_Car], series: SiteSeries, volts: float, wear: float
) -> FloatArray:
    """Objective coefficients (EUR per unit of each variable)."""
    kwh_per_w = series.step_s * HOURS_PER_S / 1000
    n = layout.steps
    costs = np.zeros(layout.size)
    costs[layout.imp : layout.imp + n] = series.import_price * kwh_per_w
    costs[layout.exp : layout.exp + n] = -series.export_price * kwh_per_w
    costs[layout.short : layout.short + len(cars)] = SHORTFALL_EUR_PER_KWH / 1000
    costs[layout.over : layout.over + 4 * n] = OVERLOAD_EUR_PER_KWH * kwh_per_w
    for index, car in enumerate(cars):
        kwh_per_a = volts * len(car.phases) * kwh_per_w
        delay_h = car.steps * series.step_s * HOURS_PER_S
        costs[layout.cols(index, car, 0)] = EARLY_EUR_PER_KWH_H * delay_h * kwh_per_a
        costs[layout.cols(index, car, 1)] = wear * kwh_per_a
    return costs


def _bounds(
    layout: _Layout, cars: Sequence[_Car], series: SiteSeries, day: ScenarioDay
) -> FloatArray:
    """(size, 2) bounds; export at most PV plus what the cars can discharge, and the limit."""
    bounds = np.zeros((layout.size, 2))
    bounds[:, 1] = np.inf
    n = layout.steps
    giving = np.zeros(n)
    for index, car in enumerate(cars):
        bounds[layout.cols(index, car, 0), 1] = car.charge_max
        bounds[layout.cols(index, car, 1), 1] = car.discharge_max
        e = layout.cols(index, car, 2)
        bounds[e, 0], bounds[e, 1] = car.floor_wh, car.top_wh
        bounds[layout.short + index, 1] = max(car.target_wh - car.floor_wh, 0.0)
        np.add.at(giving, car.steps, car.discharge_max * day.voltage * len(car.phases))
    export = np.maximum(series.pv_w, 0.0) + giving
    if day.export_limit is not None:
        export = np.minimum(export, day.export_limit)
    bounds[layout.exp : layout.exp + n, 1] = export
    return bounds


def _result(
    x: FloatArray,
    objective: float,
    layout: _Layout,
    cars: Sequence[_Car],
    series: SiteSeries,
    day: ScenarioDay,
    caps: FloatArray,
    wear: float,
) -> V2XOptimum:
    """Per-step arrays from the solution, the sessions and their metrics."""
    n, volts = layout.steps, day.voltage
    hours = series.step_s * HOURS_PER_S
    phase_w: FloatArray = series.house_w - series.pv_w[:, None] / 3
    ev_power: FloatArray = np.zeros(n)
    sessions: list[SessionResult] = []
    for index, (car, visit) in enumerate(zip(cars, day.visits, strict=True)):
        c, d = x[layout.cols(index, car, 0)], x[layout.cols(index, car, 1)]
        e = x[layout.cols(index, car, 2)]
        for phase in car.phases:
            phase_w[car.steps, phase] += (c - d) * volts
        watts = volts * len(car.phases)
        ev_power[car.steps] += (c - d) * watts
        capacity = visit.ev.capacity_wh
        last = float(e[-1]) if len(e) else car.initial_wh
        sessions.append(
            SessionResult(
                label=f"{visit.charger_id}/{visit.connector_id} {visit.ev.name}",
                target_soc=100 * car.target_wh / capacity,
                departure_soc=100 * last / capacity,
                capacity_wh=capacity,
                reserve_soc=visit.reserve_soc,
                min_soc=100 * float(e.min(initial=car.initial_wh)) / capacity,
                seconds_below_reserve=0.0,
                charged_wh=float(c.sum()) * watts * hours,
                discharged_wh=float(d.sum()) * watts * hours,
            )
        )
    grid = np.asarray(phase_w / volts, dtype=np.float64)
    metrics = summarize_v2x(
        grid_current=grid,
        step_s=series.step_s,
        fuse=day.grid_limit,
        import_cap=caps,
        voltage=volts,
        import_price=series.import_price,
        export_price=series.export_price,
        sessions=sessions,
        wear_eur_per_kwh=wear,
        reaction_s=0.0,
    )
    return V2XOptimum(
        step_s=series.step_s,
        grid_current=grid,
        import_cap=caps,
        ev_power=ev_power,
        sessions=tuple(sessions),
        objective_eur=objective,
        metrics=metrics,
    )
