"""Max-min fair sharing, priorities, the minimum rule, rotation and re-sharing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.balancing import (
    EngineSettings,
    LimitReason,
    Mode,
    Result,
    SiteInput,
    allocate,
)

from .sites import car, currents, site, three


def test_equal_share() -> None:
    """Equal cars, one limit: equal currents."""
    result = allocate(site(car("a"), car("b"), car("c"), limit=30.0), None)
    assert currents(result) == {"a": 10.0, "b": 10.0, "c": 10.0}
    assert {a.reason for a in result.allocations.values()} == {LimitReason.GRID_LIMIT}


def test_what_one_cannot_take_goes_to_the_others() -> None:
    """Progressive filling: a car capped at 7 A leaves the rest to the others."""
    result = allocate(site(car("small", max_current=7.0), car("b"), car("c"), limit=30.0), None)
    assert currents(result) == {"small": 7.0, "b": 11.5, "c": 11.5}
    assert result.allocations["small"].reason is LimitReason.USER_MAXIMUM
    assert result.allocations["small"].constraint is None


def test_a_higher_minimum_is_kept() -> None:
    """Each gets at least its minimum; the level rises to it, not past it for free."""
    result = allocate(site(car("a", min_current=10.0), car("b"), car("c"), limit=24.0), None)
    assert currents(result) == {"a": 10.0, "b": 7.0, "c": 7.0}


def test_higher_priority_is_filled_first() -> None:
    """A class up to its maximum first, then the next one shares what is left."""
    result = allocate(site(car("vip", priority=1), car("b"), car("c"), limit=30.0), None)
    assert currents(result) == {"vip": 16.0, "b": 7.0, "c": 7.0}
    assert result.allocations["vip"].reason is LimitReason.USER_MAXIMUM
    assert result.allocations["b"].reason is LimitReason.GRID_LIMIT


def test_higher_priority_comes_before_lower_minimums() -> None:
    """Strict priority: a priority-1 DC session takes what it can before others' minimums."""
    result = allocate(
        site(car("dc", priority=1, max_current=76.0), car("b"), car("c"), limit=30.0), None
    )
    assert currents(result) == {"dc": 30.0, "b": 0.0, "c": 0.0}
    assert result.allocations["b"].reason is LimitReason.WAITING_FOR_MINIMUM
    assert result.allocations["dc"].reason is LimitReason.GRID_LIMIT


def test_zero_or_at_least_the_minimum() -> None:
    """Not enough for two minimums: one charges, the other waits (0, not 5 A)."""
    result = allocate(site(car("a"), car("b"), limit=10.0), None)
    assert currents(result) == {"a": 10.0, "b": 0.0}
    waiting = result.allocations["b"]
    assert waiting.reason is LimitReason.WAITING_FOR_MINIMUM
    assert waiting.constraint == "grid L1"


def test_priority_decides_who_gets_the_minimum() -> None:
    """Not enough for both: the higher priority one charges."""
    result = allocate(site(car("a"), car("b", priority=2), limit=10.0), None)
    assert currents(result) == {"a": 0.0, "b": 10.0}


def test_a_newly_arrived_car_reshares_at_once() -> None:
    """No first come, first served: the next call shares equally (the cut is immediate)."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=100.0)
    first = allocate(site(car("a"), limit=20.0, settings=settings), None)
    assert currents(first) == {"a": 16.0}
    second = allocate(site(car("a"), car("b"), now=1.0, limit=20.0, settings=settings), first.state)
    assert currents(second) == {"a": 10.0, "b": 10.0}
    assert second.allocations["a"].changed
    assert second.allocations["b"].changed


def _step(snapshot: SiteInput, now: float, state: Result | None) -> Result:
    return allocate(replace(snapshot, now=now), state.state if state else None)


def test_rotation_takes_turns_without_flapping() -> None:
    """Three cars, room for two minimums: round robin, one swap per interval."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, rotation_interval=900.0)
    snapshot = site(car("a"), car("b"), car("c"), limit=14.0, settings=settings)
    charging: list[set[str]] = []
    result: Result | None = None
    for now in (0.0, 100.0, 899.0, 900.0, 901.0, 1799.0, 1800.0, 2700.0, 3600.0):
        result = _step(snapshot, now, result)
        charging.append({cid for cid, a in result.allocations.items() if a.current > 0})
        assert sum(a.current for a in result.allocations.values()) == pytest.approx(14.0)
    assert charging == [
        {"a", "b"},  # t=0: c waits
        {"a", "b"},
        {"a", "b"},
        {"a", "c"},  # t=900: c has waited an interval, b is swapped out
        {"a", "c"},  # b has just begun to wait: no swap back
        {"a", "c"},
        {"b", "c"},  # t=1800: b's turn, a (the longest running) goes
        {"a", "b"},  # t=2700: a's turn, c goes
        {"a", "c"},  # t=3600: c's turn, b goes
    ]
    assert result is not None
    waiting = result.allocations["b"]
    assert waiting.reason is LimitReason.WAITING_FOR_MINIMUM


def test_no_rotation_while_everyone_fits() -> None:
    """Rotation only matters when someone waits."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, rotation_interval=10.0)
    snapshot = site(car("a"), car("b"), limit=30.0, settings=settings)
    result = None
    for now in (0.0, 20.0, 40.0):
        result = _step(snapshot, now, result)
        assert currents(result) == {"a": 15.0, "b": 15.0}


def test_a_charging_car_keeps_its_place_for_an_interval() -> None:
    """A car that just started is not swapped out for one that arrived after it."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, rotation_interval=900.0)
    first = allocate(site(car("b"), limit=10.0, settings=settings), None)
    later = allocate(site(car("a"), car("b"), now=60.0, limit=10.0, settings=settings), first.state)
    assert currents(later) == {"a": 0.0, "b": 10.0}


def test_mode_off_inactive_offline_unable() -> None:
    """Who cannot charge gets 0 and says why."""
    snapshot = site(
        car("off", mode=Mode.OFF),
        car("empty", active=False),
        car("gone", online=False),
        car("unable", min_current=6.0, max_current=5.0),
        car("ok"),
    )
    result = allocate(snapshot, None)
    reasons = {cid: a.reason for cid, a in result.allocations.items()}
    assert reasons == {
        "off": LimitReason.MODE_OFF,
        "empty": LimitReason.NOT_CHARGING,
        "gone": LimitReason.CHARGER_OFFLINE,
        "unable": LimitReason.USER_MAXIMUM,
        "ok": LimitReason.USER_MAXIMUM,
    }
    assert currents(result) == {"off": 0.0, "empty": 0.0, "gone": 0.0, "unable": 0.0, "ok": 16.0}


def test_offline_charger_draw_is_fixed_load() -> None:
    """An offline charger cannot be told anything: what it draws stays reserved."""
    snapshot = site(
        car("gone", online=False, measured=three(12.0)),
        car("a", station_id="s2", measured=three(0.0)),
        limit=25.0,
        grid_current=three(12.0),
    )
    assert currents(allocate(snapshot, None)) == {"gone": 0.0, "a": 13.0}


def test_input_order_does_not_matter() -> None:
    """Same site, connectors in another order: same answer."""
    cars = [car("a"), car("b", phases=(1,)), car("c", priority=1), car("d", min_current=8.0)]
    forward = allocate(site(*cars, limit=20.0), None)
    backward = allocate(site(*reversed(cars), limit=20.0), None)
    assert forward.allocations == backward.allocations


def test_ramping_is_shown_only_while_the_current_rises() -> None:
    """Two calls in one instant: the ramp holds the value, the old reason still applies."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=2.0)
    first = allocate(
        site(
            car("a", measured=three(10.0)), limit=25.0, grid_current=three(25.0), settings=settings
        ),
        None,
    )
    assert (first.allocations["a"].current, first.allocations["a"].reason) == (
        10.0,
        LimitReason.GRID_LIMIT,
    )
    # The site limit is raised by 2 A: room for 12 A, but no time has passed to ramp.
    more_room = site(
        car("a", measured=three(10.0)), limit=27.0, grid_current=three(25.0), settings=settings
    )
    same_instant = allocate(more_room, first.state)
    assert same_instant.allocations["a"].current == 10.0
    assert same_instant.allocations["a"].reason is LimitReason.GRID_LIMIT
    half_a_second_later = allocate(replace(more_room, now=0.5), same_instant.state)
    assert half_a_second_later.allocations["a"].current == 11.0
    assert half_a_second_later.allocations["a"].reason is LimitReason.RAMPING


def test_another_systems_limit_holds_the_connector() -> None:
    """A grid operator's 10 A (OCPP 2.x NotifyChargingLimit) caps it, and says so."""
    snapshot = site(car("held", external_limit=10.0), car("free"), limit=40.0)
    result = allocate(snapshot, None)
    assert currents(result) == pytest.approx({"held": 10.0, "free": 16.0})
    assert result.allocations["held"].reason is LimitReason.EXTERNAL_LIMIT
    assert result.allocations["free"].reason is LimitReason.USER_MAXIMUM
    # Above its own maximum the other system's limit changes nothing.
    loose = allocate(site(car("held", external_limit=20.0), limit=40.0), None)
    assert loose.allocations["held"].reason is LimitReason.USER_MAXIMUM
