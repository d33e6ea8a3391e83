"""Unknown chargers: asked about in HA, approved or ignored without disturbing the others."""

from __future__ import annotations

import inspect
import json
from typing import Any

import aiohttp
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket, WebSocketGenerator

from custom_components.smart_charging.const import CONF_APPROVED_CHARGERS, DOMAIN
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import charger_url, connect_charger, find_device, hub_of, uid, wait_for


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """Ask about unknown chargers."""
    return {**entry_options, "unknown_chargers": "ask"}


@pytest.fixture
def approved_chargers() -> list[str]:
    """One charger is known already."""
    return ["CP-KNOWN"]


def _discovery_flows(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    ]


async def test_approve_pending_charger_without_disturbing_others(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """Pending → discovered in HA → approved: no reload, the known charger keeps its link."""
    hub = hub_of(init_integration)
    known, known_coordinator = await connect_charger(
        hass, init_integration, ChargerSpec("CP-KNOWN", meter_interval=0)
    )
    known_adapter = hub.central.sessions["CP-KNOWN"].adapter
    newcomer = SimulatedCharger(
        ChargerSpec("CP-NEW", vendor="Acme", model="Pole", serial_number="SN-9"),
        charger_url(init_integration),
    )
    try:
        assert await newcomer.connect() == "Pending"
        await wait_for(hass, lambda: len(_discovery_flows(hass)) == 1)
        flow = _discovery_flows(hass)[0]
        assert flow["context"]["title_placeholders"] == {"name": "CP-NEW"}
        # Nothing of a pending charger reaches HA's registries.
        assert "CP-NEW" not in hub.coordinators
        assert find_device(hass, init_integration, "CP-NEW") is None

        result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "charger_approved"

        await wait_for(hass, lambda: newcomer.boot_status == "Accepted")
        await wait_for(hass, lambda: "CP-NEW" in hub.coordinators)
        await wait_for(hass, lambda: hub.coordinators["CP-NEW"].data.boot is not None)
        await hass.async_block_till_done()
        device = find_device(hass, init_integration, "CP-NEW")
        assert device is not None
        assert device.manufacturer == "Acme"
        assert init_integration.data[CONF_APPROVED_CHARGERS] == ["CP-KNOWN", "CP-NEW"]
        # Same hub, same connection of the other charger: nothing was reloaded or dropped.
        assert init_integration.state is ConfigEntryState.LOADED
        assert hub_of(init_integration) is hub
        assert hub.central.sessions["CP-KNOWN"].adapter is known_adapter
        assert known_coordinator.data.connected
        assert _discovery_flows(hass) == []
    finally:
        await newcomer.close()
        await known.close()


async def test_ignored_charger_is_turned_away(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Ignoring the discovery rejects the charger from then on."""
    hub = hub_of(init_integration)
    newcomer = SimulatedCharger(
        ChargerSpec("CP-IGNORE", reconnect=False), charger_url(init_integration)
    )
    try:
        assert await newcomer.connect() == "Pending"
        await wait_for(hass, lambda: len(_discovery_flows(hass)) == 1)
        flow = _discovery_flows(hass)[0]
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": "ignore"},
            data={"unique_id": flow["context"]["unique_id"], "title": "CP-IGNORE"},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert "CP-IGNORE" in hub.central.policy.ignored
        await wait_for(hass, lambda: not newcomer.connected)
    finally:
        await newcomer.close()
    # Next time: BootNotification answered Rejected, then the connection is closed.
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{charger_url(init_integration)}/CP-IGNORE", protocols=("ocpp1.6",)
        ) as ws,
    ):
        boot = {"chargePointVendor": "Acme", "chargePointModel": "Pole"}
        await ws.send_str(json.dumps([2, "boot-1", "BootNotification", boot]))
        answer = json.loads((await ws.receive()).data)
        assert answer[:2] == [3, "boot-1"]
        assert answer[2]["status"] == "Rejected"
        assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_remove_charger_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Deleting a charger's device forgets it and disconnects it; connectors can't be removed alone."""
    hub = hub_of(init_integration)
    charger, _ = await connect_charger(
        hass, init_integration, ChargerSpec("CP-KNOWN", meter_interval=0, reconnect=False)
    )
    try:
        assert await _async_setup_config_component(hass)
        client = await hass_ws_client(hass)
        connector = find_device(hass, init_integration, "CP-KNOWN", 1)
        assert connector is not None
        response = await _remove_device(client, connector.id, init_integration.entry_id)
        assert not response["success"]
        device = find_device(hass, init_integration, "CP-KNOWN")
        assert device is not None
        response = await _remove_device(client, device.id, init_integration.entry_id)
        assert response["success"]
        await wait_for(hass, lambda: not charger.connected)
        assert "CP-KNOWN" not in hub.coordinators
        assert init_integration.data[CONF_APPROVED_CHARGERS] == []
    finally:
        await charger.close()


async def _remove_device(
    client: MockHAClientWebSocket, device_id: str, entry_id: str
) -> dict[str, Any]:
    """Delete a device as the UI does; since HA 2026.10 a device has one entry to name."""
    remove: Any = client.remove_device
    if len(inspect.signature(remove).parameters) == 1:
        response: dict[str, Any] = await remove(device_id)
    else:
        response = await remove(device_id, entry_id)
    return response


async def _async_setup_config_component(hass: HomeAssistant) -> bool:
    from homeassistant.setup import async_setup_component

    return await async_setup_component(hass, "config", {})


async def test_unignore_and_removal_of_hub_clean_up(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Deleting an ignored charger lets it ask again; removing the hub removes its ignored ones."""
    hub = hub_of(init_integration)
    unique_id = f"{init_integration.entry_id}:CP-LATER"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "ignore"}, data={"unique_id": unique_id, "title": "CP-LATER"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "CP-LATER" in hub.central.policy.ignored
    ignored = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
    assert ignored is not None
    await hass.config_entries.async_remove(ignored.entry_id)
    await hass.async_block_till_done()
    assert "CP-LATER" not in hub.central.policy.ignored

    await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "ignore"}, data={"unique_id": unique_id, "title": "CP-LATER"}
    )
    await hass.async_block_till_done()
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN, include_ignore=True) == []


async def test_accept_all_admits_the_pending_chargers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Switching Ask → Accept all: a waiting charger gets its device and entities, its flow goes."""
    hub = hub_of(init_integration)
    newcomer = SimulatedCharger(
        ChargerSpec("CP-NEW", vendor="Acme", model="Pole", meter_interval=0),
        charger_url(init_integration),
    )
    try:
        assert await newcomer.connect() == "Pending"
        await wait_for(hass, lambda: len(_discovery_flows(hass)) == 1)

        hass.config_entries.async_update_entry(
            init_integration, options={**init_integration.options, "unknown_chargers": "accept_all"}
        )
        await wait_for(hass, lambda: newcomer.boot_status == "Accepted")
        await wait_for(hass, lambda: find_device(hass, init_integration, "CP-NEW") is not None)
        assert _discovery_flows(hass) == []
        assert "CP-NEW" in hub.coordinators
        assert init_integration.data[CONF_APPROVED_CHARGERS] == ["CP-KNOWN", "CP-NEW"]
        await hass.async_block_till_done()
        entity_registry = er.async_get(hass)
        assert entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-NEW", 0, "status"))
    finally:
        await newcomer.close()
