"""The V2X page of the options flow, and the site's V2X input it makes for the engine."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.balancing import DischargeObjective
from custom_components.smart_charging.const import (
    CONF_EXPORT_CAR_ENERGY,
    CONF_EXPORT_LIMIT,
    CONF_GRID_LIMIT,
    CONF_GRID_SIGNAL_ENTITY,
    CONF_IMPORT_CAP,
    CONF_IMPORT_CAP_ENTITY,
    CONF_V2X_OBJECTIVE,
    CONF_WEAR_COST,
)
from custom_components.smart_charging.site_options import default_site_options
from custom_components.smart_charging.v2x_options import default_v2x_options
from tests.helpers import hub_of

SIGNAL = "input_number.grid_signal"
CAP = "sensor.import_cap"


def _v2x(**changes: Any) -> dict[str, Any]:
    return {**default_v2x_options(), **changes}


async def _open_v2x(hass: HomeAssistant, entry_id: str) -> str:
    result = await hass.config_entries.options.async_init(entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "v2x"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "v2x"
    return str(result["flow_id"])


async def _submit(hass: HomeAssistant, entry_id: str, options: dict[str, Any]) -> Any:
    flow_id = await _open_v2x(hass, entry_id)
    result = await hass.config_entries.options.async_configure(flow_id, options)
    await hass.async_block_till_done()
    return result


async def test_v2x_options_saved_and_reach_the_engine(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Objective, caps, export and wear are stored; the engine sees the entities' values."""
    entry = init_integration
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, **default_site_options(), CONF_GRID_LIMIT: 25}
    )
    await hass.async_block_till_done()
    hass.states.async_set(SIGNAL, "-3.5", {"unit_of_measurement": "kW"})
    hass.states.async_set(CAP, "9000", {"unit_of_measurement": "W"})
    result = await _submit(
        hass,
        entry.entry_id,
        _v2x(
            **{
                CONF_V2X_OBJECTIVE: "grid_signal",
                CONF_GRID_SIGNAL_ENTITY: SIGNAL,
                CONF_IMPORT_CAP: 11000,
                CONF_IMPORT_CAP_ENTITY: CAP,
                CONF_EXPORT_LIMIT: 0,
                CONF_EXPORT_CAR_ENERGY: True,
                CONF_WEAR_COST: 0.04,
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_GRID_LIMIT] == 25  # the site's options stay
    assert entry.options[CONF_EXPORT_LIMIT] == 0  # a zero-export site is kept, not dropped
    site = hub_of(entry).balancer.snapshot()
    assert site.v2x.objective is DischargeObjective.GRID_SIGNAL
    assert site.v2x.grid_signal == -3500
    assert site.v2x.import_cap == 9000  # the entity wins over the fixed cap
    assert site.v2x.export_limit == 0
    assert site.v2x.export_car_energy
    assert site.v2x.wear_cost == 0.04

    # The cap entity goes away: the fixed cap holds; a signal entity changing allocates.
    hass.states.async_set(CAP, "unavailable")
    assert hub_of(entry).balancer.snapshot().v2x.import_cap == 11000
    before = hub_of(entry).balancer.last_site
    hass.states.async_set(SIGNAL, "2", {"unit_of_measurement": "kW"})
    await hass.async_block_till_done()
    after = hub_of(entry).balancer.last_site
    assert after is not before
    assert after is not None
    assert after.v2x.grid_signal == 2000


async def test_cleared_fields_are_dropped(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An optional field left empty is gone from the options; an empty cap means none."""
    entry = init_integration
    await _submit(
        hass, entry.entry_id, _v2x(**{CONF_IMPORT_CAP: 5000, CONF_GRID_SIGNAL_ENTITY: SIGNAL})
    )
    assert entry.options[CONF_IMPORT_CAP] == 5000
    await _submit(hass, entry.entry_id, _v2x(**{CONF_IMPORT_CAP: 0}))
    assert CONF_IMPORT_CAP not in entry.options
    assert CONF_GRID_SIGNAL_ENTITY not in entry.options
    assert hub_of(entry).balancer.v2x_signals().import_cap is None


async def test_v2x_options_errors(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The grid signal objective needs its entity; entities must be in W or kW."""
    entry = init_integration
    result = await _submit(hass, entry.entry_id, _v2x(**{CONF_V2X_OBJECTIVE: "grid_signal"}))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_GRID_SIGNAL_ENTITY: "grid_signal_needed"}
    hass.states.async_set(CAP, "12", {"unit_of_measurement": "A"})
    result = await _submit(hass, entry.entry_id, _v2x(**{CONF_IMPORT_CAP_ENTITY: CAP}))
    assert result["errors"] == {CONF_IMPORT_CAP_ENTITY: "power_unit"}
    assert CONF_V2X_OBJECTIVE not in entry.options
