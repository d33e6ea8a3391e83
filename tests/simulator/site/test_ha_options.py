"""The integration's options for a scenario's site."""

from __future__ import annotations

import tomllib

from simulator.site.ha_options import balancing_options
from simulator.site.model import ScenarioDay
from simulator.site.scenario import parse_scenario

SITE = """
name = "t"
[site]
latitude = 51.3
longitude = 9.5
grid_limit = 25
[house]
annual_kwh = 3000
[pv]
kwp = 5
[prices]
import = 0.3
[[charger]]
id = "WB"
[[day]]
name = "d"
date = 2025-05-17
"""
GRID = ("sensor.l1", "sensor.l2", "sensor.l3")


def day() -> ScenarioDay:
    """A site with PV and no battery."""
    (parsed,) = parse_scenario(tomllib.loads(SITE))
    return parsed


def test_sensors_of_the_site() -> None:
    """The grid meter and the PV sensor; no battery, no price sensor unless given."""
    options = balancing_options(
        day(), grid_sensors=GRID, pv_sensor="sensor.pv", battery_sensor="sensor.battery"
    )
    assert options["meter_entities"] == ["sensor.l1", "sensor.l2", "sensor.l3"]
    assert options["pv_power_entity"] == "sensor.pv"
    assert "battery_power_entity" not in options
    assert "price_entity" not in options


def test_price_sensor() -> None:
    """A price sensor (price mode) is the `price_entity` option."""
    options = balancing_options(
        day(),
        grid_sensors=GRID,
        pv_sensor="sensor.pv",
        battery_sensor="sensor.battery",
        price_sensor="sensor.price",
    )
    assert options["price_entity"] == "sensor.price"
