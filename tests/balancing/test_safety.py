"""Ramp, dead band and immediate cuts; compliance; failsafe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.smart_charging.balancing import (
    EngineSettings,
    LimitReason,
    Mode,
    Result,
    SiteInput,
    allocate,
)
from custom_components.smart_charging.balancing.safety import hold_small_changes, ramp_ceiling

from .sites import car, currents, limit_violations, site, three

RAMPED = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=2.0)
BANDED = EngineSettings(safety_margin=0.0, dead_band=0.5, ramp_up_rate=100.0)


def _at(snapshot: SiteInput, now: float, previous: Result | None, **fields: Any) -> Result:
    step = replace(snapshot, now=now, **fields)
    result = allocate(step, previous.state if previous else None)
    assert limit_violations(step, result, previous.state if previous else None) == []
    return result


# --- ramp ------------------------------------------------------------------------------


def test_first_call_is_not_ramped() -> None:
    """Nothing was sent before: no ramp."""
    assert currents(allocate(site(car("a"), settings=RAMPED), None)) == {"a": 16.0}


def test_increases_are_rate_limited() -> None:
    """At most ramp_up_rate * elapsed above the last sent value."""
    snapshot = site(car("a"), settings=RAMPED)
    first = _at(snapshot, 0.0, None, grid_limit=three(6.0))
    assert currents(first) == {"a": 6.0}
    second = _at(snapshot, 1.5, first)
    assert currents(second) == {"a": 9.0}
    assert second.allocations["a"].reason is LimitReason.RAMPING
    third = _at(snapshot, 10.0, second)
    assert currents(third) == {"a": 16.0}
    assert third.allocations["a"].reason is LimitReason.USER_MAXIMUM


def test_what_a_ramping_car_cannot_take_goes_to_the_others() -> None:
    """A new car starts at its minimum and ramps; the other is cut at once."""
    snapshot = site(car("a"), car("b", station_id="s2"), limit=20.0, settings=RAMPED)
    first = _at(snapshot, 0.0, None, connectors=(car("b", station_id="s2"),))
    assert currents(first) == {"b": 16.0}
    steps = [first]
    for now in (1.0, 2.0, 3.0):
        steps.append(_at(snapshot, now, steps[-1]))
    assert [currents(step) for step in steps[1:]] == [
        {"a": 6.0, "b": 14.0},
        {"a": 8.0, "b": 12.0},
        {"a": 10.0, "b": 10.0},
    ]


def test_ramp_ceiling() -> None:
    """The formula, with a start always allowed at the minimum."""
    assert ramp_ceiling(10.0, 6.0, 2.0, None) == float("inf")
    assert ramp_ceiling(10.0, 6.0, 2.0, 3.0) == 16.0
    assert ramp_ceiling(0.0, 6.0, 2.0, 1.0) == 6.0


# --- cuts ------------------------------------------------------------------------------


def test_overload_is_cut_in_the_same_call() -> None:
    """Non-EV load jumps: the cut ignores ramp and dead band, and is reported."""
    settings = EngineSettings(safety_margin=0.0, dead_band=2.0, ramp_up_rate=0.1)
    snapshot = site(car("a", measured=three(16.0)), settings=settings)
    first = _at(snapshot, 0.0, None, grid_current=three(26.0))
    assert currents(first) == {"a": 16.0}
    cut = _at(snapshot, 0.1, first, grid_current=three(34.0))
    assert cut.overloaded == ("grid L1", "grid L2", "grid L3")
    assert currents(cut) == {"a": 14.0}
    assert cut.allocations["a"].changed
    gone = _at(snapshot, 0.2, cut, grid_current=three(44.0))
    assert currents(gone) == {"a": 0.0}
    assert gone.allocations["a"].changed


# --- dead band -------------------------------------------------------------------------


def test_small_increase_is_not_sent() -> None:
    """Below the dead band the last sent value stays (and is not reported)."""
    snapshot = site(car("a"), car("b", station_id="s2"), settings=BANDED)
    first = _at(snapshot, 0.0, None, grid_limit=three(20.0))
    assert currents(first) == {"a": 10.0, "b": 10.0}
    assert all(a.changed for a in first.allocations.values())
    held = _at(snapshot, 1.0, first, grid_limit=three(20.6))
    assert currents(held) == {"a": 10.0, "b": 10.0}
    assert not any(a.changed for a in held.allocations.values())
    moved = _at(snapshot, 2.0, held, grid_limit=three(22.0))
    assert currents(moved) == {"a": 11.0, "b": 11.0}
    assert all(a.changed for a in moved.allocations.values())


def test_small_decrease_forced_by_a_limit_is_sent() -> None:
    """The dead band never keeps a value above a limit: a small cut is still a cut.

    It goes to as few connectors as it can: the last in order is cut half a dead band
    below its share, which leaves room for the first to keep its value.
    """
    snapshot = site(car("a"), car("b", station_id="s2"), settings=BANDED)
    first = _at(snapshot, 0.0, None, grid_limit=three(20.0))
    cut = _at(snapshot, 1.0, first, grid_limit=three(19.6))
    assert currents(cut) == {"a": 10.0, "b": 9.55}
    assert not cut.allocations["a"].changed
    assert cut.allocations["b"].changed
    steady = _at(snapshot, 2.0, cut, grid_limit=three(19.6))
    assert currents(steady) == {"a": 10.0, "b": 9.55}
    assert not any(a.changed for a in steady.allocations.values())


def test_small_cut_everyone_without_dead_band() -> None:
    """Without a dead band, everyone follows the limit exactly."""
    snapshot = site(car("a"), car("b", station_id="s2"), settings=replace(BANDED, dead_band=0.0))
    first = _at(snapshot, 0.0, None, grid_limit=three(20.0))
    cut = _at(snapshot, 1.0, first, grid_limit=three(19.6))
    assert currents(cut) == {"a": 9.8, "b": 9.8}
    assert all(a.changed for a in cut.allocations.values())


def test_dead_band_holds_only_what_fits() -> None:
    """A decrease is held where held increases (or room) leave space; else sent."""
    target = [10.3, 9.7, 9.7, 5.0]
    sent = [10.0, 10.0, 10.0, 0.0]
    members = [((0, 1.0),), ((0, 1.0),), ((0, 1.0),), ((0, 1.0),)]
    capacity = [0.0]  # the targets fill the only constraint
    held = hold_small_changes(
        [0, 1, 2],
        target,
        sent,
        [6.0] * 4,
        [16.0] * 4,
        members,
        capacity,
        0.5,
        allow_higher=True,
    )
    # 0 keeps 10 (frees 0.3), which lets 1 keep 10; 2 does not fit any more: it is cut
    # half a dead band deeper (the room is left free).
    assert held == {0, 1}
    assert target == pytest.approx([10.0, 10.0, 9.45, 5.0])
    assert capacity[0] == pytest.approx(0.25)


def test_no_decrease_is_held_while_overloaded() -> None:
    """allow_higher=False: only increases are held."""
    target = [10.3, 9.7]
    held = hold_small_changes(
        [0, 1],
        target,
        [10.0, 10.0],
        [6.0, 6.0],
        [16.0, 16.0],
        [((0, 1.0),), ((0, 1.0),)],
        [5.0],
        0.5,
        allow_higher=False,
    )
    assert held == {0}
    assert target == [10.0, 9.7]


def test_dead_band_never_holds_outside_the_connectors_own_range() -> None:
    """A sent value above the user's new maximum, or below a new minimum, is not kept."""
    target = [9.8, 8.2]
    held = hold_small_changes(
        [0, 1],
        target,
        [10.0, 8.0],
        [6.0, 8.1],
        [9.8, 16.0],
        [((0, 1.0),), ((0, 1.0),)],
        [100.0],
        0.5,
        allow_higher=True,
    )
    assert held == set()


# --- compliance --------------------------------------------------------------------------


def test_non_compliant_after_the_delay_and_its_draw_is_fixed_load() -> None:
    """Above sent + tolerance for compliance_delay: flagged; the others make room."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=100.0)
    snapshot = site(
        car("a", max_current=10.0),
        car("b", station_id="s2", max_current=20.0),
        limit=30.0,
        settings=settings,
    )
    first = _at(snapshot, 0.0, None, grid_current=three(0.0))
    assert currents(first) == {"a": 10.0, "b": 20.0}
    drawing = (
        car("a", max_current=10.0, measured=three(15.0)),
        car("b", station_id="s2", max_current=20.0, measured=three(20.0)),
    )
    over = _at(snapshot, 10.0, first, connectors=drawing, grid_current=three(35.0))
    assert over.allocations["a"].reason is LimitReason.USER_MAXIMUM  # not yet
    flagged = _at(snapshot, 40.0, over, connectors=drawing, grid_current=three(35.0))
    a = flagged.allocations["a"]
    assert a.reason is LimitReason.NON_COMPLIANT
    assert a.current == 10.0
    assert not a.changed
    assert flagged.allocations["b"].current == pytest.approx(15.0)  # 30 - a's 15 A
    assert flagged.state.connectors["a"].non_compliant

    obeying = (
        car("a", max_current=10.0, measured=three(9.0)),
        car("b", station_id="s2", max_current=20.0, measured=three(15.0)),
    )
    cleared = _at(snapshot, 50.0, flagged, connectors=obeying, grid_current=three(24.0))
    assert cleared.allocations["a"].reason is LimitReason.USER_MAXIMUM
    assert currents(cleared) == {"a": 10.0, "b": 20.0}


def test_non_compliant_allocation_is_cut_if_even_it_does_not_fit() -> None:
    """Its last sent value is kept only while it fits."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, compliance_delay=0.0)
    snapshot = site(car("a"), limit=20.0, settings=settings)
    first = _at(snapshot, 0.0, None, grid_current=three(0.0))
    assert currents(first) == {"a": 16.0}
    greedy = (car("a", measured=three(25.0)),)
    result = _at(snapshot, 1.0, first, connectors=greedy, grid_current=three(33.0))
    assert result.allocations["a"].reason is LimitReason.NON_COMPLIANT
    assert currents(result) == {"a": 12.0}  # 20 A - 8 A non-EV


# --- failsafe ----------------------------------------------------------------------------


def test_failsafe_current_while_the_meter_is_unavailable() -> None:
    """Every active connector gets the failsafe current; the result says so."""
    snapshot = site(
        car("a"),
        car("b", station_id="s2", max_current=5.0, min_current=4.0),
        car("c", station_id="s3", active=False),
        grid_current=three(3.0),
        meter_available=False,
    )
    result = allocate(snapshot, None)
    assert result.failsafe
    assert currents(result) == {"a": 6.0, "b": 5.0, "c": 0.0}
    assert result.allocations["a"].reason is LimitReason.FAILSAFE
    assert result.allocations["c"].reason is LimitReason.NOT_CHARGING


def test_failsafe_stays_within_the_static_budget() -> None:
    """Limit 16 - base 5 - margin 1 = 10 A: room for one failsafe current."""
    snapshot = site(
        car("a"),
        car("b", station_id="s2"),
        limit=16.0,
        base_load=three(5.0),
        meter_available=False,
        settings=EngineSettings(dead_band=0.0),
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"a": 6.0, "b": 0.0}
    assert result.allocations["b"].reason is LimitReason.FAILSAFE
    assert result.allocations["b"].constraint == "grid L1"
    assert result.ev_budget == (10.0, 10.0, 10.0)


def test_failsafe_below_the_minimum_is_zero() -> None:
    """A failsafe current the car cannot charge with means 0."""
    snapshot = site(
        car("a", min_current=8.0),
        meter_available=False,
        settings=EngineSettings(safety_margin=0.0, failsafe_current=6.0),
    )
    assert currents(allocate(snapshot, None)) == {"a": 0.0}


def test_failsafe_solar_only_if_it_was_charging_on_surplus() -> None:
    """No surplus is known without the meter: a SOLAR car that was off stays off."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, solar_start_delay=0.0)
    sunny = site(
        car("on", mode=Mode.SOLAR),
        car("waits", station_id="s2", mode=Mode.SOLAR),
        grid_current=three(-10.0),
        settings=settings,
    )
    first = allocate(sunny, None)
    # Surplus for one minimum: the first in order starts, the other waits for more.
    assert currents(first) == {"on": 10.0, "waits": 0.0}
    failsafe = allocate(replace(sunny, now=1.0, meter_available=False), first.state)
    assert currents(failsafe) == {"on": 6.0, "waits": 0.0}
    assert failsafe.allocations["waits"].reason is LimitReason.FAILSAFE
