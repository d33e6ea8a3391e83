"""Entities of every platform, snapshotted, and the energy sensor against HA's Energy checks."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
import json
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.const import DOMAIN
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, uid, wait_for

SPEC = ChargerSpec(
    "CP-SNAP",
    vendor="Acme",
    model="Twin 22",
    serial_number="SN-123",
    firmware_version="4.5.6",
    connectors=2,
    meter_interval=0,
)


def meter_values_frame(message_id: str, connector_id: int, energy_kwh: str) -> str:
    """A MeterValues frame with fixed values, as a real charger would send it."""
    sampled = [
        {"value": energy_kwh, "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
        {"value": "7.36", "unit": "kW", "measurand": "Power.Active.Import"},
        *(
            {"value": value, "unit": "A", "measurand": "Current.Import", "phase": phase}
            for phase, value in (("L1", "10.6"), ("L2", "10.5"), ("L3", "10.7"))
        ),
        *(
            {"value": "230.1", "unit": "V", "measurand": "Voltage", "phase": f"L{n}-N"}
            for n in (1, 2, 3)
        ),
        {"value": "16", "unit": "A", "measurand": "Current.Offered"},
        {"value": "54", "unit": "Percent", "measurand": "SoC", "location": "EV"},
        {"value": "31.5", "unit": "Celsius", "measurand": "Temperature", "location": "Body"},
    ]
    payload = {
        "connectorId": connector_id,
        "meterValue": [{"timestamp": "2026-01-01T12:00:00Z", "sampledValue": sampled}],
    }
    return json.dumps([2, message_id, "MeterValues", payload])


@pytest.fixture
async def charger_with_values(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> AsyncGenerator[SimulatedCharger]:
    """A two-connector charger that has reported fixed meter values on both connectors."""
    charger, coordinator = await connect_charger(hass, init_integration, SPEC)
    for connector_id, energy in ((1, "12.345"), (2, "0.5")):
        await charger.send_raw(meter_values_frame(f"mv-{connector_id}", connector_id, energy))
        assert json.loads(await charger.next_raw_incoming()) == [3, f"mv-{connector_id}", {}]
    await wait_for(hass, lambda: coordinator.data.connector(2).energy == 500.0)
    await hass.async_block_till_done()
    yield charger
    await charger.close()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.TIME,
    ],
)
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a platform: names, classes, units, unique ids and states."""
    with (
        patch("custom_components.smart_charging.PLATFORMS", [platform]),
        # The boot counts as the first heartbeat: a fixed clock keeps its state stable.
        patch(
            "custom_components.smart_charging.central_system.session.utc_now",
            return_value=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        ),
    ):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        charger, coordinator = await connect_charger(hass, mock_config_entry, SPEC)
        try:
            for connector_id, energy in ((1, "12.345"), (2, "0.5")):
                await charger.send_raw(
                    meter_values_frame(f"mv-{connector_id}", connector_id, energy)
                )
                await charger.next_raw_incoming()
            await wait_for(hass, lambda: coordinator.data.connector(2).energy == 500.0)
            await hass.async_block_till_done()
            await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)
        finally:
            await charger.close()
            await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_soc_sensor_appears_when_first_reported(
    hass: HomeAssistant,
    charger_with_values: SimulatedCharger,
    entity_registry: er.EntityRegistry,
) -> None:
    """SoC and temperature exist once reported; a connector never reporting them has none."""
    assert (
        entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-SNAP", 1, "soc")) is not None
    )
    soc = hass.states.get(
        entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-SNAP", 1, "soc")) or ""
    )
    assert soc is not None
    assert soc.state == "54.0"


async def test_status_states_are_not_reserved(
    hass: HomeAssistant,
    charger_with_values: SimulatedCharger,
    entity_registry: er.EntityRegistry,
) -> None:
    """A connector taken out of service is `inoperative`, not HA's reserved `unavailable`."""
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-SNAP", 1, "status"))
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert "unavailable" not in state.attributes["options"]
    assert "unknown" not in state.attributes["options"]

    await charger_with_values.send_status(1, "Unavailable")
    await wait_for(hass, lambda: (hass.states.get(entity_id) or state).state == "inoperative")
