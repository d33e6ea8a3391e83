"""The offline optimum on a tiny hand-made hour (12 steps of 300 s)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pytest

from benchmarks.scenario.optimum import (
    OptimumResult,
    connector_max_current,
    grid_phases,
    site_series,
    solve_optimum,
)
from simulator.ev import EVSpec
from simulator.site.model import BatterySpec, ChargerPlan, PhaseWatts, ScenarioDay, Visit

HOUR = 3600.0
VOLTS = 230.0
HOUSE_A = 5.0  # A per phase the house draws
TOLERANCE = 1e-6


@dataclass
class Flat:
    """A house with a constant load per phase."""

    watts: PhaseWatts = (HOUSE_A * VOLTS,) * 3

    def at(self, t: float) -> PhaseWatts:
        """The same load all day."""
        return self.watts


@dataclass
class Sun:
    """Constant PV production."""

    peak_power: float

    def at(self, t: float) -> float:
        """Always at peak."""
        return self.peak_power


@dataclass
class Tariff:
    """One import price before `switch` s, another after; a flat export price."""

    before: float = 0.3
    after: float = 0.3
    export: float = 0.0
    switch: float = HOUR / 2

    def import_price(self, t: float) -> float:
        """EUR/kWh bought."""
        return self.before if t < self.switch else self.after

    def export_price(self, t: float) -> float:
        """EUR/kWh sold."""
        return self.export


def car(charger: str = "A", energy_wh: float = 4_000.0, connector: int = 1, **ev: Any) -> Visit:
    """A 3-phase 16 A car (efficiency 0.9) plugged in for the whole hour."""
    return Visit(
        charger_id=charger,
        connector_id=connector,
        arrive=0.0,
        depart=HOUR,
        energy_wh=energy_wh,
        ev=EVSpec(**ev),
    )


def solve(*visits: Visit, **changes: Any) -> OptimumResult:
    """The optimum of one hour with a 20 A fuse and a 5 A house, unless changed."""
    fields: dict[str, Any] = {
        "name": "test",
        "description": "one hour",
        "day": date(2025, 6, 1),
        "timezone": "Europe/Brussels",
        "latitude": 50.0,
        "longitude": 4.0,
        "grid_limit": 20.0,
        "voltage": VOLTS,
        "house": Flat(),
        "prices": Tariff(),
        "chargers": (ChargerPlan(charger_id="A"), ChargerPlan(charger_id="B")),
        "visits": visits,
    } | changes
    day = ScenarioDay(**fields)
    return solve_optimum(day, 300.0, site_series(day, 300.0, horizon_s=HOUR))


def test_fuse_binds_and_energy_is_delivered() -> None:
    """Two 16 A cars on 15 A of headroom: the fuse holds and both get their energy."""
    result = solve(car("A"), car("B"))
    assert result.grid_current.shape == (12, 3)
    assert result.grid_current.max() == pytest.approx(20.0)
    assert result.metrics.seconds_above_fuse == 0
    assert result.delivered_wh == pytest.approx([4_000 / 0.9] * 2)
    assert result.metrics.cars_short == 0
    assert result.metrics.energy_delivered_pct == pytest.approx(100.0)


@pytest.mark.parametrize(("before", "after", "charging"), [(0.1, 0.4, 0), (0.4, 0.1, 1)])
def test_charges_in_the_cheap_half(before: float, after: float, charging: int) -> None:
    """All the energy lands in the cheap half hour (it fits there)."""
    result = solve(car(), prices=Tariff(before=before, after=after))
    halves = result.ev_power[0].reshape(2, 6).sum(axis=1)
    assert halves[1 - charging] == pytest.approx(0.0, abs=TOLERANCE)
    assert result.delivered_wh[0] == pytest.approx(4_000 / 0.9)
    cheap_kwh = 4_000 / 0.9 / 1000
    expected = cheap_kwh * 0.1 + 1.15 * 3 * 0.25  # car + house (3 x 1150 W for 1 h)
    assert result.metrics.net_cost_eur == pytest.approx(expected)


@pytest.mark.parametrize("mode", ["solar", "min_solar", "price"])
def test_the_mode_does_not_matter(mode: str) -> None:
    """The optimum minimises the cost whatever mode the driver picked: the same as fast."""
    tariff = Tariff(before=0.4, after=0.1)
    fast = solve(car(), prices=tariff)
    other = solve(replace(car(), mode=mode), prices=tariff)
    assert other.ev_power == pytest.approx(fast.ev_power)
    assert other.metrics.net_cost_eur == pytest.approx(fast.metrics.net_cost_eur)


def test_single_phase_car_loads_one_phase() -> None:
    """A 1-phase car on a charger rotated by one draws on L2 only."""
    chargers = (ChargerPlan(charger_id="A", phase_rotation=1),)
    result = solve(car(energy_wh=2_000, phases=1), chargers=chargers)
    assert result.grid_current[:, [0, 2]] == pytest.approx(HOUSE_A)
    assert result.grid_current[:, 1].max() == pytest.approx(HOUSE_A + 15.0)
    assert result.delivered_wh[0] == pytest.approx(2_000 / 0.9)


def test_station_maximum() -> None:
    """Two connectors of one station never share more than its maximum."""
    station = ChargerPlan(charger_id="S", connectors=2, station_max_current=10.0)
    visits = (car("S", 20_000, 1), car("S", 20_000, 2))
    result = solve(*visits, chargers=(station,), grid_limit=63.0)
    total_a = result.ev_power.sum(axis=0) / (VOLTS * 3)
    assert total_a.max() == pytest.approx(10.0)
    assert result.metrics.energy_delivered_kwh == pytest.approx(10 * VOLTS * 3 / 1000)


def test_shortfall_when_infeasible() -> None:
    """A car wanting more than 16 A for an hour gets 16 A for the hour and counts as short."""
    result = solve(car(energy_wh=20_000), grid_limit=63.0)
    assert result.delivered_wh[0] == pytest.approx(16 * VOLTS * 3)
    assert result.metrics.cars_short == 1


def test_partial_presence_and_connector_maximum() -> None:
    """A car plugged in for 450 s at a 10 A connector gets at most 10 A for 450 s."""
    visit = Visit(
        charger_id="A", connector_id=1, arrive=150.0, depart=600.0, energy_wh=9_000, ev=EVSpec()
    )
    chargers = (ChargerPlan(charger_id="A", max_current=(10.0,)),)
    result = solve(visit, chargers=chargers, grid_limit=63.0)
    assert result.delivered_wh[0] == pytest.approx(10 * VOLTS * 3 * 450 / 3600)
    assert result.ev_power[0, 2:] == pytest.approx(0.0)


def test_battery_within_limits() -> None:
    """The home battery stays within power and SoC limits and ends at least as full."""
    battery = BatterySpec(capacity_wh=2_000, max_power=1_000, initial_soc=50, min_soc=10)
    result = solve(battery=battery, prices=Tariff(before=0.1, after=0.5))
    assert np.abs(result.battery_w).max() <= 1_000 + TOLERANCE
    assert result.battery_wh.min() >= 200 - TOLERANCE
    assert result.battery_wh.max() <= 2_000 + TOLERANCE
    assert result.battery_wh[-1] >= 1_000 - TOLERANCE
    assert result.battery_w[:6].sum() > 0  # charges while cheap ...
    assert result.battery_w[6:].sum() < 0  # ... and discharges while dear


def test_pv_goes_to_the_car() -> None:
    """With PV worth little on export, the car takes it and nothing is imported."""
    result = solve(car(energy_wh=1_800), pv=Sun(6_000.0), prices=Tariff(export=0.05))
    assert result.import_w == pytest.approx(0.0, abs=TOLERANCE)
    assert result.metrics.pv_self_consumption_pct == pytest.approx(
        100 * (3_450 + 2_000) / 6_000, rel=1e-6
    )


def test_import_cap() -> None:
    """max_import_power bounds the import."""
    result = solve(car(energy_wh=20_000), grid_limit=63.0, max_import_power=7_000.0)
    assert result.import_w.max() == pytest.approx(7_000.0)


def test_house_above_the_fuse_stays_feasible() -> None:
    """The house alone above the fuse: the LP still solves and reports the overload."""
    result = solve(car(), house=Flat((5_000.0, 0.0, 0.0)))
    assert result.metrics.seconds_above_fuse == HOUR
    assert result.grid_current[:, 0] == pytest.approx(5_000 / VOLTS)


def test_site_series_means() -> None:
    """Step means of the sampled inputs (a linear ramp averages to its midpoint)."""

    @dataclass
    class Ramp:
        """L1 grows by 1 W per second."""

        def at(self, t: float) -> PhaseWatts:
            """W per phase at `t`."""
            return (t, 0.0, 1.0)

    day = ScenarioDay(
        name="t",
        description="",
        day=date(2025, 6, 1),
        timezone="UTC",
        latitude=0.0,
        longitude=0.0,
        grid_limit=25.0,
        house=Ramp(),
        prices=Tariff(),
        chargers=(),
        visits=(),
    )
    series = site_series(day, 300.0, 60.0, horizon_s=600.0)
    assert series.house_w.tolist() == [[150.0, 0.0, 1.0], [450.0, 0.0, 1.0]]
    assert series.pv_w.tolist() == [0.0, 0.0]
    assert series.import_price.tolist() == [0.3, 0.3]


def test_site_series_prefers_exact_series() -> None:
    """An input with `series(step_s)` is taken as is (cut to the horizon), not sampled."""

    @dataclass
    class Exact(Tariff):
        """Prices that also know their exact step means."""

        def series(self, step_s: float) -> np.ndarray[Any, np.dtype[np.float64]]:
            """(n, 2) import and export means."""
            return np.array([[0.1, 0.01], [0.2, 0.02], [0.3, 0.03]])

    day = ScenarioDay(
        name="t",
        description="",
        day=date(2025, 6, 1),
        timezone="UTC",
        latitude=0.0,
        longitude=0.0,
        grid_limit=25.0,
        house=Flat(),
        pv=Sun(1_000.0),
        prices=Exact(),
        chargers=(),
        visits=(),
    )
    series = site_series(day, 300.0, horizon_s=600.0)
    assert series.import_price.tolist() == [0.1, 0.2]
    assert series.export_price.tolist() == [0.01, 0.02]
    assert series.pv_w.tolist() == [1_000.0, 1_000.0]


def test_geometry() -> None:
    """Phases after rotation; connector maxima by 1-based id."""
    charger = ChargerPlan(charger_id="A", phase_rotation=2, connectors=2, max_current=(16, 32))
    assert grid_phases(EVSpec(phases=1), charger) == (2,)
    assert grid_phases(EVSpec(phases=3), charger) == (2, 0, 1)
    one_phase = ChargerPlan(charger_id="B", phases=1)
    assert grid_phases(EVSpec(phases=3), one_phase) == (0,)
    assert connector_max_current(charger, 2) == 32
