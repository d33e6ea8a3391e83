"""A 2.0.1 station in Home Assistant: the same entities as a 1.6 charger, its EVSEs as connectors."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any, cast

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import ChargerCoordinator
from simulator.v201 import SimulatedStation201
from tests.helpers import charger_url, find_device, hub_of, uid, wait_for

STATION = "CS-201"


@pytest.fixture
async def station(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> AsyncGenerator[tuple[SimulatedStation201, ChargerCoordinator]]:
    """A 2.0.1 station with two EVSEs, booted, set up, with its devices."""
    simulated = SimulatedStation201(STATION, charger_url(init_integration), evses=2)
    assert await simulated.connect() == "Accepted"
    hub = hub_of(init_integration)
    await wait_for(
        hass, lambda: STATION in hub.coordinators and hub.coordinators[STATION].data.configured
    )
    for evse in (1, 2):
        await simulated.send_status(evse, "Available")
    await wait_for(hass, lambda: find_device(hass, init_integration, STATION, 2) is not None)
    await hass.async_block_till_done()
    yield simulated, hub.coordinators[STATION]
    await simulated.close()


def entity_id(entity_registry: er.EntityRegistry, domain: str, connector: int, key: str) -> str:
    """The entity id of one of the station's entities."""
    found = entity_registry.async_get_entity_id(domain, DOMAIN, uid(STATION, connector, key))
    assert found is not None, key
    return found


def attribute(hass: HomeAssistant, entity: str, name: str) -> object:
    """An attribute of an entity's state."""
    state = hass.states.get(entity)
    assert state is not None, entity
    return state.attributes.get(name)


def state_of(hass: HomeAssistant, entity: str) -> str:
    """An entity's state."""
    state = hass.states.get(entity)
    assert state is not None, entity
    return state.state


async def test_a_session_on_a_201_station(
    hass: HomeAssistant,
    station: tuple[SimulatedStation201, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """Status, metering and the maximum current work as on 1.6; the version shows."""
    simulated, coordinator = station
    assert state_of(hass, entity_id(entity_registry, "sensor", 0, "ocpp_version")) == "2.0.1"
    assert state_of(hass, entity_id(entity_registry, "sensor", 0, "status")) == "available"
    status = entity_id(entity_registry, "sensor", 1, "status")
    assert state_of(hass, status) == "available"

    transaction_id = await simulated.start_transaction(1)
    await wait_for(hass, lambda: state_of(hass, status) == "charging")
    simulated.advance(3600)
    await simulated.send_meter_values(1)
    energy = entity_id(entity_registry, "sensor", 1, "energy")
    await wait_for(hass, lambda: float(state_of(hass, energy)) > 10)  # kWh after an hour at 11 kW

    maximum = entity_id(entity_registry, "number", 1, "max_current")
    # Bounded by the EVSE's own maximum from the inventory: 11,040 W on 3 phases.
    await wait_for(hass, lambda: attribute(hass, maximum, "max") == 16.0)
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: maximum, "value": 10}, blocking=True
    )
    payload = await simulated.wait_for_call("SetChargingProfile")
    profile = payload["charging_profile"]
    assert profile["charging_profile_purpose"] == "TxProfile"
    assert profile["transaction_id"] == transaction_id
    assert simulated.effective_limit(1) == 10.0
    assert simulated.draw(1) == 10.0

    await simulated.stop_transaction(1)
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is None)
    (transaction,) = [
        t for t in coordinator.session.ledger._finished.values() if t.external_id == transaction_id
    ]
    assert transaction.energy == pytest.approx(simulated.energy_wh(1), abs=1)


async def test_device_model_actions(
    hass: HomeAssistant, station: tuple[SimulatedStation201, ChargerCoordinator]
) -> None:
    """get_variables and set_variables reach the station's device model."""
    simulated, _ = station
    device = find_device(hass, next(iter(hass.config_entries.async_entries(DOMAIN))), STATION, 0)
    assert device is not None
    answer = await hass.services.async_call(
        DOMAIN,
        "get_variables",
        {"device_id": device.id, "component": "SmartChargingCtrlr", "variable": "RateUnit"},
        blocking=True,
        return_response=True,
    )
    assert answer == {"status": "Accepted", "value": "A,W"}
    answer = await hass.services.async_call(
        DOMAIN,
        "set_variables",
        {
            "device_id": device.id,
            "component": "SampledDataCtrlr",
            "variable": "TxUpdatedInterval",
            "value": "30",
        },
        blocking=True,
        return_response=True,
    )
    assert answer == {"status": "Accepted"}
    assert simulated.calls[-1][0] == "SetVariables"
    answer = await hass.services.async_call(
        DOMAIN,
        "get_composite_schedule",
        {"device_id": device.id, "duration": 600},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    assert simulated.calls[-1] == ("GetCompositeSchedule", {"duration": 600, "evse_id": 0})
    schedule = answer["schedule"]
    assert isinstance(schedule, dict)
    assert "charging_schedule_period" in schedule


async def test_each_evse_is_a_device_naming_its_connectors(
    hass: HomeAssistant, station: tuple[SimulatedStation201, ChargerCoordinator]
) -> None:
    """Named <station> EVSE n, its connectors (from the inventory) as its model."""
    entry = next(iter(hass.config_entries.async_entries(DOMAIN)))

    def model_of(evse: int) -> str | None:
        device = find_device(hass, entry, STATION, evse)
        assert device is not None
        assert device.name == f"{STATION} EVSE {evse}"
        return device.model

    await wait_for(hass, lambda: model_of(1) == "Type 2 cable" and model_of(2) == "Type 2 cable")


async def test_get_charging_profiles(
    hass: HomeAssistant, station: tuple[SimulatedStation201, ChargerCoordinator]
) -> None:
    """The profiles an EVSE holds, as the station reports them; filters reach the station."""
    simulated, _ = station
    entry = next(iter(hass.config_entries.async_entries(DOMAIN)))
    evse = find_device(hass, entry, STATION, 1)
    assert evse is not None
    await hass.services.async_call(
        DOMAIN, "set_charging_limit", {"device_id": evse.id, "current": 10}, blocking=True
    )
    answer = await hass.services.async_call(
        DOMAIN,
        "get_charging_profiles",
        {"device_id": evse.id, "sources": ["CSO"]},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    request = next(
        payload for action, payload in simulated.calls if action == "GetChargingProfiles"
    )
    assert request["evse_id"] == 1
    assert request["charging_profile"] == {"charging_limit_source": ["CSO"]}
    reports = cast("list[dict[str, Any]]", answer["reports"])
    assert isinstance(reports, list)
    assert {report["evse_id"] for report in reports} == {1}
    limits = [
        period["limit"]
        for report in reports
        for profile in report["charging_profile"]
        for schedule in profile["charging_schedule"]
        for period in schedule["charging_schedule_period"]
    ]
    assert 10.0 in limits
    none = await hass.services.async_call(
        DOMAIN,
        "get_charging_profiles",
        {"device_id": evse.id, "purpose": "ChargingStationExternalConstraints"},
        blocking=True,
        return_response=True,
    )
    assert none == {"reports": []}


async def test_what_the_car_tells(
    hass: HomeAssistant,
    station: tuple[SimulatedStation201, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """The car's departure and energy show on the EVSE."""
    simulated, _ = station
    await simulated.start_transaction(2)
    departure = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=5)
    assert (
        await simulated.send_charging_needs(2, departure=departure, energy_wh=20000.0) == "Accepted"
    )
    await wait_for(
        hass,
        lambda: entity_registry.async_get_entity_id(
            "sensor", DOMAIN, uid(STATION, 2, "ev_departure")
        )
        is not None,
    )
    await hass.async_block_till_done()
    shown = state_of(hass, entity_id(entity_registry, "sensor", 2, "ev_departure"))
    assert dt_util.parse_datetime(shown) == departure
    assert (
        float(state_of(hass, entity_id(entity_registry, "sensor", 2, "ev_energy_amount"))) == 20.0
    )


async def test_a_201_session_survives_a_restart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Home Assistant restarts mid-session: the transaction, its seqNo and energy carry on, once."""
    simulated = SimulatedStation201("CS-R", charger_url(init_integration))
    try:
        assert await simulated.connect() == "Accepted"
        hub = hub_of(init_integration)
        await wait_for(
            hass, lambda: "CS-R" in hub.coordinators and hub.coordinators["CS-R"].data.configured
        )
        external = await simulated.start_transaction(1)
        start = simulated.energy_wh(1)
        simulated.advance(600)
        await simulated.send_meter_values(1)
        before = hub.coordinators["CS-R"]
        await wait_for(hass, lambda: (before.data.connector(1).session_energy or 0) > 0)
        running = before.data.connector(1).transaction_id

        assert await hass.config_entries.async_unload(init_integration.entry_id)
        await hass.async_block_till_done()
        assert await hass.config_entries.async_setup(init_integration.entry_id)
        await hass.async_block_till_done()
        hub = hub_of(init_integration)
        restored = hub.coordinators["CS-R"].data.connector(1)
        assert restored.transaction_id == running
        transaction = hub.central.ledger.find_external("CS-R", external)
        assert transaction is not None
        assert transaction.last_seq_no is not None

        await simulated.close()  # the old link died with the old server
        await simulated.connect(boot=False)
        simulated.advance(600)
        await simulated.stop_transaction(1)
        await wait_for(hass, lambda: restored.transaction_id is None)
        finished = hub.central.ledger.get(transaction.transaction_id)
        assert finished is not None
        # The station's clock also runs in real time: a loaded machine adds a little.
        assert finished.energy == pytest.approx(simulated.energy_wh(1) - start, abs=60)
        assert finished.energy == pytest.approx(16 * 230 * 3 * 1200 / 3600, abs=60)
    finally:
        await simulated.close()
