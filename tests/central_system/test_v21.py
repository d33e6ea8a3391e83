"""OCPP 2.1 on the wire: a raw client speaks the frames a bidirectional station sends."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ocpp.v21 import call as call21
import pytest

from custom_components.smart_charging.central_system.errors import ChargerNotSupportedError
from custom_components.smart_charging.central_system.limits import ChargingLimit, LimitUnit
from custom_components.smart_charging.central_system.model import V2XSupport
from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.central_system.v21.adapter import V21Adapter

from .conftest import RawClient, RawClientFactory, Server, wait_until
from .test_v201 import BOOT, CALL, CALL_ERROR, CALL_RESULT, NOW, SETUP_ANSWERS, command, event

ID = "CS-21"
LATER = "2026-12-06T12:05:00.000Z"
EARLIER = "2026-12-06T11:55:00.000Z"

V2X_REPORT = [
    {
        "component": {"name": "V2XChargingCtrlr", "evse": {"id": 1}},
        "variable": {"name": name},
        "variableAttribute": [{"value": value}],
    }
    for name, value in (
        ("Enabled", "true"),
        ("SupportedOperationModes", "ChargingOnly,CentralSetpoint,ExternalLimits"),
        ("SupportedEnergyTransferModes", "AC_three_phase,AC_BPT"),
    )
] + [
    {
        "component": {"name": "ISO15118Ctrlr", "evse": {"id": 1}},
        "variable": {"name": "Enabled"},
        "variableAttribute": [{"value": "true"}],
    },
    {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "DischargePower"},
        "variableAttribute": [{"value": "0"}],
        "variableCharacteristics": {
            "dataType": "decimal",
            "supportsMonitoring": False,
            "maxLimit": 9000,
        },
    },
]
NEEDS = {
    "evseId": 1,
    "chargingNeeds": {
        "requestedEnergyTransfer": "AC_BPT",
        "availableEnergyTransfer": ["AC_BPT", "AC_three_phase"],
        "controlMode": "DynamicControl",
        "departureTime": "2026-12-07T07:30:00.000Z",
        "v2xChargingParameters": {
            "maxChargePower": 11000,
            "maxDischargePower": 10000,
            "minDischargePower": 1400,
            "evMinV2XEnergyRequest": -20000,
            "evMaxV2XEnergyRequest": 30000,
            "evTargetEnergyRequest": 25000,
            "evMaxEnergyRequest": 40000,
            "targetSoC": 80,
        },
    },
}


async def booted(server: Server, raw_client: RawClientFactory) -> tuple[RawClient, ChargerSession]:
    """A 2.1 station booted on a raw client, its setup answered."""
    client = await raw_client(
        server, ID, protocols=("ocpp1.6", "ocpp2.0.1", "ocpp2.1"), answers=dict(SETUP_ANSWERS)
    )
    assert client.websocket.protocol == "ocpp2.1"
    answer = await client.call("b-1", "BootNotification", BOOT)
    assert answer[2]["status"] == "Accepted"
    await client.answer_calls(3)
    session = server.system.sessions[ID]
    await wait_until(lambda: session.state.configured)
    client.answers.clear()
    return client, session


def adapter_of(session: ChargerSession) -> V21Adapter:
    """The session's live 2.1 adapter."""
    adapter = session.adapter
    assert isinstance(adapter, V21Adapter)
    return adapter


async def bidirectional_session(
    server: Server, raw_client: RawClientFactory
) -> tuple[RawClient, ChargerSession]:
    """A booted station, its V2X support reported, a transaction whose car asked for AC_BPT."""
    client, session = await booted(server, raw_client)
    report = {"requestId": 1, "generatedAt": NOW, "seqNo": 0, "reportData": V2X_REPORT}
    await client.call("r-1", "NotifyReport", report)
    start = event("Started", 0, idToken={"idToken": "TAG-1", "type": "ISO14443"})
    await client.call("t-1", "TransactionEvent", start)
    answer = await client.call("n-1", "NotifyEVChargingNeeds", NEEDS)
    assert answer[2] == {"status": "Accepted"}
    # The car asked: the central system tells what it may, after its answer.
    allowed = await client.receive()
    assert allowed[:3] == [CALL, allowed[1], "NotifyAllowedEnergyTransfer"]
    assert allowed[3] == {"transactionId": "tx-1", "allowedEnergyTransfer": ["AC_three_phase"]}
    await client.send([CALL_RESULT, allowed[1], {"status": "Accepted"}])
    connector = session.state.connector(1)
    await wait_until(lambda: connector.allowed_transfer == ("AC_three_phase",))
    return client, session


async def test_boot_prefers_21_and_meters_both_directions(
    server: Server, raw_client: RawClientFactory
) -> None:
    """2.1 wins over older versions; the setup samples the export register and power too."""
    client, session = await booted(server, raw_client)
    assert session.state.ocpp_version == "2.1"
    set_variables = next(frame for frame in client.calls if frame[2] == "SetVariables")
    values = {
        (item["component"]["name"], item["variable"]["name"]): item["attributeValue"]
        for item in set_variables[3]["setVariableData"]
    }
    measurands = values[("SampledDataCtrlr", "TxUpdatedMeasurands")].split(",")
    assert {"Energy.Active.Export.Register", "Power.Active.Export", "Current.Export"} <= set(
        measurands
    )
    assert values[("AlignedDataCtrlr", "Measurands")] == (
        "Energy.Active.Import.Register,Energy.Active.Export.Register"
    )


async def test_v2x_support_and_charging_needs(server: Server, raw_client: RawClientFactory) -> None:
    """The inventory's V2XChargingCtrlr and the car's V2X window reach the model."""
    client, session = await bidirectional_session(server, raw_client)
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.v2x_of(1) == V2XSupport(
        enabled=True,
        operation_modes=frozenset({"ChargingOnly", "CentralSetpoint", "ExternalLimits"}),
        transfer_modes=frozenset({"AC_three_phase", "AC_BPT"}),
        max_discharge_power=9000,
        iso15118=True,
    )
    assert capabilities.v2x_of(1).can_discharge
    connector = session.state.connector(1)
    assert connector.discharge_capable
    assert not session.state.connector(2).discharge_capable  # no V2X controller on EVSE 2
    assert connector.bidirectional
    assert connector.ev_transfer_modes == ("AC_BPT", "AC_three_phase")
    assert (connector.ev_max_discharge_power, connector.ev_min_discharge_power) == (10000, 1400)
    assert connector.ev_max_discharge_current == pytest.approx(10000 / 690)
    assert (connector.ev_min_v2x_energy, connector.ev_max_v2x_energy) == (-20000, 30000)
    assert connector.ev_target_soc == 80
    assert connector.ev_max_energy == 40000
    # No AC parameters: the V2X ones give the energy target and the maximum.
    assert connector.ev_energy_amount == 25000
    assert connector.ev_max_power == 11000
    assert connector.ev_max_current == pytest.approx(11000 / 690)
    # The session ends: what the car told goes with it.
    end = event("Ended", 1, triggerReason="EVDeparted", info={"stoppedReason": "EVDisconnected"})
    await client.call("t-2", "TransactionEvent", end)
    assert not connector.bidirectional
    assert connector.ev_max_discharge_power is None
    assert connector.allowed_transfer == ()


async def test_permission_follows_the_user(server: Server, raw_client: RawClientFactory) -> None:
    """Allowing discharging offers the car's BPT mode; forbidding takes it back; no repeats."""
    client, session = await bidirectional_session(server, raw_client)
    frame = await command(client, session.allow_discharge(1, True), {"status": "Accepted"})
    assert frame[2:] == [
        "NotifyAllowedEnergyTransfer",
        {"transactionId": "tx-1", "allowedEnergyTransfer": ["AC_BPT", "AC_three_phase"]},
    ]
    connector = session.state.connector(1)
    assert connector.allowed_transfer == ("AC_BPT", "AC_three_phase")
    assert session.discharge_allowed(1)
    # The same permission again sends nothing.
    await session.allow_discharge(1, True)
    frame = await command(client, session.allow_discharge(1, False), {"status": "Accepted"})
    assert frame[3]["allowedEnergyTransfer"] == ["AC_three_phase"]
    assert not session.discharge_allowed(1)


async def test_permission_refused_is_an_error(server: Server, raw_client: RawClientFactory) -> None:
    """A station that rejects the permission keeps what it had; the caller learns why."""
    client, session = await bidirectional_session(server, raw_client)
    with pytest.raises(Exception, match="NotifyAllowedEnergyTransfer answered Rejected"):
        await command(client, session.allow_discharge(1, True), {"status": "Rejected"})
    assert session.state.connector(1).allowed_transfer == ("AC_three_phase",)


async def test_discharge_is_a_setpoint_that_expires(
    server: Server, raw_client: RawClientFactory
) -> None:
    """A discharge goes out as CentralSetpoint, negative, within its dischargeLimit, with validTo."""
    client, session = await bidirectional_session(server, raw_client)
    limit = ChargingLimit(connector_id=1, value=0, discharge=10, duration=60)
    frame = await command(client, session.apply_limit(limit), {"status": "Accepted"})
    profile = frame[3]["chargingProfile"]
    assert frame[3]["evseId"] == 1
    assert profile["chargingProfilePurpose"] == "TxProfile"
    assert profile["transactionId"] == "tx-1"
    assert "validTo" in profile
    (period,) = profile["chargingSchedule"][0]["chargingSchedulePeriod"]
    # The station's rate unit is W (SETUP_ANSWERS): 10 A on 3 phases at 230 V.
    assert period == {
        "startPeriod": 0,
        "limit": 0.0,
        "operationMode": "CentralSetpoint",
        "setpoint": -6900.0,
        "dischargeLimit": -6900.0,
    }
    assert session.state.connector(1).applied_setpoint == -10


async def test_charging_and_the_safe_default_are_charging_only(
    server: Server, raw_client: RawClientFactory
) -> None:
    """A plain limit and the safe default say ChargingOnly: no discharge without us."""
    client, session = await bidirectional_session(server, raw_client)
    frame = await command(
        client,
        session.apply_limit(ChargingLimit(connector_id=1, value=16, duration=60)),
        {"status": "Accepted"},
    )
    (period,) = frame[3]["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"]
    assert period["operationMode"] == "ChargingOnly"
    assert "setpoint" not in period
    assert session.state.connector(1).applied_setpoint == 16
    frame = await command(
        client,
        session.apply_limit(ChargingLimit(connector_id=0, value=6, safe_default=True)),
        {"status": "Accepted"},
    )
    profile = frame[3]["chargingProfile"]
    assert "validTo" not in profile
    (period,) = profile["chargingSchedule"][0]["chargingSchedulePeriod"]
    assert period["operationMode"] == "ChargingOnly"


async def test_station_with_external_limits_only(
    server: Server, raw_client: RawClientFactory
) -> None:
    """A station that takes no setpoint gets ExternalLimits: it discharges within them."""
    client, session = await bidirectional_session(server, raw_client)
    capabilities = session.state.capabilities
    assert capabilities is not None
    capabilities.v2x[1] = V2XSupport(
        enabled=True,
        operation_modes=frozenset({"ChargingOnly", "ExternalLimits"}),
        transfer_modes=frozenset({"AC_BPT"}),
    )
    limit = ChargingLimit(connector_id=1, value=0, discharge=4000, unit=LimitUnit.WATT, duration=60)
    frame = await command(client, session.apply_limit(limit), {"status": "Accepted"})
    (period,) = frame[3]["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"]
    assert period["operationMode"] == "ExternalLimits"
    assert period["dischargeLimit"] == -4000.0
    assert "setpoint" not in period


async def test_one_way_evse_refuses_a_discharge(
    server: Server, raw_client: RawClientFactory
) -> None:
    """An EVSE whose V2X controller lists no BPT mode cannot discharge: nothing is sent."""
    client, session = await bidirectional_session(server, raw_client)
    capabilities = session.state.capabilities
    assert capabilities is not None
    capabilities.v2x[1] = V2XSupport(enabled=True, transfer_modes=frozenset({"AC_three_phase"}))
    with pytest.raises(ChargerNotSupportedError):
        await session.apply_limit(ChargingLimit(connector_id=1, value=0, discharge=6, duration=60))
    assert client.calls[-1][2] == "NotifyAllowedEnergyTransfer"


async def test_both_registers_counted_once(server: Server, raw_client: RawClientFactory) -> None:
    """Import and export registers are guarded apart; a replay or an old reading adds nothing."""
    client, session = await bidirectional_session(server, raw_client)

    def meter(timestamp: str, imported: float, exported: float, power: float) -> dict[str, Any]:
        return {
            "evseId": 1,
            "meterValue": [
                {
                    "timestamp": timestamp,
                    "sampledValue": [
                        {"value": imported, "measurand": "Energy.Active.Import.Register"},
                        {"value": exported, "measurand": "Energy.Active.Export.Register"},
                        {"value": 0, "measurand": "Power.Active.Import"},
                        {"value": power, "measurand": "Power.Active.Export"},
                    ],
                }
            ],
        }

    await client.call("m-1", "MeterValues", meter(NOW, 5000, 1000, 7000))
    connector = session.state.connector(1)
    assert (connector.energy, connector.energy_export, connector.power) == (5000, 1000, -7000)
    await client.call("m-2", "MeterValues", meter(LATER, 5000, 1600, 7000))
    await client.call("m-2b", "MeterValues", meter(LATER, 5000, 1600, 7000))  # a replay
    await client.call("m-3", "MeterValues", meter(EARLIER, 5000, 400, 7000))  # queued, old
    assert connector.energy_export == 1600
    # A restart restores the guarded register.
    restored = ChargerSession(session._host, "CS-RESTORED")
    restored.load(session.as_dict())
    assert restored.state.connector(1).energy_export == 1600
    assert restored.state.connector(1).discharge_capable
    assert restored.export_registers[1].last_raw == 1600


async def test_unhandled_actions_are_answered(server: Server, raw_client: RawClientFactory) -> None:
    """The library leaves 2.1 actions without a handler unanswered; they get the spec's error."""
    client, _ = await booted(server, raw_client)
    known = await client.call("u-1", "VatNumberValidation", {"vatNumber": "DE123"})
    assert known[0] == CALL_ERROR
    assert known[2] == "NotSupported"
    unknown = await client.call("u-2", "MakeCoffee", {})
    assert unknown[2] == "NotImplemented"


async def test_send_and_callresulterror_are_not_answered(
    server: Server, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """OCPP-J 2.1's SEND and CALLRESULTERROR get no answer and keep the connection."""
    client, _ = await booted(server, raw_client)
    caplog.set_level(logging.DEBUG)
    await client.send([6, "s-1", "NotifyPeriodicEventStream", {"id": 1, "pending": 0}])
    await client.send([6, "s-2"])  # malformed: logged, no answer either
    await client.send([5, "r-9", "InternalError", "could not process", {}])
    answer = await client.call("h-1", "Heartbeat", {})
    assert answer[0] == CALL_RESULT  # the first frame back: nothing answered the three
    assert any("SEND NotifyPeriodicEventStream" in r.getMessage() for r in caplog.records)
    assert any("malformed SEND" in r.getMessage() for r in caplog.records)
    assert any("could not process our answer" in r.getMessage() for r in caplog.records)


async def test_per_phase_fields_go_out_as_the_schema_names_them(
    server: Server, raw_client: RawClientFactory
) -> None:
    """limit_L2, setpoint_L3 … reach the station spelt as in the 2.1 schema, and validate."""
    client, session = await bidirectional_session(server, raw_client)
    period = {
        "start_period": 0,
        "limit": 10.0,
        "limit_l2": 8.0,
        "limit_l3": 6.0,
        "operation_mode": "CentralSetpoint",
        "setpoint": -6.0,
        "setpoint_l2": -4.0,
        "setpoint_l3": 0.0,
        "discharge_limit": -10.0,
        "discharge_limit_l2": -10.0,
        "discharge_limit_l3": -10.0,
    }
    profile = {
        "id": 7,
        "stack_level": 1,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": [
            {
                "id": 7,
                "start_schedule": NOW,
                "charging_rate_unit": "A",
                "charging_schedule_period": [period],
            }
        ],
    }
    adapter = adapter_of(session)
    sent = asyncio.ensure_future(
        adapter._call(
            call21.SetChargingProfile(evse_id=1, charging_profile=profile)  # type: ignore[arg-type]
        )
    )
    frame = await client.receive()
    await client.send([CALL_RESULT, frame[1], {"status": "Accepted"}])
    await sent
    wire = frame[3]["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]
    assert {key for key in wire if key.endswith(("L2", "L3"))} == {
        "limit_L2",
        "limit_L3",
        "setpoint_L2",
        "setpoint_L3",
        "dischargeLimit_L2",
        "dischargeLimit_L3",
    }


async def test_older_versions_refuse_a_discharge(
    server: Server, raw_client: RawClientFactory
) -> None:
    """A 2.0.1 station cannot discharge: the limit is refused before anything is sent."""
    client = await raw_client(server, "CS-201", protocols=("ocpp2.0.1",), answers=SETUP_ANSWERS)
    await client.call("b-1", "BootNotification", BOOT)
    await client.answer_calls(3)
    session = server.system.sessions["CS-201"]
    await wait_until(lambda: session.state.configured)
    sent = len(client.calls)
    with pytest.raises(ChargerNotSupportedError, match="discharging"):
        await session.apply_limit(ChargingLimit(connector_id=1, value=0, discharge=6, duration=60))
    await session.allow_discharge(1, True)  # nothing to tell a 2.0.1 station
    assert len(client.calls) == sent


async def test_bad_input_gets_the_21_error_codes(
    server: Server, raw_client: RawClientFactory
) -> None:
    """2.1 names its errors as 2.0.1 does; the connection stays and the model is untouched."""
    client, session = await booted(server, raw_client)
    bad_needs = {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "AC_SUPERFAST"}}
    answer = await client.call("x-1", "NotifyEVChargingNeeds", bad_needs)
    assert answer[0] == CALL_ERROR
    assert answer[2] in {"FormatViolation", "PropertyConstraintViolation"}
    wrong_type = {"evseId": "one", "chargingNeeds": {"requestedEnergyTransfer": "AC_BPT"}}
    answer = await client.call("x-2", "NotifyEVChargingNeeds", wrong_type)
    assert answer[2] == "TypeConstraintViolation"
    await client.send("not json")
    answer = await client.receive()
    assert answer[:3] == [CALL_ERROR, "-1", "RpcFrameworkError"]
    await client.send([7, "x-3", "Heartbeat", {}])
    answer = await client.receive()
    assert answer[:3] == [CALL_ERROR, "x-3", "MessageTypeNotSupported"]
    assert session.state.connector(1).ev_transfer_mode is None
    heartbeat = await client.call("h-1", "Heartbeat", {})
    assert heartbeat[0] == CALL_RESULT
