"""Price mode in Home Assistant: the forecast reaches the engine, the plan reaches entities."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.balancing import Mode, PriceSlot
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_options import default_site_options
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, hub_of, wait_for

PRICE = "sensor.electricity_price"
PLANNED = "sensor.cp_p_connector_1_planned_charging_start"
MODE = "select.cp_p_connector_1_charging_mode"


class Clocks:
    """The balancer's engine clock and wall clock, moved together by the test."""

    def __init__(self) -> None:
        """Start at an arbitrary monotonic time, at noon today."""
        self.now = 1000.0
        self.noon = dt_util.now().replace(hour=12, minute=0, second=0, microsecond=0)

    def engine(self) -> float:
        """The engine's clock."""
        return self.now

    def wall(self) -> datetime:
        """The local time, as far from noon as the engine's clock from its start."""
        return self.noon + timedelta(seconds=self.now - 1000.0)


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 25 A fuse without a meter, and a price sensor."""
    return {**entry_options, **default_site_options(), "grid_limit": 25, "price_entity": PRICE}


def set_prices(hass: HomeAssistant, start: datetime, prices: list[float]) -> None:
    """The price sensor publishes hourly prices from `start` (Nord Pool's layout)."""
    hass.states.async_set(
        PRICE,
        str(prices[0]),
        {
            "raw_today": [
                {
                    "start": start + timedelta(hours=index),
                    "end": start + timedelta(hours=index + 1),
                    "value": price,
                }
                for index, price in enumerate(prices)
            ],
            "raw_tomorrow": [],
        },
    )


@pytest.fixture
async def site(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[tuple[MockConfigEntry, SmartChargingHub, Clocks]]:
    """Balancing on, its clocks at noon; no prices yet."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = hub_of(mock_config_entry)
    clocks = Clocks()
    hub.balancer.clock = clocks.engine
    hub.balancer.wall_clock = clocks.wall
    yield mock_config_entry, hub, clocks
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_forecast_reaches_the_engine_on_its_clock(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> None:
    """Slots on the engine's clock, past ones left out; a new forecast allocates at once."""
    _entry, hub, clocks = site
    balancer = hub.balancer
    balancer.recompute()
    assert balancer.last_site is not None
    assert balancer.last_site.prices == ()

    # 10:00-15:00 (in UTC: the sensor's zone does not matter); it is 12:00, the slots
    # that ended are left out.
    set_prices(hass, dt_util.as_utc(clocks.noon - timedelta(hours=2)), [5, 4, 3, 2, 1])
    await hass.async_block_till_done()  # the state change alone allocates
    assert balancer.last_site.prices == (
        PriceSlot(start=1000, end=1000 + 3600, price=3),
        PriceSlot(start=1000 + 3600, end=1000 + 7200, price=2),
        PriceSlot(start=1000 + 7200, end=1000 + 10800, price=1),
    )

    clocks.now += 1800  # 12:30: the slot that began at 12:00 is still on
    balancer.recompute()
    assert balancer.last_site.prices[0] == PriceSlot(start=1000, end=1000 + 3600, price=3)
    assert len(balancer.last_site.prices) == 3

    hass.states.async_set(PRICE, "unavailable")
    await hass.async_block_till_done()
    assert balancer.last_site.prices == ()


async def test_without_price_entity_no_forecast(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> None:
    """Removing the price sensor from the options: no forecast, none watched."""
    entry, hub, clocks = site
    set_prices(hass, dt_util.as_utc(clocks.noon), [1, 2])
    await hass.async_block_till_done()
    assert hub.balancer.last_site is not None
    assert len(hub.balancer.last_site.prices) == 2
    options = {key: value for key, value in entry.options.items() if key != "price_entity"}
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.async_block_till_done()
    assert hub.balancer.prices is None
    assert hub.balancer.last_site.prices == ()


def test_engine_times_as_datetimes(
    site: tuple[MockConfigEntry, SmartChargingHub, Clocks],
) -> None:
    """An engine time is the wall clock's now plus the seconds to it, to the second, in UTC."""
    _entry, hub, clocks = site
    noon = dt_util.as_utc(clocks.noon)
    assert hub.balancer.to_datetime(1000.0) == noon
    assert hub.balancer.to_datetime(1000.0 + 5400.4) == noon + timedelta(minutes=90)
    assert hub.balancer.to_datetime(1000.0 - 0.6) == noon - timedelta(seconds=1)
    assert hub.balancer.to_datetime(1000.0).tzinfo is dt_util.UTC


async def test_mode_select_offers_price(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> None:
    """The mode select offers price mode; its departure and energy target reach the engine."""
    entry, hub, _clocks = site
    charger, coordinator = await connect_charger(hass, entry, ChargerSpec("CP-P", meter_interval=0))
    try:
        state = hass.states.get(MODE)
        assert state is not None
        assert "price" in state.attributes["options"]
        await charger.start_transaction(1)
        await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is not None)
        await hass.services.async_call(
            "select", "select_option", {"entity_id": MODE, "option": "price"}, blocking=True
        )
        hub.update_connector_settings("CP-P", 1, departure="18:00:00", energy_target=20.0)
        hub.balancer.recompute()
        state = hass.states.get(MODE)
        assert state is not None
        assert state.state == "price"
        assert hub.balancer.last_site is not None
        connector = hub.balancer.last_site.connectors[0]
        assert connector.mode is Mode.PRICE
        assert connector.departure == 1000 + 6 * 3600
        assert connector.energy_needed == pytest.approx(20_000, abs=50)
    finally:
        await charger.close()


async def connected(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> SimulatedCharger:
    """A charger whose connector has its entities and an allocation."""
    entry, hub, _clocks = site
    charger, _coordinator = await connect_charger(
        hass, entry, ChargerSpec("CP-P", meter_interval=0)
    )
    hub.balancer.recompute()
    await hass.async_block_till_done()
    return charger


def push_planned_start(hub: SmartChargingHub, planned_start: float | None) -> None:
    """The engine's answer, as if its plan for CP-P/1 began at `planned_start`."""
    result = hub.balancer.site.data
    assert result is not None
    allocation = replace(result.allocations["CP-P/1"], planned_start=planned_start)
    hub.balancer.site.async_set_updated_data(
        replace(result, allocations={**result.allocations, "CP-P/1": allocation})
    )


def planned(hass: HomeAssistant) -> str:
    """The state of the planned start sensor."""
    state = hass.states.get(PLANNED)
    assert state is not None
    assert state.attributes["device_class"] == "timestamp"
    return state.state


async def test_planned_start_sensor(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> None:
    """The allocation's planned start as a time; none without a plan."""
    _entry, hub, clocks = site
    charger = await connected(hass, site)
    try:
        assert planned(hass) == "unknown"
        two = dt_util.as_utc(clocks.noon + timedelta(hours=2))
        push_planned_start(hub, clocks.now + 7200)
        assert planned(hass) == two.isoformat()
        # The clocks move on: the same engine time is the same moment.
        clocks.now += 60
        push_planned_start(hub, clocks.now + 7140)
        assert planned(hass) == two.isoformat()
        push_planned_start(hub, None)
        assert planned(hass) == "unknown"
    finally:
        await charger.close()


async def test_limit_reason_knows_cheaper_later(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clocks]
) -> None:
    """Waiting for cheaper slots is one of the limit reasons."""
    charger = await connected(hass, site)
    try:
        state = hass.states.get("sensor.cp_p_connector_1_limit_reason")
        assert state is not None
        assert "cheaper_later" in state.attributes["options"]
    finally:
        await charger.close()


async def test_price_mode_translated(hass: HomeAssistant) -> None:
    """The mode, the limit reason and the planned start have their names."""
    entity = await async_get_translations(hass, "en", "entity", [DOMAIN])
    prefix = f"component.{DOMAIN}.entity"
    assert entity[f"{prefix}.select.charging_mode.state.price"] == "Cheapest hours"
    assert entity[f"{prefix}.sensor.limit_reason.state.cheaper_later"]
    assert entity[f"{prefix}.sensor.planned_start.name"] == "Planned charging start"
