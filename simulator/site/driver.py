"""What a driver sets on the connector before plugging in: one rule for the benchmark and the demo.

The scenario benchmark writes these settings straight into the integration; the live demo sets
them through the connector's entities, as a user on the dashboard would. Both ask `driver_settings`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TypedDict

from ..meter import MIN_CHARGING_CURRENT
from .model import Visit

# Modes that work towards a departure with an energy target (FAST charges at once anyway).
DEADLINE_MODES = frozenset({"solar", "min_solar", "price"})


class DriverSettings(TypedDict):
    """A connector's settings for one visit (the integration's `ConnectorSettings` fields)."""

    mode: str
    priority: int
    min_current: float  # A per phase
    departure: str | None  # "HH:MM:SS" local time of day; None: no departure
    energy_target: float  # kWh to add by the departure (grid side); 0: none


def requested_grid_wh(visit: Visit) -> float:
    """Grid-side energy a visit asks for: what its battery will take, over the car's efficiency.

    The driver's energy target, and what the benchmark's metrics count as requested.
    """
    ev = visit.ev
    room = ev.capacity_wh * max(0.0, ev.target_soc - ev.initial_soc) / 100.0
    return min(visit.energy_wh, room) / ev.efficiency


def driver_settings(visit: Visit, departs_at: datetime, time_zone: tzinfo) -> DriverSettings:
    """The settings of `visit`'s connector; `departs_at` is when the car leaves (aware).

    Mode and priority are the driver's; the minimum is the car's, never below 6 A (a DC station
    asks more). In the modes with a deadline, or when the visit says so (`gives_departure`),
    the driver also gives the departure, as a time of day in `time_zone` (the integration's),
    and the energy wanted; otherwise neither.
    """
    settings = DriverSettings(
        mode=visit.mode,
        priority=visit.priority,
        min_current=max(MIN_CHARGING_CURRENT, visit.ev.min_current),
        departure=None,
        energy_target=0.0,
    )
    if visit.mode in DEADLINE_MODES or visit.gives_departure:
        settings["departure"] = departs_at.astimezone(time_zone).strftime("%H:%M:%S")
        settings["energy_target"] = requested_grid_wh(visit) / 1000
    return settings
