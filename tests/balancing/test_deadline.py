"""Departure and energy target: solar modes charge as FAST when the deadline draws near."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    Result,
    V2XInput,
    allocate,
)
from custom_components.smart_charging.balancing.model import ConnectorMemory

from .sites import car, site, three

VOLTAGE = 230.0
POWER_3 = 16.0 * 3 * VOLTAGE  # 11040 W at the 16 A maximum
POWER_1 = 16.0 * VOLTAGE  # 3680 W
SETTINGS = EngineSettings(
    safety_margin=0.0, dead_band=0.0, solar_start_delay=0.0, solar_stop_delay=0.0
)


# The car was seen following an offer: its phases and its maximum are known.
CHECKED = EngineState(connectors={"pv": ConnectorMemory(car_checked=True)})


def threshold(needed: float, power: float, now: float = 0.0) -> float:
    """The latest departure at which `needed` Wh at `power` W forces fast charging."""
    return now + needed / power * 3600 * (1 + SETTINGS.deadline_margin) + SETTINGS.deadline_buffer


def pv_car(mode: Mode = Mode.SOLAR, **fields: Any) -> ConnectorInput:
    """A solar-mode car, 3-phase, 6-16 A."""
    return car("pv", mode=mode, **fields)


def run(
    connector: ConnectorInput,
    now: float = 0.0,
    state: EngineState | None = None,
    export: float = 0.0,
    limit: float = 32.0,
) -> Result:
    """One call with a grid meter: no house load, `export` A per phase of PV export."""
    drawn = connector.measured
    grid = (drawn[0] - export, drawn[1] - export, drawn[2] - export)
    return allocate(
        site(connector, now=now, limit=limit, grid_current=grid, settings=SETTINGS), state
    )


def test_deadline_triggers_exactly_at_the_threshold() -> None:
    """11 040 Wh at 11 040 W: 1 h + 15 % + 15 min before the departure, and not before."""
    departure = threshold(POWER_3, POWER_3)
    assert departure == pytest.approx(5040.0)
    due = run(pv_car(energy_needed=POWER_3, departure=departure), state=CHECKED)
    allocation = due.allocations["pv"]
    assert (allocation.current, allocation.reason, allocation.deadline) == (
        16.0,
        LimitReason.USER_MAXIMUM,
        True,
    )
    early = run(pv_car(energy_needed=POWER_3, departure=departure + 1), state=CHECKED)
    allocation = early.allocations["pv"]
    assert (allocation.current, allocation.reason, allocation.deadline) == (
        0.0,
        LimitReason.SOLAR_SURPLUS,
        False,
    )


def test_a_car_not_seen_drawing_charges_a_moment_if_one_phase_would_be_due() -> None:
    """Its wallbox offers three phases; a 1-phase car would take a third of that.

    Due on one phase (3 h + 15 % + 15 min) but not on three: it charges as FAST, not
    flagged and not remembered, until its draw is known. Checked as a 3-phase car it
    waits for the surplus; as a 1-phase car (its draw on one phase) it is due.
    """
    departure = threshold(POWER_3, POWER_3) + 1.0  # not due on three phases
    moment = run(pv_car(energy_needed=POWER_3, departure=departure, phases_known=False))
    allocation = moment.allocations["pv"]
    assert (allocation.current, allocation.deadline) == (16.0, False)
    assert allocation.reason is LimitReason.CHECKING_CAR
    assert not moment.state.connectors["pv"].deadline
    three_phase = run(pv_car(energy_needed=POWER_3, departure=departure), state=CHECKED)
    assert three_phase.allocations["pv"].current == 0.0
    one_phase = pv_car(energy_needed=POWER_3, departure=departure, phases=(0,))
    due = run(one_phase, state=CHECKED).allocations["pv"]
    assert (due.current, due.deadline) == (16.0, True)


def test_a_car_not_seen_drawing_waits_when_even_one_phase_is_in_time() -> None:
    """Due neither on one phase nor on three: no moment, the surplus only."""
    departure = threshold(POWER_3, POWER_1) + 1.0
    for mode in (Mode.SOLAR, Mode.MIN_SOLAR):
        allocation = run(pv_car(mode, energy_needed=POWER_3, departure=departure))
        expected = 0.0 if mode is Mode.SOLAR else 6.0
        assert allocation.allocations["pv"].current == expected
        assert not allocation.allocations["pv"].deadline
    moment = run(pv_car(energy_needed=POWER_3, departure=departure - 2.0))
    assert moment.allocations["pv"].current == 16.0


def test_solar_car_without_a_deadline_stays_at_the_surplus() -> None:
    """A far departure, or none: the surplus only."""
    for needed, departure in ((None, None), (5000.0, 86_400.0)):
        connector = pv_car(energy_needed=needed, departure=departure)
        allocation = run(connector, export=10.0).allocations["pv"]
        assert allocation.current == pytest.approx(10.0)
        assert allocation.reason is LimitReason.SOLAR_SURPLUS
        assert not allocation.deadline


def test_min_solar_with_a_deadline_goes_fast() -> None:
    """MIN_SOLAR takes its minimum from the grid; with the deadline near, its maximum."""
    relaxed = run(pv_car(Mode.MIN_SOLAR)).allocations["pv"]
    assert relaxed.current == 6.0
    due = run(pv_car(Mode.MIN_SOLAR, energy_needed=20_000.0, departure=3600.0))
    assert due.allocations["pv"].current == 16.0
    assert due.allocations["pv"].deadline


def test_no_energy_needed_no_deadline() -> None:
    """0 (or less) Wh still wanted, or a missing field: no effect even past the departure."""
    for needed, departure in ((0.0, 0.0), (-500.0, 0.0), (None, 0.0), (1000.0, None)):
        allocation = run(pv_car(energy_needed=needed, departure=departure)).allocations["pv"]
        assert (allocation.current, allocation.deadline) == (0.0, False)


def test_one_phase_car_counts_one_phase() -> None:
    """The same energy takes a 1-phase car three times as long."""
    needed = 3000.0
    departure = threshold(needed, POWER_1) - 1  # due for 1 phase, far off for 3
    one = run(pv_car(phases=(1,), energy_needed=needed, departure=departure))
    assert one.allocations["pv"].deadline
    assert one.allocations["pv"].current == 16.0
    three_phase = run(pv_car(energy_needed=needed, departure=departure))
    assert not three_phase.allocations["pv"].deadline
    assert departure > threshold(needed, POWER_3)


def test_deadline_holds_until_the_energy_is_in() -> None:
    """Charging at the maximum gains on the margin: it does not toggle back to solar."""
    needed = POWER_3
    departure = threshold(needed, POWER_3)
    connector = pv_car(energy_needed=needed, departure=departure)
    result = run(connector)
    assert result.allocations["pv"].deadline
    # 20 minutes at 16 A later: a third is in, the slack has grown.
    remaining = needed * 2 / 3
    assert threshold(remaining, POWER_3, now=1200.0) < departure
    later = replace(connector, energy_needed=remaining, measured=three(16.0))
    result = run(later, now=1200.0, state=result.state)
    assert result.allocations["pv"].deadline
    assert result.allocations["pv"].current == 16.0
    done = replace(later, energy_needed=0.0)
    result = run(done, now=4800.0, state=result.state)
    assert not result.allocations["pv"].deadline
    assert result.allocations["pv"].reason is LimitReason.SOLAR_SURPLUS
    assert not result.state.connectors["pv"].deadline


def test_deadline_keeps_every_limit() -> None:
    """Treated as FAST, it is shared like FAST: the grid limit still binds."""
    allocation = run(pv_car(energy_needed=50_000.0, departure=0.0), limit=10.0).allocations["pv"]
    assert allocation.deadline
    assert allocation.current == 10.0
    assert allocation.reason is LimitReason.GRID_LIMIT


def test_only_charging_cars_that_may_wait_or_give_way() -> None:
    """OFF, no car: nothing to force (and nothing flagged); FAST due: flagged, served first."""
    for mode, active in ((Mode.OFF, True), (Mode.SOLAR, False), (Mode.FAST, False)):
        connector = pv_car(mode, active=active, energy_needed=9e9, departure=0.0)
        assert not run(connector).allocations["pv"].deadline
    assert run(pv_car(Mode.FAST, energy_needed=9e9, departure=0.0)).allocations["pv"].deadline


def test_min_solar_not_seen_drawing_charges_a_moment_too() -> None:
    """Its minimum from the grid says nothing about its maximum: the same moment."""
    departure = threshold(POWER_3, POWER_3) + 1.0
    moment = run(pv_car(Mode.MIN_SOLAR, energy_needed=POWER_3, departure=departure))
    assert (moment.allocations["pv"].current, moment.allocations["pv"].deadline) == (16.0, False)


def test_the_moment_ends_without_a_reading() -> None:
    """A charger that never reports: the car counts as checked after car_check_timeout."""
    departure = threshold(POWER_3, POWER_3) + 1000.0
    state: EngineState | None = None
    offered: list[float] = []
    for now in range(0, 100, 10):
        connector = pv_car(energy_needed=POWER_3, departure=departure, measured_at=-1.0)
        result = run(connector, now=float(now), state=state)
        state = result.state
        offered.append(result.allocations["pv"].current)
    timeout = int(SETTINGS.car_check_timeout) // 10
    assert offered[:timeout] == [16.0] * timeout
    assert offered[timeout:] == [0.0] * (len(offered) - timeout)


def test_a_suspended_car_in_its_moment_is_not_due_early() -> None:
    """SuspendedEV while checked: "takes nothing" is not its maximum for the deadline.

    It resumes after 5 minutes; counted at its 6 A minimum it was due at once and took
    11 kWh from the grid before its real deadline.
    """
    departure = threshold(POWER_3, POWER_3) + 3960.0  # due on three phases at 3960 s
    state: EngineState | None = None
    drawn = 0.0
    first_due = None
    for step in range(1981):
        now = 2.0 * step
        suspended = now < 300
        connector = pv_car(
            energy_needed=POWER_3 - drawn,
            departure=departure,
            suspended=suspended,
            phases_known=now >= 310,
        )
        result = run(connector, now=now, state=state)
        state = result.state
        allocation = result.allocations["pv"]
        if allocation.deadline and first_due is None:
            first_due = now
        if not suspended:
            drawn += allocation.current * 3 * VOLTAGE * 2.0 / 3600
    assert first_due == pytest.approx(3960.0, abs=10.0)


def test_a_car_near_full_is_due_earlier_for_its_taper() -> None:
    """94 % of a 90 kWh battery to 100 %: near full it charges slower (its taper).

    5.9 kWh at 11 kW is 0.86 h with the margin and the buffer; the energy above 90 %
    counts twice (`TAPER_SOC`, `TAPER_SLOWDOWN`): 1.31 h. With 4000 s to go it is due;
    without its SoC known the tail is not (two 90 kWh vans left 0.13 kWh short so).
    """
    needed = 6 / 100 * 90_000 / 0.92
    assert threshold(needed, POWER_3) < 4000.0
    v2x = V2XInput(max_discharge_current=16.0, capacity=90_000.0, soc=94.0, target_soc=100.0)
    fields: dict[str, Any] = {"energy_needed": needed, "departure": 4000.0, "mode": Mode.PRICE}
    due = run(pv_car(**fields, v2x=v2x), state=CHECKED)
    assert due.allocations["pv"].deadline
    assert not run(pv_car(**fields), state=CHECKED).allocations["pv"].deadline


def test_far_from_full_the_margin_covers_the_taper() -> None:
    """30 % to 100 %: the tail is within the deadline's 15 % margin, nothing changes."""
    needed = 70 / 100 * 90_000 / 0.92
    v2x = V2XInput(max_discharge_current=16.0, capacity=90_000.0, soc=30.0, target_soc=100.0)
    departure = threshold(needed, POWER_3)
    for at, due in ((departure + 1.0, False), (departure, True)):
        fields: dict[str, Any] = {"energy_needed": needed, "departure": at, "v2x": v2x}
        assert run(pv_car(**fields), state=CHECKED).allocations["pv"].deadline is due
