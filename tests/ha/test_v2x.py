"""Bidirectional charging end to end: an OCPP 2.1 station, a meter in HA, the balancer."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.service_schemas import SERVICE_SET_DISCHARGE
from custom_components.smart_charging.site_options import default_site_options
from simulator.v21 import SimulatedStation21
from simulator.v21.car import V2XCar
from simulator.v21.kinds import ac_wallbox
from tests.helpers import charger_url, find_device, uid, wait_for

from .test_balancing import METER, Clock, report, set_meter, settle, site

__all__ = ["site"]  # the fixture: balancing on, with this module's options

STATION = "CS-V2X"
VALIDITY = 60


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 25 A fuse, a meter of three phase currents, V2H as the site's objective."""
    return {
        **entry_options,
        **default_site_options(),
        "grid_limit": 25,
        "safety_margin": 1.0,
        "meter_source": "phase_currents",
        "meter_entities": METER,
        "live_limit_validity": VALIDITY,
        "v2x_objective": "self_consumption",
    }


@pytest.fixture
async def station(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> AsyncGenerator[SimulatedStation21]:
    """An 11 kW bidirectional wallbox; its car (50 %, to 80 % in 12 h) plugged in, needs told.

    The house draws 10 A per phase.
    """
    entry, hub, _ = site
    set_meter(hass, 10, 10, 10)
    # Home for the night: its departure target is far off.
    simulated = ac_wallbox(STATION, charger_url(entry), car=V2XCar(stay=timedelta(hours=12)))
    assert await simulated.connect() == "Accepted"
    await wait_for(
        hass,
        lambda: STATION in hub.coordinators
        and hub.coordinators[STATION].data.connector(1).discharge_capable,
    )
    await simulated.send_status(1, "Available")
    await simulated.start_transaction(1)
    assert await simulated.send_car_needs(1) == "Accepted"
    await simulated.send_meter_values(1)
    connector = hub.coordinators[STATION].data.connector(1)
    await wait_for(hass, lambda: bool(connector.allowed_transfer) and connector.soc is not None)
    await hass.async_block_till_done()
    yield simulated
    await simulated.close()


def entity(entity_registry: er.EntityRegistry, domain: str, key: str, connector: int = 1) -> str:
    """The entity id of one of the station's entities."""
    found = entity_registry.async_get_entity_id(domain, DOMAIN, uid(STATION, connector, key))
    assert found is not None, key
    return found


def state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state."""
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


async def solar_mode(hass: HomeAssistant, entity_registry: er.EntityRegistry) -> None:
    """Charge from surplus only: with none, the car waits, and may discharge meanwhile.

    Fast charging wins over every discharge objective: a car told to charge now charges.
    """
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: entity(entity_registry, "select", "charging_mode"), "option": "solar"},
        blocking=True,
    )


async def run(
    hass: HomeAssistant,
    hub: SmartChargingHub,
    clock: Clock,
    station: SimulatedStation21,
    steps: int,
) -> None:
    """Steps of a real site: allocate, the car follows, the meters report (house 10 A)."""
    for _ in range(steps):
        await settle(hass, hub, clock)
        # The car follows after its response delay, on the station's clock (which must stay
        # within the live limit's validity of real time: HA dates the limits by it).
        station.advance(3)
        await report(hass, 10, station)


async def waiting_and_allowed(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, station: SimulatedStation21
) -> None:
    """Solar mode without surplus (the car waits), discharging allowed and told the station."""
    await solar_mode(hass, entity_registry)
    await allow(hass, entity_registry)
    await wait_for(hass, lambda: station.discharge_allowed(1))


async def allow(hass: HomeAssistant, entity_registry: er.EntityRegistry, on: bool = True) -> None:
    """Flip the connector's Allow discharging switch."""
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {ATTR_ENTITY_ID: entity(entity_registry, "switch", "allow_discharging")},
        blocking=True,
    )


async def test_v2h_covers_the_house(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    station: SimulatedStation21,
    entity_registry: er.EntityRegistry,
) -> None:
    """Allowed to discharge, the car covers the house's 10 A per phase and the meter shows it."""
    _, hub, clock = site
    for domain, key in (
        ("switch", "allow_discharging"),
        ("number", "soc_reserve"),
        ("select", "discharge_mode"),
        ("sensor", "setpoint"),
        ("sensor", "energy_discharged"),
        ("sensor", "energy_above_reserve"),
    ):
        entity(entity_registry, domain, key)
    assert state(hass, entity(entity_registry, "select", "discharge_mode")) == "site"
    assert not station.discharge_allowed(1)

    await waiting_and_allowed(hass, entity_registry, station)
    await run(hass, hub, clock, station, steps=6)
    assert station.command(1) < 0
    assert station.draw(1) == pytest.approx(-10)  # the house's 10 A per phase
    reason = state(hass, entity(entity_registry, "sensor", "limit_reason"))
    assert reason == "discharging_house"
    setpoint = float(state(hass, entity(entity_registry, "sensor", "setpoint")))
    assert setpoint == -10 * 690
    station.advance(600)
    await station.send_meter_values(1)
    await hass.async_block_till_done()
    assert float(state(hass, entity(entity_registry, "sensor", "energy_discharged"))) > 0
    above = float(state(hass, entity(entity_registry, "sensor", "energy_above_reserve")))
    assert above > 0
    site_power = hass.states.get("sensor.charging_site_v2x_power_available")
    assert site_power is not None
    assert float(site_power.state) > 0

    # Forbidden again: the station is told and the car stops giving.
    await allow(hass, entity_registry, on=False)
    await wait_for(hass, lambda: not station.discharge_allowed(1))
    await settle(hass, hub, clock)
    assert station.command(1) >= 0


async def test_reserve_holds(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    station: SimulatedStation21,
    entity_registry: er.EntityRegistry,
) -> None:
    """A reserve above the car's SoC: it is allowed, yet it does not discharge."""
    _, hub, clock = site
    await hass.services.async_call(
        "number",
        "set_value",
        {ATTR_ENTITY_ID: entity(entity_registry, "number", "soc_reserve"), "value": 80},
        blocking=True,
    )
    await waiting_and_allowed(hass, entity_registry, station)
    await run(hass, hub, clock, station, steps=3)
    assert station.command(1) >= 0
    assert state(hass, entity(entity_registry, "sensor", "energy_above_reserve")) == "0.0"


async def test_set_discharge_action(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    station: SimulatedStation21,
    entity_registry: er.EntityRegistry,
) -> None:
    """The action discharges for its duration (even with the objective off), then stops."""
    entry, hub, clock = site
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: entity(entity_registry, "select", "discharge_mode"), "option": "off"},
        blocking=True,
    )
    device = find_device(hass, entry, STATION, 1)
    assert device is not None
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, SERVICE_SET_DISCHARGE, {ATTR_DEVICE_ID: device.id, "power": 2070}, blocking=True
        )
    assert refused.value.translation_key == "discharge_not_allowed"
    station_device = find_device(hass, entry, STATION, 0)
    assert station_device is not None
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SET_DISCHARGE,
            {ATTR_DEVICE_ID: station_device.id, "power": 2070},
            blocking=True,
        )
    assert refused.value.translation_key == "not_bidirectional"

    await allow(hass, entity_registry)
    await wait_for(hass, lambda: station.discharge_allowed(1))
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_DISCHARGE,
        {ATTR_DEVICE_ID: device.id, "power": 2070, "duration": 600},
        blocking=True,
    )
    await run(hass, hub, clock, station, steps=3)
    assert station.draw(1) == pytest.approx(-3, abs=0.5)
    assert state(hass, entity(entity_registry, "sensor", "limit_reason")) == "discharge_requested"
    clock.now += 600
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=601))
    await hass.async_block_till_done()
    await settle(hass, hub, clock)
    assert station.command(1) >= 0


async def test_home_assistant_gone_mid_discharge(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    station: SimulatedStation21,
    entity_registry: er.EntityRegistry,
) -> None:
    """HA stops while the car discharges: the station stops within the live limit's validity."""
    entry, hub, clock = site
    await waiting_and_allowed(hass, entity_registry, station)
    await run(hass, hub, clock, station, steps=4)
    assert station.command(1) < 0
    assert await hass.config_entries.async_unload(entry.entry_id)
    station.advance(VALIDITY)
    assert station.operation(1).mode == "ChargingOnly"
    assert station.command(1) >= 0
