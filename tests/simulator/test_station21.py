"""SimulatedStation21 against a small OCPP 2.1 CSMS: boot, needs, permission, device model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ocpp.exceptions import NotSupportedError
from ocpp.v21 import call
import pytest
import pytest_asyncio

from simulator.v21 import V2XCar
from simulator.v201.payload import build

from .csms21 import Rig, period, profile, samples, set_profile, variable

ENERGY, EXPORT = "Energy.Active.Import.Register", "Energy.Active.Export.Register"


@pytest_asyncio.fixture
async def rig(socket_enabled: None) -> AsyncIterator[Rig]:
    """A 2.1 CSMS on 127.0.0.1 (pytest-socket lets it through) for 2.1 stations."""
    async with Rig() as running:
        yield running


async def test_boot_over_ocpp21(rig: Rig) -> None:
    """Subprotocol ocpp2.1, BootNotification, one Available per EVSE."""
    station, _ = await rig.station(evses=2, vendor="ACME")
    assert rig.csms.protocols == ["ocpp2.1"]
    log = rig.log()
    boot = await log.wait_for("BootNotification")
    assert boot == {
        "charging_station": {"vendor_name": "ACME", "model": "Sim21"},
        "reason": "PowerUp",
    }
    statuses = [await log.wait_for("StatusNotification") for _ in range(2)]
    assert [(s["evse_id"], s["connector_status"]) for s in statuses] == [
        (1, "Available"),
        (2, "Available"),
    ]
    assert repr(station) == "<SimulatedStation21 V2X>"


async def test_a_local_start_authorizes_then_tells_the_needs(rig: Rig) -> None:
    """Authorize, Started (ChargingOnly, both registers, SoC), NotifyEVChargingNeeds AC_BPT."""
    car = V2XCar(capacity_kwh=60, soc=40, target_soc=80, min_v2x_soc=30, max_v2x_soc=90)
    station, _ = await rig.station(car=car)
    log = rig.log()
    await station.start_transaction(1, "TAG1")
    assert await log.wait_for("Authorize") == {"id_token": {"id_token": "TAG1", "type": "ISO14443"}}
    started = await log.wait_for("TransactionEvent")
    assert started["transaction_info"]["operation_mode"] == "ChargingOnly"
    assert samples(started) == {(ENERGY, None): 0, (EXPORT, None): 0, ("SoC", None): 40}
    needs = await log.wait_for("NotifyEVChargingNeeds")
    assert needs["timestamp"] == "2030-01-01T12:00:00.000Z"
    assert needs["charging_needs"] == {
        "requested_energy_transfer": "AC_BPT",
        "available_energy_transfer": ["AC_BPT", "AC_three_phase"],
        "control_mode": "DynamicControl",
        "mobility_needs_mode": "EVCC",
        "departure_time": "2030-01-01T12:45:00.000Z",
        "v2x_charging_parameters": {
            "max_charge_power": 11000,
            "min_charge_power": 4140,
            "max_discharge_power": 11000,
            "ev_target_energy_request": 24000,
            "ev_min_energy_request": 0,
            "ev_max_energy_request": 36000,
            "ev_min_v2x_energy_request": -6000,
            "ev_max_v2x_energy_request": 30000,
            "target_soc": 80,
        },
        "ac_charging_parameters": {
            "energy_amount": 36000,
            "ev_min_current": 6,
            "ev_max_current": 16,
            "ev_max_voltage": 230,
        },
    }
    actions = log.actions()
    assert actions.index("Authorize") < actions.index("TransactionEvent")
    assert actions.index("TransactionEvent") < actions.index("NotifyEVChargingNeeds")
    assert not station.discharge_allowed(1)  # Authorize allowed no BPT


async def test_dc_needs_and_remote_start(rig: Rig) -> None:
    """DC: DC_BPT with currents and the DC parameters; a remote start needs no Authorize."""
    station, cp = await rig.station(dc=True, car=V2XCar(soc=50, max_current=100))
    log = rig.log()
    token = {"id_token": "R1", "type": "Central"}
    result = await cp.send(build(call.RequestStartTransaction, id_token=token, remote_start_id=9))
    assert result.status == "Accepted"
    needs = (await log.wait_for("NotifyEVChargingNeeds"))["charging_needs"]
    assert needs["requested_energy_transfer"] == "DC_BPT"
    assert needs["available_energy_transfer"] == ["DC_BPT", "DC"]
    v2x = needs["v2x_charging_parameters"]
    assert (v2x["max_charge_power"], v2x["max_discharge_power"]) == (11000, 11000)
    assert (v2x["max_charge_current"], v2x["max_discharge_current"], v2x["max_voltage"]) == (
        100,
        100,
        450,
    )
    assert needs["dc_charging_parameters"]["state_of_charge"] == 50
    assert "Authorize" not in log.actions()
    assert station.transaction_id(1) is not None


async def test_per_phase_needs_go_out_as_the_schema_spells_them(rig: Rig) -> None:
    """maxChargePower_L2 on the wire (the library alone would send maxChargePowerL2)."""
    station, _ = await rig.station(car=V2XCar(per_phase_needs=True))
    await station.start_transaction(1)
    needs = await rig.log().wait_for("NotifyEVChargingNeeds")
    assert needs["charging_needs"]["v2x_charging_parameters"]["max_charge_power_l2"] == 3667
    [raw] = [payload for action, payload in rig.csms.raw if action == "NotifyEVChargingNeeds"]
    params = raw["chargingNeeds"]["v2xChargingParameters"]
    assert {"maxChargePower_L2", "maxDischargePower_L3", "minChargePower_L2"} <= set(params)


async def test_allowed_energy_transfer(rig: Rig) -> None:
    """From Authorize; NotifyAllowedEnergyTransfer Accepted or Rejected with a reason."""
    rig.csms.allowed_energy_transfer = ["AC_BPT", "AC_three_phase"]
    station, cp = await rig.station(evses=2)
    station.plug_in(2, V2XCar(bidirectional=False))
    first = await station.start_transaction(1)
    second = await station.start_transaction(2)
    assert station.discharge_allowed(1)
    assert not station.discharge_allowed(2)  # the car cannot
    answers = [
        await cp.send(
            build(
                call.NotifyAllowedEnergyTransfer, transaction_id=tx, allowed_energy_transfer=modes
            )
        )
        for tx, modes in (
            (first, ["AC_three_phase"]),
            (first, ["AC_BPT"]),
            ("nope", ["AC_BPT"]),
            (second, ["AC_BPT"]),
            (second, ["AC_three_phase", "AC_BPT"]),
        )
    ]
    assert [a.status for a in answers] == [
        "Accepted",
        "Accepted",
        "Rejected",
        "Rejected",
        "Accepted",
    ]
    assert [a.status_info["reason_code"] for a in answers if a.status_info] == [
        "InvalidValue",
        "UnsupportedRequest",
    ]
    assert station.discharge_allowed(1)
    assert not station.discharge_allowed(2)
    await station.stop_transaction(1)
    assert not station.discharge_allowed(1)
    statuses = await _set(cp, variable("V2XChargingCtrlr", "Enabled", 2, attribute_value="false"))
    assert statuses == ["Accepted"]
    refused = await cp.send(
        build(
            call.NotifyAllowedEnergyTransfer,
            transaction_id=second,
            allowed_energy_transfer=["AC_BPT"],
        )
    )
    assert (refused.status, refused.status_info["reason_code"]) == ("Rejected", "InvalidValue")


async def test_an_unauthorized_token_starts_nothing(rig: Rig) -> None:
    """Authorize Invalid: StationError, no transaction."""
    rig.csms.authorize_status = "Invalid"
    station, _ = await rig.station()
    with pytest.raises(RuntimeError, match="not authorized"):
        await station.start_transaction(1)
    assert station.transaction_id(1) is None


async def test_calls_the_station_does_not_support(rig: Rig) -> None:
    """NotSupported for a 2.1 action it has no handler for; NotImplemented for garbage."""
    _, cp = await rig.station()
    with pytest.raises(NotSupportedError):
        await cp.send(build(call.UpdateDynamicSchedule, charging_profile_id=1, schedule_update={}))
    await cp.connection.send_raw('[2,"x1","Teleport",{}]')
    answer = await cp.connection.next_raw_incoming(timeout=5)
    assert answer.startswith('[4,"x1","NotImplemented"')


async def test_v2x_device_model(rig: Rig) -> None:
    """V2XChargingCtrlr and ISO15118Ctrlr per EVSE, EVSE DischargePower, instance measurands."""
    station, cp = await rig.station(evses=2)
    results = await _get(
        cp,
        variable("V2XChargingCtrlr", "Enabled", 1),
        variable("V2XChargingCtrlr", "SupportedEnergyTransferModes", 2),
        variable("V2XChargingCtrlr", "SupportedOperationModes"),
        variable("V2XChargingCtrlr", "TxUpdatedMeasurands", 1, instance="CentralSetpoint"),
        variable("ISO15118Ctrlr", "ServiceRenegotiationSupport", 1),
        variable("EVSE", "DischargePower", 1, attribute_type="MaxSet"),
        variable("EVSE", "DischargePower", 2),
        variable("EVSE", "SupplyPhases", 1),
        variable("SampledDataCtrlr", "TxStartedMeasurands"),
        variable("SmartChargingCtrlr", "RateUnit"),
    )
    assert [r.get("attribute_value") for r in results] == [
        "true",
        "AC_single_phase,AC_two_phase,AC_three_phase,AC_BPT",
        "ChargingOnly,CentralSetpoint,ExternalSetpoint,ExternalLimits,Idle",
        "Power.Active.Setpoint",
        "true",
        "11000",
        "0",
        "3",
        f"{ENERGY},{EXPORT},SoC",
        "A,W",
    ]
    missing = await _get(
        cp,
        variable("V2XChargingCtrlr", "Enabled", 3),
        variable("V2XChargingCtrlr", "NoSuch", 1),
        variable("V2XChargingCtrlr", "Enabled", 1, attribute_type="Target"),
        variable("EVSE", "DCInputPhaseControl", 1),
        variable("EVSE", "DischargePower", 9),
    )
    assert [r["attribute_status"] for r in missing] == [
        "UnknownComponent",
        "UnknownVariable",
        "NotSupportedAttributeType",
        "UnknownVariable",
        "UnknownComponent",
    ]
    statuses = await _set(
        cp,
        variable("V2XChargingCtrlr", "SupportedOperationModes", 1, attribute_value="Idle"),
        variable(
            "V2XChargingCtrlr", "TxEndedMeasurands", 1, instance="Idle", attribute_value="SoC"
        ),
        variable("V2XChargingCtrlr", "TxEndedMeasurands", 1, instance="Idle", attribute_value="X"),
        variable("ISO15118Ctrlr", "Enabled", 1, attribute_value="maybe"),
        variable("ISO15118Ctrlr", "Enabled", 1, attribute_value="true", attribute_type="Target"),
        variable("V2XChargingCtrlr", "Enabled", 7, attribute_value="true"),
    )
    assert statuses == [
        "Rejected",
        "Accepted",
        "Rejected",
        "Rejected",
        "NotSupportedAttributeType",
        "UnknownComponent",
    ]
    assert station.model21.evse_value("V2XChargingCtrlr", 1, "TxEndedMeasurands", "Idle") == "SoC"


async def test_base_report_of_a_dc_station(rig: Rig) -> None:
    """GetBaseReport: the 2.0.1 inventory plus DischargePower, DCInputPhaseControl, V2X."""
    _, cp = await rig.station(dc=True)
    result = await cp.send(build(call.GetBaseReport, request_id=4, report_base="FullInventory"))
    assert result.status == "Accepted"
    log = rig.log()
    parts = [await log.wait_for("NotifyReport")]
    while parts[-1].get("tbc"):
        parts.append(await log.wait_for("NotifyReport"))
    items = {
        (i["component"]["name"], i["variable"]["name"], i["variable"].get("instance")): i
        for part in parts
        for i in part["report_data"]
    }
    discharge = items[("EVSE", "DischargePower", None)]
    assert discharge["variable_characteristics"]["max_limit"] == 22000
    assert discharge["variable_attribute"][1] == {
        "type": "MaxSet",
        "value": "22000",
        "mutability": "ReadOnly",
    }
    assert items[("EVSE", "DCInputPhaseControl", None)]["variable_attribute"][0]["value"] == "false"
    modes = items[("V2XChargingCtrlr", "SupportedEnergyTransferModes", None)]
    assert modes["component"] == {"name": "V2XChargingCtrlr", "evse": {"id": 1}}
    assert modes["variable_attribute"][0] == {
        "type": "Actual",
        "value": "DC,DC_BPT",
        "mutability": "ReadOnly",
    }
    assert modes["variable_characteristics"]["values_list"] == "DC,DC_BPT"
    protocol = items[("ISO15118Ctrlr", "ProtocolSupported", "1")]["variable_attribute"][0]
    assert protocol["value"] == "urn:iso:std:iso:15118:-20:DC,1,0"
    assert items[("SmartChargingCtrlr", "RateUnit", None)]["variable_attribute"][0]["value"] == "W"
    assert ("V2XChargingCtrlr", "TxUpdatedMeasurands", "ExternalLimits") in items


async def _get(cp: Any, *items: dict[str, Any]) -> list[dict[str, Any]]:
    result = await cp.send(build(call.GetVariables, get_variable_data=list(items)))
    return list(result.get_variable_result)


async def _set(cp: Any, *items: dict[str, Any]) -> list[str]:
    result = await cp.send(build(call.SetVariables, set_variable_data=list(items)))
    return [r["attribute_status"] for r in result.set_variable_result]


async def test_profiles_go_back_as_the_csms_sent_them(rig: Rig) -> None:
    """GetChargingProfiles: per-phase keys as 2.1 spells them; the composite has the limits."""
    _, cp = await rig.station()
    phased = period("CentralSetpoint", setpoint=-3000, setpoint_l2=-1000, setpoint_l3=-1000)
    assert await set_profile(cp, 1, profile(4, "TxDefaultProfile", phased)) == "Accepted"
    result = await cp.send(
        build(call.GetChargingProfiles, request_id=8, charging_profile={"stack_level": 0})
    )
    assert result.status == "Accepted"
    report = await rig.log().wait_for("ReportChargingProfiles")
    assert report["charging_profile"][0]["charging_schedule"][0]["charging_schedule_period"] == [
        {
            "start_period": 0,
            "operation_mode": "CentralSetpoint",
            "setpoint": -3000,
            "setpoint_l2": -1000,
            "setpoint_l3": -1000,
        }
    ]
    [raw] = [payload for action, payload in rig.csms.raw if action == "ReportChargingProfiles"]
    raw_period = raw["chargingProfile"][0]["chargingSchedule"][0]["chargingSchedulePeriod"][0]
    assert {"setpoint_L2", "setpoint_L3"} <= set(raw_period)
    composite = await cp.send(
        build(call.GetCompositeSchedule, duration=600, evse_id=1, charging_rate_unit="W")
    )
    assert composite.schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": 11040, "number_phases": 3}
    ]
