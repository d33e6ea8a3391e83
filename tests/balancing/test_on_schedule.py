"""FAST with a departure: it gets what its departure needs, then gives way within its class."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    LimitReason,
    Mode,
    Result,
    StationInput,
    allocate,
)
from custom_components.smart_charging.balancing.classification import make_context

from .sites import PLAIN, car, currents, site, three

VOLTAGE = 230.0
ENERGY = 6900.0  # Wh: 10 A on 3 phases for one hour


def departure_for(amps: float, energy: float = ENERGY, phases: int = 3, now: float = 0.0) -> float:
    """The departure at which `energy` needs `amps` now (with the deadline's margin and buffer)."""
    hours = energy / (VOLTAGE * phases * amps) * (1 + PLAIN.deadline_margin)
    return now + hours * 3600 + PLAIN.deadline_buffer


def leaving(connector_id: str, amps: float, **fields: Any) -> ConnectorInput:
    """A FAST car that told its departure: `amps` get ENERGY in in time."""
    return car(connector_id, energy_needed=ENERGY, departure=departure_for(amps), **fields)


def run(*connectors: ConnectorInput, limit: float, now: float = 0.0) -> Result:
    """One call on a site with `limit` A per phase and no meter."""
    return allocate(site(*connectors, limit=limit, now=now), None)


def test_departure_needs_less_it_gives_way() -> None:
    """The car that told its departure gets the 10 A it needs; the other one the rest."""
    result = run(car("visitor"), leaving("staff", 10.0), limit=24.0)
    assert currents(result) == pytest.approx({"visitor": 14.0, "staff": 10.0})
    assert result.allocations["staff"].reason is LimitReason.ON_SCHEDULE
    assert result.allocations["visitor"].reason is LimitReason.GRID_LIMIT


def test_it_never_gets_less_than_its_minimum() -> None:
    """Needing 2 A, it still charges at its 6 A minimum (a car cannot take less)."""
    result = run(car("visitor"), leaving("staff", 2.0), limit=20.0)
    assert currents(result) == pytest.approx({"visitor": 14.0, "staff": 6.0})
    assert result.allocations["staff"].reason is LimitReason.ON_SCHEDULE


def test_what_the_others_leave_is_its_own() -> None:
    """The others at their maximum: the rest goes to it, up to its own maximum."""
    result = run(car("visitor"), leaving("staff", 8.0), limit=28.0)
    assert currents(result) == pytest.approx({"visitor": 16.0, "staff": 12.0})
    assert result.allocations["staff"].reason is LimitReason.GRID_LIMIT
    roomy = run(car("visitor"), leaving("staff", 8.0), limit=40.0)
    assert currents(roomy) == pytest.approx({"visitor": 16.0, "staff": 16.0})
    assert roomy.allocations["staff"].reason is LimitReason.USER_MAXIMUM


def test_a_due_departure_is_served_first() -> None:
    """Needing its maximum (or more, or no time left): it is due, like a solar car's deadline.

    It charges at its maximum before the others of its priority and is flagged.
    """
    for departure in (departure_for(16.0), departure_for(30.0), PLAIN.deadline_buffer, -100.0):
        staff = car("staff", energy_needed=ENERGY, departure=departure)
        result = run(car("visitor"), staff, limit=24.0)
        assert currents(result) == pytest.approx({"visitor": 8.0, "staff": 16.0})
        assert result.allocations["staff"].deadline
        assert not result.allocations["visitor"].deadline


def test_without_energy_wanted_it_shares_equally() -> None:
    """No target, or one within the energy tolerance: nothing to be patient for."""
    for needed in (None, 0.0, PLAIN.energy_tolerance):
        staff = car("staff", energy_needed=needed, departure=departure_for(8.0))
        result = run(car("visitor"), staff, limit=20.0)
        assert currents(result) == pytest.approx({"visitor": 10.0, "staff": 10.0})


def test_two_departures_get_their_needs_then_share() -> None:
    """Both told: each its need first, then the rest max-min fair from there."""
    result = run(leaving("early", 12.0), leaving("late", 7.0), limit=22.0)
    assert currents(result) == pytest.approx({"early": 12.0, "late": 10.0})
    assert result.allocations["early"].reason is LimitReason.ON_SCHEDULE
    assert result.allocations["late"].reason is LimitReason.GRID_LIMIT
    tight = run(leaving("early", 12.0), leaving("late", 7.0), limit=16.0)
    assert currents(tight) == pytest.approx({"early": 9.0, "late": 7.0})


def test_priority_still_comes_first() -> None:
    """A patient car of a higher class takes its class's share before a lower class."""
    result = run(car("visitor"), leaving("manager", 6.0, priority=1), limit=22.0)
    assert currents(result) == pytest.approx({"manager": 16.0, "visitor": 6.0})
    lower = run(car("visitor", priority=1), leaving("staff", 6.0), limit=22.0)
    assert currents(lower) == pytest.approx({"visitor": 16.0, "staff": 6.0})


def test_a_one_phase_car_needs_three_times_the_current() -> None:
    """6900 Wh on one phase in the time 10 A take on three: 30 A, above its maximum: due."""
    one_phase = leaving("staff", 10.0, phases=(0,))
    result = run(car("visitor"), one_phase, limit=24.0)
    assert currents(result) == pytest.approx({"visitor": 8.0, "staff": 16.0})
    assert result.allocations["staff"].deadline
    roomy = leaving("staff", 10.0 / 3, phases=(0,))  # 10 A on its one phase
    result = run(car("visitor"), roomy, limit=24.0)
    assert currents(result) == pytest.approx({"visitor": 14.0, "staff": 10.0})
    assert result.allocations["staff"].reason is LimitReason.ON_SCHEDULE


def test_only_fast_cars_are_patient() -> None:
    """Solar and min-solar cars with a departure wait instead (their deadline).

    Price mode without a forecast charges as Fast, and so gives way like one (with a
    forecast, the plan makes it patient while it charges as planned).
    """
    cars = [
        leaving(f"{mode}", 8.0, mode=mode, station_id=f"s{n}")
        for n, mode in enumerate((Mode.FAST, Mode.SOLAR, Mode.MIN_SOLAR, Mode.PRICE))
    ]
    context = make_context(site(*cars, limit=64.0), None)
    patient = [context.connectors[i].connector_id for i in sorted(context.patient)]
    assert patient == ["fast", "price"]


def test_short_of_its_need_it_is_not_on_schedule() -> None:
    """The fuse gives both 7 A: the car that needs 10 A is behind, and the reason says why."""
    result = run(car("visitor"), leaving("staff", 10.0), limit=14.0)
    assert currents(result) == pytest.approx({"visitor": 7.0, "staff": 7.0})
    assert result.allocations["staff"].reason is LimitReason.GRID_LIMIT


def test_the_need_rises_as_the_departure_nears() -> None:
    """The same energy 20 minutes later needs more: the car takes it from the others."""
    departure = departure_for(8.0)
    now = 1200.0
    staff = car("staff", energy_needed=ENERGY, departure=departure)
    later = run(car("visitor"), staff, limit=24.0, now=now)
    before = departure - PLAIN.deadline_buffer
    need = 8.0 * before / (before - now)  # the same energy in less time
    assert need == pytest.approx(10.42, abs=0.01)
    assert currents(later) == pytest.approx({"visitor": 24.0 - need, "staff": need})


def drive(energy: float, stay: float, base_load: Any, step: float = 10.0) -> tuple[float, float]:
    """Closed loop: the FAST car with a departure and a hungry visitor, each drawing its offer.

    `base_load(t)` is the house load (A per phase) on a 28 A fuse. Returns the Wh the car
    still lacks at its departure and the visitor's average current while the car charged.
    """
    state = None
    left = energy
    staff_draw = visitor_draw = visitor_total = 0.0
    charging_steps = 0
    now = 0.0
    while now < stay:
        staff = car(
            "staff",
            energy_needed=left,
            departure=stay,
            measured=(staff_draw,) * 3,
            measured_at=now,
        )
        visitor = car("visitor", max_current=32.0, measured=(visitor_draw,) * 3, measured_at=now)
        snapshot = site(staff, visitor, now=now, limit=28.0, base_load=(base_load(now),) * 3)
        result = allocate(snapshot, state)
        state = result.state
        staff_draw = result.allocations["staff"].current if left > 0 else 0.0
        visitor_draw = result.allocations["visitor"].current
        if staff_draw > 0:
            visitor_total += visitor_draw
            charging_steps += 1
        left = max(0.0, left - staff_draw * 3 * VOLTAGE * step / 3600)
        now += step
    return left, visitor_total / max(charging_steps, 1)


@pytest.mark.parametrize(
    ("case", "base_load"),
    [
        ("a quiet house", lambda now: 0.0),
        ("the fuse taken for the last 10 minutes", lambda now: 28.0 if now >= 6600 else 0.0),
        ("a 22 A load for the last 25 minutes", lambda now: 22.0 if now >= 5700 else 0.0),
    ],
)
def test_a_car_that_told_its_departure_is_ready(case: str, base_load: Any) -> None:
    """It gives way, yet is ready when a load takes the fuse near the end: the buffer.

    12 kWh in 2 h at up to 16 A, a visitor that takes up to 32 A, 28 A for both: equal
    sharing would give each 14 A; the visitor gets more while the car is on schedule
    (10 A with the margin). The 15 minutes the car is ready early are what a load late in
    the stay cannot take away: aimed at the departure itself, it left 0.7 kWh behind when
    the last 10 minutes gave nothing, and 0.5 kWh under the 22 A load.
    """
    left, visitor = drive(12_000.0, 7200.0, base_load)
    assert left <= PLAIN.energy_tolerance, case
    assert visitor > 15.0, case


def test_held_below_its_need_it_names_the_limit_that_holds_it() -> None:
    """Its station's limit holds it at 4 A; the grid phase is full too, and it gained nothing there.

    The station's two other cars take their 6 A minimums of its 16 A; the grid's L2 is full
    with the cars of another station. Named after the grid, it looked like a car the grid
    shared unfairly (8 A for the others, 4 A for it).
    """
    snapshot = site(
        car("a", station_id="s0"),
        car("b", station_id="s0"),
        car(
            "c",
            station_id="s0",
            phases=(1,),
            min_current=0.0,
            energy_needed=2000.0,
            departure=departure_for(13.0, energy=2000.0, phases=1),
        ),
        car("d", station_id="s1"),
        car("e", station_id="s1"),
        limit=32.0,
        stations=(StationInput(station_id="s0", max_current=three(16.0)),),
    )
    result = allocate(snapshot, None)
    assert currents(result) == pytest.approx({"a": 6.0, "b": 6.0, "c": 4.0, "d": 8.0, "e": 8.0})
    constraint = result.allocations["c"].constraint
    assert constraint is not None
    assert constraint.startswith("station s0")
