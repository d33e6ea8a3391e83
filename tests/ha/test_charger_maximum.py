"""The Maximum current number defaults to what the charger can deliver, not to a fixed 32 A."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging import settings as user_settings
from custom_components.smart_charging.const import DOMAIN
from simulator.spec import ChargerSpec
from tests.helpers import TEST_ENTRY_ID, connect_charger, hub_of, uid, wait_for


def _state(hass: HomeAssistant, entity_registry: er.EntityRegistry, charger_id: str) -> str:
    entity_id = entity_registry.async_get_entity_id(
        "number", DOMAIN, uid(charger_id, 1, "max_current")
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_the_offer_of_a_16_a_charger(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Offering 16 A where nothing of ours limits it: 16 A, until the user sets another."""
    charger, _ = await connect_charger(
        hass, init_integration, ChargerSpec("CP-16", meter_interval=0, max_current=16.0)
    )
    try:
        assert _state(hass, entity_registry, "CP-16") == "32.0"  # nothing known yet
        await charger.start_transaction(1)
        await charger.send_meter_values(1)
        await wait_for(hass, lambda: _state(hass, entity_registry, "CP-16") == "16.0")
        hub = hub_of(init_integration)
        assert hub.connector_settings("CP-16", 1).maximum == 16.0

        # Another setting changed: the maximum stays the charger's, not a frozen copy.
        priority = entity_registry.async_get_entity_id(
            "number", DOMAIN, uid("CP-16", 1, "priority")
        )
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: priority, "value": 3}, blocking=True
        )
        raw = user_settings.connector_settings(hub.store, "CP-16", 1)
        assert (raw.priority, raw.max_current) == (3, None)

        entity_id = entity_registry.async_get_entity_id(
            "number", DOMAIN, uid("CP-16", 1, "max_current")
        )
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": 12}, blocking=True
        )
        assert _state(hass, entity_registry, "CP-16") == "12.0"
        assert user_settings.connector_settings(hub.store, "CP-16", 1).max_current == 12.0
    finally:
        await charger.close()


async def test_the_installers_setting(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A vendor key with the installed maximum is the default at once."""
    spec = ChargerSpec("CP-G", meter_interval=0, vendor_keys=(("G_MaxCurrent", "20.00"),))
    charger, coordinator = await connect_charger(hass, init_integration, spec)
    try:
        await wait_for(
            hass,
            lambda: coordinator.data.capabilities is not None
            and coordinator.data.capabilities.vendor_max_current is not None,
        )
        await wait_for(hass, lambda: _state(hass, entity_registry, "CP-G") == "20.0")
    finally:
        await charger.close()


async def test_the_old_fixed_default_is_migrated(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Stored 32 A was the old default, not a choice: it becomes the charger's; 20 A stays."""
    hass_storage[f"{DOMAIN}.{TEST_ENTRY_ID}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{TEST_ENTRY_ID}",
        "data": {
            "settings": {
                "CP-1": {
                    "charger": {"phase_rotation": 0},
                    "1": {"max_current": 32.0, "mode": "solar"},
                    "2": {"max_current": 20.0},
                }
            }
        },
    }
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    store = hub_of(mock_config_entry).store
    assert user_settings.connector_settings(store, "CP-1", 1).max_current is None
    assert user_settings.connector_settings(store, "CP-1", 1).mode == "solar"
    assert user_settings.connector_settings(store, "CP-1", 2).max_current == 20.0
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
