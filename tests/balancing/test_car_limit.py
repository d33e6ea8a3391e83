"""A car that takes less than offered: its maximum is learned, the rest goes to others."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    Result,
    allocate,
)

from .sites import car, site, three

SETTINGS = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=100.0)
VOLTAGE = 230.0


def step(
    *connectors: ConnectorInput, now: float, state: EngineState | None, limit: float = 40.0
) -> Result:
    """One call with a grid meter that sees exactly what the connectors draw."""
    grid = tuple(sum(c.measured[p] for c in connectors) for p in range(3))
    return allocate(
        site(*connectors, now=now, limit=limit, grid_current=grid, settings=SETTINGS), state
    )


def van(draw: float = 0.0, **fields: Any) -> ConnectorInput:
    """An 11 kW van (16 A) on a 22 kW wallbox (32 A) drawing `draw` A per phase."""
    fields.setdefault("max_current", 32.0)
    return car("van", station_id="s1", measured=three(draw), **fields)


def other(draw: float = 0.0) -> ConnectorInput:
    """A second car on its own wallbox, 6-32 A."""
    return car("other", station_id="s2", max_current=32.0, measured=three(draw))


def learned(draw_van: float = 16.0) -> tuple[Result, Result]:
    """Offered 20 A at t=0; at t=15 (past the response time) it draws `draw_van`."""
    first = step(van(), other(), now=0.0, state=None)
    assert first.allocations["van"].current == 20.0
    return first, step(van(draw_van), other(20.0), now=15.0, state=first.state)


def test_what_a_car_leaves_unused_goes_to_the_others() -> None:
    """The van takes 16 of 20 A: it is held at 17 A, the other car gets the 23 A left."""
    _first, second = learned()
    assert second.allocations["van"].current == 17.0
    assert second.allocations["van"].reason is LimitReason.CAR_LIMIT
    assert second.allocations["other"].current == 23.0
    memory = second.state.connectors["van"]
    assert (memory.car_limit, memory.car_limit_since) == (17.0, 15.0)


def test_no_lesson_before_the_car_could_follow() -> None:
    """Within the response time, or from a reading older than that, nothing is learned."""
    first = step(van(), other(), now=0.0, state=None)
    early = step(van(16.0), other(20.0), now=5.0, state=first.state)
    assert early.allocations["van"].current == 20.0
    stale = van(16.0, measured_at=4.0)
    late_but_stale = step(stale, other(20.0), now=15.0, state=first.state)
    assert late_but_stale.allocations["van"].current == 20.0
    assert late_but_stale.state.connectors["van"].car_limit is None


def test_a_paused_car_teaches_nothing() -> None:
    """Drawing nothing (full, or waiting) is not a maximum: it keeps its offer."""
    _first, second = learned(draw_van=0.0)
    assert second.allocations["van"].current == 20.0
    assert second.state.connectors["van"].car_limit is None


def test_a_tapering_car_keeps_its_minimum() -> None:
    """Drawing 3 A of 20: held at its 6 A minimum (so it can finish), not at 4 A."""
    _first, second = learned(draw_van=3.0)
    assert second.allocations["van"].current == 6.0
    assert second.state.connectors["van"].car_limit == 6.0


def test_a_suspended_car_keeps_only_its_minimum() -> None:
    """SuspendedEV (full, or its own limit) for the response time: its minimum only.

    Its charger need not measure anything. It gets its share again once it draws.
    """
    first = step(van(), other(), now=0.0, state=None)
    early = step(van(suspended=True), other(20.0), now=5.0, state=first.state)
    assert early.allocations["van"].current == 20.0  # it may still be waking up
    held = step(van(suspended=True), other(20.0), now=15.0, state=first.state)
    assert held.allocations["van"].current == 6.0
    assert held.allocations["other"].current == 32.0
    resumed = step(van(6.0), other(32.0), now=30.0, state=held.state)
    assert resumed.allocations["van"].current == 20.0  # its fair share again
    assert resumed.state.connectors["van"].car_limit is None


def test_using_all_of_it_or_time_lifts_the_limit() -> None:
    """A car that uses its whole limit may take more: it is offered its share again."""
    _first, second = learned()
    kept = step(van(16.0), other(23.0), now=30.0, state=second.state)
    assert kept.allocations["van"].current == 17.0
    more = step(van(16.8), other(23.0), now=45.0, state=kept.state)
    assert more.allocations["van"].current == 20.0
    assert more.state.connectors["van"].car_limit is None
    # The probe: after car_limit_probe seconds it is offered its share again, anyway.
    probe = SETTINGS.car_limit_probe
    again = step(van(16.0), other(23.0), now=15.0 + probe, state=second.state)
    assert again.allocations["van"].current == 20.0


def test_a_car_that_leaves_is_forgotten() -> None:
    """No session: no learned maximum."""
    _first, second = learned()
    gone = step(van(active=False), other(23.0), now=30.0, state=second.state)
    assert gone.state.connectors["van"].car_limit is None


def test_the_deadline_counts_with_what_the_car_takes() -> None:
    """On a 22 kW wallbox an 11 kW van needs about twice as long: the deadline comes earlier.

    11 040 Wh: at its learned 17 A that takes 0.94 h (+15 % +15 min = 4796 s), at the
    wallbox's 32 A only half; 4000 s before the departure it is due only at 17 A.
    """
    solar: dict[str, Any] = {
        "mode": Mode.SOLAR,
        "energy_needed": 16.0 * 3 * VOLTAGE,
        "departure": 30.0 + 4000.0,
    }
    unknown = step(van(16.0, **solar), other(23.0), now=30.0, state=None)
    assert not unknown.allocations["van"].deadline
    taught = learned()[1]
    known = step(van(16.0, **solar), other(23.0), now=30.0, state=taught.state)
    assert known.allocations["van"].deadline
    assert known.allocations["van"].current == 17.0


def test_who_must_leave_soon_is_served_first_within_a_priority() -> None:
    """Two cars, 20 A for both: the one on its deadline gets its maximum first."""
    due = car(
        "due",
        station_id="s1",
        mode=Mode.SOLAR,
        energy_needed=10_000.0,
        departure=3600.0,
    )
    fast = car("fast", station_id="s2")
    result = step(due, fast, now=0.0, state=None, limit=22.0)
    assert result.allocations["due"].deadline
    assert result.allocations["due"].current == 16.0
    assert result.allocations["fast"].current == pytest.approx(6.0)
