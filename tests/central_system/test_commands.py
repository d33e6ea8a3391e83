"""Commands to a charger over real WebSockets: limits with purpose fallback, and the rest."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.smart_charging.central_system.errors import (
    ChargerNotSupportedError,
    ChargerOfflineError,
    ChargerRejectedError,
    ChargerTimeoutError,
)
from custom_components.smart_charging.central_system.limits import ChargingLimit, LimitUnit
from custom_components.smart_charging.central_system.model import ConnectorStatus
from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.central_system.trigger import Trigger
from simulator.charger import SimulatedCharger
from simulator.spec import (
    POWER_ONLY,
    REJECT_CHARGE_POINT_MAX,
    REJECT_TX_PROFILE,
    STACK_LEVEL_ZERO_ONLY,
)

from .conftest import (
    CALL,
    CALL_ERROR,
    QUIET_ANSWERS,
    ChargerFactory,
    RawClientFactory,
    Server,
    ServerFactory,
    connected_charger,
    fast_settings,
    wait_until,
)

TX, TX_DEFAULT, CP_MAX = "TxProfile", "TxDefaultProfile", "ChargePointMaxProfile"


def profiles_sent(charger: SimulatedCharger) -> list[tuple[int, str, int]]:
    """(connectorId, purpose, profile id) of every SetChargingProfile, in order."""
    return [
        (
            payload["connectorId"],
            payload["csChargingProfiles"]["chargingProfilePurpose"],
            payload["csChargingProfiles"]["chargingProfileId"],
        )
        for action, payload in charger.calls
        if action == "SetChargingProfile"
    ]


async def charging(
    server: Server, make_charger: ChargerFactory, **spec: Any
) -> tuple[SimulatedCharger, ChargerSession, int]:
    """A charger with a transaction running on connector 1."""
    charger, session = await connected_charger(server, make_charger, "CP-1", **spec)
    transaction_id, status = await charger.start_transaction(1)
    assert status == "Accepted"
    assert transaction_id is not None
    assert session.state.connector(1).transaction_id == transaction_id
    return charger, session, transaction_id


def assert_recent_start(start_schedule: str) -> None:
    """The startSchedule lies a minute in the past (a future one leaves the charger unlimited)."""
    start = datetime.fromisoformat(start_schedule)
    lag = datetime.now(UTC) - start
    assert timedelta(seconds=55) <= lag <= timedelta(seconds=65)


# --- apply_limit --------------------------------------------------------------------------------


async def test_tx_profile_during_a_transaction(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A connector limit in a transaction: a TxProfile bound to the transaction."""
    charger, session, transaction_id = await charging(server, make_charger)
    await session.apply_limit(ChargingLimit(connector_id=1, value=10.07))
    payload = await charger.wait_for_call("SetChargingProfile")
    profile = payload["csChargingProfiles"]
    assert_recent_start(profile["chargingSchedule"].pop("startSchedule"))
    assert payload == {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 7013,
            "transactionId": transaction_id,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
            },
        },
    }
    assert charger.effective_limit(1) == 10.0
    await wait_until(lambda: charger.draw(1) == 10.0)
    connector = session.state.connector(1)
    assert (connector.applied_limit, connector.applied_limit_unit) == (10.07, "A")
    assert session.limit_purposes == {"tx": TX}


async def test_tx_profile_rejected_falls_back_and_is_remembered(
    server: Server, make_charger: ChargerFactory
) -> None:
    """reject_tx_profile: TxDefaultProfile works, and is tried first next time."""
    charger, session, _ = await charging(
        server, make_charger, quirks=frozenset({REJECT_TX_PROFILE})
    )
    saves = server.persistence.saved_later
    await session.apply_limit(ChargingLimit(connector_id=1, value=8))
    assert profiles_sent(charger) == [(1, TX, 7013), (1, TX_DEFAULT, 7012)]
    assert session.limit_purposes == {"tx": TX_DEFAULT}
    assert server.persistence.saved_later > saves
    assert server.persistence.data is not None
    assert server.persistence.data["chargers"]["CP-1"]["limit_purposes"] == {"tx": TX_DEFAULT}
    assert charger.effective_limit(1) == 8.0
    default = next(p for a, p in charger.calls if a == "SetChargingProfile" and p["csChargingProfiles"]["chargingProfilePurpose"] == TX_DEFAULT)  # fmt: skip
    assert "transactionId" not in default["csChargingProfiles"]

    await session.apply_limit(ChargingLimit(connector_id=1, value=12))
    assert profiles_sent(charger) == [(1, TX, 7013), (1, TX_DEFAULT, 7012), (1, TX_DEFAULT, 7012)]
    assert charger.effective_limit(1) == 12.0


async def test_idle_connector_gets_a_tx_default_profile(
    server: Server, make_charger: ChargerFactory
) -> None:
    """No transaction: a TxDefaultProfile for the connector."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    await session.apply_limit(ChargingLimit(connector_id=1, value=6, duration=600))
    payload = await charger.wait_for_call("SetChargingProfile")
    profile = payload["csChargingProfiles"]
    assert (profile["chargingProfilePurpose"], profile["chargingProfileId"]) == (TX_DEFAULT, 7012)
    assert "transactionId" not in profile
    assert profile["chargingSchedule"]["duration"] == 660
    valid_to = datetime.fromisoformat(profile["validTo"])
    assert timedelta(seconds=595) <= valid_to - datetime.now(UTC) <= timedelta(seconds=601)
    assert session.limit_purposes == {"idle": TX_DEFAULT}
    assert charger.effective_limit(1) == 6.0


async def test_station_limit_via_charge_point_max(
    server: Server, make_charger: ChargerFactory
) -> None:
    """Connector 0: a ChargePointMaxProfile; every outlet shows the limit."""
    charger, session = await connected_charger(server, make_charger, "CP-1", connectors=2)
    await session.apply_limit(ChargingLimit(connector_id=0, value=20))
    assert profiles_sent(charger) == [(0, CP_MAX, 7001)]
    assert session.limit_purposes == {"station": CP_MAX}
    assert [(c.connector_id, c.applied_limit) for c in session.state.outlets] == [
        (1, 20),
        (2, 20),
    ]
    assert session.state.connector(0).applied_limit is None
    assert charger.effective_limit(1) == 20.0
    assert charger.effective_limit(2) == 20.0


async def test_station_limit_falls_back_to_tx_default(
    server: Server, make_charger: ChargerFactory
) -> None:
    """reject_charge_point_max: a connector-0 TxDefaultProfile, remembered."""
    charger, session = await connected_charger(
        server, make_charger, "CP-1", quirks=frozenset({REJECT_CHARGE_POINT_MAX})
    )
    await session.apply_limit(ChargingLimit(connector_id=0, value=13))
    await session.apply_limit(ChargingLimit(connector_id=0, value=14))
    assert profiles_sent(charger) == [
        (0, CP_MAX, 7001),
        (0, TX_DEFAULT, 7002),
        (0, TX_DEFAULT, 7002),
    ]
    assert session.limit_purposes == {"station": TX_DEFAULT}
    assert charger.effective_limit(1) == 14.0


async def test_power_only_charger_gets_watts(server: Server, make_charger: ChargerFactory) -> None:
    """A W-only charger: the A limit converted to W (3 phases x 230 V)."""
    charger, session, _ = await charging(
        server, make_charger, quirks=frozenset({POWER_ONLY}), rate_unit_keys="Power"
    )
    assert session.state.capabilities is not None
    assert session.state.capabilities.rate_units == frozenset({"W"})
    await session.apply_limit(ChargingLimit(connector_id=1, value=10))
    payload = await charger.wait_for_call("SetChargingProfile")
    schedule = payload["csChargingProfiles"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W"
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 6900.0}]
    assert charger.effective_limit(1) == 10.0
    connector = session.state.connector(1)
    assert (connector.applied_limit, connector.applied_limit_unit) == (10, "A")


async def test_watt_limit_on_a_current_only_charger(
    server: Server, make_charger: ChargerFactory
) -> None:
    """The other way round: W asked, A sent."""
    charger, session, _ = await charging(server, make_charger, rate_unit_keys="Current")
    await session.apply_limit(ChargingLimit(connector_id=1, value=4140, unit=LimitUnit.WATT))
    payload = await charger.wait_for_call("SetChargingProfile")
    schedule = payload["csChargingProfiles"]["chargingSchedule"]
    assert (schedule["chargingRateUnit"], schedule["chargingSchedulePeriod"][0]["limit"]) == (
        "A",
        6.0,
    )


async def test_zero_amperes_pauses_without_ending_the_transaction(
    server: Server, make_charger: ChargerFactory
) -> None:
    """0 A: the car stops drawing, SuspendedEVSE, the transaction stays open; resume works."""
    charger, session, transaction_id = await charging(server, make_charger)
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.CHARGING)
    await session.apply_limit(ChargingLimit(connector_id=1, value=0))
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.SUSPENDED_EVSE)
    assert charger.draw(1) == 0.0
    assert charger.connector(1).transaction_id == transaction_id
    assert session.state.connector(1).transaction_id == transaction_id
    assert [t.transaction_id for t in server.system.ledger.open_transactions("CP-1")] == [
        transaction_id
    ]
    await session.apply_limit(ChargingLimit(connector_id=1, value=16))
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.CHARGING)
    assert charger.draw(1) == 16.0


async def test_stack_level_clamped_to_what_the_charger_supports(
    server: Server, make_charger: ChargerFactory
) -> None:
    """ChargeProfileMaxStackLevel 0: stack level 0, accepted."""
    charger, session, _ = await charging(
        server, make_charger, max_stack_level=0, quirks=frozenset({STACK_LEVEL_ZERO_ONLY})
    )
    await session.apply_limit(ChargingLimit(connector_id=1, value=9))
    payload = await charger.wait_for_call("SetChargingProfile")
    assert payload["csChargingProfiles"]["stackLevel"] == 0
    assert charger.effective_limit(1) == 9.0


async def test_every_purpose_rejected(server: Server, make_charger: ChargerFactory) -> None:
    """Every purpose refused: ChargerRejectedError; nothing remembered, nothing shown."""
    charger, session, _ = await charging(
        server, make_charger, quirks=frozenset({STACK_LEVEL_ZERO_ONLY})
    )
    with pytest.raises(ChargerRejectedError) as caught:
        await session.apply_limit(ChargingLimit(connector_id=1, value=9))
    assert (caught.value.charger_id, caught.value.action, caught.value.status) == (
        "CP-1",
        "SetChargingProfile",
        "Rejected",
    )
    assert str(caught.value) == "CP-1: SetChargingProfile answered Rejected"
    assert profiles_sent(charger) == [(1, TX, 7013), (1, TX_DEFAULT, 7012)]
    assert session.limit_purposes == {}
    assert session.state.connector(1).applied_limit is None
    assert charger.effective_limit(1) is None


async def test_charger_without_smart_charging(server: Server, make_charger: ChargerFactory) -> None:
    """No SmartCharging profile: ChargerNotSupportedError, nothing sent."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    assert session.state.capabilities is not None
    session.state.capabilities = dataclasses.replace(
        session.state.capabilities, smart_charging=False
    )
    with pytest.raises(ChargerNotSupportedError) as caught:
        await session.apply_limit(ChargingLimit(connector_id=1, value=9))
    assert caught.value.feature == "SmartCharging"
    assert profiles_sent(charger) == []


async def test_callerror_answer_is_a_rejection(
    server: Server, raw_client: RawClientFactory
) -> None:
    """A CALLERROR answer is ChargerRejectedError with its code, after trying each purpose."""
    client = await raw_client(server, "CP-RAW", answers=QUIET_ANSWERS)
    await client.call(
        "b-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    session = server.session("CP-RAW")
    # GetConfiguration, MeterValueSampleInterval, MeterValuesSampledData: after the boot.
    await client.answer_calls(3)
    await wait_until(lambda: session.state.configured)
    task = asyncio.create_task(session.apply_limit(ChargingLimit(connector_id=0, value=10)))
    purposes = []
    for _ in range(2):
        frame = await client.receive()
        assert frame[:3] == [CALL, frame[1], "SetChargingProfile"]
        purposes.append(frame[3]["csChargingProfiles"]["chargingProfilePurpose"])
        await client.send([CALL_ERROR, frame[1], "NotSupported", "no profiles here", {}])
    with pytest.raises(ChargerRejectedError) as caught:
        await task
    assert purposes == [CP_MAX, TX_DEFAULT]
    assert caught.value.status == "NotSupported"


async def test_offline_charger(server: Server, make_charger: ChargerFactory) -> None:
    """Every command to a disconnected charger raises ChargerOfflineError."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    await charger.close()
    await wait_until(lambda: not session.connected)
    assert session.state.connected is False
    commands = [
        session.apply_limit(ChargingLimit(connector_id=1, value=10)),
        session.clear_limit(1),
        session.remote_start(1, "TAG"),
        session.set_available(0, False),
    ]
    for command in commands:
        with pytest.raises(ChargerOfflineError) as caught:
            await command
        assert str(caught.value) == "CP-1: offline"
    with pytest.raises(ChargerOfflineError):
        await server.system.session("never-seen").apply_limit(
            ChargingLimit(connector_id=0, value=10)
        )


async def test_charger_that_does_not_answer(
    make_server: ServerFactory, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No answer within response_timeout: ChargerTimeoutError (the setup after the boot too)."""
    server = await make_server(settings=fast_settings(response_timeout=0.2))
    client = await raw_client(server, "CP-MUTE")
    await client.call(
        "b-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    for action in ("GetConfiguration", "ChangeConfiguration", "ChangeConfiguration"):
        assert (await client.receive())[2] == action
    session = server.session("CP-MUTE")
    await wait_until(lambda: any("setup incomplete" in r.getMessage() for r in caplog.records))
    assert [r.getMessage() for r in caplog.records if "setup incomplete" in r.getMessage()] == [
        "CP-MUTE: setup incomplete (no answer to GetConfiguration; no answer to"
        " ChangeConfiguration; no answer to ChangeConfiguration); tried again on a message"
        " after 30 s"
    ]
    with pytest.raises(ChargerTimeoutError) as caught:
        await session.apply_limit(ChargingLimit(connector_id=0, value=10))
    assert caught.value.action == "SetChargingProfile"
    frame = await client.receive()
    assert frame[2] == "SetChargingProfile"
    assert session.limit_purposes == {}
    assert session.connected


# --- the other commands -----------------------------------------------------------------------


async def test_clear_limit(server: Server, make_charger: ChargerFactory) -> None:
    """Every profile id this integration may have installed on the connector is cleared."""
    charger, session, _ = await charging(server, make_charger)
    await session.apply_limit(ChargingLimit(connector_id=1, value=10))
    assert charger.effective_limit(1) == 10.0
    await session.clear_limit(1)
    assert [p for a, p in charger.calls if a == "ClearChargingProfile"] == [
        {"id": 7011},
        {"id": 7012},
        {"id": 7013},
    ]
    assert charger.effective_limit(1) is None
    assert session.state.connector(1).applied_limit is None
    assert session.state.connector(1).applied_limit_unit is None

    await session.apply_limit(ChargingLimit(connector_id=0, value=10))
    await session.clear_limit(0)
    assert [p["id"] for a, p in charger.calls if a == "ClearChargingProfile"][3:] == [
        7001,
        7002,
        7003,
    ]
    assert [c.applied_limit for c in session.state.outlets] == [None]


async def test_remote_start_and_stop(server: Server, make_charger: ChargerFactory) -> None:
    """RemoteStart starts a transaction; RemoteStop ends it (reason Remote)."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    await session.remote_start(1, "TAG-R")
    assert await charger.wait_for_call("RemoteStartTransaction") == {
        "idTag": "TAG-R",
        "connectorId": 1,
    }
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    transaction_id = session.state.connector(1).transaction_id
    assert session.state.connector(1).id_tag == "TAG-R"

    with pytest.raises(ChargerRejectedError) as caught:
        await session.remote_start(1, "TAG-R")
    assert (caught.value.action, caught.value.status) == ("RemoteStartTransaction", "Rejected")

    await session.remote_stop(1)
    assert await charger.wait_for_call("RemoteStopTransaction") == {"transactionId": transaction_id}
    await wait_until(lambda: session.state.connector(1).transaction_id is None)
    assert transaction_id is not None
    finished = server.system.ledger.get(transaction_id)
    assert finished is not None
    assert finished.stop_reason == "Remote"
    # Nothing to stop: no call.
    await session.remote_stop(1)
    assert [a for a, _ in charger.calls].count("RemoteStopTransaction") == 1


async def test_change_availability(server: Server, make_charger: ChargerFactory) -> None:
    """Inoperative/Operative; Scheduled while a transaction runs."""
    charger, session = await connected_charger(server, make_charger, "CP-1", connectors=2)
    await session.set_available(0, False)
    assert await charger.wait_for_call("ChangeAvailability") == {
        "connectorId": 0,
        "type": "Inoperative",
    }
    assert session.state.available is False
    await wait_until(
        lambda: session.state.connector(2).status is ConnectorStatus.UNAVAILABLE
        and session.state.connector(0).status is ConnectorStatus.UNAVAILABLE
    )
    await session.set_available(0, True)
    assert session.state.available is True
    await wait_until(lambda: session.state.connector(2).status is ConnectorStatus.AVAILABLE)

    await charger.start_transaction(1)
    adapter = session.require_adapter()
    assert await adapter.change_availability(1, False) == "Scheduled"
    assert await adapter.change_availability(2, False) == "Accepted"
    assert session.state.available is True


async def test_reset(server: Server, make_charger: ChargerFactory) -> None:
    """Reset Soft: the charger reboots and connects again."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    old_adapter = session.adapter
    await session.require_adapter().reset(hard=False)
    assert await charger.wait_for_call("Reset") == {"type": "Soft"}
    await wait_until(lambda: session.adapter not in (None, old_adapter))
    await charger.wait_accepted()
    assert session.connected


async def test_unlock(server: Server, make_charger: ChargerFactory) -> None:
    """Unlocked; UnlockFailed is a rejection."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    adapter = session.require_adapter()
    await adapter.unlock(1)
    assert await charger.wait_for_call("UnlockConnector") == {"connectorId": 1}
    with pytest.raises(ChargerRejectedError) as caught:
        await adapter.unlock(5)
    assert caught.value.status == "UnlockFailed"


async def test_get_and_change_configuration(server: Server, make_charger: ChargerFactory) -> None:
    """Known and unknown keys; Accepted, Rejected (read-only), NotSupported (unknown)."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    adapter = session.require_adapter()
    assert await adapter.get_configuration(["HeartbeatInterval", "NoSuchKey"]) == {
        "configuration_key": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknown_key": ["NoSuchKey"],
    }
    everything = await adapter.get_configuration(None)
    assert [calls for calls in charger.calls if calls[0] == "GetConfiguration"][-1] == (
        "GetConfiguration",
        {},
    )
    assert [entry["key"] for entry in everything["configuration_key"]] == [
        entry["key"] for entry in charger.config.get()[0]
    ]
    assert everything["unknown_key"] == []

    assert await adapter.change_configuration("HeartbeatInterval", "60") == "Accepted"
    assert charger.config.value("HeartbeatInterval") == "60"
    for key, status in (("NumberOfConnectors", "Rejected"), ("NoSuchKey", "NotSupported")):
        with pytest.raises(ChargerRejectedError) as caught:
            await adapter.change_configuration(key, "2")
        assert (caught.value.action, caught.value.status) == ("ChangeConfiguration", status)


async def test_trigger_message(server: Server, make_charger: ChargerFactory) -> None:
    """Accepted and sent; NotImplemented is a rejection."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    adapter = session.require_adapter()
    booted = session.state.last_heartbeat  # The boot counts as the first heartbeat.
    assert booted is not None
    assert await adapter.trigger(Trigger.HEARTBEAT, None) == "Accepted"
    assert await charger.wait_for_call("TriggerMessage") == {"requestedMessage": "Heartbeat"}
    await wait_until(lambda: session.state.last_heartbeat != booted)
    assert await adapter.trigger(Trigger.STATUS, 1) == "Accepted"
    assert await charger.wait_for_call("TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "connectorId": 1,
    }
    with pytest.raises(ChargerRejectedError) as caught:
        await adapter.trigger(Trigger.DIAGNOSTICS_STATUS, None)
    assert caught.value.status == "NotImplemented"


async def test_data_transfer(server: Server, make_charger: ChargerFactory) -> None:
    """The charger's answer is returned as it is."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    adapter = session.require_adapter()
    assert await adapter.data_transfer("acme", "hello", "payload") == {
        "status": "Accepted",
        "data": "payload",
    }
    assert await charger.wait_for_call("DataTransfer") == {
        "vendorId": "acme",
        "messageId": "hello",
        "data": "payload",
    }
    assert await adapter.data_transfer("unknown", None, None) == {
        "status": "UnknownVendorId",
        "data": None,
    }
    assert await charger.wait_for_call("DataTransfer") == {"vendorId": "unknown"}
