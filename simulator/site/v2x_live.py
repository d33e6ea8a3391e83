"""The live demo of a V2X day: the owner's V2X options, the drivers' settings, the dashboard cards.

What `scripts/develop --scenario v2h` sets up besides what every scenario gets: the entry's V2X
options (the site's objective), each bidirectional connector's settings as its driver sets them
(allow discharging, SoC reserve, a charging mode that lets the car wait), and the dashboard's V2X
cards: the cars' setpoint, power and state of charge, the site's V2X sensors.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from .driver import driver_settings
from .entity_ids import EVSE, connector_entity, site_entity, unit_of
from .model import ChargerPlan, ScenarioDay, Visit

type Card = dict[str, Any]

# The integration's V2X option keys (custom_components/smart_charging/const.py).
V2X_OBJECTIVE = "v2x_objective"
EXPORT_CAR_ENERGY = "export_car_energy"
WEAR_COST = "wear_cost"
EXPORT_LIMIT = "export_limit"

# Each bidirectional connector's V2X rows: (domain, entity id suffix, name).
_V2X_ROWS = (
    ("sensor", "setpoint", "Setpoint"),
    ("sensor", "state_of_charge", "State of charge"),
    ("sensor", "energy_discharged", "Energy discharged"),
    ("sensor", "energy_above_reserve", "Energy above reserve"),
    ("switch", "allow_discharging", "Allow discharging"),
    ("number", "soc_reserve", "SoC reserve"),
    ("select", "discharge_mode", "Discharge mode"),
)
# The site's V2X sensors: (key, name).
SITE_V2X_SENSORS = (
    ("v2x_objective", "Objective"),
    ("v2x_power_available", "Power available"),
    ("v2x_energy_available", "Energy available"),
    ("grid_signal", "Grid signal"),
)


def v2x_options(day: ScenarioDay) -> dict[str, Any]:
    """The entry's V2X options of the day's owner (none for a day without V2X)."""
    if day.v2x is None:
        return {}
    options: dict[str, Any] = {
        V2X_OBJECTIVE: day.v2x.objective,
        EXPORT_CAR_ENERGY: day.v2x.export_car_energy,
        WEAR_COST: day.v2x.wear_eur_per_kwh,
    }
    if day.export_limit is not None:
        options[EXPORT_LIMIT] = day.export_limit
    return options


def v2x_driver_settings(visit: Visit, departs_at: datetime, time_zone: tzinfo) -> dict[str, Any]:
    """What the driver of a car on a bidirectional connector sets before plugging in.

    The benchmark's settings (`driver_settings`: mode, priority, minimum); a bidirectional car
    also gets discharging allowed and its SoC reserve, and no departure or energy target of
    the driver's: the car tells both itself (ISO 15118-20: departure, target SoC), and the
    integration then counts from its SoC what it gave back and must charge again.
    """
    settings: dict[str, Any] = dict(driver_settings(visit, departs_at, time_zone))
    if visit.v2x is not None:
        settings |= {
            "departure": None,
            "energy_target": 0.0,
            "allow_discharging": True,
            "soc_reserve": visit.reserve_soc,
        }
    return settings


def stored_connector_settings(day: ScenarioDay) -> dict[tuple[str, int], dict[str, Any]]:
    """The integration's stored settings of each bidirectional connector with a V2X car.

    As its first car's driver sets them (`ConnectorSettings` fields), so that discharging is
    allowed from the first session on, before any entity exists.
    """
    plans = {plan.charger_id: plan for plan in day.chargers if plan.bidirectional}
    stored: dict[tuple[str, int], dict[str, Any]] = {}
    for visit in sorted(day.visits, key=lambda visit: visit.arrive):
        key = (visit.charger_id, visit.connector_id)
        if visit.charger_id not in plans or visit.v2x is None or key in stored:
            continue
        stored[key] = {
            "mode": visit.mode,
            "priority": visit.priority,
            "energy_target": 0.0,
            "discharge_allowed": True,
            "soc_reserve": visit.reserve_soc,
        }
    return stored


# --------------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------------
def _bidirectional(day: ScenarioDay) -> list[tuple[ChargerPlan, int]]:
    return [
        (plan, connector_id)
        for plan in day.chargers
        if plan.bidirectional
        for connector_id in range(1, plan.connectors + 1)
    ]


def v2x_charts(day: ScenarioDay, hours_to_show: float) -> list[Card]:
    """History charts of the cars: setpoint against power (W), state of charge (%)."""
    evses = _bidirectional(day)
    if day.v2x is None or not evses:
        return []

    def rows(key: str, label: str) -> list[Card]:
        return [
            {
                "entity": connector_entity("sensor", plan.charger_id, n, key, EVSE),
                "name": f"{plan.charger_id}/{n} {label}".strip(),
            }
            for plan, n in evses
        ]

    def chart(title: str, entities: list[Card]) -> Card:
        return {
            "type": "history-graph",
            "title": title,
            "hours_to_show": hours_to_show,
            "entities": entities,
            "grid_options": {"columns": 12, "rows": 5},
        }

    return [
        chart("Car setpoint and power", [*rows("setpoint", "setpoint"), *rows("power", "power")]),
        chart("Car state of charge", rows("state_of_charge", "")),
    ]


def v2x_site_card(day: ScenarioDay) -> list[Card]:
    """The site's V2X sensors (none for a day without V2X)."""
    if day.v2x is None:
        return []
    return [
        {
            "type": "entities",
            "title": "V2X",
            "entities": [
                {"entity": site_entity(key), "name": name} for key, name in SITE_V2X_SENSORS
            ],
        }
    ]


def v2x_rows(plan: ChargerPlan, connector_id: int) -> list[Card]:
    """A bidirectional connector's V2X rows on its charger's card (none for other chargers)."""
    if not plan.bidirectional:
        return []
    unit = unit_of(plan)
    return [
        {"entity": connector_entity(domain, plan.charger_id, connector_id, key, unit), "name": name}
        for domain, key, name in _V2X_ROWS
    ]
