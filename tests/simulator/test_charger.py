"""SimulatedCharger against a real OCPP 1.6J central system on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from typing import Any

import aiohttp
import pytest

from simulator.charger import SimulatedCharger, SimulatorError
from simulator.connection import ConnectionClosedError
from simulator.ocpp16 import call, enums
from simulator.spec import ENERGY_KWH, NO_BOOT_ON_RECONNECT
from simulator.timeutil import to_iso

from .central_system import (
    BLOCKED_TAG,
    INVALID_TAG,
    CentralSystem,
    CentralSystemChargePoint,
    ChargerFactory,
)


async def online(
    central_system: CentralSystem, make_charger: ChargerFactory, **spec: Any
) -> tuple[SimulatedCharger, CentralSystemChargePoint]:
    """Connect a charger, wait for its boot to be accepted; return it and its server side."""
    charger = make_charger(**spec)
    assert await charger.connect() == "Accepted"
    await charger.wait_accepted()
    return charger, await central_system.wait_connected()


def status_is(connector_id: int, status: str) -> Any:
    """Match a StatusNotification payload."""
    return lambda payload: payload["connectorId"] == connector_id and payload["status"] == status


def tx_profile(limit: float, **extra: Any) -> dict[str, Any]:
    """A TxProfile with one period."""
    return {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
        **extra,
    }


async def test_boot_reports_identity_and_every_connector(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """BootNotification carries the identity; then every connector, 0 included, is reported."""
    charger, cs = await online(central_system, make_charger, connectors=2, serial_number="S-1")
    boot = await cs.log.wait_for("BootNotification")
    assert boot == {
        "chargePointModel": "SimCharger",
        "chargePointVendor": "Simulated",
        "chargePointSerialNumber": "S-1",
        "firmwareVersion": "1.0.0",
    }
    for connector_id in (0, 1, 2):
        await cs.log.wait_for("StatusNotification", predicate=status_is(connector_id, "Available"))
    assert charger.boot_status == "Accepted"
    assert charger.connected
    assert charger.config.value("HeartbeatInterval") == "300"  # from the boot answer
    assert cs.log.actions()[:4] == ["BootNotification"] + ["StatusNotification"] * 3


async def test_pending_boot_is_retried_when_triggered(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """A Pending boot is retried; TriggerMessage(BootNotification) retries at once."""
    central_system.boot_statuses = ["Pending"]
    charger = make_charger()
    assert await charger.connect() == "Pending"
    with pytest.raises(TimeoutError):
        await charger.wait_accepted(0.05)
    cs = await central_system.wait_connected()
    result = await cs.send(
        call.TriggerMessage(requested_message=enums.MessageTrigger.boot_notification)
    )
    assert result.status == "Accepted"
    await charger.wait_accepted()
    assert charger.boot_status == "Accepted"
    assert cs.log.actions()[:3] == ["BootNotification", "BootNotification", "StatusNotification"]


async def test_pending_boot_is_retried_after_the_interval(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Pending: BootNotification again after the interval of the answer."""
    central_system.boot_statuses = ["Pending"]
    central_system.heartbeat_interval = 30
    charger = make_charger()
    assert await charger.connect() == "Pending"
    charger.advance(29)
    await charger.send_heartbeat()
    assert charger.boot_status == "Pending"
    charger.advance(1)
    await charger.wait_accepted()
    assert charger.config.value("HeartbeatInterval") == "30"


async def test_subprotocol_mismatch_is_logged(
    central_system: CentralSystem, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that does not agree on ocpp1.6 is used anyway, with a warning."""
    central_system.subprotocols = ()
    charger = make_charger()
    assert await charger.connect() == "Accepted"
    assert "did not agree on ocpp1.6" in caplog.text


async def test_silent_central_system_times_out(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """No answer within response_timeout: TimeoutError, the connection stays."""
    charger, _ = await online(central_system, make_charger, response_timeout=0.1)
    central_system.stall_actions = {"Authorize"}
    with pytest.raises(TimeoutError):
        await charger.start_transaction(1)
    central_system.release.set()
    assert charger.connected


async def test_charging_session(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Plug in, authorize, charge at the hardware maximum, meter, stop."""
    charger, cs = await online(central_system, make_charger)
    await charger.plug_in(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Preparing"))

    transaction_id, status = await charger.start_transaction(1, id_tag="TAG-1")
    assert (transaction_id, status) == (1000, "Accepted")
    assert await cs.log.wait_for("Authorize") == {"idTag": "TAG-1"}
    start = await cs.log.wait_for("StartTransaction")
    assert (start["connectorId"], start["idTag"], start["meterStart"]) == (1, "TAG-1", 0)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    assert charger.draw(1) == 16.0
    assert charger.offered(1) == 16.0
    assert charger.effective_limit(1) is None

    charger.advance(3600)  # 16 A x 230 V x 3 phases for an hour
    assert charger.energy_wh(1) == pytest.approx(11040, abs=5)
    await charger.send_meter_values(1)
    values = await cs.log.wait_for("MeterValues")
    assert values["transactionId"] == transaction_id
    sampled = values["meterValue"][0]["sampledValue"]
    by_measurand = {(v["measurand"], v.get("phase")): v for v in sampled}
    assert by_measurand["Energy.Active.Import.Register", None]["unit"] == "Wh"
    assert 11035 <= int(by_measurand["Energy.Active.Import.Register", None]["value"]) <= 11045
    assert by_measurand["Power.Active.Import", None]["value"] == "11040"
    assert [by_measurand["Current.Import", p]["value"] for p in ("L1", "L2", "L3")] == ["16.0"] * 3
    assert by_measurand["Current.Offered", None]["value"] == "16.0"
    assert {v["context"] for v in sampled} == {"Sample.Periodic"}

    await charger.stop_transaction(1)
    stop = await cs.log.wait_for("StopTransaction")
    assert stop["transactionId"] == transaction_id
    assert stop["reason"] == "EVDisconnected"
    assert 11035 <= stop["meterStop"] <= 11045
    final = stop["transactionData"][0]["sampledValue"][0]
    assert final["context"] == "Transaction.End"
    assert int(final["value"]) == stop["meterStop"]
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Finishing"))
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Available"))
    assert charger.draw(1) == 0.0
    charger.advance(3600)
    assert charger.energy_wh(1) == pytest.approx(11040, abs=5)  # no transaction: no energy


async def test_meter_values_follow_the_configuration(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """MeterValues carry what MeterValuesSampledData lists, per phase and in kWh if quirky."""
    charger, cs = await online(
        central_system, make_charger, phases=1, meter_interval=0, quirks=frozenset({ENERGY_KWH})
    )
    result = await cs.send(
        call.ChangeConfiguration(
            key="MeterValuesSampledData",
            value="Energy.Active.Import.Register, Voltage,SoC,Temperature,Current.Import",
        )
    )
    assert result.status == "Accepted"
    await charger.start_transaction(1)
    charger.advance(1800)
    await charger.send_meter_values(1)
    sampled = (await cs.log.wait_for("MeterValues"))["meterValue"][0]["sampledValue"]
    assert [(v["measurand"], v.get("phase"), v.get("location"), v["unit"]) for v in sampled] == [
        ("Energy.Active.Import.Register", None, None, "kWh"),
        ("Voltage", "L1-N", None, "V"),
        ("SoC", None, "EV", "Percent"),
        ("Temperature", None, "Body", "Celsius"),
        ("Current.Import", "L1", None, "A"),
    ]
    assert float(sampled[0]["value"]) == pytest.approx(1.84, abs=0.01)  # 16 A x 230 V / 2
    assert sampled[1]["value"] == "230.0"
    assert sampled[2]["value"] == "23"  # 20 % + 1.84 kWh of 60 kWh

    cleared = await cs.send(call.ChangeConfiguration(key="MeterValuesSampledData", value=""))
    assert cleared.status == "Accepted"
    await charger.send_meter_values(1)  # nothing configured: nothing sent
    await charger.send_heartbeat()
    assert cs.log.actions().count("MeterValues") == 1


async def test_refused_id_tags(central_system: CentralSystem, make_charger: ChargerFactory) -> None:
    """A blocked idTag starts nothing; an invalid one is stopped as DeAuthorized."""
    charger, cs = await online(central_system, make_charger)
    assert await charger.start_transaction(1, id_tag=BLOCKED_TAG) == (None, "Blocked")
    assert "StartTransaction" not in cs.log.actions()

    transaction_id, status = await charger.start_transaction(1, id_tag=INVALID_TAG)
    assert status == "Invalid"
    stop = await cs.log.wait_for("StopTransaction")
    assert (stop["transactionId"], stop["reason"]) == (transaction_id, "DeAuthorized")
    assert charger.connector(1).transaction_id is None


async def test_car_actions_the_state_does_not_allow(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Car actions that make no sense raise SimulatorError."""
    charger, _ = await online(central_system, make_charger)
    with pytest.raises(SimulatorError, match="no connector 2"):
        await charger.plug_in(2)
    with pytest.raises(SimulatorError, match="no transaction"):
        await charger.stop_transaction(1)
    await charger.start_transaction(1)
    with pytest.raises(SimulatorError, match="already"):
        await charger.start_transaction(1)
    with pytest.raises(SimulatorError, match="stop it first"):
        await charger.unplug(1)


async def test_periodic_heartbeat_and_meter_values(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Heartbeat and MeterValues follow their intervals on the charger's clock."""
    charger, cs = await online(central_system, make_charger, meter_interval=0)
    await charger.start_transaction(1)
    charger.advance(3600)  # MeterValueSampleInterval 0: no samples
    for key in ("HeartbeatInterval", "MeterValueSampleInterval"):
        assert (await cs.send(call.ChangeConfiguration(key=key, value="60"))).status == "Accepted"
    assert charger.config.integer("MeterValueSampleInterval") == 60
    charger.advance(59)
    await charger.send_heartbeat()  # a round trip: nothing periodic went out meanwhile
    assert "MeterValues" not in cs.log.actions()
    charger.advance(1)
    values = await cs.log.wait_for("MeterValues")
    assert values["connectorId"] == 1
    energy = int(values["meterValue"][0]["sampledValue"][0]["value"])
    assert energy == pytest.approx(11040 * 3660 / 3600, abs=5)
    await cs.log.wait_for("Heartbeat")  # the one sent above
    await cs.log.wait_for("Heartbeat")


async def test_status_and_heartbeat_on_demand(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Tests can send any status and a heartbeat."""
    charger, cs = await online(central_system, make_charger)
    await charger.send_status(1, "Faulted", error_code="GroundFailure")
    fault = await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Faulted"))
    assert fault["errorCode"] == "GroundFailure"
    assert charger.connector(1).status == "Faulted"
    assert await charger.send_heartbeat()


async def test_clock_advance_expires_a_profile(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Advancing past validTo falls back to the maximum, metering only the charged time."""
    charger, cs = await online(central_system, make_charger)
    valid_to = to_iso(charger.now() + timedelta(minutes=10))
    pause = {
        "chargingProfileId": 5,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "validTo": valid_to,
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "startSchedule": to_iso(charger.now() - timedelta(minutes=1)),
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 0}],
        },
    }
    result = await cs.send(call.SetChargingProfile(connector_id=1, cs_charging_profiles=pause))
    assert result.status == "Accepted"
    await charger.start_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "SuspendedEVSE"))
    assert charger.draw(1) == 0.0
    charger.advance(300)
    assert charger.energy_wh(1) == 0.0
    charger.advance(600)  # past validTo: back to the hardware maximum
    assert charger.draw(1) == 16.0
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    # 900 s advanced, charging only for the last 300 s (after validTo).
    assert charger.energy_wh(1) == pytest.approx(11040 * 300 / 3600, abs=5)


async def test_profile_expiry_in_real_time_resumes_charging(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Charging resumes by itself when a pausing profile expires."""
    charger, cs = await online(central_system, make_charger)
    await charger.start_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    pause = tx_profile(0, validTo=to_iso(charger.now() + timedelta(milliseconds=300)))
    assert (
        await cs.send(call.SetChargingProfile(connector_id=1, cs_charging_profiles=pause))
    ).status == "Accepted"
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "SuspendedEVSE"))
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"), timeout=2)
    assert charger.draw(1) == 16.0


async def test_lost_connection_fails_waiting_calls(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """A call waiting on a dropped connection fails at once, and so do later ones."""
    charger, cs = await online(central_system, make_charger)
    await charger.send_raw("not json")  # the server does not answer what it cannot parse
    with pytest.raises(TimeoutError):
        await charger.next_raw_incoming(0.05)
    central_system.stall_actions = {"Authorize"}
    waiting = asyncio.create_task(charger.start_transaction(1))
    await central_system.stalled.wait()
    await cs.connection.close()
    with pytest.raises(ConnectionClosedError):
        await waiting
    central_system.release.set()
    assert not charger.connected
    with pytest.raises(ConnectionClosedError):
        await charger.send_heartbeat()
    with pytest.raises(ConnectionClosedError):
        await charger.send_raw("[]")


async def test_reconnects_and_boots_again(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """After the server drops it, the charger reconnects and boots again."""
    _, cs = await online(central_system, make_charger, reconnect=True)
    await cs.connection.close()
    again = await central_system.wait_connected(count=2)
    assert again.charge_point_id == "SIM-TEST"
    await cs.log.wait_for("BootNotification")
    await cs.log.wait_for("BootNotification")


async def test_reconnects_without_boot_when_quirky(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """With no_boot_on_reconnect it only reports its statuses, sessions intact."""
    charger, cs = await online(
        central_system, make_charger, reconnect=True, quirks=frozenset({NO_BOOT_ON_RECONNECT})
    )
    await charger.start_transaction(1)
    await cs.connection.close()
    await central_system.wait_connected(count=2)
    await charger.wait_accepted()
    assert cs.log.actions().count("BootNotification") == 1
    assert charger.connector(1).transaction_id == 1000  # the session survived


async def test_connect_retries_until_the_server_takes_it(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """connect() fails on a refused handshake; connect_with_retry() keeps trying."""
    central_system.password = "0123456789abcdef"
    charger = make_charger()
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await charger.connect()
    retrying = asyncio.create_task(charger.connect_with_retry(max_backoff=0.1))
    await asyncio.sleep(0.1)
    assert not retrying.done()
    assert charger.config.change("AuthorizationKey", "0123456789abcdef") == "Accepted"
    await asyncio.wait_for(retrying, 3)
    await charger.wait_accepted()


async def test_basic_auth_and_changed_authorization_key(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Security profile 1: the AuthorizationKey is the Basic auth password, write-only."""
    central_system.password = "first-key-0123456"
    charger, cs = await online(central_system, make_charger, password="first-key-0123456")
    short = await cs.send(call.ChangeConfiguration(key="AuthorizationKey", value="short"))
    assert short.status == "Rejected"
    changed = await cs.send(
        call.ChangeConfiguration(key="AuthorizationKey", value="second-key-012345")
    )
    assert changed.status == "Accepted"
    configuration = await cs.send(call.GetConfiguration(key=["AuthorizationKey"]))
    assert configuration.unknown_key == ["AuthorizationKey"]  # write-only
    central_system.password = "second-key-012345"
    await charger.close()
    assert await charger.connect() == "Accepted"


async def test_raw_frames_and_their_answers(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """Raw frames bypass the library; their answers come back raw, both ways."""
    charger, cs = await online(central_system, make_charger)
    await charger.send_raw('[2,"raw-1","Heartbeat",{}]')
    answer = json.loads(await charger.next_raw_incoming(2))
    assert answer[:2] == [3, "raw-1"]
    assert "currentTime" in answer[2]

    await charger.send_raw('[2,"raw-2","BootNotification",{"chargePointVendor":"x"}]')
    error = json.loads(await charger.next_raw_incoming(2))
    assert error[:3] == [4, "raw-2", "ProtocolError"]

    await charger.send_raw('[2,"raw-3","FooBar",{}]')
    assert json.loads(await charger.next_raw_incoming(2))[:3] == [4, "raw-3", "NotSupported"]

    # Library calls keep working around raw frames.
    assert await charger.send_heartbeat()

    # And the other way round: a malformed call to the charger gets a CallError.
    await cs.connection.send_raw('[2,"cs-1","SetChargingProfile",{"connectorId":1}]')
    error = json.loads(await cs.connection.next_raw_incoming(2))
    assert error[:3] == [4, "cs-1", "ProtocolError"]
    assert await charger.wait_for_call("SetChargingProfile") == {"connectorId": 1}


async def test_wait_for_call_consumes_in_order(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """wait_for_call returns each matching call once, waiting for it if needed."""
    charger, cs = await online(central_system, make_charger)
    for data in ("a", "b", "c"):
        await cs.send(call.DataTransfer(vendor_id="v", data=data))
    first = await charger.wait_for_call("DataTransfer")
    third = await charger.wait_for_call("DataTransfer", predicate=lambda p: p["data"] == "c")
    second = await charger.wait_for_call("DataTransfer")
    assert [first["data"], second["data"], third["data"]] == ["a", "b", "c"]
    with pytest.raises(TimeoutError):
        await charger.wait_for_call("DataTransfer", timeout=0.05)
    assert [action for action, _ in charger.calls] == ["DataTransfer"] * 3

    later = asyncio.create_task(charger.wait_for_call("DataTransfer"))
    await asyncio.sleep(0)
    await cs.send(call.DataTransfer(vendor_id="v", data="d"))
    assert (await later)["data"] == "d"


async def test_demo_session(central_system: CentralSystem, make_charger: ChargerFactory) -> None:
    """The demo session plugs in, starts and meters."""
    charger, cs = await online(central_system, make_charger)
    await charger.run_demo_session(1)
    assert cs.log.actions()[-5:] == [
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "StatusNotification",
        "MeterValues",
    ]
    assert charger.connector(1).status == "Charging"


async def test_connect_again_replaces_the_connection(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """A second connect() drops the first connection; unknown reset types are refused."""
    charger, first = await online(central_system, make_charger)
    assert await charger.connect() == "Accepted"
    await central_system.wait_connected(count=2)
    assert first.connection.closed
    assert charger.connected
    with pytest.raises(ValueError, match="reset type"):
        await charger.reset("Warm")


async def test_close_is_clean_and_idempotent(
    central_system: CentralSystem, make_charger: ChargerFactory
) -> None:
    """close() can be called twice."""
    charger, _ = await online(central_system, make_charger)
    await charger.close()
    await charger.close()
    assert not charger.connected
    assert repr(charger) == "<SimulatedCharger SIM-TEST>"
