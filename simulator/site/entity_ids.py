"""The entity ids Home Assistant gives the integration's entities, as the demo addresses them.

HA derives an entity id from the device's name and the entity's English name: a 1.6 charger's
connector is the device "<charger> connector <n>", a 2.x station's EVSE "<station> EVSE <n>"
(`device_info.connector_device_name`), the site the device "Charging site".
"""

from __future__ import annotations

import re

from .model import ChargerPlan

SITE_DEVICE = "Charging site"  # the integration's site device (entity ids derive from it)
CONNECTOR = "connector"  # the unit of a 1.6 charger
EVSE = "EVSE"  # the unit of a 2.x station (the scenario's bidirectional chargers speak 2.1)


def slug(text: str) -> str:
    """Home Assistant's entity id slug of an ASCII name."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def unit_of(plan: ChargerPlan) -> str:
    """What a charger's outlets are called: a bidirectional one runs as an OCPP 2.1 station."""
    return EVSE if plan.bidirectional else CONNECTOR


def connector_entity(
    domain: str, charger_id: str, connector_id: int, key: str, unit: str = CONNECTOR
) -> str:
    """The entity id HA gives a connector entity (device "<charger> <unit> <n>")."""
    return f"{domain}.{slug(f'{charger_id} {unit} {connector_id}')}_{key}"


def site_entity(key: str) -> str:
    """The entity id of a sensor of the integration's site device."""
    return f"sensor.{slug(SITE_DEVICE)}_{key}"
