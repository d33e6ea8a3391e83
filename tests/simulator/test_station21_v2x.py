"""SimulatedStation21 charging and discharging under 2.1 profiles, on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from ocpp.v21 import call
import pytest
import pytest_asyncio

from simulator.timeutil import to_iso
from simulator.v21 import NEGATIVE_IMPORT_POWER, V2XCar
from simulator.v201.payload import build

from .csms21 import START, Rig, period, profile, samples, set_profile, updated

ENERGY, EXPORT = "Energy.Active.Import.Register", "Energy.Active.Export.Register"
IMPORT_W, EXPORT_W = "Power.Active.Import", "Power.Active.Export"
BPT = ["AC_BPT", "AC_three_phase"]


@pytest_asyncio.fixture
async def rig(socket_enabled: None) -> AsyncIterator[Rig]:
    """A 2.1 CSMS on 127.0.0.1 (pytest-socket lets it through) for 2.1 stations."""
    async with Rig() as running:
        yield running


def car(**fields: float) -> V2XCar:
    """A 50 kWh car at 60 % that follows at once, 90 % efficient both ways."""
    values: dict[str, float] = {
        "capacity_kwh": 50,
        "soc": 60,
        "response_delay": 0,
        "charge_efficiency": 0.9,
        "discharge_efficiency": 0.9,
        **fields,
    }
    return V2XCar(**values)  # type: ignore[arg-type]


def setpoint(watts: float, **fields: float) -> dict[str, float | str]:
    """A CentralSetpoint period."""
    return period("CentralSetpoint", setpoint=watts, **fields)


async def test_a_setpoint_discharges(rig: Rig) -> None:
    """-5 kW: SoC falls, the export register rises, the import register does not."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    assert station.power(1) == pytest.approx(11_000)  # ChargingOnly by default
    data = profile(1, "TxProfile", setpoint(-5000, discharge_limit=-11_000), transaction_id=tx)
    assert await set_profile(cp, 1, data) == "Accepted"
    assert station.power(1) == pytest.approx(-5000)
    assert station.phase_power(1) == pytest.approx((-5000 / 3,) * 3)
    station.advance(1800)
    assert station.export_wh(1) == pytest.approx(2500)
    assert station.energy_wh(1) == 0
    assert station.soc(1) == pytest.approx(60 - 2500 / 0.9 / 500)
    log = rig.log()
    await station.send_meter_values(1)
    event = await log.wait_for("TransactionEvent", predicate=updated())
    values = samples(event)
    assert (values[(ENERGY, None)], values[(EXPORT, None)]) == (0, 2500)
    assert (values[(IMPORT_W, None)], values[(EXPORT_W, None)]) == (0, 5000)
    assert values[("Current.Export", "L1")] == pytest.approx(7.246, abs=1e-3)
    assert values[("Current.Import", "L2")] == 0
    assert values[("Power.Active.Setpoint", None)] == -5000  # V2X TxUpdatedMeasurands
    assert event["transaction_info"]["charging_state"] == "Charging"
    assert event["transaction_info"]["operation_mode"] == "CentralSetpoint"
    # Charging again: both registers only ever grow.
    assert await set_profile(cp, 1, profile(1, "TxProfile", setpoint(4000), transaction_id=tx)) == (
        "Accepted"
    )
    station.advance(900)
    assert (station.energy_wh(1), station.export_wh(1)) == (pytest.approx(1000), 2500)
    await station.stop_transaction(1)
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    assert samples(ended) == {
        (ENERGY, None): 1000,
        (EXPORT, None): 2500,
        ("SoC", None): pytest.approx(60 - 2500 / 0.9 / 500 + 900 / 500, abs=1e-3),
    }


async def test_no_discharge_without_permission(rig: Rig) -> None:
    """Without BPT allowed the EVSE holds 0 and says so; once allowed it discharges."""
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    assert await set_profile(
        cp, 1, profile(1, "TxProfile", setpoint(-5000), transaction_id=tx)
    ) == ("Accepted")
    station.advance(600)
    assert (station.power(1), station.command(1), station.export_wh(1)) == (0, 0, 0)
    log = rig.log()
    await station.send_meter_values(1)
    event = await log.wait_for("TransactionEvent", predicate=updated())
    assert samples(event)[("Power.Active.Setpoint", None)] == 0
    assert event["transaction_info"]["charging_state"] == "SuspendedEVSE"
    # A positive setpoint needs no permission.
    assert await set_profile(cp, 1, profile(2, "TxProfile", setpoint(3000), transaction_id=tx)) == (
        "Accepted"
    )
    assert station.power(1) == pytest.approx(3000)
    assert await set_profile(
        cp, 1, profile(2, "TxProfile", setpoint(-5000), transaction_id=tx)
    ) == ("Accepted")
    allowed = await cp.send(
        build(call.NotifyAllowedEnergyTransfer, transaction_id=tx, allowed_energy_transfer=BPT)
    )
    assert allowed.status == "Accepted"
    assert station.power(1) == pytest.approx(-5000)
    station.advance(360)
    assert station.export_wh(1) == pytest.approx(500)
    # V2X switched off: back to 0 at once.
    station.model21.evse_variables[("V2XChargingCtrlr", 1, "Enabled", None)].value = "false"
    assert station.power(1) == 0


async def test_the_car_stops_at_its_minimum(rig: Rig) -> None:
    """Told to go on, the car stops at its min V2X SoC: SuspendedEV, export stays."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car(capacity_kwh=10, soc=32, min_v2x_soc=30))
    tx = await station.start_transaction(1)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-6000), transaction_id=tx))
    station.advance(3600)
    assert station.soc(1) == 30
    assert station.export_wh(1) == pytest.approx(200 * 0.9)
    assert (station.power(1), station.command(1)) == (0, pytest.approx(-6000))
    await station.send_meter_values(1)
    event = await rig.log().wait_for("TransactionEvent", predicate=updated())
    assert event["transaction_info"]["charging_state"] == "SuspendedEV"
    assert samples(event)[("Power.Active.Setpoint", None)] == -6000


async def test_expiry_falls_back_to_charging_only(rig: Rig) -> None:
    """A short TxProfile over a ChargingOnly default: discharge, then charging again."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    safe = profile(1, "TxDefaultProfile", period(limit=10), unit="A")
    assert await set_profile(cp, 1, safe) == "Accepted"
    assert station.power(1) == pytest.approx(6900)
    valid_to = to_iso(START + timedelta(seconds=600))
    short = profile(
        2, "TxProfile", setpoint(-4000), stack_level=1, transaction_id=tx, valid_to=valid_to
    )
    assert await set_profile(cp, 1, short) == "Accepted"
    log = rig.log()
    changed = await log.wait_for("TransactionEvent", predicate=updated("OperationModeChanged"))
    assert changed["transaction_info"]["operation_mode"] == "CentralSetpoint"
    station.advance(300)
    assert station.power(1) == pytest.approx(-4000)
    station.advance(600)
    assert station.operation(1).mode == "ChargingOnly"
    assert station.power(1) == pytest.approx(6900)
    assert station.export_wh(1) == pytest.approx(4000 * 600 / 3600)
    assert station.energy_wh(1) == pytest.approx(6900 * 300 / 3600)
    await station.send_meter_values(1)
    back = await log.wait_for("TransactionEvent", predicate=updated("OperationModeChanged"))
    assert back["transaction_info"]["operation_mode"] == "ChargingOnly"
    assert samples(back)[(EXPORT_W, None)] == 0
    # A schedule `duration` ends a profile the same way.
    timed = profile(
        3,
        "TxProfile",
        setpoint(-2000),
        stack_level=1,
        transaction_id=tx,
        charging_profile_kind="Absolute",
        schedule={"duration": 60, "start_schedule": to_iso(station.now())},
    )
    assert await set_profile(cp, 1, timed) == "Accepted"
    assert station.power(1) == pytest.approx(-2000)
    station.advance(61)
    assert station.power(1) == pytest.approx(6900)


async def test_per_phase_setpoints(rig: Rig) -> None:
    """_L2/_L3 setpoints in W and A are followed per phase; a DC station refuses them."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    watts = setpoint(-2000, setpoint_l2=-1000, setpoint_l3=0)
    await set_profile(cp, 1, profile(1, "TxProfile", watts, transaction_id=tx))
    assert station.phase_power(1) == pytest.approx((-2000, -1000, 0))
    await station.send_meter_values(1)
    values = samples(await rig.log().wait_for("TransactionEvent", predicate=updated()))
    assert [values[("Current.Export", f"L{n}")] for n in (1, 2, 3)] == pytest.approx(
        [8.696, 4.348, 0], abs=1e-3
    )
    amps = setpoint(-10, setpoint_l2=-5, setpoint_l3=-5)
    await set_profile(cp, 1, profile(1, "TxProfile", amps, unit="A", transaction_id=tx))
    assert station.phase_power(1) == pytest.approx((-2300, -1150, -1150))
    dc, dc_cp = await rig.station("DC", dc=True)
    dc_tx = await dc.start_transaction(1)
    refused = profile(1, "TxProfile", watts, transaction_id=dc_tx)
    assert await set_profile(dc_cp, 1, refused) == "Rejected"


async def test_external_modes_and_idle(rig: Rig) -> None:
    """ExternalLimits: the local controller decides within the limits; Idle: nothing."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    limits = period("ExternalLimits", limit=6000, discharge_limit=-3000)
    await set_profile(cp, 1, profile(1, "TxProfile", limits, transaction_id=tx))
    assert station.power(1) == pytest.approx(6000)  # no local controller: charge at the limit
    station.set_local_setpoint(1, -5000)
    assert station.power(1) == pytest.approx(-3000)
    station.set_local_setpoint(1, 9000)
    assert station.power(1) == pytest.approx(6000)
    external = period("ExternalSetpoint", limit=6000, discharge_limit=-3000)
    await set_profile(cp, 1, profile(1, "TxProfile", external, transaction_id=tx))
    station.set_local_setpoint(1, -2000)
    assert station.power(1) == pytest.approx(-2000)
    station.set_local_setpoint(1, None)
    assert station.power(1) == 0
    await set_profile(cp, 1, profile(1, "TxProfile", period("Idle"), transaction_id=tx))
    assert station.power(1) == 0
    await station.send_meter_values(1)
    event = await rig.log().wait_for("TransactionEvent", predicate=updated())
    assert event["transaction_info"]["charging_state"] == "SuspendedEVSE"
    assert ("Power.Active.Setpoint", None) not in samples(event)  # Idle adds no measurand


async def test_units_and_the_station_maximum(rig: Rig) -> None:
    """A in amps per phase, W in total; 6 A minimum for charging; the station max caps both."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car())
    tx = await station.start_transaction(1)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-8), unit="A", transaction_id=tx))
    assert station.power(1) == pytest.approx(-8 * 230 * 3)
    await set_profile(cp, 1, profile(1, "TxProfile", period(limit=5), unit="A", transaction_id=tx))
    assert station.power(1) == 0  # below 6 A
    await set_profile(cp, 1, profile(1, "TxProfile", period(limit=6000), transaction_id=tx))
    assert station.power(1) == pytest.approx(6000)
    cap = profile(
        9,
        "ChargingStationMaxProfile",
        period(limit=4500, discharge_limit=-1500),
        charging_profile_kind="Absolute",
        schedule={"start_schedule": to_iso(START)},
    )
    assert await set_profile(cp, 0, cap) == "Accepted"
    assert station.power(1) == pytest.approx(4500)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-5000), transaction_id=tx))
    assert station.power(1) == pytest.approx(-1500)
    outside = setpoint(-5000, discharge_limit=-4000)
    assert (
        await set_profile(cp, 1, profile(1, "TxProfile", outside, transaction_id=tx)) == "Rejected"
    )
    dc, dc_cp = await rig.station("DC", dc=True)
    assert await set_profile(
        dc_cp, 1, profile(1, "TxDefaultProfile", period(limit=10), unit="A")
    ) == ("Rejected")


async def test_a_dc_station_discharges(rig: Rig) -> None:
    """DC_BPT allowed later: at most 22 kW, current in A DC without a phase."""
    big = car(capacity_kwh=80, max_power=50_000, max_discharge_power=30_000, max_current=100)
    station, cp = await rig.station("DC", dc=True, car=big)
    tx = await station.start_transaction(1)
    assert station.power(1) == pytest.approx(22_000)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-30_000), transaction_id=tx))
    assert station.power(1) == 0
    await cp.send(
        build(
            call.NotifyAllowedEnergyTransfer, transaction_id=tx, allowed_energy_transfer=["DC_BPT"]
        )
    )
    assert station.power(1) == pytest.approx(-22_000)
    await station.send_meter_values(1)
    values = samples(await rig.log("DC").wait_for("TransactionEvent", predicate=updated()))
    assert values[("Current.Export", None)] == 55
    assert values[(EXPORT_W, None)] == 22_000


async def test_the_car_follows_after_its_delay(rig: Rig) -> None:
    """A new setpoint is followed after the car's response delay; until then the old one."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car(response_delay=5))
    tx = await station.start_transaction(1)
    assert station.power(1) == 0
    station.advance(5)
    assert station.power(1) == pytest.approx(11_000)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-3600), transaction_id=tx))
    station.advance(3)
    assert station.power(1) == pytest.approx(11_000)
    station.advance(2)
    assert station.power(1) == pytest.approx(-3600)
    station.advance(5)
    assert station.energy_wh(1) == pytest.approx(11_000 * 5 / 3600)
    assert station.export_wh(1) == pytest.approx(5)


async def test_negative_import_power_quirk(rig: Rig) -> None:
    """Some stations report discharge as a negative Power.Active.Import, no export power."""
    rig.csms.allowed_energy_transfer = BPT
    station, cp = await rig.station(car=car(), quirks=frozenset({NEGATIVE_IMPORT_POWER}))
    tx = await station.start_transaction(1)
    await set_profile(cp, 1, profile(1, "TxProfile", setpoint(-4000), transaction_id=tx))
    await station.send_meter_values(1)
    values = samples(await rig.log().wait_for("TransactionEvent", predicate=updated()))
    assert values[(IMPORT_W, None)] == -4000
    assert (EXPORT_W, None) not in values
    with pytest.raises(ValueError, match="unknown quirks"):
        await rig.station("BAD", quirks=frozenset({"no_such_quirk"}))


async def test_meter_values_outside_a_transaction(rig: Rig) -> None:
    """MeterValues: both registers and no SoC while no car charges."""
    station, _ = await rig.station()
    await station.triggered("MeterValues", 1)
    values = samples(await rig.log().wait_for("MeterValues"))
    assert (values[(ENERGY, None)], values[(EXPORT, None)]) == (0, 0)
    assert ("SoC", None) not in values
    assert values[("Power.Active.Setpoint", None)] == 0
