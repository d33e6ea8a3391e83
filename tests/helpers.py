"""Helpers for end-to-end tests: simulated chargers against the integration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.smart_charging.coordinator import ChargerCoordinator, SmartChargingHub
from custom_components.smart_charging.ids import (
    charger_identifier,
    connector_identifier,
    entity_unique_id,
)
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec


def hub_of(entry: ConfigEntry) -> SmartChargingHub:
    """Return the hub of a loaded entry."""
    hub: SmartChargingHub = entry.runtime_data
    return hub


TEST_ENTRY_ID = "01JTESTSMARTCHARGINGENTRY0"  # the entry id of conftest's mock_config_entry


def uid(charger_id: str, connector_id: int, key: str, entry_id: str = TEST_ENTRY_ID) -> str:
    """The unique id of a charger's (connector 0) or a connector's entity."""
    return entity_unique_id(entry_id, charger_id, connector_id, key)


def find_device(
    hass: HomeAssistant, entry: ConfigEntry, charger_id: str, connector_id: int = 0
) -> dr.DeviceEntry | None:
    """The entry's device of a charger (0) or connector (same on every supported HA version)."""
    identifier = (
        charger_identifier(entry.entry_id, charger_id)
        if connector_id == 0
        else connector_identifier(entry.entry_id, charger_id, connector_id)
    )
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if identifier in device.identifiers:
            return device
    return None


def charger_url(entry: ConfigEntry) -> str:
    """Return the URL chargers connect to."""
    return f"ws://127.0.0.1:{entry.data['port']}"


async def wait_for(
    hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Let HA run until `condition` holds (real websockets need real time)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await hass.async_block_till_done()
            if condition():
                return
            await asyncio.sleep(0.01)


async def connect_charger(
    hass: HomeAssistant, entry: ConfigEntry, spec: ChargerSpec
) -> tuple[SimulatedCharger, ChargerCoordinator]:
    """Connect a simulated charger, wait until it is set up, return it and its coordinator."""
    charger = SimulatedCharger(spec, charger_url(entry))
    await charger.connect()
    hub = hub_of(entry)
    await wait_for(
        hass,
        lambda: spec.charge_point_id in hub.coordinators
        and hub.coordinators[spec.charge_point_id].data.configured,
    )
    await hass.async_block_till_done()
    return charger, hub.coordinators[spec.charge_point_id]
