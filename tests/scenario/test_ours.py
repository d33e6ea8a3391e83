"""The harness around our integration: options, the price sensor, what a driver sets."""

from __future__ import annotations

from datetime import datetime
import tomllib
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from benchmarks.scenario.ours import (
    PRICE_SENSOR,
    _arrive,
    price_sensor_state,
    site_options,
    uses_price_mode,
)
from custom_components.smart_charging.coordinator import SmartChargingHub
from simulator.site.driver import requested_grid_wh
from simulator.site.model import ScenarioDay
from simulator.site.plant import day_start
from simulator.site.scenario import parse_scenario
from simulator.timeutil import SimClock

SITE = """
name = "t"
[site]
timezone = "Europe/Berlin"
latitude = 52.4
longitude = 9.7
grid_limit = 63
[house]
annual_kwh = 3000
[prices]
import = [
  0.17, 0.17, 0.17, 0.17, 0.17, 0.17,
  0.22, 0.22, 0.22, 0.22, 0.22, 0.22, 0.22, 0.22,
  0.22, 0.22, 0.22, 0.22, 0.22, 0.22, 0.22, 0.22,
  0.17, 0.17,
]
[[charger]]
id = "WB"
[cars.van]
capacity_kwh = 80
[[day]]
name = "d"
date = 2025-10-14
start = "12:00"
[[day.car]]
charger = "WB"
car = "van"
arrive = "18:00"
depart = "06:30"
energy_kwh = 40
mode = "price"
"""


def scenario_day(mode: str = "price") -> ScenarioDay:
    """A noon-to-noon day with one van, night tariff 22:00-06:00."""
    (day,) = parse_scenario(tomllib.loads(SITE.replace('"price"', f'"{mode}"')))
    return day


@pytest.mark.parametrize("mode", ["price", "fast"])
def test_the_price_sensor_is_configured_for_price_mode(mode: str) -> None:
    """Only a site where a driver picks price mode sets the price sensor."""
    day = scenario_day(mode)
    assert uses_price_mode(day) == (mode == "price")
    assert site_options(day).get("price_entity") == (PRICE_SENSOR if mode == "price" else None)


def test_price_sensor_state() -> None:
    """The price now, and 36 h of slots from the current one, on the scenario's clock."""
    day = scenario_day()
    state, attributes = price_sensor_state(day, 10.5 * 3600.0)  # 22:30
    assert state == "0.1700"
    assert attributes["unit_of_measurement"] == "EUR/kWh"
    forecast = attributes["forecast"]
    assert len(forecast) == 36
    first = forecast[0]
    assert first == {
        "start": "2025-10-14T22:00:00+02:00",
        "end": "2025-10-14T23:00:00+02:00",
        "price": 0.17,
    }
    # The same instant the balancer's wall clock reads 10 h after the run start.
    clock = SimClock(start=day_start(day))
    clock.advance(10 * 3600.0)
    assert datetime.fromisoformat(first["start"]) == clock.now()
    assert [slot["price"] for slot in forecast[:9]] == [0.17] * 8 + [0.22]  # 22:00-06:00


class _Hub:
    """What `_arrive` uses of the hub: the settings it writes and the balancer's wall clock."""

    def __init__(self, clock: SimClock, day: ScenarioDay) -> None:
        zone = ZoneInfo(day.timezone)
        self.balancer = SimpleNamespace(wall_clock=lambda: clock.now().astimezone(zone))
        self.settings: dict[tuple[str, int], dict[str, Any]] = {}

    def update_connector_settings(self, charger_id: str, connector_id: int, **changes: Any) -> None:
        self.settings[charger_id, connector_id] = changes


@pytest.mark.parametrize(
    ("mode", "planned"), [("price", True), ("solar", True), ("min_solar", True), ("fast", False)]
)
def test_the_driver_sets_departure_and_energy_in_planned_modes(mode: str, planned: bool) -> None:
    """Price and solar modes get the departure time and the energy; fast gets neither."""
    day = scenario_day(mode)
    (visit,) = day.visits
    clock = SimClock(start=day_start(day))
    clock.advance(visit.arrive)
    hub = _Hub(clock, day)
    _arrive(cast("SmartChargingHub", hub), visit, clock)
    settings = hub.settings["WB", 1]
    assert settings["mode"] == mode
    if planned:
        assert settings["departure"] == "06:30:00"  # local time, as the driver reads it
        assert settings["energy_target"] == pytest.approx(requested_grid_wh(visit) / 1000)
    else:
        assert (settings["departure"], settings["energy_target"]) == (None, 0.0)
