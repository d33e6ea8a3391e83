"""What the EVs may draw: non-EV load, grid phases, circuits, stations, max import."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.balancing import (
    CircuitInput,
    EngineSettings,
    LimitReason,
    StationInput,
    allocate,
)

from .sites import car, currents, limit_violations, site, three


def test_dynamic_budget_is_limit_minus_non_ev_load_minus_margin() -> None:
    """Non-EV load = grid - what the cars draw; the budget keeps the margin free."""
    snapshot = site(
        car("a", measured=three(10.0)),
        limit=25.0,
        grid_current=(20.0, 18.0, 22.0),
        settings=EngineSettings(dead_band=0.0),  # margin 1 A
    )
    result = allocate(snapshot, None)
    assert result.non_ev_load == (10.0, 8.0, 12.0)
    assert result.ev_budget == (14.0, 16.0, 12.0)
    allocation = result.allocations["a"]
    assert allocation.current == pytest.approx(12.0)
    assert allocation.reason is LimitReason.GRID_LIMIT
    assert allocation.constraint == "grid L3"
    assert result.allocated == pytest.approx((12.0, 12.0, 12.0))
    assert result.headroom == pytest.approx((2.0, 4.0, 0.0))
    assert not result.failsafe
    assert result.overloaded == ()


def test_non_ev_load_is_never_negative() -> None:
    """Export makes the grid current negative: the non-EV load is 0, not less."""
    result = allocate(site(car("a", max_current=32.0), limit=20.0, grid_current=three(-15.0)), None)
    assert result.non_ev_load == (0.0, 0.0, 0.0)
    assert currents(result) == {"a": 20.0}


def test_static_budget_uses_the_base_load() -> None:
    """No meter: budget = limit - base load - margin, shared equally."""
    snapshot = site(
        car("a"),
        car("b"),
        limit=25.0,
        base_load=three(5.0),
        settings=EngineSettings(dead_band=0.0),
    )
    result = allocate(snapshot, None)
    assert result.non_ev_load == (5.0, 5.0, 5.0)
    assert currents(result) == {"a": 9.5, "b": 9.5}
    assert {a.reason for a in result.allocations.values()} == {LimitReason.GRID_LIMIT}


def test_max_import_power_caps_the_total() -> None:
    """Σ phases (non-EV + EV) * V ≤ max import power."""
    snapshot = site(
        car("a", max_current=32.0, measured=three(4.0)),
        limit=63.0,
        grid_current=three(6.0),  # 2 A non-EV per phase: 1380 W
        max_import_power=11_000.0,
    )
    result = allocate(snapshot, None)
    allocation = result.allocations["a"]
    assert allocation.current == pytest.approx((11_000.0 - 1380.0) / 690.0)
    assert allocation.reason is LimitReason.GRID_LIMIT
    assert allocation.constraint == "max import power"


def test_max_import_power_keeps_a_margin_per_live_phase() -> None:
    """Margin 1 A on a 3-phase site: 3 * 230 W kept free."""
    snapshot = site(
        car("a", max_current=32.0),
        limit=63.0,
        grid_current=three(0.0),
        max_import_power=6900.0,
        settings=EngineSettings(dead_band=0.0),
    )
    assert allocate(snapshot, None).allocations["a"].current == pytest.approx(9.0)


def test_max_import_power_nets_the_phases() -> None:
    """Export on one phase offsets import on another, as the meter nets them."""
    snapshot = site(
        car("a", phases=(0,), max_current=32.0),
        limit=63.0,
        grid_current=(0.0, -10.0, 0.0),  # 2300 W exported on L2
        max_import_power=2300.0,
    )
    assert allocate(snapshot, None).allocations["a"].current == pytest.approx(20.0)


def test_one_phase_car_on_l2_is_not_throttled_by_a_full_l1() -> None:
    """Phase-true allocation: a full L1 stops 3-phase cars, not a car on L2 alone."""
    snapshot = site(
        car("one_phase_l2", phases=(1,)),
        car("three_phase", station_id="s2"),
        limit=25.0,
        grid_current=(25.0, 0.0, 0.0),  # L1 full of non-EV load
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"one_phase_l2": 16.0, "three_phase": 0.0}
    assert result.allocations["one_phase_l2"].reason is LimitReason.USER_MAXIMUM
    assert result.allocations["three_phase"].reason is LimitReason.WAITING_FOR_MINIMUM
    assert result.allocations["three_phase"].constraint == "grid L1"


def test_one_phase_cars_share_only_their_phase() -> None:
    """Two 1-phase cars on L1 share L1; one on L2 has L2 to itself."""
    snapshot = site(
        car("l1_a", phases=(0,), max_current=32.0),
        car("l1_b", phases=(0,), max_current=32.0),
        car("l2", phases=(1,), max_current=32.0),
        limit=20.0,
        grid_current=three(0.0),
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"l1_a": 10.0, "l1_b": 10.0, "l2": 20.0}
    assert result.allocated == pytest.approx((20.0, 20.0, 0.0))


def test_nested_circuits() -> None:
    """A connector counts against its circuit and every ancestor."""
    snapshot = site(
        car("inner_a", station_id="inner"),
        car("inner_b", station_id="inner"),
        car("outer", station_id="outer"),
        limit=100.0,
        circuits=(
            CircuitInput(circuit_id="main", limit=three(32.0)),
            CircuitInput(circuit_id="garage", limit=three(20.0), parent_id="main"),
        ),
        stations=(
            StationInput(station_id="inner", circuit_id="garage"),
            StationInput(station_id="outer", circuit_id="main"),
        ),
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"inner_a": 10.0, "inner_b": 10.0, "outer": 12.0}
    assert result.allocations["inner_a"].constraint == "circuit garage L1"
    assert result.allocations["outer"].reason is LimitReason.CIRCUIT_LIMIT
    assert result.allocations["outer"].constraint == "circuit main L1"
    assert limit_violations(snapshot, result) == []


def test_station_maximum_is_shared_by_its_connectors() -> None:
    """Two outlets of one charger share its maximum."""
    snapshot = site(
        car("ac", station_id="dual", max_current=32.0),
        car("dc", station_id="dual", max_current=32.0),
        limit=100.0,
        stations=(StationInput(station_id="dual", max_current=three(32.0)),),
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"ac": 16.0, "dc": 16.0}
    assert result.allocations["ac"].reason is LimitReason.STATION_LIMIT
    assert result.allocations["ac"].constraint == "station dual L1"


def test_safety_margin_is_kept_below_circuits_too() -> None:
    """Every limit keeps the margin free: 20 A circuit, margin 1 → 19 A shared."""
    snapshot = site(
        car("a", station_id="s"),
        car("b", station_id="s"),
        limit=100.0,
        circuits=(CircuitInput(circuit_id="c", limit=three(20.0)),),
        stations=(StationInput(station_id="s", circuit_id="c"),),
        settings=EngineSettings(dead_band=0.0),
    )
    assert currents(allocate(snapshot, None)) == {"a": 9.5, "b": 9.5}


def test_unknown_references_fall_back_to_the_grid() -> None:
    """A station on an unknown circuit, a connector on an unknown station, a cycle."""
    snapshot = site(
        car("a", station_id="nowhere"),
        car("b", station_id="lost"),
        car("c", station_id="looped"),
        limit=30.0,
        circuits=(
            CircuitInput(circuit_id="x", limit=three(100.0), parent_id="y"),
            CircuitInput(circuit_id="y", limit=three(100.0), parent_id="x"),
        ),
        stations=(
            StationInput(station_id="lost", circuit_id="missing"),
            StationInput(station_id="looped", circuit_id="x"),
        ),
    )
    assert currents(allocate(snapshot, None)) == {"a": 10.0, "b": 10.0, "c": 10.0}


def test_measured_overload_is_reported() -> None:
    """A phase, circuit or station drawing above its limit is named in the result."""
    snapshot = site(
        car("a", station_id="s", measured=three(20.0)),
        limit=25.0,
        grid_current=(30.0, 20.0, 20.0),
        circuits=(CircuitInput(circuit_id="c", limit=three(16.0)),),
        stations=(StationInput(station_id="s", circuit_id="c", max_current=three(32.0)),),
        max_import_power=10_000.0,
    )
    result = allocate(snapshot, None)
    assert result.overloaded == (
        "grid L1",
        "max import power",
        "circuit c L1",
        "circuit c L2",
        "circuit c L3",
    )


def test_invalid_readings_are_treated_cautiously() -> None:
    """NaN draw counts as 0 (so more non-EV load); bad phases mean all three."""
    snapshot = site(
        car("a", measured=(float("nan"), -3.0, 0.0), phases=(7,)),
        limit=20.0,
        grid_current=three(5.0),
    )
    result = allocate(snapshot, None)
    assert result.non_ev_load == (5.0, 5.0, 5.0)
    assert result.allocations["a"].current == pytest.approx(15.0)


def test_non_finite_grid_current_means_failsafe() -> None:
    """A NaN grid reading is no reading."""
    snapshot = site(car("a"), grid_current=(float("nan"), 0.0, 0.0))
    assert allocate(snapshot, None).failsafe


def test_duplicate_connector_ids_are_refused() -> None:
    """The answer is keyed by connector id: two with one id is a caller's bug."""
    with pytest.raises(ValueError, match="appears twice"):
        allocate(site(car("a"), car("a", station_id="s2")), None)


def test_a_raise_not_yet_in_the_reading_is_not_taken_for_house_load() -> None:
    """Right after a raise, the grid shows the car's new draw before its charger does."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=100.0)
    first = allocate(
        site(
            car("a", measured=three(6.0)), limit=25.0, grid_current=three(11.0), settings=settings
        ),
        None,
    )
    assert first.allocations["a"].current == 16.0
    assert first.non_ev_load == three(5.0)
    # Two seconds on: the car draws 16 A (the grid says so), its reading (taken before
    # the raise) still says 6 A.
    stale = site(
        car("a", measured=three(6.0), measured_at=-1.0),
        now=2.0,
        limit=25.0,
        grid_current=three(21.0),
        settings=settings,
    )
    second = allocate(stale, first.state)
    assert second.non_ev_load == three(5.0)
    assert second.allocations["a"].current == 16.0
    # A grid over the limit is never explained away by the raise.
    over = allocate(replace(stale, grid_current=three(27.0)), first.state)
    assert over.non_ev_load == three(21.0)
    assert over.allocations["a"].current == 0.0  # 4 A left: below its minimum
    # Later than twice the response time, the reading is believed again.
    late = allocate(replace(stale, now=30.0), first.state)
    assert late.non_ev_load == three(15.0)
    # So is a reading that came in after the car had time to follow.
    fresh = allocate(
        replace(stale, now=12.0, connectors=(car("a", measured=three(6.0), measured_at=11.0),)),
        first.state,
    )
    assert fresh.non_ev_load == three(15.0)


def test_a_cut_the_grid_shows_first_is_no_room_under_the_maximum_import() -> None:
    """Cut from 16 A to 7.4 A under 12 kW of import; 2 s on the grid shows it, the reading not.

    The maximum import power counts the non-EV load settled as every phase does: grid -
    a reading from before the cut looked like 3.3 kW of room, and the car was raised
    back at once (three vans started so at the depot: 34 kW under a 10 kW cap).
    """
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=100.0)
    snapshot = site(
        car("a", measured=three(16.0)),
        grid_current=three(26.0),  # a 10 A house and the car
        max_import_power=12_000.0,
        limit=63.0,
        settings=settings,
    )
    first = allocate(snapshot, None)
    cut = first.allocations["a"].current
    assert cut == pytest.approx((12_000.0 - 3 * 10 * 230) / 690)
    stale = replace(
        snapshot,
        now=2.0,
        grid_current=three(10.0 + cut),  # it followed
        connectors=(car("a", measured=three(16.0), measured_at=-1.0),),
    )
    second = allocate(stale, first.state)
    assert second.allocations["a"].current == pytest.approx(cut)
    # The house really falls: once that has lasted the response time, it counts.
    fallen = replace(stale, grid_current=three(5.0 + cut))
    assert (
        allocate(replace(fallen, now=13.0), allocate(fallen, first.state).state)
        .allocations["a"]
        .current
        > cut
    )
