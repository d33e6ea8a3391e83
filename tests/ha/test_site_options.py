"""The site page of the options flow: grid limit, meter, solar, failsafe."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_GRID_LIMIT,
    CONF_METER_ENTITIES,
    CONF_METER_SOURCE,
    CONF_PRICE_ENTITY,
    CONF_PV_POWER_ENTITY,
    CONF_UNKNOWN_CHARGERS,
)
from custom_components.smart_charging.site_options import default_site_options
from tests.helpers import hub_of


def _site(**changes: Any) -> dict[str, Any]:
    return {**default_site_options(), **changes}


async def _open_site(hass: HomeAssistant, entry_id: str) -> str:
    result = await hass.config_entries.options.async_init(entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "site"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "site"
    return str(result["flow_id"])


async def test_site_options_saved_and_applied_live(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A meter of three phase currents and a 25 A fuse: stored, and balancing starts."""
    for phase in (1, 2, 3):
        hass.states.async_set(f"sensor.grid_l{phase}", "5.0", {"unit_of_measurement": "A"})
    hub = hub_of(init_integration)
    assert not hub.balancer.enabled
    flow_id = await _open_site(hass, init_integration.entry_id)
    meter = ["sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"]
    result = await hass.config_entries.options.async_configure(
        flow_id,
        _site(
            grid_limit=25,
            meter_source="phase_currents",
            meter_entities=meter,
            meter_stale_after=60.0,
        ),
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = init_integration.options
    assert options[CONF_GRID_LIMIT] == 25
    assert options[CONF_METER_ENTITIES] == meter
    # The charger options are kept.
    assert options[CONF_UNKNOWN_CHARGERS] == "accept_all"
    assert hub_of(init_integration) is hub
    assert hub.balancer.enabled
    assert hub.balancer.last_site is not None
    assert hub.balancer.last_site.grid_current == (5.0, 5.0, 5.0)


async def test_site_options_errors(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Wrong number of sensors, wrong units, a meter without a limit: each refused."""
    hass.states.async_set("sensor.power", "1000", {"unit_of_measurement": "W"})
    hass.states.async_set("sensor.current", "5", {"unit_of_measurement": "A"})
    hass.states.async_set("sensor.pv", "3", {"unit_of_measurement": "A"})
    flow_id = await _open_site(hass, init_integration.entry_id)
    cases = [
        (
            _site(grid_limit=25, meter_source="phase_currents", meter_entities=["sensor.current"]),
            {CONF_METER_ENTITIES: "meter_entities_phase_currents"},
        ),
        (
            _site(grid_limit=25, meter_source="total_power", meter_entities=["sensor.current"]),
            {CONF_METER_ENTITIES: "meter_unit"},
        ),
        (
            _site(grid_limit=0, meter_source="total_power", meter_entities=["sensor.power"]),
            {CONF_GRID_LIMIT: "grid_limit_needed"},
        ),
        (
            _site(grid_limit=25, meter_source="none", meter_entities=["sensor.power"]),
            {CONF_METER_ENTITIES: "meter_entities_none"},
        ),
        (
            _site(
                grid_limit=25,
                meter_source="total_power",
                meter_entities=["sensor.power"],
                pv_power_entity="sensor.pv",
            ),
            {CONF_PV_POWER_ENTITY: "power_unit"},
        ),
    ]
    for user_input, errors in cases:
        result = await hass.config_entries.options.async_configure(flow_id, user_input)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
    result = await hass.config_entries.options.async_configure(
        flow_id, _site(grid_limit=25, meter_source="total_power", meter_entities=["sensor.power"])
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_METER_SOURCE] == "total_power"


async def test_circuits_validated_and_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Circuit lines: bad format, unknown parent, loops and duplicates are refused."""
    flow_id = await _open_site(hass, init_integration.entry_id)
    for lines in (
        ["garage"],
        ["garage: -5"],
        ["garage: 32: cellar"],
        ["a: 10: b", "b: 10: a"],
        ["a: 10", "a: 12"],
        ["garage: lots"],
    ):
        result = await hass.config_entries.options.async_configure(
            flow_id, _site(grid_limit=25, circuits=lines)
        )
        assert result["type"] is FlowResultType.FORM, lines
        assert result["errors"] == {"circuits": "circuit_format"}
    result = await hass.config_entries.options.async_configure(
        flow_id, _site(grid_limit=25, circuits=[" garage: 32 ", "carport: 16: garage", ""])
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options["circuits"] == ["garage: 32", "carport: 16: garage"]


async def test_price_entity_validated_and_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A price sensor needs a forecast attribute; an unavailable one is taken as it is."""
    hass.states.async_set("sensor.flat_price", "0.30", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.nord_pool", "0.30", {"raw_today": [], "raw_tomorrow": []})
    hass.states.async_set("sensor.tibber", "unavailable", {})
    flow_id = await _open_site(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow_id, _site(grid_limit=25, price_entity="sensor.flat_price")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PRICE_ENTITY: "price_forecast"}
    for entity_id in ("sensor.nord_pool", "sensor.tibber"):
        flow_id = await _open_site(hass, init_integration.entry_id)
        result = await hass.config_entries.options.async_configure(
            flow_id, _site(grid_limit=25, price_entity=entity_id)
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert init_integration.options[CONF_PRICE_ENTITY] == entity_id
        assert hub_of(init_integration).balancer.prices is not None
    flow_id = await _open_site(hass, init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow_id,
        _site(grid_limit=25),  # cleared: the form leaves it out
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert CONF_PRICE_ENTITY not in init_integration.options
    assert hub_of(init_integration).balancer.prices is None
