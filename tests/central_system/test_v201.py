"""OCPP 2.0.1 on the wire: a raw client speaks the frames a 2.0.1 station sends and answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from custom_components.smart_charging.central_system.device_model import DeviceVariable
from custom_components.smart_charging.central_system.errors import (
    ChargerRejectedError,
    ChargerWrongVersionError,
)
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.model import ConnectorStatus
from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.central_system.trigger import Trigger
from custom_components.smart_charging.central_system.v201.adapter import V201Adapter

from .conftest import RawClient, RawClientFactory, Server, ServerFactory, wait_until

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
ID = "CS-201"
NOW = "2026-12-06T12:00:00.000Z"


def _result(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {
        "attributeStatus": "Accepted",
        "component": {"name": component},
        "variable": {"name": variable},
        **extra,
    }


# What the raw station answers to the setup after its boot.
SETUP_ANSWERS: dict[str, dict[str, Any]] = {
    "GetVariables": {
        "getVariableResult": [
            _result("SmartChargingCtrlr", "Enabled", attributeValue="true"),
            _result("SmartChargingCtrlr", "RateUnit", attributeValue="W"),
            _result("SmartChargingCtrlr", "ProfileStackLevel", attributeValue="4"),
            _result("SmartChargingCtrlr", "PeriodsPerSchedule", attributeValue="12"),
        ]
    },
    "GetBaseReport": {"status": "Accepted"},
    "SetVariables": {
        "setVariableResult": [
            _result("SampledDataCtrlr", "TxUpdatedInterval"),
            _result("SampledDataCtrlr", "TxUpdatedMeasurands"),
            _result("AlignedDataCtrlr", "Interval"),
            _result("AlignedDataCtrlr", "Measurands"),
        ]
    },
}
BOOT = {
    "chargingStation": {"model": "M201", "vendorName": "V", "serialNumber": "S-1"},
    "reason": "PowerUp",
}


def energy(wh: float, *, power: float = 11000, offered: float = 16) -> list[dict[str, Any]]:
    """A meterValue with the energy register (in kWh, multiplier 3 on Wh for power)."""
    return [
        {
            "timestamp": NOW,
            "sampledValue": [
                {
                    "value": wh / 1000,
                    "measurand": "Energy.Active.Import.Register",
                    "unitOfMeasure": {"unit": "kWh"},
                },
                {
                    "value": power / 1000,
                    "measurand": "Power.Active.Import",
                    "unitOfMeasure": {"unit": "W", "multiplier": 3},
                },
                {"value": offered, "measurand": "Current.Offered"},
            ],
        }
    ]


def event(
    event_type: str, seq_no: int, transaction_id: str = "tx-1", **fields: Any
) -> dict[str, Any]:
    """A TransactionEvent payload on EVSE 1."""
    return {
        "eventType": event_type,
        "timestamp": NOW,
        "triggerReason": fields.pop("triggerReason", "Authorized"),
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, **fields.pop("info", {})},
        "evse": {"id": 1, "connectorId": 1},
        **fields,
    }


async def booted(server: Server, raw_client: RawClientFactory) -> tuple[RawClient, ChargerSession]:
    """A 2.0.1 station that booted and went through the setup."""
    client = await raw_client(
        server, ID, protocols=("ocpp1.6", "ocpp2.0.1"), answers=dict(SETUP_ANSWERS)
    )
    assert client.websocket.protocol == "ocpp2.0.1"
    answer = await client.call("b-1", "BootNotification", BOOT)
    assert answer[2]["status"] == "Accepted"
    await client.answer_calls(3)
    session = server.system.sessions[ID]
    await wait_until(lambda: session.state.configured)
    client.answers.clear()
    return client, session


async def command(client: RawClient, pending: Awaitable[Any], answer: dict[str, Any]) -> list[Any]:
    """Run a command of ours, answer its CALL with `answer`; return the CALL."""
    task = asyncio.ensure_future(pending)
    frame = await client.receive()
    assert frame[0] == CALL
    await client.send([CALL_RESULT, frame[1], answer])
    await task
    return frame


async def test_boot_and_setup(server: Server, raw_client: RawClientFactory) -> None:
    """Accepted; the device model read, the sampling set, the inventory asked for."""
    client, session = await booted(server, raw_client)
    assert session.state.boot is not None
    assert (session.state.boot.vendor, session.state.boot.serial_number) == ("V", "S-1")
    assert isinstance(session.adapter, V201Adapter)
    assert session.adapter.ocpp_version == "2.0.1"
    get, set_, report = client.calls
    assert report[3] == {"requestId": 1, "reportBase": "FullInventory"}
    assert [item["variable"]["name"] for item in get[3]["getVariableData"]] == [
        "Enabled",
        "RateUnit",
        "ProfileStackLevel",
        "PeriodsPerSchedule",
    ]
    assert set_[3]["setVariableData"][0] == {
        "component": {"name": "SampledDataCtrlr"},
        "variable": {"name": "TxUpdatedInterval"},
        "attributeValue": "10",
    }
    # Outside transactions: the energy register on the clock, every quarter-hour.
    assert set_[3]["setVariableData"][2:] == [
        {
            "component": {"name": "AlignedDataCtrlr"},
            "variable": {"name": "Interval"},
            "attributeValue": "900",
        },
        {
            "component": {"name": "AlignedDataCtrlr"},
            "variable": {"name": "Measurands"},
            "attributeValue": "Energy.Active.Import.Register",
        },
    ]
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert (capabilities.rate_units, capabilities.max_stack_level) == (frozenset({"W"}), 4)
    assert session.state.refused_configuration == {}


async def test_nothing_before_the_boot(server: Server, raw_client: RawClientFactory) -> None:
    """Before its boot was accepted a station may not report: SecurityError."""
    client = await raw_client(server, ID, protocols=("ocpp2.0.1",))
    answer = await client.call("s-1", "Heartbeat", {})
    assert answer[0] == CALL_RESULT
    answer = await client.call(
        "s-2",
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    )
    assert answer[:3] == [CALL_ERROR, "s-2", "SecurityError"]


async def test_a_transaction_counted_once(server: Server, raw_client: RawClientFactory) -> None:
    """Started, Updated, Ended; each replayed: one transaction, its energy once."""
    client, session = await booted(server, raw_client)
    token = {"idToken": "TAG-1", "type": "ISO14443"}
    start = event(
        "Started", 0, idToken=token, meterValue=energy(1000), info={"chargingState": "Charging"}
    )
    for message_id in ("t-1", "t-1b"):  # the second as after a reconnect
        answer = await client.call(message_id, "TransactionEvent", start)
        assert answer[2] == {"idTokenInfo": {"status": "Accepted"}}
    (transaction,) = session.ledger.open_transactions(ID)
    assert (transaction.external_id, transaction.meter_start) == ("tx-1", 1000.0)
    connector = session.state.connector(1)
    assert connector.transaction_id == transaction.transaction_id
    assert connector.status is ConnectorStatus.CHARGING
    assert connector.power == 11000.0

    update = event(
        "Updated",
        1,
        triggerReason="MeterValuePeriodic",
        meterValue=energy(3500),
        info={"chargingState": "SuspendedEV"},
    )
    await client.call("t-2", "TransactionEvent", update)
    assert connector.session_energy == 2500.0
    assert connector.status is ConnectorStatus.SUSPENDED_EV
    # Occupied while the transaction runs keeps its charging state.
    await client.call(
        "t-3",
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
    )
    assert connector.status is ConnectorStatus.SUSPENDED_EV

    end = event(
        "Ended",
        2,
        triggerReason="StopAuthorized",
        meterValue=energy(4000),
        info={"stoppedReason": "Local"},
    )
    for message_id in ("t-4", "t-4b"):
        await client.call(message_id, "TransactionEvent", end)
    assert session.ledger.open_transactions(ID) == []
    finished = session.ledger.get(transaction.transaction_id)
    assert finished is not None
    assert (finished.energy, finished.stop_reason, finished.last_seq_no) == (3000.0, "Local", 2)
    assert connector.transaction_id is None
    assert connector.status is ConnectorStatus.FINISHING
    # A Started replayed after its end opens nothing again.
    await client.call("t-5", "TransactionEvent", start)
    assert session.ledger.open_transactions(ID) == []


async def test_an_unknown_end_and_an_event_without_evse(
    server: Server, raw_client: RawClientFactory
) -> None:
    """Answered and ignored: nothing to count."""
    client, session = await booted(server, raw_client)
    answer = await client.call("u-1", "TransactionEvent", event("Ended", 3, "nope"))
    assert answer[0] == CALL_RESULT
    no_evse = event("Started", 0, "tx-9")
    del no_evse["evse"]
    answer = await client.call("u-2", "TransactionEvent", no_evse)
    assert answer[0] == CALL_RESULT
    assert session.ledger.open_transactions(ID) == []


async def test_commands(server: Server, raw_client: RawClientFactory) -> None:
    """Each command in 2.0.1's own message, with the station's transaction id where needed."""
    client, session = await booted(server, raw_client)
    await client.call(
        "t-1",
        "TransactionEvent",
        event("Started", 0, "tx-7", meterValue=energy(0), info={"chargingState": "Charging"}),
    )
    transaction_id = session.state.connector(1).transaction_id
    assert transaction_id is not None

    frame = await command(
        client, session.apply_limit(ChargingLimit(connector_id=1, value=10)), {"status": "Accepted"}
    )
    assert frame[2] == "SetChargingProfile"
    profile = frame[3]["chargingProfile"]
    assert (frame[3]["evseId"], profile["chargingProfilePurpose"]) == (1, "TxProfile")
    assert profile["transactionId"] == "tx-7"
    assert profile["stackLevel"] == 2
    # A W-only station gets the limit in W: 10 A x 230 V x 3.
    assert profile["chargingSchedule"][0]["chargingRateUnit"] == "W"
    assert profile["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 6900.0

    frame = await command(
        client,
        session.apply_limit(ChargingLimit(connector_id=0, value=32, duration=60)),
        {"status": "Accepted"},
    )
    assert frame[3]["evseId"] == 0
    assert frame[3]["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"
    assert "validTo" in frame[3]["chargingProfile"]

    frame = await command(client, session.remote_stop(1), {"status": "Accepted"})
    assert frame[2:] == ["RequestStopTransaction", {"transactionId": "tx-7"}]
    frame = await command(client, session.remote_start(1, "TAG"), {"status": "Accepted"})
    assert frame[2] == "RequestStartTransaction"
    assert frame[3]["idToken"] == {"idToken": "TAG", "type": "Central"}
    assert frame[3]["evseId"] == 1
    frame = await command(client, session.set_available(1, False), {"status": "Scheduled"})
    assert frame[3] == {"operationalStatus": "Inoperative", "evse": {"id": 1}}
    adapter = session.require_adapter()
    frame = await command(client, adapter.reset(hard=False), {"status": "Accepted"})
    assert frame[3] == {"type": "OnIdle"}
    frame = await command(client, adapter.unlock(1), {"status": "Unlocked"})
    assert frame[3] == {"evseId": 1, "connectorId": 1}
    frame = await command(client, adapter.trigger(Trigger.METER_VALUES, 1), {"status": "Accepted"})
    assert frame[3] == {"requestedMessage": "MeterValues", "evse": {"id": 1}}
    frame = await command(
        client, adapter.data_transfer("acme", "m", "d"), {"status": "Accepted", "data": "ok"}
    )
    assert frame[3] == {"vendorId": "acme", "messageId": "m", "data": "d"}
    task = asyncio.ensure_future(session.clear_limit(1))
    for _ in range(3):
        frame = await client.receive()
        assert frame[2] == "ClearChargingProfile"
        await client.send([CALL_RESULT, frame[1], {"status": "Unknown"}])
    await task
    frame = await command(
        client,
        adapter.set_intervals(15, 600),
        {
            "setVariableResult": [
                _result("SampledDataCtrlr", "TxUpdatedInterval"),
                {**_result("OCPPCommCtrlr", "HeartbeatInterval"), "attributeStatus": "Rejected"},
            ]
        },
    )
    assert [item["attributeValue"] for item in frame[3]["setVariableData"]] == ["15", "600"]
    with pytest.raises(ChargerWrongVersionError) as wrong:
        await adapter.get_configuration(None)
    assert wrong.value.instead == "get_variables"
    with pytest.raises(ChargerWrongVersionError) as wrong:
        await adapter.change_configuration("K", "V")
    assert wrong.value.instead == "set_variables"
    frame = await command(
        client,
        adapter.get_variables([DeviceVariable("EVSE", "Power", evse=1, attribute="MaxSet")]),
        {"getVariableResult": [_result("EVSE", "Power", attributeValue="11000")]},
    )
    assert frame[3]["getVariableData"] == [
        {
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "Power"},
            "attributeType": "MaxSet",
        }
    ]


async def test_refusals(server: Server, raw_client: RawClientFactory) -> None:
    """A rejected profile is tried with the next purpose; the last refusal raises."""
    client, session = await booted(server, raw_client)
    task = asyncio.ensure_future(session.apply_limit(ChargingLimit(connector_id=0, value=20)))
    purposes = []
    for _ in range(2):
        frame = await client.receive()
        purposes.append(frame[3]["chargingProfile"]["chargingProfilePurpose"])
        await client.send([CALL_RESULT, frame[1], {"status": "Rejected"}])
    with pytest.raises(ChargerRejectedError):
        await task
    assert purposes == ["ChargingStationMaxProfile", "TxDefaultProfile"]
    with pytest.raises(ChargerRejectedError):  # a transaction the ledger does not know
        await session.require_adapter().remote_stop(999)


async def test_what_the_car_and_others_tell(server: Server, raw_client: RawClientFactory) -> None:
    """Charging needs, an external limit, a problem, a security event, vendor data."""
    client, session = await booted(server, raw_client)
    needs = {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "AC_three_phase",
            "departureTime": "2026-12-06T17:30:00Z",
            "acChargingParameters": {
                "energyAmount": 20000,
                "evMinCurrent": 6,
                "evMaxCurrent": 16,
                "evMaxVoltage": 400,
            },
        },
    }
    answer = await client.call("n-1", "NotifyEVChargingNeeds", needs)
    assert answer[2] == {"status": "Accepted"}
    connector = session.state.connector(1)
    assert (connector.ev_energy_amount, connector.ev_min_current, connector.ev_max_current) == (
        20000.0,
        6,
        16,
    )
    assert connector.ev_departure is not None
    assert connector.ev_departure.hour == 17

    limit = {
        "chargingLimit": {"chargingLimitSource": "EMS"},
        "evseId": 1,
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 4600, "numberPhases": 1}],
            }
        ],
    }
    await client.call("n-2", "NotifyChargingLimit", limit)
    assert (connector.external_limit_source, connector.external_limit) == ("EMS", 20.0)
    await client.call("n-3", "ClearedChargingLimit", {"chargingLimitSource": "EMS", "evseId": 1})
    assert (connector.external_limit_source, connector.external_limit) == (None, None)
    no_value = {"chargingLimit": {"chargingLimitSource": "SO"}}  # the whole station, no schedule
    await client.call("n-3b", "NotifyChargingLimit", no_value)
    assert (connector.external_limit_source, connector.external_limit) == ("SO", None)

    problem = {
        "generatedAt": NOW,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": NOW,
                "trigger": "Alerting",
                "actualValue": "true",
                "techInfo": "RCD tripped",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Problem"},
            }
        ],
    }
    await client.call("n-4", "NotifyEvent", problem)
    assert session.state.last_error == "EVSE: RCD tripped"
    assert session.state.last_security_event is None
    for message_id, action, payload in (
        ("n-5", "SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": NOW}),
        ("n-6", "FirmwareStatusNotification", {"status": "Installed"}),
        ("n-7", "LogStatusNotification", {"status": "Idle"}),
        ("n-8", "NotifyReport", {"requestId": 1, "generatedAt": NOW, "seqNo": 0}),
        ("n-9", "MeterValues", {"evseId": 0, "meterValue": energy(5000)}),
        ("n-10", "Authorize", {"idToken": {"idToken": "X", "type": "ISO14443"}}),
        (
            "n-11",
            "NotifyEVChargingSchedule",
            {
                "timeBase": NOW,
                "evseId": 1,
                "chargingSchedule": {
                    "id": 1,
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
                },
            },
        ),
    ):
        answer = await client.call(message_id, action, payload)
        assert answer[0] == CALL_RESULT, (action, answer)
    assert session.state.connector(0).energy == 5000.0
    assert session.state.last_security_event == f"FirmwareUpdated at {NOW}"
    answer = await client.call("n-12", "DataTransfer", {"vendorId": "acme"})
    assert answer[2] == {"status": "UnknownVendorId"}


async def test_offline_events_replayed_count_once(
    server: Server, raw_client: RawClientFactory
) -> None:
    """Events queued while offline come late, with old times and twice: counted once."""
    client, session = await booted(server, raw_client)
    start = event("Started", 0, "tx-off", meterValue=energy(10_000), offline=True)
    updates = [
        event(
            "Updated",
            seq,
            "tx-off",
            triggerReason="MeterValuePeriodic",
            meterValue=[
                {**energy(10_000 + 1000 * seq)[0], "timestamp": f"2026-12-06T11:0{seq}:00Z"}
            ],
            offline=True,
        )
        for seq in (1, 2, 3)
    ]
    end = event("Ended", 4, "tx-off", meterValue=energy(14_000), offline=True)
    frames = [start, updates[1], updates[0], updates[1], updates[2], end, updates[2], end]
    for number, payload in enumerate(frames):
        answer = await client.call(f"o-{number}", "TransactionEvent", payload)
        assert answer[0] == CALL_RESULT
    transaction = session.ledger.find_external(ID, "tx-off")
    assert transaction is not None
    assert transaction.stopped_at is not None
    assert (transaction.energy, transaction.last_seq_no) == (4000.0, 4)
    assert session.state.connector(1).energy == 14_000.0


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "RpcFrameworkError"),
        ('{"a": 1}', "RpcFrameworkError"),
        ('[2, "m-1"]', "RpcFrameworkError"),
        ('[6, "m-2", "Heartbeat", {}]', "MessageTypeNotSupported"),
        ('[2, "m-3", "Heartbeat", {"extra": 1}]', "FormatViolation"),
        ('[2, "m-4", "NoSuchAction", {}]', "NotImplemented"),
        ('[2, "m-5", "StatusNotification", {"evseId": 1}]', "ProtocolError"),
        (
            '[2, "m-6", "GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}]',
            "NotSupported",
        ),
    ],
)
async def test_bad_frames_get_201_errors(
    server: Server, raw_client: RawClientFactory, frame: str, code: str
) -> None:
    """Each bad frame gets the CALLERROR 2.0.1 names; the connection stays."""
    client, _ = await booted(server, raw_client)
    await client.send(frame)
    answer = await client.receive()
    assert answer[0] == CALL_ERROR
    assert answer[2] == code
    assert (await client.call("h-1", "Heartbeat", {}))[0] == CALL_RESULT


async def test_a_dc_cars_needs(server: Server, raw_client: RawClientFactory) -> None:
    """DC: state of charge, and the car's maximum power as AC current per phase."""
    client, session = await booted(server, raw_client)
    needs = {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "DC",
            "dcChargingParameters": {
                "evMaxCurrent": 200,
                "evMaxVoltage": 800,
                "evMaxPower": 55200,
                "energyAmount": 40000,
                "evEnergyCapacity": 77000,
                "stateOfCharge": 35,
            },
        },
    }
    answer = await client.call("d-1", "NotifyEVChargingNeeds", needs)
    assert answer[2] == {"status": "Accepted"}
    connector = session.state.connector(1)
    assert (connector.soc, connector.ev_energy_amount) == (35.0, 40000.0)
    assert connector.ev_max_current == 80.0  # 55.2 kW over 3 x 230 V, not the 200 A DC
    assert (connector.ev_max_power, connector.ev_energy_capacity) == (55200.0, 77000.0)


async def test_approval_of_a_201_station(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """Ask: Pending, nothing else taken; approved, it is asked to boot and then set up."""
    server = await make_server(policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ASK))
    client = await raw_client(server, ID, protocols=("ocpp2.0.1",))
    answer = await client.call("b-1", "BootNotification", BOOT)
    assert answer[2]["status"] == "Pending"
    refused = await client.call(
        "s-1",
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    )
    assert refused[:3] == [CALL_ERROR, "s-1", "SecurityError"]

    server.system.approve(ID)
    trigger = await client.receive()
    assert trigger[2:] == ["TriggerMessage", {"requestedMessage": "BootNotification"}]
    await client.send([CALL_RESULT, trigger[1], {"status": "Accepted"}])
    client.answers.update(SETUP_ANSWERS)
    answer = await client.call("b-2", "BootNotification", BOOT)
    assert answer[2]["status"] == "Accepted"
    await client.answer_calls(3)
    session = server.system.sessions[ID]
    await wait_until(lambda: session.state.configured)
    assert ID in server.system.policy.approved
