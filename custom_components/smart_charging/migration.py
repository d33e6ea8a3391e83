"""Config entry 1.1 → 1.2: device identifiers and unique ids move to the formats of ids.py.

Version 1.1 used the bare charger id, "<charger>-<connector>" and "<charger>-[<connector>-]<key>",
which collide (charger "CP-1" and connector 1 of charger "CP"). The registry entries are
rewritten in place, so entity ids, names and history stay.
"""

from __future__ import annotations

import logging
import re

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .const import CONF_APPROVED_CHARGERS, DOMAIN
from .hub import SmartChargingConfigEntry
from .ids import (
    charger_identifier,
    connector_identifier,
    entity_unique_id,
    site_identifier,
    site_unique_id,
)

_LOGGER = logging.getLogger(__name__)
_CONNECTOR_AND_KEY = re.compile(r"(?P<connector>[1-9]\d*)-(?P<key>.+)")


def _old_charger_and_rest(old: str, chargers: list[str]) -> tuple[str, str] | None:
    """Split "<charger>-<rest>"; the longest known charger id wins (1.1 ids were ambiguous)."""
    for charger_id in chargers:
        if old.startswith(f"{charger_id}-"):
            return charger_id, old[len(charger_id) + 1 :]
    return None


def new_unique_id(entry_id: str, old: str, chargers: list[str]) -> str | None:
    """The 1.2 unique id of a 1.1 one; None when it is not one of ours (or already new)."""
    if old.startswith(f"{entry_id}-site-"):
        return site_unique_id(entry_id, old.removeprefix(f"{entry_id}-site-"))
    if (split := _old_charger_and_rest(old, chargers)) is None:
        return None
    charger_id, rest = split
    if match := _CONNECTOR_AND_KEY.fullmatch(rest):
        return entity_unique_id(entry_id, charger_id, int(match["connector"]), match["key"])
    return entity_unique_id(entry_id, charger_id, 0, rest)


def new_identifier(entry_id: str, old: str, chargers: list[str]) -> tuple[str, str] | None:
    """The 1.2 device identifier of a 1.1 one."""
    if old == f"{entry_id}-site":
        return site_identifier(entry_id)
    if old in chargers:
        return charger_identifier(entry_id, old)
    if (split := _old_charger_and_rest(old, chargers)) is not None and split[1].isdigit():
        return connector_identifier(entry_id, split[0], int(split[1]))
    return None


async def async_migrate_ids(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
    """Rewrite this entry's device identifiers and unique ids."""
    chargers = sorted(entry.data.get(CONF_APPROVED_CHARGERS, []), key=len, reverse=True)
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        identifiers = {
            new
            if domain == DOMAIN and (new := new_identifier(entry.entry_id, value, chargers))
            else (domain, value)
            for domain, value in device.identifiers
        }
        if identifiers != device.identifiers:
            devices.async_update_device(device.id, new_identifiers=identifiers)

    def migrate(registry_entry: er.RegistryEntry) -> dict[str, str] | None:
        new = new_unique_id(entry.entry_id, registry_entry.unique_id, chargers)
        return None if new is None else {"new_unique_id": new}

    await er.async_migrate_entries(hass, entry.entry_id, migrate)
    _LOGGER.info("Device identifiers and unique ids of %s moved to format 1.2", entry.title)
