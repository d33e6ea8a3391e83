"""A SimulatedCharger with an attached EV: offline sessions on virtual time, and over OCPP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from simulator.charger import SimulatedCharger, SimulatorError, local_profile_id
from simulator.ev import EVSpec
from simulator.meter import SUSPENDED_EV
from simulator.ocpp16 import call
from simulator.spec import DEFAULT_MEASURANDS, ChargerSpec
from simulator.timeutil import SimClock

from .central_system import CentralSystem
from .test_charger import status_is, tx_profile

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
_UNUSED_URL = "ws://127.0.0.1:9"  # offline chargers never connect


def wh(amp_seconds: float, phases: int = 3) -> float:
    """Grid energy of `amp_seconds` per phase at 230 V."""
    return amp_seconds * 230 * phases / 3600


def offline(clock: SimClock | None = None, **spec: Any) -> SimulatedCharger:
    """A charger that never connects, on a virtual clock."""
    return SimulatedCharger(
        ChargerSpec("OFFLINE", **spec), _UNUSED_URL, clock=clock or SimClock(START)
    )


def test_fixed_clock_is_virtual() -> None:
    """With a start, the clock reads no real time: only what was advanced."""
    clock = SimClock(START)
    assert clock.monotonic() == 0
    assert clock.now() == START
    clock.advance(90)
    assert clock.monotonic() == 90
    assert clock.now() == datetime(2025, 1, 6, 8, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone"):
        SimClock(START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_offline_session_follows_local_limits() -> None:
    """Delay, ramp, a drop below 6 A and a release, metered exactly on virtual time."""
    charger = offline()
    spec = EVSpec(capacity_wh=60_000, initial_soc=20, response_delay=3, ramp_rate=5)
    charger.set_local_limit(1, 10)
    ev = charger.begin_offline_session(1, spec, transaction_id=7)
    state = charger.connector(1)
    assert (state.transaction_id, state.plugged, state.status) == (7, True, "Charging")
    assert charger.ev(1) is ev

    charger.advance(3)
    assert (charger.draw(1), charger.energy_wh(1)) == (0, 0)
    charger.advance(2)
    assert charger.draw(1) == 10
    assert charger.energy_wh(1) == pytest.approx(wh(10))  # 0 -> 10 A in 2 s
    charger.advance(3595)
    assert charger.energy_wh(1) == pytest.approx(wh(10 + 10 * 3595))

    charger.set_local_limit(1, 4)  # below 6 A: nothing offered
    assert charger.offered(1) == 0
    charger.advance(2)
    assert charger.draw(1) == 10  # the car has not reacted yet
    assert state.status == "SuspendedEVSE"
    charger.advance(1)
    assert charger.draw(1) == 0
    charger.advance(100)
    assert charger.energy_wh(1) == pytest.approx(wh(10 + 10 * 3598))

    charger.set_local_limit(1, None)  # back to the hardware maximum
    charger.advance(10)
    assert charger.draw(1) == 16
    assert state.status == "Charging"
    grid = wh(10 + 10 * 3598 + 16 * 3.2 / 2 + 16 * 3.8)
    assert charger.energy_wh(1) == pytest.approx(grid)
    assert ev.grid_wh == pytest.approx(grid)
    assert ev.soc == pytest.approx(20 + grid * 0.9 / 60_000 * 100)
    assert state.soc == ev.soc
    reading = charger.reading(1)
    assert (reading.draw_a, reading.offered_a, reading.used_phases) == (16, 16, 3)

    assert charger.end_offline_session(1) is ev
    assert (state.transaction_id, state.plugged, state.status) == (None, False, "Available")
    assert charger.ev(1) is None
    charger.advance(600)
    assert charger.draw(1) == 0
    assert charger.energy_wh(1) == pytest.approx(grid)


def test_schedule_change_inside_one_advance_is_exact() -> None:
    """A period change within an advance reaches the car after its delay, to the A*s."""
    charger = offline()
    profile = tx_profile(16)
    profile["chargingSchedule"]["chargingSchedulePeriod"].append({"startPeriod": 1800, "limit": 8})
    charger.begin_offline_session(1, EVSpec(response_delay=3, ramp_rate=5), transaction_id=1)
    charger.profiles.install(1, profile, installed_at=charger.now())
    charger.advance(3600)
    # Ramp 0 -> 16 A over 3.2 s after the delay, 16 A until 1803 s, 8 A after.
    amp_seconds = 16 * 3.2 / 2 + 16 * (1803 - 6.2) + 8 * (3600 - 1803)
    assert charger.energy_wh(1) == pytest.approx(wh(amp_seconds))
    assert charger.draw(1) == 8


def test_register_is_the_cars_grid_energy_in_the_taper() -> None:
    """Across limit changes, delays and the taper the meter counts what the car drew."""
    charger = offline()
    ev = charger.begin_offline_session(
        1, EVSpec(capacity_wh=30_000, initial_soc=85), transaction_id=1
    )
    for limit in (16, 7, None, 3, 12):
        charger.set_local_limit(1, limit)
        charger.advance(450.5)
    assert 85 < ev.soc < 100
    assert ev.draw < 12  # tapered below the limit
    assert charger.energy_wh(1) == pytest.approx(ev.grid_wh, rel=1e-12)
    assert ev.soc == pytest.approx(85 + charger.energy_wh(1) * 0.9 / 30_000 * 100, rel=1e-12)


def test_shared_clock_is_advanced_once() -> None:
    """Chargers on one clock: the caller moves it, every charger catches up."""
    clock = SimClock(START)
    first, second = offline(clock), offline(clock, phases=1)
    car = EVSpec(response_delay=0, ramp_rate=16_000)
    first.begin_offline_session(1, car, transaction_id=1)
    second.begin_offline_session(1, car, transaction_id=2)
    clock.advance(3600)
    first.set_local_limit(1, 8)  # before it caught up: the hour before still ran at 16 A
    first.catch_up()
    second.catch_up()
    assert clock.monotonic() == 3600
    assert first.energy_wh(1) == pytest.approx(wh(16 * 3600 - 16 * 0.001 / 2))
    assert second.energy_wh(1) == pytest.approx(wh(16 * 3600 - 16 * 0.001 / 2, phases=1))
    assert second.ev(1) is not None
    assert second.reading(1).used_phases == 1  # a 3-phase car on a 1-phase charger
    clock.advance(60)
    first.catch_up()
    assert first.draw(1) == 8
    assert first.energy_wh(1) == pytest.approx(wh(16 * 3600 - 16 * 0.001 / 2 + 8 * 60))


def test_full_car_is_suspended_ev() -> None:
    """A car at its target stops drawing: SuspendedEV; no offer at all stays SuspendedEVSE."""
    charger = offline()
    car = EVSpec(initial_soc=79, target_soc=80, response_delay=0, ramp_rate=16_000)
    ev = charger.begin_offline_session(1, car, transaction_id=1)
    charger.advance(100)
    assert charger.connector(1).status == "Charging"
    charger.advance(200)  # 600 Wh into the battery take about 217 s at 11 kW
    assert ev.full
    assert charger.connector(1).status == SUSPENDED_EV
    assert charger.draw(1) == 0
    assert charger.energy_wh(1) == pytest.approx(600 / 0.9)
    charger.set_local_limit(1, 0)
    charger.catch_up()
    assert charger.connector(1).status == "SuspendedEVSE"


def test_local_limit_profile() -> None:
    """The local limit is a TxDefaultProfile on stack level 0 with a reserved id."""
    charger = offline()
    charger.set_local_limit(0, 12)
    charger.set_local_limit(1, 8)
    ids = [
        (connector, p.profile_id, p.purpose, p.stack_level)
        for connector, p in charger.profiles.profiles()
    ]
    assert ids == [
        (0, local_profile_id(0), "TxDefaultProfile", 0),
        (1, local_profile_id(1), "TxDefaultProfile", 0),
    ]
    assert charger.effective_limit(1) == 8
    charger.set_local_limit(1, None)
    assert charger.effective_limit(1) == 12
    with pytest.raises(ValueError, match="negative"):
        charger.set_local_limit(1, -1)
    charger.begin_offline_session(1, EVSpec(), transaction_id=1)
    with pytest.raises(SimulatorError, match="already"):
        charger.begin_offline_session(1, EVSpec(), transaction_id=2)
    charger.end_offline_session(1)
    with pytest.raises(SimulatorError, match="no transaction"):
        charger.end_offline_session(1)


# -- over OCPP ----------------------------------------------------------------------------


@pytest_asyncio.fixture
async def virtual_charger(central_system: CentralSystem) -> AsyncIterator[SimulatedCharger]:
    """A 3-phase charger on a virtual clock, reporting SoC and voltages, booted."""
    spec = ChargerSpec(
        "SIM-EV",
        reconnect=False,
        response_timeout=5.0,
        sampled_data=DEFAULT_MEASURANDS[:-1],  # all but the temperature
    )
    charger = SimulatedCharger(spec, central_system.url, clock=SimClock(START))
    assert await charger.connect() == "Accepted"
    await charger.wait_accepted()
    yield charger
    await charger.close()


async def test_one_phase_car_meter_values(
    central_system: CentralSystem, virtual_charger: SimulatedCharger
) -> None:
    """A 1-phase car on a 3-phase charger: current on L1 only, its power, its SoC."""
    charger = virtual_charger
    cs = await central_system.wait_connected()
    charger.attach_ev(1, EVSpec(phases=1, initial_soc=50, response_delay=2, ramp_rate=4))
    await charger.start_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    charger.advance(10)  # the sample interval: MeterValues fall due
    values = await cs.log.wait_for("MeterValues")
    assert values["meterValue"][0]["timestamp"] == "2025-01-06T08:00:10.000Z"
    sampled = {
        (v["measurand"], v.get("phase")): v["value"]
        for v in values["meterValue"][0]["sampledValue"]
    }
    # Delay 2 s, ramp 0 -> 16 A in 4 s (32 A*s), then 16 A for 4 s: 96 A*s on one phase.
    assert sampled == {
        ("Energy.Active.Import.Register", None): "6",
        ("Power.Active.Import", None): "3680",
        ("Current.Import", "L1"): "16.0",
        ("Current.Offered", None): "16.0",
        ("Voltage", "L1-N"): "230.0",
        ("Voltage", "L2-N"): "230.0",
        ("Voltage", "L3-N"): "230.0",
        ("SoC", None): "50",
    }
    assert charger.energy_wh(1) == pytest.approx(wh(96, phases=1))

    # A limit over OCPP is metered from the instant it arrived, and followed 2 s later.
    result = await cs.send(
        call.SetChargingProfile(connector_id=1, cs_charging_profiles=tx_profile(8))
    )
    assert result.status == "Accepted"
    charger.advance(100)
    assert charger.draw(1) == 8
    assert charger.energy_wh(1) == pytest.approx(wh(96 + 16 * 2 + 8 * 98, phases=1))
    ev = charger.ev(1)
    assert ev is not None
    assert ev.grid_wh == charger.energy_wh(1)

    await charger.stop_transaction(1)
    stop = await cs.log.wait_for("StopTransaction")
    assert stop["meterStop"] == int(wh(96 + 16 * 2 + 8 * 98, phases=1))
    assert ev.draw == 0  # the contactor opened
    assert charger.detach_ev(1) is ev


async def test_full_car_reports_suspended_ev(
    central_system: CentralSystem, virtual_charger: SimulatedCharger
) -> None:
    """Once the car is full the charger reports SuspendedEV by itself."""
    charger = virtual_charger
    cs = await central_system.wait_connected()
    charger.attach_ev(1, EVSpec(initial_soc=79, target_soc=80, response_delay=0))
    await charger.start_transaction(1)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, "Charging"))
    charger.advance(300)
    await cs.log.wait_for("StatusNotification", predicate=status_is(1, SUSPENDED_EV))
    assert charger.connector(1).status == SUSPENDED_EV
    assert charger.energy_wh(1) == pytest.approx(600 / 0.9)
