"""Setup, unload and the end-to-end path from a charger to HA entities."""

from __future__ import annotations

import socket
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, find_device, hub_of, uid, wait_for


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The server starts with the entry and stops on unload."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hub_of(init_integration).central.port == init_integration.data["port"]
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_charger_becomes_device_with_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A charger that boots gets a device from its BootNotification and live entities."""
    charger, coordinator = await connect_charger(
        hass,
        init_integration,
        ChargerSpec("CP-E2E", vendor="Acme", model="Wallbox 11", firmware_version="2.3.4"),
    )
    try:
        device = find_device(hass, init_integration, "CP-E2E")
        assert device is not None
        assert (device.manufacturer, device.model, device.sw_version) == (
            "Acme",
            "Wallbox 11",
            "2.3.4",
        )
        await charger.plug_in(1)
        transaction_id, status = await charger.start_transaction(1)
        assert status == "Accepted"
        await charger.send_meter_values(1)
        await wait_for(hass, lambda: coordinator.data.connector(1).power is not None)
        entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-E2E", 1, "power"))
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        assert float(state.state) > 0
        tx_entity = entity_registry.async_get_entity_id(
            "sensor", DOMAIN, uid("CP-E2E", 1, "transaction_id")
        )
        assert tx_entity is not None
        tx_state = hass.states.get(tx_entity)
        assert tx_state is not None
        assert tx_state.state == str(transaction_id)
    finally:
        await charger.close()
    await wait_for(hass, lambda: not coordinator.data.connected)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE


async def test_port_in_use_retries_setup(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A port held by another program makes setup retry later (translated reason)."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", mock_config_entry.data["port"]))
        blocker.listen()
        mock_config_entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
        assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
        assert str(mock_config_entry.data["port"]) in (mock_config_entry.reason or "")


async def test_remove_entry_deletes_store(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Removing the entry deletes the central system's stored state."""
    key = f"{DOMAIN}.{init_integration.entry_id}"
    await hub_of(init_integration).central.save_now()
    assert key in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
