"""The integration's options a site owner would set to balance a scenario's site."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import ScenarioDay


def balancing_options(
    day: ScenarioDay,
    *,
    grid_sensors: Sequence[str],
    pv_sensor: str,
    battery_sensor: str,
    price_sensor: str | None = None,
) -> dict[str, Any]:
    """Options that accept the site's chargers and balance against the given sensors.

    `grid_sensors` are the three per-phase current sensors of the grid meter; the PV and
    battery sensors are used only when the site has PV or a battery. `price_sensor` (optional)
    is a sensor whose `forecast` attribute holds the import price slots (price mode).
    """
    options: dict[str, Any] = {
        "unknown_chargers": "accept_all",
        "id_tag_policy": "accept_all",
        "meter_interval": day.meter_values_interval,
        "grid_limit": day.grid_limit,
        "safety_margin": day.safety_margin,
        "nominal_voltage": day.voltage,
        "meter_source": "phase_currents",
        "meter_entities": list(grid_sensors),
    }
    if day.pv is not None:
        options["pv_power_entity"] = pv_sensor
    if day.battery is not None:
        options["battery_power_entity"] = battery_sensor
    if price_sensor is not None:
        options["price_entity"] = price_sensor
    if day.max_import_power:
        options["max_import_power"] = day.max_import_power
    return options
