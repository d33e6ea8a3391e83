"""A DC SimulatedStation201 (a fast charger with a car per EVSE) against the 2.0.1 CSMS stub."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings, strategies as st
from ocpp.v201 import call
import pytest

from simulator import cli
from simulator.timeutil import SimClock
from simulator.v201 import Car, SimulatedStation201, StationError
from simulator.v201.car import TAPER_FLOOR
from simulator.v201.payload import build

from .conftest import StationFactory, online
from .csms201 import Csms, CsmsChargePoint
from .test_station201 import get_variables, profile, samples, set_profile, set_variables, variable

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
def make_station(make_station: StationFactory) -> StationFactory:
    """Build DC stations on a virtual clock for the CSMS."""

    def build_station(station_id: str = "DC201", **options: Any) -> SimulatedStation201:
        options.setdefault("dc", True)
        options.setdefault("clock", SimClock(START))
        return make_station(station_id, **options)

    return build_station


async def report(cp: CsmsChargePoint, csms: Csms, station_id: str) -> list[dict[str, Any]]:
    """GetBaseReport FullInventory; every reportData item of its NotifyReports."""
    result = await cp.send(build(call.GetBaseReport, request_id=3, report_base="FullInventory"))
    assert result.status == "Accepted"
    log = csms.log(station_id)
    parts = [await log.wait_for("NotifyReport")]
    while parts[-1].get("tbc"):
        parts.append(await log.wait_for("NotifyReport"))
    return [item for part in parts for item in part["report_data"]]


def item_of(data: list[dict[str, Any]], component: dict[str, Any], name: str) -> dict[str, Any]:
    """The report item of a component's variable."""
    return next(i for i in data if i["component"] == component and i["variable"]["name"] == name)


# -- the car -----------------------------------------------------------------------------------


def test_car_charges_exactly() -> None:
    """Constant power to bulk_soc, the taper's exponential, its floor, then full."""
    car = Car(capacity_kwh=60, soc=20, max_power=50_000)
    assert car.charge(50_000, 400, 2592) == pytest.approx(36_000)  # 36 kWh at 50 kW: 80 %
    assert car.soc == pytest.approx(80)
    assert car.power(50_000, 400) == pytest.approx(50_000)  # the taper starts here
    car.charge(50_000, 400, 600)
    tapered = car.power(50_000, 400)
    assert tapered < 50_000
    assert tapered == pytest.approx(50_000 * (100 - car.soc) / 20)
    before = car.soc
    assert car.charge(50_000, 400, 100_000) == pytest.approx((100 - before) / 100 * 60_000)
    assert car.soc == 100
    assert car.full
    assert car.power(50_000, 400) == 0
    assert car.charge(50_000, 400, 3600) == 0


def test_car_limits() -> None:
    """The car's current and power maxima, a lower offer, the taper floor; bad cars refused."""
    car = Car(soc=50, max_power=100_000, max_current=100)
    assert car.power(150_000, 400) == 40_000  # 100 A x 400 V
    assert car.power(20_000, 400) == 20_000
    assert Car(soc=99.5).accepted_power() == 50_000 * TAPER_FLOOR
    assert Car(soc=10, full_soc=90).needed_wh() == pytest.approx(48_000)
    bad_cars: list[dict[str, Any]] = [
        {"capacity_kwh": 0},
        {"bulk_soc": 90, "full_soc": 80},
        {"soc": 120},
        {"max_power": -1},
    ]
    for bad in bad_cars:
        with pytest.raises(ValueError, match="."):
            Car(**bad)


@settings(max_examples=60, deadline=None)
@given(
    soc=st.floats(0, 100),
    offered=st.floats(0, 150_000),
    pieces=st.lists(st.floats(0, 4000), min_size=1, max_size=8),
)
def test_car_charging_in_pieces_is_charging_at_once(
    soc: float, offered: float, pieces: list[float]
) -> None:
    """Metered in pieces or at once: the same energy and SoC; the energy is the SoC gained."""
    whole, split = Car(soc=soc), Car(soc=soc)
    at_once = whole.charge(offered, 400, sum(pieces))
    bit_by_bit = sum(split.charge(offered, 400, piece) for piece in pieces)
    assert bit_by_bit == pytest.approx(at_once, abs=0.01)
    assert split.soc == pytest.approx(whole.soc, abs=1e-6)
    assert at_once == pytest.approx((whole.soc - soc) / 100 * whole.capacity_wh, abs=0.01)
    assert soc <= whole.soc <= max(soc, 100)
    assert at_once <= offered * sum(pieces) / 3600 + 0.01


# -- the station -------------------------------------------------------------------------------


async def test_dc_inventory_and_device_model(csms: Csms, make_station: StationFactory) -> None:
    """cCCS2, EVSE Power maxLimit = the DC power, SupplyPhases 0, RateUnit W, SoC measurable."""
    station, cp = await online(csms, make_station, evses=2, dc_power=150_000)
    data = await report(cp, csms, "DC201")
    for evse_id in (1, 2):
        connector = {"name": "Connector", "evse": {"id": evse_id, "connector_id": 1}}
        kind = item_of(data, connector, "ConnectorType")
        assert kind["variable_attribute"][0]["value"] == "cCCS2"
        evse = {"name": "EVSE", "evse": {"id": evse_id}}
        power = item_of(data, evse, "Power")
        assert power["variable_characteristics"]["max_limit"] == 150_000
        assert power["variable_attribute"][1] == {
            "type": "MaxSet",
            "value": "150000",
            "mutability": "ReadOnly",
        }
        assert item_of(data, evse, "SupplyPhases")["variable_attribute"][0]["value"] == "0"
    rate_unit = item_of(data, {"name": "SmartChargingCtrlr"}, "RateUnit")
    assert rate_unit["variable_attribute"][0]["value"] == "W"
    updated = item_of(data, {"name": "SampledDataCtrlr"}, "TxUpdatedMeasurands")
    assert "SoC" in updated["variable_characteristics"]["values_list"].split(",")
    results = await get_variables(
        cp,
        variable("SmartChargingCtrlr", "RateUnit"),
        variable("EVSE", "Power", 1, attribute_type="MaxSet"),
        variable("EVSE", "SupplyPhases", 2),
        variable("SampledDataCtrlr", "TxEndedMeasurands"),
    )
    assert [r.get("attribute_value") for r in results] == [
        "W",
        "150000",
        "0",
        f"{ENERGY},SoC",
    ]
    statuses = await set_variables(
        cp,
        variable("SampledDataCtrlr", "TxUpdatedMeasurands", attribute_value=f"{ENERGY},SoC"),
        variable("AlignedDataCtrlr", "Measurands", attribute_value="SoC"),
        variable("SampledDataCtrlr", "TxEndedMeasurands", attribute_value="SoC,Temperature"),
    )
    assert statuses == ["Accepted", "Accepted", "Rejected"]
    assert station.model.value(("SampledDataCtrlr", "TxUpdatedMeasurands")) == f"{ENERGY},SoC"


async def test_an_ac_station_has_no_soc(csms: Csms, make_station: StationFactory) -> None:
    """AC: cType2, SoC not measurable, no car, no SupplyPhases variable."""
    station, cp = await online(csms, make_station, dc=False)
    data = await report(cp, csms, "DC201")
    connector = {"name": "Connector", "evse": {"id": 1, "connector_id": 1}}
    assert item_of(data, connector, "ConnectorType")["variable_attribute"][0]["value"] == "cType2"
    assert not [i for i in data if i["variable"]["name"] == "SupplyPhases"]
    statuses = await set_variables(
        cp, variable("SampledDataCtrlr", "TxUpdatedMeasurands", attribute_value=f"{ENERGY},SoC")
    )
    assert statuses == ["Rejected"]
    [phases] = await get_variables(cp, variable("EVSE", "SupplyPhases", 1))
    assert phases["attribute_status"] == "UnknownVariable"
    assert station.soc(1) is None
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 10)) == "Accepted"
    assert station.effective_power_limit(1) == 10 * 230 * 3
    with pytest.raises(StationError):
        station.car(1)
    with pytest.raises(StationError):
        station.plug_in(1, Car())


async def test_the_car_tells_its_needs_at_the_start(
    csms: Csms, make_station: StationFactory
) -> None:
    """Started (with the SoC), then NotifyEVChargingNeeds DC with the car's values."""
    car = Car(capacity_kwh=77, soc=35, max_power=120_000, max_current=300, max_voltage=800)
    car.stay = timedelta(minutes=30)
    station, _ = await online(csms, make_station, car=car)
    assert station.car(1) is not car  # each EVSE has a copy
    log = csms.log("DC201")
    log.consume_all()
    transaction_id = await station.start_transaction(1)
    started = await log.wait_for("TransactionEvent")
    assert started["event_type"] == "Started"
    begin = samples(started)
    assert begin[("SoC", None)]["value"] == 35
    assert begin[("SoC", None)]["context"] == "Transaction.Begin"
    needs = await log.wait_for("NotifyEVChargingNeeds")
    assert needs == {
        "evse_id": 1,
        "charging_needs": {
            "requested_energy_transfer": "DC",
            "departure_time": "2030-01-01T12:30:00.000Z",
            "dc_charging_parameters": {
                "ev_max_current": 300,
                "ev_max_voltage": 800,
                "energy_amount": 50050,  # 65 % of 77 kWh
                "ev_max_power": 120000,
                "state_of_charge": 35,
                "ev_energy_capacity": 77000,
                "full_soc": 100,
                "bulk_soc": 80,
            },
        },
    }
    actions = log.actions()
    assert actions.index("TransactionEvent") < actions.index("NotifyEVChargingNeeds")
    assert station.transaction_id(1) == transaction_id
    # A refusal of the needs does not stop the transaction.
    await station.stop_transaction(1)
    csms.charging_needs_status = "Rejected"
    await station.start_transaction(1)
    await log.wait_for("NotifyEVChargingNeeds")
    assert station.transaction_id(1) is not None
    assert await station.send_car_needs(1) == "Rejected"


async def test_soc_rises_with_the_energy_and_tapers(
    csms: Csms, make_station: StationFactory
) -> None:
    """50 kW into 50 kWh: +50 % in half an hour, the taper above 80 %, nothing once full."""
    station, _ = await online(csms, make_station, car=Car(capacity_kwh=50, soc=20))
    assert station.power(1) == 0  # no transaction, no draw
    station.advance(600)
    assert station.soc(1) == 20
    await station.start_transaction(1)
    assert station.power(1) == 50_000
    assert station.draw(1) == 125  # A DC at 400 V
    station.advance(1800)
    assert station.energy_wh(1) == pytest.approx(25_000)
    assert station.soc(1) == pytest.approx(70)
    station.advance(360)
    assert station.soc(1) == pytest.approx(80)
    assert station.power(1) == pytest.approx(50_000)
    station.advance(300)
    soc = station.soc(1)
    assert soc is not None
    assert 80 < soc < 90
    assert station.power(1) == pytest.approx(50_000 * (100 - soc) / 20)
    assert station.energy_wh(1) == pytest.approx((soc - 20) / 100 * 50_000)
    station.advance(4 * 3600)
    assert station.soc(1) == 100
    assert station.power(1) == 0
    assert station.energy_wh(1) == pytest.approx(40_000)
    log = csms.log("DC201")
    log.consume_all()
    await station.send_meter_values(1)
    full = await log.wait_for("TransactionEvent")
    assert full["transaction_info"]["charging_state"] == "SuspendedEV"
    assert samples(full)[("SoC", None)]["value"] == 100
    with pytest.raises(StationError):
        station.plug_in(1, Car())  # still charging
    await station.stop_transaction(1)
    station.plug_in(1, Car(soc=10))
    await station.start_transaction(1)
    assert station.soc(1) == 10
    assert station.power(1) == 50_000


async def test_a_limit_in_w_is_followed(csms: Csms, make_station: StationFactory) -> None:
    """W limits: the car draws min(limit, station, car); A limits are refused (RateUnit W)."""
    station, cp = await online(csms, make_station, car=Car(capacity_kwh=100, soc=10))
    await station.start_transaction(1)
    log = csms.log("DC201")
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 16, unit="A")) == "Rejected"
    assert await set_profile(cp, 1, profile(1, "TxDefaultProfile", 20_000, unit="W")) == (
        "Accepted"
    )
    assert station.effective_power_limit(1) == 20_000
    assert station.effective_limit(1) == 50  # A DC
    assert station.power(1) == 20_000
    assert station.draw(1) == 50
    station.advance(3600)
    assert station.energy_wh(1) == pytest.approx(20_000)
    assert station.soc(1) == pytest.approx(30)
    log.consume_all()
    await station.send_meter_values(1)
    values = samples(await log.wait_for("TransactionEvent"))
    assert values[("Power.Active.Import", None)]["value"] == 20_000
    assert values[("Current.Import", None)]["value"] == 50
    assert values[("Current.Offered", None)]["value"] == 50
    result = await cp.send(
        build(call.GetCompositeSchedule, duration=600, evse_id=1, charging_rate_unit="W")
    )
    assert result.schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 20000}]
    # Above the station's maximum: the station's 50 kW; a car of 30 kW: 30 kW.
    assert await set_profile(cp, 1, profile(2, "TxDefaultProfile", 80_000, unit="W")) == (
        "Accepted"
    )
    assert station.power(1) == 50_000
    station.car(1).max_power = 30_000
    assert station.power(1) == 30_000
    assert await set_profile(cp, 1, profile(3, "TxDefaultProfile", 0, unit="W")) == "Accepted"
    assert station.power(1) == 0
    log.consume_all()
    await station.send_meter_values(1)
    paused = await log.wait_for("TransactionEvent")
    assert paused["transaction_info"]["charging_state"] == "SuspendedEVSE"


async def test_meter_values_carry_the_soc(csms: Csms, make_station: StationFactory) -> None:
    """Updated and Ended carry SoC (Percent, EV), DC current and voltage without a phase."""
    station, _ = await online(csms, make_station, car=Car(capacity_kwh=50, soc=40))
    log = csms.log("DC201")
    await station.send_meter_values(1)
    idle = samples(await log.wait_for("MeterValues"))
    assert ("SoC", None) not in idle  # no car charging
    assert idle[("Current.Import", None)]["value"] == 0
    assert idle[("Voltage", None)]["value"] == 400
    await station.start_transaction(1)
    station.advance(360)
    log.consume_all()
    await station.send_meter_values(1)
    updated = samples(await log.wait_for("TransactionEvent"))
    assert set(updated) == {
        (ENERGY, None),
        ("Power.Active.Import", None),
        ("Current.Import", None),
        ("Current.Offered", None),
        ("Voltage", None),
        ("SoC", None),
    }
    soc = updated[("SoC", None)]
    assert soc["value"] == pytest.approx(50)  # 5 kWh of 50
    assert soc["unit_of_measure"] == {"unit": "Percent"}
    assert soc["location"] == "EV"
    assert soc["context"] == "Sample.Periodic"
    assert updated[(ENERGY, None)]["value"] == pytest.approx(5000)
    assert updated[("Current.Import", None)]["value"] == 125
    assert updated[("Voltage", None)]["value"] == 400
    await station.triggered("MeterValues", 1)  # MeterValues during the transaction: SoC too
    triggered = samples(await log.wait_for("MeterValues"))
    assert triggered[("SoC", None)]["value"] == pytest.approx(50)
    station.advance(360)
    await station.stop_transaction(1)
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    values = samples(ended)
    assert set(values) == {(ENERGY, None), ("SoC", None)}
    assert values[("SoC", None)]["value"] == pytest.approx(60)
    assert values[("SoC", None)]["context"] == "Transaction.End"


# -- the command line --------------------------------------------------------------------------


def test_parse_a_dc_station() -> None:
    """ID:EVSES:DC[KW]: a DC station, 50 kW by default; the AC syntax stays."""
    assert cli.parse_station("FAST:1:DC50") == cli.StationSpec("FAST", 1, dc_power=50_000)
    assert cli.parse_station("FAST:2:dc") == cli.StationSpec("FAST", 2, dc_power=50_000)
    assert cli.parse_station("HPC:1:DC350") == cli.StationSpec("HPC", 1, dc_power=350_000)
    assert cli.parse_station("AC:2:32") == cli.StationSpec("AC", 2, 32.0)
    for text in ("X:1:DCx", "X:1:DC0", "X:1:DC-5", "X:0:DC50", "X:1:DCinf", "X:1:DC50:1"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.parse_station(text)
    options = cli.parse_args(
        ["--station201", "FAST:1:DC50", "--station201", "AC:1", "--station21", "none"]
    )
    assert options.stations == [
        cli.StationSpec("FAST", 1, dc_power=50_000),
        cli.StationSpec("AC", 1, 16.0),
    ]
    fast = cli.StationSpec("FAST", 2, dc_power=75_000).build("ws://127.0.0.1:1")
    assert (fast.dc, len(fast.evses), fast.model.max_power_w, sorted(fast.rate_units)) == (
        True,
        2,
        75_000,
        ["W"],
    )
    ac = cli.StationSpec("AC", 1, 32.0).build("ws://127.0.0.1:1")
    assert (ac.dc, ac.max_current, sorted(ac.rate_units)) == (False, 32.0, ["A", "W"])


async def test_run_a_dc_station(csms: Csms) -> None:
    """`python -m simulator --station201 FAST:1:DC50`: the car charges, the needs go out."""
    stop = asyncio.Event()
    spec = cli.StationSpec("FAST", 1, dc_power=50_000)
    running = asyncio.create_task(cli.run(csms.url, [], stop, [spec]))
    log = csms.log("FAST")
    try:
        needs = await log.wait_for("NotifyEVChargingNeeds")
        assert needs["charging_needs"]["requested_energy_transfer"] == "DC"
        started = await log.wait_for("TransactionEvent")
        assert samples(started)[("SoC", None)]["value"] == 20
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 5) == 0
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    assert ended["transaction_info"]["stopped_reason"] == "Local"
