"""Properties over random sites: limits, minimums, fairness, determinism, over time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
import math

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smart_charging.balancing import (
    CircuitInput,
    ConnectorInput,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    PriceSlot,
    SiteInput,
    StationInput,
    allocate,
)
from custom_components.smart_charging.balancing.classification import make_context
from custom_components.smart_charging.balancing.model import PhaseCurrents

from .sites import TOLERANCE, limit_violations

PHASE_SETS = [(0, 1, 2), (0, 1, 2), (0,), (1,), (2,), (0, 1), (1, 2)]
FILLED_BY_A_LIMIT = {
    LimitReason.GRID_LIMIT,
    LimitReason.CIRCUIT_LIMIT,
    LimitReason.STATION_LIMIT,
    LimitReason.SOLAR_SURPLUS,
}


@st.composite
def phase_currents(draw: st.DrawFn, low: float = 0.0, high: float = 40.0) -> PhaseCurrents:
    """A reading per phase."""
    values = st.floats(low, high, allow_nan=False).map(lambda value: round(value, 1))
    return (draw(values), draw(values), draw(values))


@st.composite
def engine_settings(draw: st.DrawFn) -> EngineSettings:
    """Margins, failsafe, dead band, ramp and delays, instant or not."""
    return EngineSettings(
        safety_margin=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
        failsafe_current=draw(st.sampled_from([0.0, 6.0, 10.0])),
        ramp_up_rate=draw(st.sampled_from([0.5, 2.0, 100.0])),
        dead_band=draw(st.sampled_from([0.0, 0.3, 1.0])),
        solar_start_delay=draw(st.sampled_from([0.0, 30.0])),
        solar_stop_delay=draw(st.sampled_from([0.0, 60.0])),
        phase_switch_delay=draw(st.sampled_from([0.0, 60.0])),
        rotation_interval=draw(st.sampled_from([0.0, 30.0, 900.0])),
        compliance_delay=draw(st.sampled_from([0.0, 10.0])),
        battery_priority=draw(st.booleans()),
    )


def limits(*values: float) -> st.SearchStrategy[PhaseCurrents]:
    """A limit per phase: usually the same on all three, sometimes not."""
    one = st.sampled_from(values)
    return one.map(lambda value: (value, value, value)) | st.tuples(one, one, one)


@st.composite
def connectors(draw: st.DrawFn, index: int, stations: int) -> ConnectorInput:
    """A connector on any station and any phase set, with any mode and range."""
    phases = draw(st.sampled_from(PHASE_SETS))
    measured = draw(phase_currents(0.0, 32.0))
    return ConnectorInput(
        connector_id=f"c{index:02d}",
        station_id=f"s{draw(st.integers(0, stations))}",  # s{stations}: not declared
        phases=phases,
        min_current=draw(st.sampled_from([6.0, 6.0, 6.0, 0.0, 8.0, 10.0])),
        max_current=draw(st.sampled_from([16.0, 16.0, 32.0, 10.0, 20.0, 5.0, 0.0])),
        priority=draw(st.sampled_from([0, 0, 0, 1, 2])),
        mode=draw(
            st.sampled_from(
                [Mode.FAST] * 5
                + [Mode.SOLAR, Mode.MIN_SOLAR, Mode.MIN_SOLAR, Mode.OFF, Mode.PRICE, Mode.PRICE]
            )
        ),
        active=draw(st.sampled_from([True] * 7 + [False])),
        online=draw(st.sampled_from([True] * 7 + [False])),
        measured=tuple(m if p in phases else 0.0 for p, m in enumerate(measured)),  # type: ignore[arg-type]
        can_switch_phases=draw(st.booleans()),
        single_phase=draw(st.integers(0, 2)),
        energy_needed=draw(st.none() | st.sampled_from([0.0, 2000.0, 20_000.0, 80_000.0])),
        departure=draw(st.none() | st.sampled_from([0.0, 3600.0, 86_400.0])),
    )


@st.composite
def sites(draw: st.DrawFn, max_connectors: int = 50) -> SiteInput:
    """A random site: nested circuits, stations, meter or not, power limits."""
    n_circuits = draw(st.integers(0, 4))
    circuits = tuple(
        CircuitInput(
            circuit_id=f"k{c}",
            limit=draw(limits(10.0, 16.0, 20.0, 25.0, 32.0, 50.0, 80.0)),
            parent_id=draw(st.sampled_from([None, *(f"k{p}" for p in range(c))])),
        )
        for c in range(n_circuits)
    )
    n_stations = draw(st.integers(1, 12))
    stations = tuple(
        StationInput(
            station_id=f"s{s}",
            max_current=draw(st.none() | limits(0.0, 16.0, 20.0, 32.0, 40.0)),
            circuit_id=draw(st.sampled_from([None, *(c.circuit_id for c in circuits)])),
        )
        for s in range(n_stations)
    )
    n = draw(st.integers(0, max_connectors))
    cars = tuple(draw(connectors(i, n_stations)) for i in range(n))
    metered = draw(st.sampled_from(["meter", "meter", "meter", "none", "unavailable"]))
    grid = None
    if metered != "none":
        drawn = [sum(c.measured[p] for c in cars) for p in range(3)]
        house = draw(phase_currents(-30.0, 40.0))
        grid = (drawn[0] + house[0], drawn[1] + house[1], drawn[2] + house[2])
    return SiteInput(
        now=0.0,
        grid_limit=draw(limits(0.0, 16.0, 25.0, 32.0, 40.0, 63.0, 100.0, 250.0)),
        max_import_power=draw(st.none() | st.none() | st.floats(0.0, 60_000.0)),
        grid_current=grid,
        meter_available=metered != "unavailable",
        base_load=draw(phase_currents(0.0, 20.0)),
        pv_power=draw(st.none() | st.floats(0.0, 20_000.0)),
        battery_power=draw(st.none() | st.floats(-5000.0, 5000.0)),
        circuits=circuits,
        stations=stations,
        connectors=cars,
        settings=draw(engine_settings()),
        prices=draw(price_forecasts()),
    )


@st.composite
def price_forecasts(draw: st.DrawFn) -> tuple[PriceSlot, ...]:
    """None, or hourly slots around now with gaps, overlaps and odd prices."""
    if draw(st.booleans()):
        return ()
    first = draw(st.sampled_from([-3600.0, -600.0, 0.0, 1800.0]))
    prices = draw(
        st.lists(st.sampled_from([0.1, 0.2, 0.3, -0.05, math.nan, 0.2]), min_size=1, max_size=30)
    )
    length = draw(st.sampled_from([900.0, 3600.0]))
    return tuple(
        PriceSlot(start=first + n * length, end=first + (n + 1) * length, price=price)
        for n, price in enumerate(prices)
    )


def _check_minimums(snapshot: SiteInput, result_allocations: dict[str, float]) -> None:
    for connector in snapshot.connectors:
        current = result_allocations[connector.connector_id]
        assert current == 0.0 or current >= connector.min_current - TOLERANCE, connector


@settings(max_examples=80, deadline=None)
@given(sites())
def test_limits_and_minimums_hold(snapshot: SiteInput) -> None:
    """(1) No phase, circuit, station or import limit exceeded; (2) 0 or ≥ minimum."""
    result = allocate(snapshot, None)
    assert set(result.allocations) == {c.connector_id for c in snapshot.connectors}
    assert limit_violations(snapshot, result) == []
    _check_minimums(snapshot, {cid: a.current for cid, a in result.allocations.items()})
    for connector in snapshot.connectors:
        allocation = result.allocations[connector.connector_id]
        assert 0.0 <= allocation.current <= max(connector.max_current, 0.0) + TOLERANCE
        if not connector.online:
            assert allocation.reason is LimitReason.CHARGER_OFFLINE
        elif not connector.active:
            assert allocation.reason is LimitReason.NOT_CHARGING
        elif connector.mode is Mode.OFF:
            assert allocation.reason is LimitReason.MODE_OFF
        if allocation.deadline:
            assert connector.mode is not Mode.OFF
            assert connector.energy_needed is not None
            assert connector.energy_needed > 0
        if allocation.reason in (LimitReason.MODE_OFF, LimitReason.NOT_CHARGING):
            assert allocation.current == 0.0


@settings(max_examples=40, deadline=None)
@given(sites(max_connectors=20), st.data())
def test_bottom_up_sums_match_the_memberships(snapshot: SiteInput, data: st.DataObject) -> None:
    """Context.sums (innermost constraint per phase, then upwards) = Σ over memberships."""
    context = make_context(snapshot, None)
    context.build_members()
    n = len(context.connectors)
    items = data.draw(st.lists(st.integers(0, max(n - 1, 0)), unique=True)) if n else []
    amounts = [float(data.draw(st.integers(0, 16))) for _ in range(n)]
    expected = [0.0] * len(context.net.capacity)
    for i in items:
        for k, w in context.members[i]:
            expected[k] += w * amounts[i]
    assert context.sums(items, amounts) == pytest.approx(expected)


@st.composite
def busy_sites(draw: st.DrawFn) -> SiteInput:
    """Sites where everyone wants to charge and the limits bind: fairness shows."""
    snapshot = draw(sites(max_connectors=30))
    cars = tuple(
        replace(connector, online=True, active=True, min_current=min(connector.min_current, 6.0))
        for connector in snapshot.connectors
    )
    grid = draw(phase_currents(0.0, 10.0)) if draw(st.booleans()) else None
    if grid is not None:
        grid = tuple(grid[p] + sum(c.measured[p] for c in cars) for p in range(3))  # type: ignore[assignment]
    per_car = draw(st.sampled_from([7.0, 9.0, 12.0, 20.0]))
    return replace(
        snapshot,
        connectors=cars,
        meter_available=True,
        grid_current=grid,
        grid_limit=(per_car * len(cars) / 2 + 6.0,) * 3,
    )


@settings(max_examples=80, deadline=None)
@given(busy_sites())
def test_max_min_fair_within_a_priority(snapshot: SiteInput) -> None:
    """(3) Max-min fair: same priority, same binding limit, same current.

    Connectors of one priority that a shared limit stopped (above their minimum, below
    their maximum) all got the same current: none could get more without taking from
    one with as little.
    """
    result = allocate(snapshot, None)
    groups: dict[tuple[int, str | None], list[float]] = defaultdict(list)
    for connector in snapshot.connectors:
        allocation = result.allocations[connector.connector_id]
        if (
            allocation.reason in FILLED_BY_A_LIMIT
            and connector.min_current + TOLERANCE < allocation.current
            and allocation.current < connector.max_current - TOLERANCE
        ):
            groups[connector.priority, allocation.constraint].append(allocation.current)
    for key, values in groups.items():
        assert max(values) - min(values) <= TOLERANCE, (key, values)


@settings(max_examples=40, deadline=None)
@given(sites(), st.randoms(use_true_random=False))
def test_same_input_same_output(snapshot: SiteInput, shuffler: object) -> None:
    """(4) Deterministic, whatever the order of the connectors."""
    first = allocate(snapshot, None)
    second = allocate(snapshot, None)
    assert first == second
    shuffled = list(snapshot.connectors)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    reordered = allocate(replace(snapshot, connectors=tuple(shuffled)), None)
    assert reordered.allocations == first.allocations
    assert reordered.state.connectors == first.state.connectors


@st.composite
def histories(draw: st.DrawFn) -> list[SiteInput]:
    """A site over time.

    Cars draw what they were given (or more, or less), the house load moves, cars come
    and go, the meter drops out now and then.
    """
    start = draw(sites(max_connectors=20))
    steps = draw(st.integers(2, 8))
    return [start] + [
        replace(
            start,
            now=float(t * draw(st.sampled_from([1, 5, 20]))),
            meter_available=draw(st.sampled_from([True, True, True, False])),
        )
        for t in range(1, steps)
    ]


@settings(max_examples=50, deadline=None)
@given(histories(), st.data())
def test_limits_hold_over_time(history: list[SiteInput], data: st.DataObject) -> None:
    """(5) With ramp, dead band, hysteresis and memory, every step stays within limits."""
    state: EngineState | None = None
    given: dict[str, float] = {}
    for snapshot in history:
        cars = []
        for connector in snapshot.connectors:
            factor = data.draw(st.sampled_from([0.0, 0.9, 1.0, 1.0, 1.3]))
            draw = given.get(connector.connector_id, 0.0) * factor
            cars.append(
                replace(
                    connector,
                    active=data.draw(st.sampled_from([True, True, True, False])),
                    measured=tuple(draw if p in connector.phases else 0.0 for p in range(3)),  # type: ignore[arg-type]
                )
            )
        house = data.draw(phase_currents(-20.0, 60.0))
        grid = tuple(house[p] + sum(c.measured[p] for c in cars) for p in range(3))
        step = replace(
            snapshot,
            connectors=tuple(cars),
            grid_current=grid if snapshot.grid_current is not None else None,  # type: ignore[arg-type]
        )
        result = allocate(step, state)
        assert limit_violations(step, result, state) == []
        _check_minimums(step, {cid: a.current for cid, a in result.allocations.items()})
        for connector in step.connectors:
            allocation = result.allocations[connector.connector_id]
            remembered = state.connectors.get(connector.connector_id) if state else None
            if not allocation.changed and remembered is not None:
                assert allocation.current == remembered.sent
        state = result.state
        given = {cid: a.current for cid, a in result.allocations.items()}
