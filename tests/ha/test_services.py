"""The integration's actions, end to end: HA service call → OCPP → a simulated charger."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
import dataclasses
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
import voluptuous as vol

from custom_components.smart_charging.central_system.server import TEXT_LIMITS
from custom_components.smart_charging.central_system.trigger import Trigger
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import ChargerCoordinator
from custom_components.smart_charging.service_schemas import (
    SERVICE_CHANGE_CONFIGURATION,
    SERVICE_CLEAR_CHARGING_LIMIT,
    SERVICE_DATA_TRANSFER,
    SERVICE_GET_CONFIGURATION,
    SERVICE_ROTATE_PASSWORD,
    SERVICE_SET_CHARGING_LIMIT,
    SERVICE_SET_CHARGING_MODE,
    SERVICE_SET_DISCHARGE,
    SERVICE_TRIGGER_MESSAGE,
    TRIGGER_MESSAGE_SCHEMA,
    TRIGGER_MESSAGES,
)
from simulator.charger import SimulatedCharger
from simulator.spec import CURRENT_ONLY, STACK_LEVEL_ZERO_ONLY, ChargerSpec
from tests.helpers import connect_charger, find_device, hub_of, wait_for

# A dash in the id: connector devices are "<charger id>-<connector id>".
CHARGER_ID = "CP-SVC"

# Every action with valid data for a connector device (device_id is added by the test).
VALID_CALLS: list[tuple[str, dict[str, Any], bool]] = [
    (SERVICE_SET_CHARGING_LIMIT, {"current": 10}, False),
    (SERVICE_CLEAR_CHARGING_LIMIT, {}, False),
    (SERVICE_GET_CONFIGURATION, {}, True),
    (SERVICE_CHANGE_CONFIGURATION, {"key": "HeartbeatInterval", "value": "60"}, False),
    (SERVICE_TRIGGER_MESSAGE, {"message": "Heartbeat"}, False),
    (SERVICE_DATA_TRANSFER, {"vendor_id": "com.example"}, True),
    ("get_variables", {"component": "SmartChargingCtrlr", "variable": "RateUnit"}, True),
    ("get_composite_schedule", {"duration": 600}, True),
    ("get_charging_profiles", {"purpose": "TxProfile", "sources": ["CSO"]}, True),
    (
        "set_variables",
        {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"},
        False,
    ),
]
VALID_CALL_IDS = [service for service, _, _ in VALID_CALLS]


@pytest.fixture
def charger_spec() -> ChargerSpec:
    """The simulated charger; parametrize `charger_spec` in a test to change it."""
    return ChargerSpec(CHARGER_ID, connectors=2)


@pytest.fixture
async def charger(
    hass: HomeAssistant, init_integration: MockConfigEntry, charger_spec: ChargerSpec
) -> AsyncGenerator[SimulatedCharger]:
    """A simulated charger, connected, approved, set up and with its connector devices."""
    charger, _ = await connect_charger(hass, init_integration, charger_spec)
    try:
        # The integration's own setup after boot ends with the sampled measurands.
        await charger.wait_for_call(
            "ChangeConfiguration", predicate=lambda p: p["key"] == "MeterValuesSampledData"
        )
        await wait_for(
            hass,
            lambda: find_device(hass, init_integration, CHARGER_ID, charger_spec.connectors)
            is not None,
        )
        yield charger
    finally:
        await charger.close()


@pytest.fixture
def coordinator(init_integration: MockConfigEntry, charger: SimulatedCharger) -> ChargerCoordinator:
    """The connected charger's coordinator."""
    return hub_of(init_integration).coordinators[CHARGER_ID]


def device_id(hass: HomeAssistant, connector_id: int = 0) -> str:
    """Return the id of the charger's device (0) or of one of its connectors' devices."""
    device = find_device(
        hass, hass.config_entries.async_entries(DOMAIN)[0], CHARGER_ID, connector_id
    )
    assert device is not None
    return device.id


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> dict[str, Any] | None:
    """Call one of the integration's actions and wait for it."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


def offered_calls(charger: SimulatedCharger, action: str) -> list[dict[str, Any]]:
    """Every `action` call the charger received so far."""
    return [payload for name, payload in charger.calls if name == action]


# --- set_charging_limit ---------------------------------------------------------------------


async def test_set_current_limit_on_idle_connector(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A current limit with a duration becomes a TxDefaultProfile that expires."""
    before = dt_util.utcnow().replace(microsecond=0)  # validTo has whole seconds
    await call(
        hass,
        SERVICE_SET_CHARGING_LIMIT,
        {"device_id": device_id(hass, 1), "current": 10, "duration": 600},
    )

    payload = await charger.wait_for_call("SetChargingProfile")
    assert payload["connectorId"] == 1
    profile = payload["csChargingProfiles"]
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert "transactionId" not in profile
    schedule = profile["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "A"
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}]
    # The schedule starts a minute early; it and the profile end `duration` from now.
    assert schedule["duration"] == 660
    valid_to = datetime.fromisoformat(profile["validTo"])
    assert before + timedelta(seconds=600) <= valid_to <= dt_util.utcnow() + timedelta(seconds=601)

    assert charger.effective_limit(1) == 10.0
    assert charger.effective_limit(2) is None
    connector = coordinator.data.connector(1)
    assert (connector.applied_limit, connector.applied_limit_unit) == (10.0, "A")


async def test_set_power_limit_on_station(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A power limit on the charger's device caps the whole station, with no end."""
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass), "power": 6900})

    payload = await charger.wait_for_call("SetChargingProfile")
    assert payload["connectorId"] == 0
    profile = payload["csChargingProfiles"]
    assert profile["chargingProfilePurpose"] == "ChargePointMaxProfile"
    assert "validTo" not in profile
    schedule = profile["chargingSchedule"]
    assert "duration" not in schedule
    assert schedule["chargingRateUnit"] == "W"
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 6900.0}]
    # 6900 W over 3 phases at 230 V.
    assert charger.effective_limit(1) == pytest.approx(10.0)
    assert charger.effective_limit(2) == pytest.approx(10.0)
    for connector_id in (1, 2):
        connector = coordinator.data.connector(connector_id)
        assert (connector.applied_limit, connector.applied_limit_unit) == (6900.0, "W")


async def test_set_limit_during_transaction(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """On a connector that charges, the limit is a TxProfile of the running transaction."""
    transaction_id, _ = await charger.start_transaction(2)
    assert transaction_id is not None

    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 2), "current": 8.5})

    payload = await charger.wait_for_call("SetChargingProfile")
    assert payload["connectorId"] == 2
    profile = payload["csChargingProfiles"]
    assert profile["chargingProfilePurpose"] == "TxProfile"
    assert profile["transactionId"] == transaction_id
    assert profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 8.5
    assert charger.draw(2) == 8.5


@pytest.mark.parametrize(
    "limit",
    [{}, {"current": 10, "power": 6900}, {"duration": 60}],
    ids=["neither", "both", "duration_only"],
)
async def test_set_limit_needs_current_or_power(
    hass: HomeAssistant, charger: SimulatedCharger, limit: dict[str, Any]
) -> None:
    """Exactly one of current and power: anything else is refused before the charger."""
    with pytest.raises(ServiceValidationError) as error:
        await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), **limit})
    assert error.value.translation_domain == DOMAIN
    assert error.value.translation_key == "current_or_power"
    assert offered_calls(charger, "SetChargingProfile") == []


@pytest.mark.parametrize(
    "limit",
    [
        {"current": -1},
        {"current": 500.1},
        {"power": 1_000_001},
        {"current": 10, "duration": 0},
        {"current": 10, "duration": 86_401},
        {"current": "ten"},
    ],
)
async def test_set_limit_out_of_range(
    hass: HomeAssistant, charger: SimulatedCharger, limit: dict[str, Any]
) -> None:
    """Values outside the action's ranges never reach the charger."""
    with pytest.raises(vol.Invalid):
        await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), **limit})
    assert offered_calls(charger, "SetChargingProfile") == []


@pytest.mark.parametrize(
    "charger_spec",
    [ChargerSpec(CHARGER_ID, connectors=2, quirks=frozenset({STACK_LEVEL_ZERO_ONLY}))],
)
async def test_set_limit_rejected(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A charger that rejects every profile purpose: the user sees its answer."""
    with pytest.raises(ServiceValidationError) as error:
        await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass), "current": 10})
    assert error.value.translation_key == "charger_rejected"
    assert error.value.translation_placeholders == {
        "charger": CHARGER_ID,
        "action": "SetChargingProfile",
        "status": "Rejected",
    }
    assert str(error.value) == "Charger CP-SVC answered SetChargingProfile with Rejected"
    # Both station purposes were tried before giving up.
    purposes = [
        payload["csChargingProfiles"]["chargingProfilePurpose"]
        for payload in offered_calls(charger, "SetChargingProfile")
    ]
    assert purposes == ["ChargePointMaxProfile", "TxDefaultProfile"]
    assert coordinator.data.connector(1).applied_limit is None


@pytest.mark.parametrize(
    "charger_spec",
    [ChargerSpec(CHARGER_ID, connectors=2, quirks=frozenset({STACK_LEVEL_ZERO_ONLY}))],
)
async def test_refusal_from_the_ui_logs_one_line(
    hass: HomeAssistant,
    charger: SimulatedCharger,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refusal is an expected outcome: the caller gets the translated text, the log no traceback."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": SERVICE_SET_CHARGING_LIMIT,
            "service_data": {"device_id": device_id(hass), "current": 10},
        }
    )
    response = await client.receive_json()
    assert not response["success"]
    assert response["error"]["translation_key"] == "charger_rejected"
    assert response["error"]["message"].endswith(
        "Charger CP-SVC answered SetChargingProfile with Rejected"
    )
    # One line at ERROR, no traceback (HA adds one at DEBUG only).
    logged = [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and record.name.startswith(("homeassistant.components", "custom_components"))
    ]
    assert len(logged) == 1
    assert logged[0].getMessage().endswith("answered SetChargingProfile with Rejected")
    assert logged[0].exc_info is None


@pytest.mark.parametrize(
    "charger_spec",
    [
        ChargerSpec(
            CHARGER_ID, connectors=2, rate_unit_keys="Current", quirks=frozenset({CURRENT_ONLY})
        )
    ],
)
async def test_set_power_limit_on_current_only_charger(
    hass: HomeAssistant, charger: SimulatedCharger
) -> None:
    """A power limit for a charger that only takes amperes is sent in amperes (floored)."""
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), "power": 7000})

    payload = await charger.wait_for_call("SetChargingProfile")
    schedule = payload["csChargingProfiles"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "A"
    # 7000 W / (3 x 230 V) = 10.14… A, floored to the 0.1 A the schedule allows.
    assert schedule["chargingSchedulePeriod"][0]["limit"] == 10.1


async def test_set_limit_not_supported(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A charger without the SmartCharging profile: a validation error, nothing sent."""
    capabilities = coordinator.data.capabilities
    assert capabilities is not None
    coordinator.data.capabilities = dataclasses.replace(capabilities, smart_charging=False)

    with pytest.raises(ServiceValidationError) as error:
        await call(
            hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), "current": 10}
        )
    assert error.value.translation_key == "not_supported"
    assert error.value.translation_placeholders == {
        "charger": CHARGER_ID,
        "feature": "SmartCharging",
    }
    assert offered_calls(charger, "SetChargingProfile") == []


# --- clear_charging_limit -------------------------------------------------------------------


async def test_clear_limit(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """Clearing removes our profiles from the connector: the charger is unlimited again."""
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), "current": 10})
    assert charger.effective_limit(1) == 10.0

    await call(hass, SERVICE_CLEAR_CHARGING_LIMIT, {"device_id": device_id(hass, 1)})

    cleared = [payload["id"] for payload in offered_calls(charger, "ClearChargingProfile")]
    installed = (await charger.wait_for_call("SetChargingProfile"))["csChargingProfiles"]
    assert installed["chargingProfileId"] in cleared
    assert charger.effective_limit(1) is None
    connector = coordinator.data.connector(1)
    assert (connector.applied_limit, connector.applied_limit_unit) == (None, None)


async def test_clear_station_limit_keeps_connector_limit(
    hass: HomeAssistant, charger: SimulatedCharger
) -> None:
    """Clearing the station's limit leaves a connector's own limit alone."""
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass), "current": 12})
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), "current": 8})
    assert charger.effective_limit(2) == 12.0

    await call(hass, SERVICE_CLEAR_CHARGING_LIMIT, {"device_id": device_id(hass)})

    assert charger.effective_limit(2) is None
    assert charger.effective_limit(1) == 8.0


# --- get_configuration / change_configuration -----------------------------------------------


async def test_get_configuration_keys(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """The charger's known and unknown keys come back as the response."""
    response = await call(
        hass,
        SERVICE_GET_CONFIGURATION,
        {"device_id": device_id(hass), "keys": ["HeartbeatInterval", "NoSuchKey"]},
        response=True,
    )

    assert response == {
        "configuration_key": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknown_key": ["NoSuchKey"],
    }
    payload = await charger.wait_for_call(
        "GetConfiguration", predicate=lambda p: "NoSuchKey" in p.get("key", [])
    )
    assert payload == {"key": ["HeartbeatInterval", "NoSuchKey"]}


async def test_get_configuration_all_keys(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """Without keys (from a connector's device too) the charger sends every key."""
    response = await call(
        hass, SERVICE_GET_CONFIGURATION, {"device_id": device_id(hass, 2)}, response=True
    )

    assert response is not None
    keys = {item["key"]: item["value"] for item in response["configuration_key"]}
    assert keys["NumberOfConnectors"] == "2"
    assert keys["MeterValueSampleInterval"] == "10"
    assert response["unknown_key"] == []
    assert ("GetConfiguration", {}) in charger.calls


async def test_get_configuration_needs_response(
    hass: HomeAssistant, charger: SimulatedCharger
) -> None:
    """Reading configuration without taking the response is pointless: refused."""
    with pytest.raises(ServiceValidationError):
        await call(hass, SERVICE_GET_CONFIGURATION, {"device_id": device_id(hass)})


async def test_change_configuration(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """An accepted change returns the charger's status and takes effect."""
    response = await call(
        hass,
        SERVICE_CHANGE_CONFIGURATION,
        {"device_id": device_id(hass), "key": "MeterValueSampleInterval", "value": "30"},
        response=True,
    )

    assert response == {"status": "Accepted"}
    assert await charger.wait_for_call(
        "ChangeConfiguration", predicate=lambda p: p["value"] == "30"
    ) == {"key": "MeterValueSampleInterval", "value": "30"}
    assert charger.config.value("MeterValueSampleInterval") == "30"


async def test_change_configuration_without_response(
    hass: HomeAssistant, charger: SimulatedCharger
) -> None:
    """The response is optional: a plain call changes the key too."""
    assert (
        await call(
            hass,
            SERVICE_CHANGE_CONFIGURATION,
            {"device_id": device_id(hass, 1), "key": "HeartbeatInterval", "value": "120"},
        )
        is None
    )
    assert charger.config.value("HeartbeatInterval") == "120"


@pytest.mark.parametrize(
    ("key", "value", "status"),
    [
        ("NoSuchKey", "1", "NotSupported"),
        ("NumberOfConnectors", "4", "Rejected"),  # read-only
        ("MeterValueSampleInterval", "often", "Rejected"),  # not an integer
    ],
)
async def test_change_configuration_refused(
    hass: HomeAssistant, charger: SimulatedCharger, key: str, value: str, status: str
) -> None:
    """A refused change is an error carrying the charger's status, never a success."""
    with pytest.raises(HomeAssistantError) as error:
        await call(
            hass,
            SERVICE_CHANGE_CONFIGURATION,
            {"device_id": device_id(hass), "key": key, "value": value},
            response=True,
        )
    assert error.value.translation_key == "charger_rejected"
    assert error.value.translation_placeholders == {
        "charger": CHARGER_ID,
        "action": "ChangeConfiguration",
        "status": status,
    }
    assert await charger.wait_for_call("ChangeConfiguration", predicate=lambda p: p["key"] == key)


# --- trigger_message ------------------------------------------------------------------------


async def test_trigger_heartbeat_on_station(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A trigger on the charger's device names no connector; the message follows."""
    booted = coordinator.data.last_heartbeat  # The boot counts as the first heartbeat.
    assert booted is not None

    response = await call(
        hass,
        SERVICE_TRIGGER_MESSAGE,
        {"device_id": device_id(hass), "message": "Heartbeat"},
        response=True,
    )

    assert response == {"status": "Accepted"}
    assert await charger.wait_for_call("TriggerMessage") == {"requestedMessage": "Heartbeat"}
    await wait_for(hass, lambda: coordinator.data.last_heartbeat != booted)


async def test_trigger_status_on_connector(
    hass: HomeAssistant, charger: SimulatedCharger, coordinator: ChargerCoordinator
) -> None:
    """A trigger on a connector's device names that connector."""
    before = coordinator.data.connector(2).status_timestamp
    assert before is not None

    await call(
        hass,
        SERVICE_TRIGGER_MESSAGE,
        {"device_id": device_id(hass, 2), "message": "StatusNotification"},
    )

    assert await charger.wait_for_call("TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "connectorId": 2,
    }
    await wait_for(
        hass,
        lambda: (stamp := coordinator.data.connector(2).status_timestamp) is not None
        and stamp > before,
    )


async def test_trigger_not_implemented(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """A message the charger does not implement: the error carries its answer."""
    with pytest.raises(HomeAssistantError) as error:
        await call(
            hass,
            SERVICE_TRIGGER_MESSAGE,
            {"device_id": device_id(hass), "message": "FirmwareStatusNotification"},
        )
    assert error.value.translation_key == "charger_rejected"
    assert error.value.translation_placeholders == {
        "charger": CHARGER_ID,
        "action": "TriggerMessage",
        "status": "NotImplemented",
    }


async def test_trigger_unknown_message(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """Only the OCPP 1.6 MessageTrigger values are allowed."""
    with pytest.raises(vol.Invalid):
        await call(
            hass, SERVICE_TRIGGER_MESSAGE, {"device_id": device_id(hass), "message": "Reset"}
        )
    assert offered_calls(charger, "TriggerMessage") == []


# --- data_transfer --------------------------------------------------------------------------


async def test_data_transfer(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """The request reaches the charger as given; its answer is the response."""
    response = await call(
        hass,
        SERVICE_DATA_TRANSFER,
        {
            "device_id": device_id(hass),
            "vendor_id": "com.example",
            "message_id": "echo",
            "data": '{"hello": 1}',
        },
        response=True,
    )

    assert response == {"status": "Accepted", "data": '{"hello": 1}'}
    assert await charger.wait_for_call("DataTransfer") == {
        "vendorId": "com.example",
        "messageId": "echo",
        "data": '{"hello": 1}',
    }


async def test_data_transfer_unknown_vendor(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """UnknownVendorId is the charger's legitimate answer: returned, not raised."""
    response = await call(
        hass,
        SERVICE_DATA_TRANSFER,
        {"device_id": device_id(hass, 1), "vendor_id": "unknown"},
        response=True,
    )

    assert response == {"status": "UnknownVendorId", "data": None}
    assert await charger.wait_for_call("DataTransfer") == {"vendorId": "unknown"}


async def test_data_transfer_needs_response(hass: HomeAssistant, charger: SimulatedCharger) -> None:
    """The answer is the point of a DataTransfer: a call that drops it is refused."""
    with pytest.raises(ServiceValidationError):
        await call(hass, SERVICE_DATA_TRANSFER, {"device_id": device_id(hass), "vendor_id": "x"})
    assert offered_calls(charger, "DataTransfer") == []


# --- every action: offline charger, unknown device ------------------------------------------


@pytest.mark.parametrize(("service", "data", "response"), VALID_CALLS, ids=VALID_CALL_IDS)
async def test_offline_charger(
    hass: HomeAssistant,
    charger: SimulatedCharger,
    coordinator: ChargerCoordinator,
    service: str,
    data: dict[str, Any],
    response: bool,
) -> None:
    """Every action on a disconnected charger fails with a translated error."""
    target = device_id(hass, 1)
    await charger.close()
    await wait_for(hass, lambda: not coordinator.data.connected)

    with pytest.raises(ServiceValidationError) as error:
        await call(hass, service, {"device_id": target, **data}, response=response)
    assert error.value.translation_domain == DOMAIN
    assert error.value.translation_key == "charger_offline"
    assert error.value.translation_placeholders == {"charger": CHARGER_ID}
    assert str(error.value) == "Charger CP-SVC is offline"


@pytest.mark.parametrize(("service", "data", "response"), VALID_CALLS, ids=VALID_CALL_IDS)
async def test_unknown_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    response: bool,
) -> None:
    """A device id that is no device at all."""
    with pytest.raises(ServiceValidationError) as error:
        await call(hass, service, {"device_id": "no-such-device", **data}, response=response)
    assert error.value.translation_domain == DOMAIN
    assert error.value.translation_key == "device_not_found"
    assert error.value.translation_placeholders == {"device_id": "no-such-device"}


async def test_device_of_another_integration(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A real device, but not one of ours."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", CHARGER_ID)}
    )

    with pytest.raises(ServiceValidationError) as error:
        await call(hass, SERVICE_CLEAR_CHARGING_LIMIT, {"device_id": device.id})
    assert error.value.translation_key == "device_not_found"


async def test_device_of_unloaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, charger: SimulatedCharger
) -> None:
    """Our device, but its central system is not running."""
    target = device_id(hass, 1)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as error:
        await call(hass, SERVICE_CLEAR_CHARGING_LIMIT, {"device_id": target})
    assert error.value.translation_key == "device_not_found"


@pytest.mark.parametrize("identifier", ["GHOST", "GHOST-1", f"{CHARGER_ID}-x", f"{CHARGER_ID}-0"])
async def test_stale_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    charger: SimulatedCharger,
    identifier: str,
) -> None:
    """Our entry's device, but no charger or connector of the hub answers to it."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, identifier)}
    )

    with pytest.raises(ServiceValidationError) as error:
        await call(hass, SERVICE_CLEAR_CHARGING_LIMIT, {"device_id": device.id})
    assert error.value.translation_key == "device_not_found"
    assert offered_calls(charger, "ClearChargingProfile") == []


async def test_charger_of_second_central_system(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    charger: SimulatedCharger,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    """With two central systems, the action reaches the charger of the right one."""
    second = MockConfigEntry(
        domain=DOMAIN,
        unique_id="second",
        data={**init_integration.data, "port": unused_tcp_port_factory()},
        options=init_integration.options,
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    other, _ = await connect_charger(hass, second, ChargerSpec("CP-OTHER"))
    try:
        device = find_device(hass, second, "CP-OTHER")
        assert device is not None

        response = await call(
            hass,
            SERVICE_DATA_TRANSFER,
            {"device_id": device.id, "vendor_id": "com.example", "data": "second"},
            response=True,
        )

        assert response == {"status": "Accepted", "data": "second"}
        assert await other.wait_for_call("DataTransfer") == {
            "vendorId": "com.example",
            "data": "second",
        }
        assert offered_calls(charger, "DataTransfer") == []
    finally:
        await other.close()
        assert await hass.config_entries.async_unload(second.entry_id)


async def test_action_descriptions(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """services.yaml and the translations describe every action and every field it takes."""
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    registered = hass.services.async_services_for_domain(DOMAIN)

    # Names and descriptions come from the translations (HA 2026 no longer merges them in).
    texts = await async_get_translations(hass, "en", "services", [DOMAIN])

    assert (
        set(descriptions)
        == set(registered)
        == {
            *VALID_CALL_IDS,
            SERVICE_SET_CHARGING_MODE,
            SERVICE_SET_DISCHARGE,
            SERVICE_ROTATE_PASSWORD,
        }
    )
    for service, description in descriptions.items():
        prefix = f"component.{DOMAIN}.services.{service}"
        assert texts[f"{prefix}.name"]
        assert texts[f"{prefix}.name"] != service
        assert texts[f"{prefix}.description"]
        schema = registered[service].schema
        assert schema is not None
        assert isinstance(schema.schema, dict)
        assert set(description["fields"]) == {str(key) for key in schema.schema}, service
        for name, field in description["fields"].items():
            assert texts[f"{prefix}.fields.{name}.name"], (service, name)
            assert texts[f"{prefix}.fields.{name}.description"], (service, name)
            assert "selector" in field, (service, name)
        # Newer HA spells out the selector's defaults (multiple: false).
        device_selector = description["fields"]["device_id"]["selector"]["device"]
        assert device_selector.get("multiple", False) is False
        assert {**device_selector, "multiple": False} == {"integration": DOMAIN, "multiple": False}
    assert descriptions[SERVICE_GET_CONFIGURATION]["response"] == {"optional": False}
    assert descriptions[SERVICE_DATA_TRANSFER]["response"] == {"optional": False}
    assert descriptions[SERVICE_CHANGE_CONFIGURATION]["response"] == {"optional": True}
    assert descriptions[SERVICE_TRIGGER_MESSAGE]["response"] == {"optional": True}
    assert "response" not in descriptions[SERVICE_SET_CHARGING_LIMIT]
    assert "response" not in descriptions[SERVICE_CLEAR_CHARGING_LIMIT]


# --- version-neutral vocabulary -------------------------------------------------------------


def test_trigger_field_values_become_version_neutral_triggers() -> None:
    """Each field value of trigger_message is validated into its own `Trigger`; all are reachable."""
    assert sorted(TRIGGER_MESSAGES.values()) == sorted(Trigger)
    for message, trigger in TRIGGER_MESSAGES.items():
        data = TRIGGER_MESSAGE_SCHEMA({"device_id": "d", "message": message})
        assert data["message"] is trigger
    with pytest.raises(vol.Invalid):
        TRIGGER_MESSAGE_SCHEMA({"device_id": "d", "message": Trigger.HEARTBEAT.value})


CONFIGURATION = {"device_id": "d", "key": "k", "value": "v"}
TRANSFER = {"device_id": "d", "vendor_id": "v"}


@pytest.mark.parametrize(
    ("service", "data", "field", "limit"),
    [
        (SERVICE_CHANGE_CONFIGURATION, CONFIGURATION, "key", TEXT_LIMITS.configuration_key),
        (SERVICE_CHANGE_CONFIGURATION, CONFIGURATION, "value", TEXT_LIMITS.configuration_value),
        (SERVICE_DATA_TRANSFER, TRANSFER, "vendor_id", TEXT_LIMITS.vendor_id),
        (SERVICE_DATA_TRANSFER, TRANSFER, "message_id", TEXT_LIMITS.message_id),
    ],
)
async def test_text_lengths_come_from_the_adapters(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, str],
    field: str,
    limit: int,
) -> None:
    """A text at the adapters' limit validates, one character more does not."""
    schema = hass.services.async_services_for_domain(DOMAIN)[service].schema
    assert schema is not None
    assert schema({**data, field: "x" * limit})[field] == "x" * limit
    with pytest.raises(vol.Invalid):
        schema({**data, field: "x" * (limit + 1)})


@pytest.mark.parametrize(
    ("service", "data", "instead"),
    [
        (
            "get_variables",
            {"component": "SmartChargingCtrlr", "variable": "RateUnit"},
            "get_configuration",
        ),
        (
            "set_variables",
            {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"},
            "change_configuration",
        ),
        ("get_charging_profiles", {"purpose": "TxProfile"}, "get_composite_schedule"),
    ],
)
async def test_a_2x_action_on_a_16_charger(
    hass: HomeAssistant, charger: SimulatedCharger, service: str, data: dict[str, Any], instead: str
) -> None:
    """Refused with a translated error that names the 1.6 action to use; nothing sent."""
    sent = len(charger.calls)
    with pytest.raises(ServiceValidationError) as error:
        await call(hass, service, {"device_id": device_id(hass, 0), **data}, response=True)
    assert error.value.translation_key == "wrong_ocpp_version"
    assert error.value.translation_placeholders == {
        "charger": CHARGER_ID,
        "version": "1.6",
        "instead": instead,
    }
    assert len(charger.calls) == sent


async def test_composite_schedule_of_a_16_connector(
    hass: HomeAssistant, charger: SimulatedCharger
) -> None:
    """The charger's own view of the limits that apply: our limit, as it combines them."""
    await call(hass, SERVICE_SET_CHARGING_LIMIT, {"device_id": device_id(hass, 1), "current": 10})
    answer = await call(
        hass, "get_composite_schedule", {"device_id": device_id(hass, 1)}, response=True
    )
    assert answer is not None
    periods = answer["schedule"]["charging_schedule_period"]
    assert periods[0]["limit"] == 10.0
    assert [
        payload["duration"] for action, payload in charger.calls if action == "GetCompositeSchedule"
    ] == [3600]
