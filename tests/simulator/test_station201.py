"""SimulatedStation201 against a small OCPP 2.0.1 CSMS on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

from ocpp.exceptions import OCPPError
from ocpp.v201 import call
import pytest

from simulator.connection import ConnectionClosedError
from simulator.timeutil import to_iso
from simulator.v201 import SimulatedStation201, StationError
from simulator.v201.payload import build
from simulator.v201.quirks import (
    LOSE_STARTED,
    NO_CHARGING_STATE,
    NO_TX_METER_VALUES,
    REJECT_STATION_MAX,
    REJECT_TX_PROFILE,
    SEQ_NO_RESTARTS,
    STACK_LEVEL_ZERO_ONLY,
)

from .conftest import StationFactory, online
from .csms201 import Csms, CsmsChargePoint

FULL_POWER_WH = 16 * 230 * 3  # one hour at 16 A on three phases


def profile(
    profile_id: int,
    purpose: str,
    limit: float,
    *,
    stack_level: int = 0,
    unit: str = "A",
    kind: str = "Relative",
    **extra: Any,
) -> dict[str, Any]:
    """A snake_case 2.0.1 chargingProfile with one period (schedule fields via `schedule`)."""
    schedule = {
        "id": profile_id,
        "charging_rate_unit": unit,
        "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        **extra.pop("schedule", {}),
    }
    if kind != "Relative":
        schedule.setdefault("start_schedule", to_iso(datetime.now(UTC) - timedelta(minutes=1)))
    return {
        "id": profile_id,
        "stack_level": stack_level,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": kind,
        "charging_schedule": [schedule],
        **extra,
    }


async def set_profile(cp: CsmsChargePoint, evse_id: int, data: dict[str, Any]) -> str:
    """SetChargingProfile; return the status."""
    result = await cp.send(build(call.SetChargingProfile, evse_id=evse_id, charging_profile=data))
    return str(result.status)


def variable(component: str, name: str, evse: int | None = None, **extra: Any) -> dict[str, Any]:
    """A GetVariableData / SetVariableData item."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    return {"component": comp, "variable": {"name": name}, **extra}


async def get_variables(cp: CsmsChargePoint, *items: dict[str, Any]) -> list[dict[str, Any]]:
    """GetVariables; return the results."""
    result = await cp.send(build(call.GetVariables, get_variable_data=list(items)))
    return list(result.get_variable_result)


async def set_variables(cp: CsmsChargePoint, *items: dict[str, Any]) -> list[str]:
    """SetVariables; return the statuses."""
    result = await cp.send(build(call.SetVariables, set_variable_data=list(items)))
    return [item["attribute_status"] for item in result.set_variable_result]


def samples(event: dict[str, Any]) -> dict[tuple[str, str | None], Any]:
    """The sampled values of a payload's first meterValue, by (measurand, phase)."""
    return {
        (value["measurand"], value.get("phase")): value
        for value in event["meter_value"][0]["sampled_value"]
    }


# -- connection and messages -------------------------------------------------------------------


async def test_boot_reports_identity_and_connectors(
    csms: Csms, make_station: StationFactory
) -> None:
    """BootNotification PowerUp with vendor and model, then one Available per EVSE."""
    station, _ = await online(csms, make_station, evses=2, vendor="ACME", model="X1")
    log = csms.log("SIM201")
    boot = await log.wait_for("BootNotification")
    assert boot == {
        "charging_station": {"vendor_name": "ACME", "model": "X1"},
        "reason": "PowerUp",
    }
    statuses = [await log.wait_for("StatusNotification") for _ in range(2)]
    assert [(s["evse_id"], s["connector_id"], s["connector_status"]) for s in statuses] == [
        (1, 1, "Available"),
        (2, 1, "Available"),
    ]
    assert station.connected
    await station.close()
    assert not station.connected
    with pytest.raises(ConnectionClosedError):
        await station.send_heartbeat()


async def test_connect_without_boot_reports_statuses(
    csms: Csms, make_station: StationFactory
) -> None:
    """Without a boot the station only reports its statuses."""
    station = make_station()
    assert await station.connect(boot=False) is None
    await station.wait_accepted()
    await csms.log("SIM201").wait_for("StatusNotification")
    assert "BootNotification" not in csms.log("SIM201").actions()


async def test_rejected_boot_is_not_accepted(csms: Csms, make_station: StationFactory) -> None:
    """A Rejected boot is returned and never counts as accepted."""
    csms.boot_status = "Rejected"
    station = make_station()
    assert await station.connect() == "Rejected"
    with pytest.raises(TimeoutError):
        await station.wait_accepted(timeout=0.2)


async def test_heartbeat_and_status(csms: Csms, make_station: StationFactory) -> None:
    """Heartbeat and StatusNotification go out; an unknown EVSE raises."""
    station, _ = await online(csms, make_station)
    log = csms.log("SIM201")
    log.consume_all()
    await station.send_heartbeat()
    await station.send_status(1, "Reserved")
    await log.wait_for("Heartbeat")
    status = await log.wait_for("StatusNotification")
    assert status["connector_status"] == "Reserved"
    with pytest.raises(StationError):
        await station.send_status(3, "Faulted")


async def test_transaction_lifecycle_and_sequence_numbers(
    csms: Csms, make_station: StationFactory
) -> None:
    """Started, Updated, Ended with their fields and a seqNo per transaction."""
    station, _ = await online(csms, make_station)
    log = csms.log("SIM201")
    log.consume_all()
    transaction_id = await station.start_transaction(1, "TAG1")
    assert uuid.UUID(transaction_id)
    assert station.transaction_id(1) == transaction_id
    occupied = await log.wait_for("StatusNotification")
    assert occupied["connector_status"] == "Occupied"
    started = await log.wait_for("TransactionEvent")
    assert started["event_type"] == "Started"
    assert started["trigger_reason"] == "Authorized"
    assert started["seq_no"] == 0
    assert started["transaction_info"] == {
        "transaction_id": transaction_id,
        "charging_state": "Charging",
    }
    assert started["id_token"] == {"id_token": "TAG1", "type": "ISO14443"}
    assert started["evse"] == {"id": 1, "connector_id": 1}
    begin = samples(started)[("Energy.Active.Import.Register", None)]
    assert begin["context"] == "Transaction.Begin"
    assert begin["unit_of_measure"] == {"unit": "Wh"}
    with pytest.raises(StationError):
        await station.start_transaction(1)

    await station.send_meter_values(1)
    updated = await log.wait_for("TransactionEvent")
    assert updated["event_type"] == "Updated"
    assert updated["trigger_reason"] == "MeterValuePeriodic"
    assert updated["seq_no"] == 1
    values = samples(updated)
    for phase in ("L1", "L2", "L3"):
        assert values[("Current.Import", phase)]["value"] == 16
        assert values[("Current.Import", phase)]["unit_of_measure"] == {"unit": "A"}
    assert values[("Current.Offered", None)]["value"] == 16
    assert values[("Voltage", None)]["value"] == 230
    assert values[("Power.Active.Import", None)]["value"] == FULL_POWER_WH
    assert {v["context"] for v in values.values()} == {"Sample.Periodic"}
    assert isinstance(values[("Energy.Active.Import.Register", None)]["value"], float | int)

    await station.stop_transaction(1)
    ended = await log.wait_for("TransactionEvent")
    assert ended["event_type"] == "Ended"
    assert ended["trigger_reason"] == "StopAuthorized"
    assert ended["seq_no"] == 2
    assert ended["transaction_info"]["stopped_reason"] == "Local"
    assert samples(ended)[("Energy.Active.Import.Register", None)]["context"] == "Transaction.End"
    available = await log.wait_for("StatusNotification")
    assert available["connector_status"] == "Available"
    assert station.transaction_id(1) is None
    with pytest.raises(StationError):
        await station.stop_transaction(1)

    await station.start_transaction(1)
    restarted = await log.wait_for("TransactionEvent")
    assert restarted["seq_no"] == 0


async def test_meter_values_without_transaction(csms: Csms, make_station: StationFactory) -> None:
    """Without a transaction meter values go in MeterValues, per used phase."""
    station, _ = await online(csms, make_station, phases=1)
    await station.send_meter_values(1)
    meter = await csms.log("SIM201").wait_for("MeterValues")
    values = samples(meter)
    assert values[("Current.Import", "L1")]["value"] == 0
    assert ("Current.Import", "L2") not in values
    assert values[("Power.Active.Import", None)]["value"] == 0
    assert meter["evse_id"] == 1


async def test_advance_integrates_energy(csms: Csms, make_station: StationFactory) -> None:
    """advance() meters the skipped time at the draw the profiles allow."""
    station, cp = await online(csms, make_station)
    station.advance(3600)
    assert station.energy_wh(1) == 0  # no transaction, no energy
    await station.start_transaction(1)
    station.advance(3600)
    assert station.energy_wh(1) == pytest.approx(FULL_POWER_WH, abs=5)
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 8)) == "Accepted"
    station.advance(1800)
    assert station.energy_wh(1) == pytest.approx(FULL_POWER_WH + 8 * 690 / 2, abs=10)
    assert await set_profile(cp, 1, profile(2, "TxDefaultProfile", 5, stack_level=1)) == (
        "Accepted"
    )
    before = station.energy_wh(1)
    station.advance(3600)
    assert station.energy_wh(1) == pytest.approx(before, abs=0.01)  # 5 A: paused


async def test_energy_follows_schedule_periods(csms: Csms, make_station: StationFactory) -> None:
    """Integration changes rate at each schedule period."""
    station, cp = await online(csms, make_station)
    await station.start_transaction(1)
    periods = {
        "charging_schedule_period": [
            {"start_period": 0, "limit": 10},
            {"start_period": 1800, "limit": 6},
        ]
    }
    data = profile(1, "TxDefaultProfile", 0, schedule=periods)
    assert await set_profile(cp, 1, data) == "Accepted"
    station.advance(3600)  # half an hour at 10 A, half at 6 A (Relative: from the start)
    assert station.energy_wh(1) == pytest.approx((10 + 6) * 690 / 2, abs=10)


async def test_charging_needs(csms: Csms, make_station: StationFactory) -> None:
    """NotifyEVChargingNeeds: AC parameters, or DC with SoC; the answer is returned."""
    station, _ = await online(csms, make_station)
    departure = datetime(2030, 1, 1, 7, tzinfo=UTC)
    status = await station.send_charging_needs(
        1, departure=departure, energy_wh=20000, max_current=32, min_current=8
    )
    assert status == "Accepted"
    needs = await csms.log("SIM201").wait_for("NotifyEVChargingNeeds")
    assert needs["evse_id"] == 1
    assert needs["charging_needs"] == {
        "requested_energy_transfer": "AC_three_phase",
        "departure_time": to_iso(departure),
        "ac_charging_parameters": {
            "energy_amount": 20000,
            "ev_min_current": 8,
            "ev_max_current": 32,
            "ev_max_voltage": 230,
        },
    }
    csms.charging_needs_status = "Rejected"
    assert await station.send_charging_needs(1, departure=None, energy_wh=None, soc=40) == (
        "Rejected"
    )
    dc = await csms.log("SIM201").wait_for("NotifyEVChargingNeeds")
    assert dc["charging_needs"] == {
        "requested_energy_transfer": "DC",
        "dc_charging_parameters": {
            "ev_max_current": 16,
            "ev_max_voltage": 230,
            "state_of_charge": 40,
        },
    }


# -- device model ------------------------------------------------------------------------------


async def test_get_variables(csms: Csms, make_station: StationFactory) -> None:
    """Known variables, EVSE power, unknown components/variables and the item limit."""
    station, cp = await online(csms, make_station, evses=2, rate_unit="W")
    results = await get_variables(
        cp,
        variable("SmartChargingCtrlr", "Enabled"),
        variable("SmartChargingCtrlr", "Available"),
        variable("SmartChargingCtrlr", "RateUnit"),
        variable("SmartChargingCtrlr", "ProfileStackLevel"),
        variable("SmartChargingCtrlr", "PeriodsPerSchedule"),
        variable("SampledDataCtrlr", "TxUpdatedInterval"),
        variable("SampledDataCtrlr", "TxUpdatedMeasurands"),
        variable("SampledDataCtrlr", "TxEndedMeasurands"),
        variable("AlignedDataCtrlr", "Interval"),
        variable("OCPPCommCtrlr", "HeartbeatInterval"),
    )
    assert [r["attribute_status"] for r in results] == ["Accepted"] * 10
    values = [r["attribute_value"] for r in results]
    assert values[:5] == ["true", "true", "W", "8", "24"]
    assert values[6].split(",") == [
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Current.Offered",
        "Voltage",
    ]
    assert values[9] == "300"  # the BootNotification interval
    results = await get_variables(
        cp,
        variable("DeviceDataCtrlr", "ItemsPerMessage"),
        variable("EVSE", "Power", 2, attribute_type="MaxSet"),
        variable("EVSE", "Power", 1),
        variable("EVSE", "Power", 3),
        variable("EVSE", "Voltage", 1),
        variable("NoSuchCtrlr", "Enabled"),
        variable("SmartChargingCtrlr", "NoSuchVariable"),
        variable("SmartChargingCtrlr", "Enabled", attribute_type="Target"),
        variable("EVSE", "Power", 1, attribute_type="Target"),
    )
    assert [(r["attribute_status"], r.get("attribute_value")) for r in results] == [
        ("Accepted", "10"),
        ("Accepted", str(FULL_POWER_WH)),
        ("Accepted", "0"),
        ("UnknownComponent", None),
        ("UnknownVariable", None),
        ("UnknownComponent", None),
        ("UnknownVariable", None),
        ("NotSupportedAttributeType", None),
        ("NotSupportedAttributeType", None),
    ]
    assert results[1]["attribute_type"] == "MaxSet"
    await station.start_transaction(1)
    [power] = await get_variables(cp, variable("EVSE", "Power", 1))
    assert power["attribute_value"] == str(FULL_POWER_WH)
    with pytest.raises(OCPPError):
        await get_variables(cp, *[variable("SmartChargingCtrlr", "Enabled")] * 11)
    assert station.calls[0][0] == "GetVariables"
    assert station.calls[0][1]["get_variable_data"][0]["component"] == {
        "name": "SmartChargingCtrlr"
    }


async def test_set_variables(csms: Csms, make_station: StationFactory) -> None:
    """Writable variables change and take effect; read-only and unknown ones do not."""
    station, cp = await online(csms, make_station)
    statuses = await set_variables(
        cp,
        variable("SampledDataCtrlr", "TxUpdatedMeasurands", attribute_value="Current.Import"),
        variable("SampledDataCtrlr", "TxEndedMeasurands", attribute_value="Nonsense"),
        variable("AlignedDataCtrlr", "Interval", attribute_value="60"),
        variable("OCPPCommCtrlr", "HeartbeatInterval", attribute_value="soon"),
        variable("SmartChargingCtrlr", "RateUnit", attribute_value="W"),
        variable("SmartChargingCtrlr", "Nothing", attribute_value="1"),
        variable("Nowhere", "Nothing", attribute_value="1"),
        variable("EVSE", "Power", 1, attribute_value="1"),
        variable("EVSE", "Other", 1, attribute_value="1"),
        variable("EVSE", "Power", 9, attribute_value="1"),
    )
    assert statuses == [
        "Accepted",
        "Rejected",
        "Accepted",
        "Rejected",
        "Rejected",
        "UnknownVariable",
        "UnknownComponent",
        "Rejected",
        "UnknownVariable",
        "UnknownComponent",
    ]
    assert await set_variables(
        cp, variable("AlignedDataCtrlr", "Interval", attribute_value="5", attribute_type="Target")
    ) == ["NotSupportedAttributeType"]
    [interval] = await get_variables(cp, variable("AlignedDataCtrlr", "Interval"))
    assert interval["attribute_value"] == "60"
    log = csms.log("SIM201")
    await station.start_transaction(1)
    log.consume_all()
    await station.send_meter_values(1)
    updated = await log.wait_for("TransactionEvent")
    assert set(samples(updated)) == {("Current.Import", p) for p in ("L1", "L2", "L3")}


async def test_tx_updated_interval_sends_periodic_events(
    csms: Csms, make_station: StationFactory
) -> None:
    """TxUpdatedInterval and HeartbeatInterval drive messages on the station's clock."""
    station, cp = await online(csms, make_station)
    await station.start_transaction(1)
    log = csms.log("SIM201")
    log.consume_all()
    statuses = await set_variables(
        cp,
        variable("SampledDataCtrlr", "TxUpdatedInterval", attribute_value="60"),
        variable("OCPPCommCtrlr", "HeartbeatInterval", attribute_value="100"),
    )
    assert statuses == ["Accepted", "Accepted"]
    station.advance(61)
    updated = await log.wait_for("TransactionEvent")
    assert (updated["event_type"], updated["trigger_reason"]) == ("Updated", "MeterValuePeriodic")
    station.advance(40)
    await log.wait_for("Heartbeat")


async def test_get_base_report(csms: Csms, make_station: StationFactory) -> None:
    """GetBaseReport: NotifyReport in chunks describing EVSEs, connectors, controllers."""
    _, cp = await online(csms, make_station, evses=2)
    result = await cp.send(build(call.GetBaseReport, request_id=7, report_base="FullInventory"))
    assert result.status == "Accepted"
    log = csms.log("SIM201")
    reports = [await log.wait_for("NotifyReport")]
    while reports[-1].get("tbc"):
        reports.append(await log.wait_for("NotifyReport"))
    assert [r["seq_no"] for r in reports] == list(range(len(reports)))
    assert {r["request_id"] for r in reports} == {7}
    data = [item for report in reports for item in report["report_data"]]
    assert all(len(report["report_data"]) <= 10 for report in reports)
    connectors = {
        item["component"]["evse"]["id"] for item in data if item["component"]["name"] == "Connector"
    }
    assert connectors == {1, 2}
    power = next(
        item
        for item in data
        if item["component"] == {"name": "EVSE", "evse": {"id": 2}}
        and item["variable"]["name"] == "Power"
    )
    assert power["variable_characteristics"]["max_limit"] == FULL_POWER_WH
    rate_unit = next(item for item in data if item["variable"]["name"] == "RateUnit")
    assert rate_unit["variable_attribute"] == [
        {"type": "Actual", "value": "A,W", "mutability": "ReadOnly"}
    ]
    interval = next(item for item in data if item["variable"]["name"] == "TxUpdatedInterval")
    assert interval["variable_attribute"][0]["mutability"] == "ReadWrite"


# -- smart charging ----------------------------------------------------------------------------


async def test_profile_rules(csms: Csms, make_station: StationFactory) -> None:
    """SetChargingProfile is Rejected when a 2.0.1 rule forbids it."""
    station, cp = await online(csms, make_station, evses=2)
    rejected = [
        (1, profile(1, "ChargingStationMaxProfile", 10)),
        (0, profile(1, "ChargingStationMaxProfile", 10)),  # Relative
        (0, profile(1, "TxProfile", 10)),
        (1, profile(1, "TxProfile", 10)),  # no transaction
        (3, profile(1, "TxDefaultProfile", 10)),
        (1, profile(1, "TxDefaultProfile", 10, stack_level=9)),
        (1, profile(1, "ChargingStationExternalConstraints", 10)),
        (1, profile(1, "TxDefaultProfile", 10, kind="Absolute", schedule={"start_schedule": None})),
        (
            1,
            profile(
                1,
                "TxDefaultProfile",
                10,
                kind="Recurring",
                recurrency_kind="Daily",
                schedule={"start_schedule": None},
            ),
        ),
        (
            1,
            profile(
                1,
                "TxDefaultProfile",
                10,
                schedule={
                    "charging_schedule_period": [
                        {"start_period": 60 * n, "limit": 10} for n in range(25)
                    ]
                },
            ),
        ),
        (
            1,
            profile(
                1,
                "TxDefaultProfile",
                10,
                schedule={"charging_schedule_period": [{"start_period": 60, "limit": 10}]},
            ),
        ),  # the first period must start at 0
    ]
    for evse_id, data in rejected:
        assert await set_profile(cp, evse_id, data) == "Rejected", data
    transaction_id = await station.start_transaction(1)
    wrong = profile(1, "TxProfile", 10, transaction_id="other")
    assert await set_profile(cp, 1, wrong) == "Rejected"
    assert await set_profile(cp, 2, profile(1, "TxProfile", 10, transaction_id=transaction_id)) == (
        "Rejected"
    )
    right = profile(1, "TxProfile", 10, transaction_id=transaction_id)
    assert await set_profile(cp, 1, right) == "Accepted"
    assert station.effective_limit(1) == 10
    absolute = profile(2, "ChargingStationMaxProfile", 20, kind="Absolute")
    assert await set_profile(cp, 0, absolute) == "Accepted"
    assert station.calls[-1][1]["charging_profile"]["charging_profile_kind"] == "Absolute"
    await set_variables(cp, variable("SmartChargingCtrlr", "Enabled", attribute_value="false"))
    assert await set_profile(cp, 2, profile(3, "TxDefaultProfile", 10)) == "Rejected"


async def test_rate_unit_must_be_supported(csms: Csms, make_station: StationFactory) -> None:
    """A W profile on an A-only station is Rejected."""
    _, cp = await online(csms, make_station, rate_unit="A")
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 6900, unit="W")) == ("Rejected")
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 10)) == "Accepted"
    await cp.connection.close()


async def test_effective_limit_stacking(csms: Csms, make_station: StationFactory) -> None:
    """Stack levels, purposes, W to A conversion and replacement."""
    station, cp = await online(csms, make_station, evses=2, rate_unit="W", max_current=32)
    assert station.effective_limit(1) is None
    assert station.draw(1) == 0  # no transaction
    await station.start_transaction(1)
    assert station.draw(1) == 32
    assert await set_profile(cp, 0, profile(1, "TxDefaultProfile", 11040, unit="W")) == ("Accepted")
    assert station.effective_limit(1) == pytest.approx(16)
    assert station.effective_limit(2) == pytest.approx(16)
    higher = profile(2, "TxDefaultProfile", 6900, unit="W", stack_level=1)
    assert await set_profile(cp, 1, higher) == "Accepted"
    assert station.effective_limit(1) == pytest.approx(10)
    assert station.effective_limit(2) == pytest.approx(16)
    tx = profile(3, "TxProfile", 2300 * 3, unit="W", transaction_id=station.transaction_id(1))
    tx["charging_schedule"][0]["charging_schedule_period"][0]["number_phases"] = 1
    assert await set_profile(cp, 1, tx) == "Accepted"
    assert station.effective_limit(1) == pytest.approx(30)  # 6900 W on one phase
    cap = profile(4, "ChargingStationMaxProfile", 4140, unit="W", kind="Absolute")
    assert await set_profile(cp, 0, cap) == "Accepted"
    assert station.effective_limit(1) == pytest.approx(6)
    assert station.effective_limit(2) == pytest.approx(6)
    assert station.draw(1) == pytest.approx(6)
    # The same id replaces: the cap rises; the same purpose and stack level replaces too.
    cap = profile(4, "ChargingStationMaxProfile", 3450, unit="W", kind="Absolute")
    assert await set_profile(cp, 0, cap) == "Accepted"
    assert station.effective_limit(1) == pytest.approx(5)
    assert station.draw(1) == 0  # below 6 A
    other_cap = profile(5, "ChargingStationMaxProfile", 13800, unit="W", kind="Absolute")
    assert await set_profile(cp, 0, other_cap) == "Accepted"
    assert station.effective_limit(1) == pytest.approx(20)
    assert station.draw(1) == pytest.approx(20)
    await station.stop_transaction(1)  # the TxProfile ends with it
    assert station.effective_limit(1) == pytest.approx(10)
    assert station.draw(1) == 0


async def test_profiles_expire(csms: Csms, make_station: StationFactory) -> None:
    """A validTo and an Absolute duration end a profile."""
    station, cp = await online(csms, make_station)
    valid_to = to_iso(datetime.now(UTC) + timedelta(hours=1))
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 10, valid_to=valid_to)) == (
        "Accepted"
    )
    timed = profile(
        2, "TxDefaultProfile", 8, stack_level=1, kind="Absolute", schedule={"duration": 1800}
    )
    assert await set_profile(cp, 1, timed) == "Accepted"
    assert station.effective_limit(1) == 8
    station.advance(1800)
    assert station.effective_limit(1) == 10  # falls back to the lower stack level
    station.advance(1800)
    assert station.effective_limit(1) is None
    result = await cp.send(
        build(call.GetChargingProfiles, request_id=1, charging_profile={"stack_level": 0})
    )
    assert result.status == "NoProfiles"


async def test_clear_charging_profile(csms: Csms, make_station: StationFactory) -> None:
    """ClearChargingProfile by id and criteria: Accepted or Unknown."""
    station, cp = await online(csms, make_station, evses=2)
    for evse_id, profile_id in ((1, 1), (2, 2), (0, 3)):
        data = profile(profile_id, "TxDefaultProfile", 10 + profile_id, stack_level=profile_id)
        assert await set_profile(cp, evse_id, data) == "Accepted"

    async def clear(**fields: Any) -> str:
        result = await cp.send(build(call.ClearChargingProfile, **fields))
        return str(result.status)

    assert await clear(charging_profile_id=1) == "Accepted"
    assert await clear(charging_profile_id=1) == "Unknown"
    assert station.effective_limit(1) == 13
    criteria = {"evse_id": 2, "charging_profile_purpose": "TxDefaultProfile", "stack_level": 2}
    assert await clear(charging_profile_criteria=criteria) == "Accepted"
    assert await clear(charging_profile_criteria={"charging_profile_purpose": "TxProfile"}) == (
        "Unknown"
    )
    assert await clear() == "Accepted"
    assert station.effective_limit(2) is None


async def test_get_charging_profiles(csms: Csms, make_station: StationFactory) -> None:
    """GetChargingProfiles: ReportChargingProfiles per EVSE, or NoProfiles."""
    _, cp = await online(csms, make_station, evses=2)
    for evse_id, profile_id in ((1, 1), (2, 2), (2, 3)):
        data = profile(profile_id, "TxDefaultProfile", 10, stack_level=profile_id)
        assert await set_profile(cp, evse_id, data) == "Accepted"
    result = await cp.send(
        build(
            call.GetChargingProfiles,
            request_id=5,
            charging_profile={"charging_profile_purpose": "TxDefaultProfile"},
        )
    )
    assert result.status == "Accepted"
    log = csms.log("SIM201")
    first = await log.wait_for("ReportChargingProfiles")
    second = await log.wait_for("ReportChargingProfiles")
    assert (first["evse_id"], first["tbc"], first["charging_limit_source"]) == (1, True, "CSO")
    assert second["evse_id"] == 2
    assert "tbc" not in second
    assert [p["id"] for p in second["charging_profile"]] == [2, 3]
    assert second["charging_profile"][0] == profile(2, "TxDefaultProfile", 10, stack_level=2)
    result = await cp.send(
        build(
            call.GetChargingProfiles,
            request_id=6,
            evse_id=2,
            charging_profile={"charging_profile_id": [3], "charging_limit_source": ["CSO"]},
        )
    )
    assert result.status == "Accepted"
    only = await log.wait_for("ReportChargingProfiles")
    assert [p["id"] for p in only["charging_profile"]] == [3]
    for criteria in ({"charging_limit_source": ["EMS"]}, {"charging_profile_purpose": "TxProfile"}):
        result = await cp.send(
            build(call.GetChargingProfiles, request_id=7, charging_profile=criteria)
        )
        assert result.status == "NoProfiles"


async def test_get_composite_schedule(csms: Csms, make_station: StationFactory) -> None:
    """GetCompositeSchedule reports the effective limit; bad requests are Rejected."""
    station, cp = await online(csms, make_station, evses=1, rate_unit="A")
    await station.start_transaction(1)
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 10)) == "Accepted"
    result = await cp.send(build(call.GetCompositeSchedule, duration=600, evse_id=1))
    assert result.status == "Accepted"
    schedule = result.schedule
    assert (schedule["evse_id"], schedule["duration"], schedule["charging_rate_unit"]) == (
        1,
        600,
        "A",
    )
    assert schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": 10, "number_phases": 3}
    ]
    result = await cp.send(build(call.GetCompositeSchedule, duration=60, evse_id=0))
    assert result.schedule["charging_schedule_period"][0]["limit"] == 16  # the hardware maximum
    for fields in (
        {"duration": 60, "evse_id": 1, "charging_rate_unit": "W"},
        {"duration": 60, "evse_id": 4},
    ):
        result = await cp.send(build(call.GetCompositeSchedule, **fields))
        assert result.status == "Rejected"


# -- transactions from the CSMS ----------------------------------------------------------------


async def test_remote_start_and_stop(csms: Csms, make_station: StationFactory) -> None:
    """RequestStart/StopTransaction start and stop transactions after the answer."""
    station, cp = await online(csms, make_station, evses=2)
    log = csms.log("SIM201")
    log.consume_all()
    tx_profile = profile(9, "TxProfile", 8)
    result = await cp.send(
        build(
            call.RequestStartTransaction,
            id_token={"id_token": "REMOTE", "type": "Central"},
            remote_start_id=42,
            evse_id=2,
            charging_profile=tx_profile,
        )
    )
    assert result.status == "Accepted"
    started = await log.wait_for("TransactionEvent")
    assert started["trigger_reason"] == "RemoteStart"
    assert started["transaction_info"]["remote_start_id"] == 42
    assert started["id_token"] == {"id_token": "REMOTE", "type": "Central"}
    assert started["evse"]["id"] == 2
    transaction_id = started["transaction_info"]["transaction_id"]
    assert station.transaction_id(2) == transaction_id
    assert station.effective_limit(2) == 8
    busy = await cp.send(
        build(
            call.RequestStartTransaction,
            id_token={"id_token": "REMOTE", "type": "Central"},
            remote_start_id=43,
            evse_id=2,
        )
    )
    assert busy.status == "Rejected"
    any_evse = await cp.send(
        build(
            call.RequestStartTransaction,
            id_token={"id_token": "X", "type": "ISO14443"},
            remote_start_id=44,
        )
    )
    assert any_evse.status == "Accepted"
    second = await log.wait_for("TransactionEvent")
    assert second["evse"]["id"] == 1

    result = await cp.send(build(call.RequestStopTransaction, transaction_id=transaction_id))
    assert result.status == "Accepted"
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    assert ended["trigger_reason"] == "RemoteStop"
    assert ended["transaction_info"]["stopped_reason"] == "Remote"
    await log.wait_for("StatusNotification", predicate=lambda s: s["evse_id"] == 2)
    assert station.transaction_id(2) is None
    unknown = await cp.send(build(call.RequestStopTransaction, transaction_id="nope"))
    assert unknown.status == "Rejected"
    request = await station.wait_for_call("RequestStartTransaction")
    assert request["remote_start_id"] == 42
    refused_profile = profile(10, "TxProfile", 8, stack_level=9)
    result = await cp.send(
        build(
            call.RequestStartTransaction,
            id_token={"id_token": "X", "type": "ISO14443"},
            remote_start_id=45,
            evse_id=2,
            charging_profile=refused_profile,
        )
    )
    assert result.status == "Accepted"
    await log.wait_for("TransactionEvent", predicate=lambda e: e["evse"]["id"] == 2)
    assert station.effective_limit(2) is None  # the TxProfile was refused, the start was not


async def test_no_ended_measurands(csms: Csms, make_station: StationFactory) -> None:
    """An empty TxEndedMeasurands leaves the meterValue out of TransactionEvent Ended."""
    station, cp = await online(csms, make_station)
    empty = variable("SampledDataCtrlr", "TxEndedMeasurands", attribute_value="")
    assert await set_variables(cp, empty) == ["Accepted"]
    await station.start_transaction(1)
    await station.stop_transaction(1, reason="EVDisconnected")
    log = csms.log("SIM201")
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    assert "meter_value" not in ended
    assert ended["trigger_reason"] == "EVCommunicationLost"


async def test_change_availability(csms: Csms, make_station: StationFactory) -> None:
    """ChangeAvailability: Unavailable at once, or Scheduled until the transaction ends."""
    station, cp = await online(csms, make_station, evses=2)
    log = csms.log("SIM201")
    await station.start_transaction(2)
    log.consume_all()
    result = await cp.send(
        build(call.ChangeAvailability, operational_status="Inoperative", evse={"id": 1})
    )
    assert result.status == "Accepted"
    status = await log.wait_for("StatusNotification")
    assert (status["evse_id"], status["connector_status"]) == (1, "Unavailable")
    result = await cp.send(build(call.ChangeAvailability, operational_status="Inoperative"))
    assert result.status == "Scheduled"
    await station.stop_transaction(2)
    after_stop = await log.wait_for("StatusNotification", predicate=lambda s: s["evse_id"] == 2)
    assert after_stop["connector_status"] == "Unavailable"
    result = await cp.send(build(call.ChangeAvailability, operational_status="Operative"))
    assert result.status == "Accepted"
    back = [await log.wait_for("StatusNotification") for _ in range(2)]
    assert {s["connector_status"] for s in back} == {"Available"}
    unknown = await cp.send(
        build(call.ChangeAvailability, operational_status="Operative", evse={"id": 5})
    )
    assert unknown.status == "Rejected"
    refused = await cp.send(
        build(
            call.RequestStartTransaction,
            id_token={"id_token": "X", "type": "ISO14443"},
            remote_start_id=1,
            evse_id=9,
        )
    )
    assert refused.status == "Rejected"


async def test_reset(csms: Csms, make_station: StationFactory) -> None:
    """Reset Immediate stops the transaction and reboots; OnIdle waits while charging."""
    station, cp = await online(csms, make_station)
    log = csms.log("SIM201")
    await station.start_transaction(1)
    log.consume_all()
    result = await cp.send(build(call.Reset, type="OnIdle"))
    assert result.status == "Scheduled"
    result = await cp.send(build(call.Reset, type="Immediate"))
    assert result.status == "Accepted"
    ended = await log.wait_for("TransactionEvent")
    assert ended["event_type"] == "Ended"
    assert ended["trigger_reason"] == "ResetCommand"
    assert ended["transaction_info"]["stopped_reason"] == "ImmediateReset"
    boot = await log.wait_for("BootNotification")
    assert boot["reason"] == "RemoteReset"
    await station.wait_accepted()
    new_cp = await csms.wait_connected(2)
    result = await new_cp.send(build(call.Reset, type="OnIdle", evse_id=1))
    assert result.status == "Accepted"
    assert station.connected


async def test_unlock_connector(csms: Csms, make_station: StationFactory) -> None:
    """UnlockConnector answers per connector and transaction."""
    station, cp = await online(csms, make_station)

    async def unlock(evse_id: int, connector_id: int = 1) -> str:
        result = await cp.send(
            build(call.UnlockConnector, evse_id=evse_id, connector_id=connector_id)
        )
        return str(result.status)

    assert await unlock(1) == "Unlocked"
    assert await unlock(2) == "UnknownConnector"
    assert await unlock(1, 2) == "UnknownConnector"
    await station.start_transaction(1)
    assert await unlock(1) == "OngoingAuthorizedTransaction"


async def test_trigger_message(csms: Csms, make_station: StationFactory) -> None:
    """TriggerMessage sends the requested messages after the answer."""
    station, cp = await online(csms, make_station, evses=2)
    log = csms.log("SIM201")
    log.consume_all()

    async def trigger(message: str, evse_id: int | None = None) -> str:
        evse = None if evse_id is None else {"id": evse_id}
        result = await cp.send(build(call.TriggerMessage, requested_message=message, evse=evse))
        return str(result.status)

    assert await trigger("Heartbeat") == "Accepted"
    await log.wait_for("Heartbeat")
    assert await trigger("StatusNotification", 2) == "Accepted"
    status = await log.wait_for("StatusNotification")
    assert status["evse_id"] == 2
    assert await trigger("MeterValues", 1) == "Accepted"
    meter = await log.wait_for("MeterValues")
    assert {v["context"] for v in samples(meter).values()} == {"Trigger"}
    assert await trigger("TransactionEvent") == "Rejected"
    assert await trigger("Heartbeat", 7) == "Rejected"
    assert await trigger("LogStatusNotification") == "NotImplemented"
    await station.start_transaction(1)
    log.consume_all()
    assert await trigger("TransactionEvent", 1) == "Accepted"
    event = await log.wait_for("TransactionEvent")
    assert (event["event_type"], event["trigger_reason"], event["seq_no"]) == (
        "Updated",
        "Trigger",
        1,
    )
    assert await trigger("BootNotification") == "Accepted"
    boot = await log.wait_for("BootNotification")
    assert boot["reason"] == "Triggered"


async def test_data_transfer(csms: Csms, make_station: StationFactory) -> None:
    """DataTransfer: UnknownVendorId; the call is logged snake_case."""
    station, cp = await online(csms, make_station)
    result = await cp.send(build(call.DataTransfer, vendor_id="com.example"))
    assert result.status == "UnknownVendorId"
    assert (await station.wait_for_call("DataTransfer")) == {"vendor_id": "com.example"}
    with pytest.raises(TimeoutError):
        await station.wait_for_call("DataTransfer", timeout=0.1)


# -- quirks --------------------------------------------------------------------------------------


def test_unknown_quirk_is_refused() -> None:
    """A misspelt quirk fails at construction."""
    with pytest.raises(ValueError, match="unknown quirks"):
        SimulatedStation201("SIM201", "ws://127.0.0.1:1", quirks=frozenset({"stack_level_0"}))


async def test_profile_quirks(csms: Csms, make_station: StationFactory) -> None:
    """Stack level above 0, ChargingStationMaxProfile, TxProfile: each Rejected by its quirk."""
    quirks = frozenset({STACK_LEVEL_ZERO_ONLY, REJECT_STATION_MAX, REJECT_TX_PROFILE})
    station, cp = await online(csms, make_station, max_stack_level=3, quirks=quirks)
    [stack] = await get_variables(cp, variable("SmartChargingCtrlr", "ProfileStackLevel"))
    assert stack["attribute_value"] == "3"  # advertised, yet only 0 is accepted
    transaction_id = await station.start_transaction(1)
    refused = [
        (1, profile(1, "TxDefaultProfile", 10, stack_level=1)),
        (0, profile(2, "ChargingStationMaxProfile", 10, kind="Absolute")),
        (1, profile(3, "TxProfile", 10, transaction_id=transaction_id)),
    ]
    assert [station.install_profile(evse_id, data) for evse_id, data in refused] == [
        "only stackLevel 0 is supported",
        "ChargingStationMaxProfile is not supported",
        "TxProfile is not supported",
    ]
    assert await set_profile(cp, 1, profile(4, "TxDefaultProfile", 9, stack_level=2)) == "Rejected"
    assert await set_profile(cp, 1, profile(4, "TxDefaultProfile", 10)) == "Accepted"
    assert station.effective_limit(1) == 10.0
    await cp.connection.close()


async def test_no_tx_meter_values(csms: Csms, make_station: StationFactory) -> None:
    """no_tx_meter_values: no meterValue in TransactionEvents; samples come as MeterValues."""
    station, _ = await online(csms, make_station, quirks=frozenset({NO_TX_METER_VALUES}))
    log = csms.log("SIM201")
    log.consume_all()
    await station.start_transaction(1)
    started = await log.wait_for("TransactionEvent")
    assert "meter_value" not in started
    station.advance(3600)
    await station.send_meter_values(1)
    sample = await log.wait_for("MeterValues")
    assert sample["evse_id"] == 1
    energy = samples(sample)[("Energy.Active.Import.Register", None)]
    assert energy["value"] == pytest.approx(FULL_POWER_WH, abs=5)
    await station.stop_transaction(1)
    ended = await log.wait_for("TransactionEvent")
    assert (ended["event_type"], ended["seq_no"]) == ("Ended", 1)
    assert "meter_value" not in ended


async def test_lose_started(csms: Csms, make_station: StationFactory) -> None:
    """lose_started: no Started goes out, its seqNo is used up; the Ended follows."""
    station, _ = await online(csms, make_station, quirks=frozenset({LOSE_STARTED}))
    log = csms.log("SIM201")
    log.consume_all()
    transaction_id = await station.start_transaction(1)
    await log.wait_for("StatusNotification")
    await station.stop_transaction(1)
    ended = await log.wait_for("TransactionEvent")
    assert ended["event_type"] == "Ended"
    assert ended["seq_no"] == 1
    assert ended["transaction_info"]["transaction_id"] == transaction_id
    assert log.actions().count("TransactionEvent") == 1  # the Ended was the only one


@pytest.mark.parametrize(
    ("quirks", "after_reboot"), [(frozenset(), 2), (frozenset({SEQ_NO_RESTARTS}), 0)]
)
async def test_reboot_keeps_the_transaction(
    csms: Csms, make_station: StationFactory, quirks: frozenset[str], after_reboot: int
) -> None:
    """A power cycle boots PowerUp, the transaction goes on; seq_no_restarts: seqNo 0 again."""
    station, _ = await online(csms, make_station, quirks=quirks)
    log = csms.log("SIM201")
    transaction_id = await station.start_transaction(1)
    await station.send_meter_values(1)
    log.consume_all()
    await station.reboot()
    boot = await log.wait_for("BootNotification")
    assert boot["reason"] == "PowerUp"
    occupied = await log.wait_for("StatusNotification")
    assert occupied["connector_status"] == "Occupied"
    assert station.transaction_id(1) == transaction_id
    await station.send_meter_values(1)
    updated = await log.wait_for("TransactionEvent")
    assert updated["transaction_info"]["transaction_id"] == transaction_id
    assert updated["seq_no"] == after_reboot


async def test_no_charging_state(csms: Csms, make_station: StationFactory) -> None:
    """no_charging_state: transactionInfo without chargingState, Started to Ended."""
    station, _ = await online(csms, make_station, quirks=frozenset({NO_CHARGING_STATE}))
    log = csms.log("SIM201")
    log.consume_all()
    await station.start_transaction(1)
    await station.send_meter_values(1)
    await station.stop_transaction(1)
    events = [await log.wait_for("TransactionEvent") for _ in range(3)]
    assert [event["event_type"] for event in events] == ["Started", "Updated", "Ended"]
    assert all("charging_state" not in event["transaction_info"] for event in events)
    assert samples(events[1])[("Power.Active.Import", None)]["value"] == FULL_POWER_WH
