"""The live plant with a bidirectional OCPP 2.1 station: signed draw, arrival, departure.

Against the 2.1 CSMS stub of tests/simulator/csms21.py, with the station on a virtual clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import pytest_asyncio

from custom_components.smart_charging.balancing import EngineSettings
from simulator.site.bidi_station import (
    DEADLINE_BUFFER,
    BidiStation,
    build_station,
    station_kw,
    told_stay,
    visit_car,
)
from simulator.site.model import Bidirectional, ChargerPlan, Visit
from simulator.site.plant import Plant
from simulator.timeutil import SimClock, parse_iso
from tests.simulator.csms21 import START, Csms21ChargePoint, Rig, period, profile, set_profile

from .test_plant import CAR, day

AC = ChargerPlan(charger_id="WB", max_current=(16.0,), bidirectional=True)
DC = replace(AC, dc=True)
V2X_CAR = replace(CAR, capacity_wh=77_000.0, phases=3, target_soc=80.0, response_delay=0.0)
V2X = Bidirectional(max_discharge_current=16.0, discharge_efficiency=0.9, min_soc=10.0)
# Home 1 h after the start until 12 h 10 s later (site seconds); it wants 80 % and keeps 30 %.
VISIT = Visit(
    charger_id="WB",
    connector_id=1,
    arrive=10.0,
    depart=10.0 + 12 * 3600,
    energy_wh=23_100.0,
    ev=V2X_CAR,
    mode="solar",
    v2x=V2X,
    reserve_soc=30.0,
)
SPEED = 60.0
URL = "ws://127.0.0.1:9"  # never connected
HOUSE = (300 / 230, 200 / 230, 100 / 230)  # test_plant's FlatHouse, A per phase


@pytest_asyncio.fixture
async def rig(socket_enabled: None) -> AsyncIterator[Rig]:
    """A 2.1 CSMS on 127.0.0.1 that lets cars discharge from their Authorize on."""
    async with Rig() as running:
        running.csms.allowed_energy_transfer = ["AC_BPT", "DC_BPT", "AC_three_phase", "DC"]
        yield running


async def online(rig: Rig, plan: ChargerPlan) -> tuple[BidiStation, Csms21ChargePoint, Plant]:
    """The plan's station connected on a virtual clock, and a night-time plant around it."""
    bidi = BidiStation(plan, rig.csms.url, voltage=230.0, speed=SPEED, clock=SimClock(START))
    await bidi.connect_with_retry()
    await bidi.wait_accepted()
    rig.stations.append(bidi.station)
    cp = await rig.csms.wait_connected()
    scenario = day(chargers=(plan,), visits=(VISIT,), pv=None)
    return bidi, cp, Plant(scenario, {}, SimClock(), online=True, stations={"WB": bidi})


def test_station_kinds() -> None:
    """An AC wallbox (3 phases, A and W), a DC station (W), a 1-phase AC wallbox."""
    assert station_kw(AC, 230.0) == pytest.approx(11.04)
    wallbox = build_station(AC, "ws://127.0.0.1:9", 230.0)
    assert (wallbox.dc, wallbox.phases, wallbox.max_current) == (False, 3, 16.0)
    assert wallbox.discharge_power == pytest.approx(11_040.0)
    station = build_station(replace(DC, connectors=2), "ws://127.0.0.1:9", 230.0)
    assert (station.dc, station.phases, len(station.evses)) == (True, 1, 2)
    assert station.discharge_power == pytest.approx(11_040.0)
    single = build_station(replace(AC, phases=1, max_current=(32.0,)), URL, 230.0)
    assert (single.phases, single.max_current) == (1, 32.0)


def test_visit_car() -> None:
    """The scenario's car with its battery scaled; the reserve is HA's, the floor the car's."""
    station = build_station(AC, "ws://127.0.0.1:9", 230.0)
    car = visit_car(VISIT, station, voltage=230.0, scale=1 / 60, stay=timedelta(minutes=12))
    assert car.capacity_kwh == pytest.approx(77 / 60)
    assert (car.soc, car.target_soc, car.min_v2x_soc) == (50.0, 80.0, 10.0)
    assert car.max_power == pytest.approx(11_040.0)
    assert car.max_current == pytest.approx(16.0)
    assert car.max_discharge_power == pytest.approx(11_040.0)
    assert (car.bidirectional, car.discharge_efficiency) == (True, 0.9)
    assert car.stay == timedelta(minutes=12)
    dc = visit_car(VISIT, build_station(DC, URL, 230.0), voltage=230, scale=1, stay=car.stay)
    assert dc.max_current == pytest.approx(11_040.0 / 400)  # A DC at the station's 400 V
    plain = visit_car(replace(VISIT, v2x=None), station, voltage=230, scale=1, stay=car.stay)
    assert (plain.bidirectional, plain.max_discharge_power, plain.min_v2x_soc) == (False, 0, 0)


def test_told_stay() -> None:
    """The real stay plus the engine's deadline buffer, less the buffer's site time."""
    assert EngineSettings().deadline_buffer == DEADLINE_BUFFER
    assert told_stay(VISIT, 10.0, 1.0) == timedelta(hours=12)  # real time: as it is
    assert told_stay(VISIT, 10.0, 60.0) == timedelta(minutes=12 + 15, seconds=-15)
    assert told_stay(VISIT, VISIT.depart + 5, 60.0) == timedelta(seconds=885)


def test_stations_run_online_only() -> None:
    """A plant without a central system cannot run a 2.1 station."""
    bidi = BidiStation(AC, "ws://127.0.0.1:9", voltage=230.0, speed=1.0)
    with pytest.raises(ValueError, match="online only"):
        Plant(day(chargers=(AC,)), {}, SimClock(), online=False, stations={"WB": bidi})


async def test_the_car_arrives_discharges_and_leaves(rig: Rig) -> None:
    """The car tells its needs, its discharge lowers the grid meter, it leaves at its departure.

    House 300/200/100 W, no PV; the CSMS asks for -4140 W: 6 A per phase back.
    """
    bidi, cp, plant = await online(rig, AC)
    station = bidi.station
    await plant.step(5.0)
    assert plant.snapshot.grid_current == pytest.approx(HOUSE)
    assert not plant.sessions

    await plant.step(5.0)  # the car arrives at 10 s: 12 h of the site's time to stay
    session = plant.sessions[("WB", 1)]
    assert session.transaction_id == station.transaction_id(1)
    log = rig.log("WB")
    needs = (await log.wait_for("NotifyEVChargingNeeds"))["charging_needs"]
    # It leaves in 12 min; it tells the integration's deadline buffer later, less 15 s.
    told = parse_iso(needs["departure_time"]) - station.now()
    assert told == timedelta(minutes=12 + 15, seconds=-15)
    assert needs["requested_energy_transfer"] == "AC_BPT"
    assert needs["v2x_charging_parameters"]["target_soc"] == 80
    assert station.soc(1) == 50.0
    assert station.car(1).capacity_kwh == pytest.approx(77 / SPEED)

    setpoint = period("CentralSetpoint", setpoint=-4140.0, discharge_limit=-11_040.0)
    data = profile(1, "TxProfile", setpoint, transaction_id=session.transaction_id)
    assert await set_profile(cp, 1, data) == "Accepted"
    station.advance(5)
    snapshot = await plant.step(0.0)
    assert snapshot.connector_current["WB/1"] == pytest.approx(-6.0)
    assert snapshot.ev_power == pytest.approx(-4140.0)
    assert snapshot.grid_current == pytest.approx(tuple(amps - 6 for amps in HOUSE))
    assert plant.connector_phases("WB", 1) == (0, 1, 2)
    station.advance(60)  # a real minute (65 s since the setpoint): an hour of the site at 4 kW
    given = 4140 * 65 / 3600 / 0.9  # Wh out of the battery
    assert station.soc(1) == pytest.approx(50 - given / (77_000 / SPEED) * 100)

    await plant.step(VISIT.depart - plant.t)  # it leaves
    assert not plant.sessions
    (finished,) = plant.finished
    assert finished.ended
    ended = await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
    assert ended["transaction_info"]["stopped_reason"] == "EVDisconnected"
    assert station.transaction_id(1) is None
    assert plant.snapshot.grid_current == pytest.approx(HOUSE)


async def test_a_dc_station_feeds_all_three_phases(rig: Rig) -> None:
    """A DC station's inverter spreads the discharge over the phases, whatever the rotation."""
    bidi, cp, plant = await online(rig, replace(DC, phase_rotation=1))
    await plant.step(10.0)
    session = plant.sessions[("WB", 1)]
    setpoint = period("CentralSetpoint", setpoint=-6900.0, discharge_limit=-11_040.0)
    data = profile(1, "TxProfile", setpoint, transaction_id=session.transaction_id)
    assert await set_profile(cp, 1, data) == "Accepted"
    bidi.station.advance(5)
    snapshot = await plant.step(0.0)
    assert snapshot.grid_current == pytest.approx(tuple(amps - 10 for amps in HOUSE))
    assert plant.connector_phases("WB", 1) == (0, 1, 2)
    await plant.finish()
    assert bidi.station.transaction_id(1) is None


async def test_connect_retries_until_the_csms_is_up(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused connection is retried after a pause."""
    url = rig.csms.url
    bidi = BidiStation(AC, "ws://127.0.0.1:1", voltage=230.0, speed=1.0)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        bidi.station.url = url  # the CSMS is up now

    monkeypatch.setattr("simulator.site.bidi_station.asyncio.sleep", pause)
    await bidi.connect_with_retry(max_backoff=2.0)
    rig.stations.append(bidi.station)
    await bidi.wait_accepted()
    assert pauses == [0.5]
    assert isinstance(bidi.station.now(), datetime)
    await bidi.close()


async def test_a_refused_boot_is_logged(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """A station the central system does not accept says so; a car that is not there leaves."""
    rig.csms.boot_status = "Rejected"
    bidi = BidiStation(AC, rig.csms.url, voltage=230.0, speed=1.0)
    rig.stations.append(bidi.station)
    await bidi.connect_with_retry()
    assert "boot Rejected" in caplog.text
    await bidi.leave(1)  # no transaction: nothing to end
    assert [action for action, _ in rig.log("WB").calls] == ["BootNotification"]
