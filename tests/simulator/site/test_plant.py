"""The plant: the grid meter is house + cars - PV + battery, per phase, step by step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from simulator.charger import SimulatedCharger
from simulator.ev import EVSpec
from simulator.site.model import BatterySpec, ChargerPlan, ScenarioDay, Visit
from simulator.site.plant import Plant, charger_spec, day_start
from simulator.site.prices import TariffPrices
from simulator.timeutil import SimClock


class FlatHouse:
    """300 W on L1, 200 W on L2, 100 W on L3."""

    def at(self, t: float) -> tuple[float, float, float]:
        """The same at every moment."""
        return (300.0, 200.0, 100.0)


class FlatPv:
    """3 kW all day."""

    peak_power = 3000.0

    def at(self, t: float) -> float:
        """The same at every moment."""
        return 3000.0


CAR = EVSpec(capacity_wh=40_000.0, initial_soc=50.0, max_current=16.0, phases=1)
VISIT = Visit(charger_id="WB", connector_id=1, arrive=10.0, depart=70.0, energy_wh=5_000.0, ev=CAR)


def day(**changes: object) -> ScenarioDay:
    """A one-wallbox site with PV and the car above."""
    base = ScenarioDay(
        name="plant",
        description="",
        day=date(2025, 6, 10),
        timezone="Europe/Berlin",
        latitude=52.5,
        longitude=13.4,
        grid_limit=25.0,
        house=FlatHouse(),
        pv=FlatPv(),
        prices=TariffPrices(0.3),
        chargers=(ChargerPlan(charger_id="WB"),),
        visits=(VISIT,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def offline_plant(scenario: ScenarioDay) -> Plant:
    """The plant with never-connected chargers on a virtual clock."""
    clock = SimClock(start=day_start(scenario))
    chargers = {
        plan.charger_id: SimulatedCharger(charger_spec(plan, 10), "ws://127.0.0.1:9", clock=clock)
        for plan in scenario.chargers
    }
    return Plant(scenario, chargers, clock, online=False)


async def test_grid_is_house_plus_car_minus_pv_per_phase() -> None:
    """A 1-phase car draws on L1 only; PV is spread over the phases."""
    plant = offline_plant(day())
    for _ in range(30):
        await plant.step(1.0)
    snapshot = plant.snapshot
    car = snapshot.connector_current["WB/1"]
    assert car == pytest.approx(16.0, abs=0.1)  # following its offer, after the delay
    assert snapshot.grid_current == pytest.approx(
        ((300 - 1000) / 230 + car, (200 - 1000) / 230, (100 - 1000) / 230)
    )
    assert plant.connector_phases("WB", 1) == (0,)


async def test_battery_takes_the_export_and_sessions_end_with_their_energy() -> None:
    """A home battery charges from the export; the car leaves with what it got."""
    plant = offline_plant(
        day(battery=BatterySpec(capacity_wh=10_000.0, max_power=5_000.0, initial_soc=50.0))
    )
    for _ in range(5):
        await plant.step(1.0)  # before the car: 600 W house, 3 kW PV
    assert plant.snapshot.battery_power == pytest.approx(2400.0)
    assert sum(plant.snapshot.grid_current) == pytest.approx(0.0, abs=1e-6)
    for _ in range(80):
        await plant.step(1.0)
    assert not plant.sessions
    (session,) = plant.finished
    assert session.ended
    assert session.delivered_wh > 0


async def test_two_cars_on_one_connector_are_refused() -> None:
    """A scenario cannot put a second car on a busy connector."""
    plant = offline_plant(day(visits=(VISIT, replace(VISIT, arrive=20.0))))
    for _ in range(19):
        await plant.step(1.0)
    with pytest.raises(ValueError, match="two cars on WB/1"):
        await plant.step(1.0)
