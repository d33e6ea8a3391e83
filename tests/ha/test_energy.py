"""The energy sensor against Home Assistant's own Energy dashboard checks."""

from __future__ import annotations

from typing import Any

from homeassistant.components.energy import data as energy_data, validate as energy_validate
from homeassistant.components.recorder.core import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.smart_charging.const import DOMAIN
from simulator.charger import SimulatedCharger
from tests.helpers import uid

from .test_entities import charger_with_values  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must start before HA does, so it comes first here."""


async def test_energy_sensor_passes_energy_dashboard_validation(
    hass: HomeAssistant,
    charger_with_values: SimulatedCharger,  # noqa: F811
    entity_registry: er.EntityRegistry,
) -> None:
    """HA's own Energy dashboard validator accepts the connector's energy sensor."""
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, uid("CP-SNAP", 1, "energy"))
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "12.345"  # Wh native, shown in the suggested kWh
    assert state.attributes["state_class"] == "total_increasing"
    # The Energy dashboard reads long-term statistics: compile the current period.
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass, start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    )
    await async_wait_recording_done(hass)
    assert await async_setup_component(hass, "energy", {})
    manager = await energy_data.async_get_manager(hass)
    # Typed differently by each HA version (None or absent for no name): checked at run time.
    preferences: Any = {
        "energy_sources": [],
        "device_consumption": [
            {"stat_consumption": entity_id, "name": None, "included_in_stat": None}
        ],
    }
    await manager.async_update(preferences)
    await hass.async_block_till_done()
    result = await energy_validate.async_validate(hass)
    issues = result.as_dict()
    # One device, no issue for it; newer HA validates more kinds (water), none of ours.
    assert issues["device_consumption"] == [[]]
    assert issues["energy_sources"] == []
    assert all(not found for key, found in issues.items() if key != "device_consumption")
