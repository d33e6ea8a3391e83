"""Entity actions end to end: what the simulated charger receives and how it reacts."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import ChargerCoordinator
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, uid, wait_for

CP = "CP-ACT"
BUTTON_DOMAIN, SERVICE_PRESS = "button", "press"
NUMBER_DOMAIN, SERVICE_SET_VALUE, ATTR_VALUE = "number", "set_value", "value"
SWITCH_DOMAIN = "switch"


@pytest.fixture
async def charger(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> AsyncGenerator[tuple[SimulatedCharger, ChargerCoordinator]]:
    """A connected 16 A charger."""
    simulated, coordinator = await connect_charger(
        hass, init_integration, ChargerSpec(CP, meter_interval=0, max_current=16.0)
    )
    yield simulated, coordinator
    await simulated.close()


def _entity(entity_registry: er.EntityRegistry, domain: str, unique_id: str) -> str:
    entity_id = entity_registry.async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None
    return entity_id


async def test_max_current_number_sends_profile(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """Setting the number during a session installs a TxProfile the car follows."""
    simulated, _ = charger
    transaction_id, _ = await simulated.start_transaction(1)
    entity_id = _entity(entity_registry, NUMBER_DOMAIN, uid(CP, 1, "max_current"))
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: 10}, blocking=True
    )
    payload = await simulated.wait_for_call("SetChargingProfile")
    profile = payload["csChargingProfiles"]
    assert profile["chargingProfilePurpose"] == "TxProfile"
    assert profile["transactionId"] == transaction_id
    assert profile["chargingSchedule"]["chargingRateUnit"] == "A"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 10.0
    assert simulated.effective_limit(1) == 10.0
    assert simulated.draw(1) == 10.0
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "10.0"


async def test_charging_switch_pauses_and_resumes(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """Off pauses at 0 A with the transaction kept open; on resumes at the maximum."""
    simulated, coordinator = charger
    transaction_id, _ = await simulated.start_transaction(1)
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id == transaction_id)
    entity_id = _entity(entity_registry, SWITCH_DOMAIN, uid(CP, 1, "charging"))
    assert (state := hass.states.get(entity_id)) is not None
    assert state.state == STATE_ON

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert simulated.effective_limit(1) == 0.0
    assert simulated.draw(1) == 0.0
    await wait_for(hass, lambda: coordinator.data.connector(1).status.value == "suspended_evse")
    assert coordinator.data.connector(1).transaction_id == transaction_id
    assert (state := hass.states.get(entity_id)) is not None
    assert state.state == STATE_OFF

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert simulated.effective_limit(1) == 32.0  # the default maximum of the number
    assert simulated.draw(1) == 16.0  # the car's own limit
    await wait_for(hass, lambda: coordinator.data.connector(1).status.value == "charging")
    assert (state := hass.states.get(entity_id)) is not None
    assert state.state == STATE_ON


async def test_charging_switch_starts_idle_connector(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """On an idle connector with a car plugged in, on sends RemoteStartTransaction."""
    simulated, coordinator = charger
    await simulated.plug_in(1)
    entity_id = _entity(entity_registry, SWITCH_DOMAIN, uid(CP, 1, "charging"))
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    payload = await simulated.wait_for_call("RemoteStartTransaction")
    assert payload == {"idTag": "HomeAssistant", "connectorId": 1}
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is not None)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == STATE_ON)  # type: ignore[union-attr]


async def test_available_switch_and_buttons(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """Availability, unlock and reset reach the charger as the right OCPP calls."""
    simulated, coordinator = charger
    available = _entity(entity_registry, SWITCH_DOMAIN, uid(CP, 0, "available"))
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: available}, blocking=True
    )
    assert await simulated.wait_for_call("ChangeAvailability") == {
        "connectorId": 0,
        "type": "Inoperative",
    }
    assert (state := hass.states.get(available)) is not None
    assert state.state == STATE_OFF
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: available}, blocking=True
    )
    assert await simulated.wait_for_call("ChangeAvailability") == {
        "connectorId": 0,
        "type": "Operative",
    }

    unlock = _entity(entity_registry, BUTTON_DOMAIN, uid(CP, 1, "unlock"))
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: unlock}, blocking=True
    )
    assert await simulated.wait_for_call("UnlockConnector") == {"connectorId": 1}

    reset = _entity(entity_registry, BUTTON_DOMAIN, uid(CP, 0, "reset"))
    link_before = coordinator.session.adapter
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: reset}, blocking=True
    )
    assert await simulated.wait_for_call("Reset") == {"type": "Soft"}
    # The charger reboots: it disconnects, comes back and boots again.
    await wait_for(
        hass,
        lambda: coordinator.session.adapter not in (None, link_before)
        and simulated.connected
        and coordinator.data.configured,
        timeout=10,
    )


async def test_actions_on_offline_charger_raise_translated_error(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """An offline charger gives a translated error, never a silent success."""
    simulated, coordinator = charger
    session = coordinator.session
    adapter = session.adapter
    assert adapter is not None
    # Take the link away behind HA's back (entities are then unavailable, so call the entity).
    session.detach(adapter)
    entity_id = _entity(entity_registry, NUMBER_DOMAIN, uid(CP, 1, "max_current"))
    entity = hass.data["entity_components"][NUMBER_DOMAIN].get_entity(entity_id)
    with pytest.raises(HomeAssistantError) as error:
        await entity.async_set_native_value(12)
    assert error.value.translation_key == "charger_offline"
    assert error.value.translation_placeholders == {"charger": CP}
    session.attach(adapter)


async def test_rejected_limit_raises_translated_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A charger refusing every profile purpose surfaces its answer."""
    simulated, _ = await connect_charger(
        hass,
        init_integration,
        ChargerSpec(
            "CP-NOPE",
            meter_interval=0,
            max_stack_level=8,
            quirks=frozenset({"stack_level_zero_only"}),
        ),
    )
    try:
        await simulated.start_transaction(1)
        entity_id = _entity(entity_registry, NUMBER_DOMAIN, uid("CP-NOPE", 1, "max_current"))
        with pytest.raises(HomeAssistantError) as error:
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: 8},
                blocking=True,
            )
        assert error.value.translation_key == "charger_rejected"
        assert error.value.translation_placeholders == {
            "charger": "CP-NOPE",
            "action": "SetChargingProfile",
            "status": "Rejected",
        }
    finally:
        await simulated.close()


async def test_the_maximum_outlives_the_session(
    hass: HomeAssistant,
    charger: tuple[SimulatedCharger, ChargerCoordinator],
    entity_registry: er.EntityRegistry,
) -> None:
    """Set during a charge (a TxProfile, dropped with it), it holds for the next session too."""
    simulated, coordinator = charger
    await simulated.start_transaction(1)
    entity_id = _entity(entity_registry, NUMBER_DOMAIN, uid(CP, 1, "max_current"))
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: 10}, blocking=True
    )
    assert simulated.effective_limit(1) == 10.0
    await simulated.stop_transaction(1)
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is None)
    assert simulated.effective_limit(1) is None  # the TxProfile ended with its transaction

    await simulated.start_transaction(1)
    await wait_for(hass, lambda: simulated.effective_limit(1) == 10.0)
    assert simulated.draw(1) == 10.0
