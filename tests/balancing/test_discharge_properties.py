"""V2X properties over random sites: limits both ways, reserve, departure, sign changes."""

from __future__ import annotations

from dataclasses import replace
import math

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smart_charging.balancing import (
    CircuitInput,
    ConnectorInput,
    DischargeObjective,
    EngineSettings,
    EngineState,
    Mode,
    PriceSlot,
    SiteInput,
    StationInput,
    V2XInput,
    V2XSettings,
    allocate,
)
from custom_components.smart_charging.balancing.constants import IDLE_CURRENT

from .sites import TOLERANCE, drawing_phases, limit_violations, reading
from .test_properties import sites
from .v2x_sites import car_violations, discharge_violations

OBJECTIVES: list[DischargeObjective] = [*DischargeObjective]


@st.composite
def batteries(draw: st.DrawFn, *, usable: bool = False) -> V2XInput:
    """Any V2X input: SoC around the reserve, targets, requests, DC or AC.

    `usable`: mostly a battery with energy to give.
    """
    socs = [None, 10.0, 30.0, 30.01, 31.0, 50.0, 80.0, 80.0, 100.0]
    return V2XInput(
        max_discharge_current=draw(st.sampled_from([0.0, 6.0, 16.0, 16.0, 32.0])),
        capacity=draw(st.sampled_from([60_000.0] if usable else [0.0, 40_000.0, 60_000.0])),
        soc=draw(st.sampled_from([*socs, *([80.0] * 10 if usable else [])])),
        reserve_soc=draw(st.sampled_from([20.0, 30.0, 30.0])),
        target_soc=draw(st.sampled_from([None, None, 50.0, 80.0, 100.0])),
        allowed=draw(st.sampled_from([True, True, True, False])),
        objective=draw(st.sampled_from([None, None, None, *OBJECTIVES])),
        dc=draw(st.booleans()),
        requested=draw(st.sampled_from([None, None, None, None, 0.0, 5.0, 40.0])),
    )


@st.composite
def v2x_policies(draw: st.DrawFn) -> V2XSettings:
    """Any site policy."""
    return V2XSettings(
        objective=draw(st.sampled_from(OBJECTIVES)),
        import_cap=draw(st.sampled_from([None, 0.0, 5000.0, 20_000.0])),
        export_limit=draw(st.sampled_from([None, None, 0.0, 3000.0])),
        export_car_energy=draw(st.booleans()),
        grid_signal=draw(st.sampled_from([None, -10_000.0, -2000.0, 0.0, 4000.0])),
        charge_efficiency=draw(st.sampled_from([0.92, 1.0, 0.0])),
        discharge_efficiency=draw(st.sampled_from([0.92, 0.8])),
        wear_cost=draw(st.sampled_from([0.0, 0.05])),
    )


def _with_grid(snapshot: SiteInput, cars: tuple[ConnectorInput, ...]) -> SiteInput:
    """The same house load, with the grid reading what these connectors read."""
    grid = snapshot.grid_current
    if grid is None:
        return replace(snapshot, connectors=cars)
    old = [sum(reading(c)[p] for c in snapshot.connectors) for p in range(3)]
    new = [sum(reading(c)[p] for c in cars) for p in range(3)]
    moved = tuple(grid[p] - old[p] + new[p] for p in range(3))
    return replace(snapshot, connectors=cars, grid_current=moved)  # type: ignore[arg-type]


@st.composite
def v2x_sites(draw: st.DrawFn, *, discharging: bool = True) -> SiteInput:
    """A random site (see test_properties.sites) where some cars may discharge.

    `discharging`: their readings may be negative (else they draw or nothing).
    """
    snapshot = draw(sites(max_connectors=20))
    cars = []
    for connector in snapshot.connectors:
        if not draw(st.integers(0, 2)):
            cars.append(connector)
            continue
        measured = connector.measured
        if discharging and draw(st.booleans()):
            amount = draw(st.sampled_from([1.0, 6.0, 16.0]))
            measured = tuple(-amount if p in connector.phases else 0.0 for p in range(3))  # type: ignore[assignment]
        cars.append(
            replace(
                connector,
                v2x=draw(batteries()),
                measured=measured,
                # Mostly a car that is free to discharge: plugged in, not charging.
                online=draw(st.sampled_from([True] * 9 + [False])),
                active=draw(st.sampled_from([True] * 9 + [False])),
                mode=draw(st.sampled_from([Mode.SOLAR] * 3 + [Mode.PRICE, Mode.FAST])),
            )
        )
    return replace(
        _with_grid(snapshot, tuple(cars)),
        v2x=draw(v2x_policies()),
        meter_available=draw(st.sampled_from([True] * 9 + [False])),
    )


@st.composite
def home_sites(draw: st.DrawFn) -> SiteInput:
    """Small sites where cars are free to discharge: a house, a few V2X cars, prices."""
    stations = tuple(
        StationInput(
            station_id=f"s{s}",
            max_current=draw(st.sampled_from([None, None, (16.0,) * 3, (32.0,) * 3])),
            circuit_id=draw(st.sampled_from([None, "k"])),
        )
        for s in range(draw(st.integers(1, 3)))
    )
    cars = []
    for n in range(draw(st.integers(1, 6))):
        phases = draw(st.sampled_from(PHASE_SETS))
        amount = draw(st.sampled_from([-16.0, -6.0, 0.0, 0.0, 6.0, 16.0]))
        cars.append(
            ConnectorInput(
                connector_id=f"c{n}",
                station_id=draw(st.sampled_from([s.station_id for s in stations])),
                phases=phases,
                mode=draw(st.sampled_from([Mode.SOLAR] * 4 + [Mode.PRICE, Mode.FAST])),
                max_current=draw(st.sampled_from([16.0, 32.0, 0.0])),
                measured=tuple(amount if p in phases else 0.0 for p in range(3)),  # type: ignore[arg-type]
                online=draw(st.sampled_from([True] * 5 + [False])),
                energy_needed=draw(st.sampled_from([None, 0.0, 0.0, 5000.0, 30_000.0])),
                departure=draw(st.sampled_from([None, None, 1800.0, 4 * 3600.0, 12 * 3600.0])),
                v2x=draw(st.none() | batteries(usable=True) | batteries(usable=True)),
            )
        )
    house = draw(st.tuples(*[st.sampled_from([-20.0, -5.0, 0.0, 3.0, 10.0, 30.0, 45.0])] * 3))
    snapshot = SiteInput(
        now=0.0,
        grid_limit=draw(
            st.sampled_from([(16.0,) * 3, (25.0,) * 3, (32.0,) * 3, (63.0, 63.0, 20.0)])
        ),
        max_import_power=draw(st.sampled_from([None, None, 15_000.0])),
        grid_current=house,
        circuits=(
            CircuitInput(circuit_id="k", limit=draw(st.sampled_from([(20.0,) * 3, (63.0,) * 3]))),
        ),
        stations=stations,
        settings=EngineSettings(
            safety_margin=draw(st.sampled_from([0.0, 1.0])),
            dead_band=draw(st.sampled_from([0.0, 0.5])),
            solar_start_delay=draw(st.sampled_from([0.0, 60.0])),
        ),
        v2x=draw(v2x_policies()),
        prices=draw(st.sampled_from([(), PRICES])),
    )
    return _with_grid(snapshot, tuple(cars))


PHASE_SETS = [(0, 1, 2), (0, 1, 2), (0,), (1,), (2,), (0, 1)]
# Dear now, cheap later, dear again.
PRICES = tuple(
    PriceSlot(start=n * 3600.0, end=(n + 1) * 3600.0, price=price)
    for n, price in enumerate([0.45, 0.10, 0.10, 0.12, 0.30, 0.35, 0.40, 0.20] * 2)
)


def _check_limits(snapshot: SiteInput) -> None:
    result = allocate(snapshot, None)
    assert limit_violations(snapshot, result) == []
    assert discharge_violations(snapshot, result) == []
    for connector in snapshot.connectors:
        allocation = result.allocations[connector.connector_id]
        assert allocation.current >= 0
        assert allocation.discharge >= 0
        assert allocation.current == 0 or allocation.discharge == 0
        assert allocation.setpoint == (-allocation.discharge or allocation.current)
        assert allocation.current <= max(connector.max_current, 0.0) + TOLERANCE
        assert allocation.current == 0 or allocation.current >= connector.min_current - TOLERANCE
    expected = [0.0, 0.0, 0.0]
    for connector in snapshot.connectors:
        allocation = result.allocations[connector.connector_id]
        if allocation.discharge:
            dc = connector.v2x is not None and connector.v2x.dc
            for p in (0, 1, 2) if dc else drawing_phases(connector, allocation, None):
                expected[p] += allocation.discharge
    assert result.discharging == pytest.approx(tuple(expected))


@settings(max_examples=300, deadline=None)
@given(home_sites())
def test_signed_setpoints_keep_every_limit_at_home(snapshot: SiteInput) -> None:
    """As below, on small sites where the cars discharge often."""
    _check_limits(snapshot)


@settings(max_examples=150, deadline=None)
@given(v2x_sites())
def test_signed_setpoints_keep_every_limit(snapshot: SiteInput) -> None:
    """Every limit both ways, the reserve, the departure; never both ways at once.

    Import per phase, circuit, station and power; export per phase and in total; the
    house's import without export.
    """
    _check_limits(snapshot)


@st.composite
def off_sites(draw: st.DrawFn) -> SiteInput:
    """V2X cars everywhere, every objective off, nothing requested, nothing discharging.

    No target SoC either: a known SoC and target add the taper tail to a car's deadline
    (`deadline.taper_tail`), knowledge a charge-only input does not have.
    """
    snapshot = draw(v2x_sites(discharging=False))
    cars = tuple(
        replace(c, v2x=replace(c.v2x, objective=None, requested=None, target_soc=None))
        if c.v2x is not None
        else c
        for c in snapshot.connectors
    )
    return replace(
        snapshot, connectors=cars, v2x=replace(snapshot.v2x, objective=DischargeObjective.OFF)
    )


def _without_v2x(snapshot: SiteInput) -> SiteInput:
    return replace(
        snapshot,
        connectors=tuple(replace(c, v2x=None) for c in snapshot.connectors),
        v2x=V2XSettings(),
    )


@settings(max_examples=80, deadline=None)
@given(off_sites(), st.lists(st.sampled_from([1.0, 5.0, 20.0]), max_size=3))
def test_objective_off_is_todays_allocation(snapshot: SiteInput, steps: list[float]) -> None:
    """With every objective off the answer (and memory) is exactly as without V2X."""
    states: list[EngineState | None] = [None, None]
    now = snapshot.now
    for step in [0.0, *steps]:
        now += step
        inputs = (replace(snapshot, now=now), replace(_without_v2x(snapshot), now=now))
        results = [allocate(s, state) for s, state in zip(inputs, states, strict=True)]
        assert results[0] == results[1]
        states = [result.state for result in results]


@st.composite
def v2x_histories(draw: st.DrawFn) -> list[SiteInput]:
    """A V2X site over time, its objective, signal and requests changing now and then."""
    start = draw(home_sites() | v2x_sites())
    steps = draw(st.integers(2, 8))
    history = [start]
    for _ in range(1, steps):
        previous = history[-1]
        cars = tuple(
            replace(c, v2x=replace(c.v2x, requested=draw(st.sampled_from([None, 0.0, 8.0]))))
            if c.v2x is not None and draw(st.booleans())
            else c
            for c in previous.connectors
        )
        history.append(
            replace(
                previous,
                now=previous.now + draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 20.0])),
                connectors=cars,
                v2x=draw(v2x_policies()) if draw(st.integers(0, 3)) == 0 else previous.v2x,
                meter_available=draw(st.sampled_from([True, True, True, False])),
            )
        )
    return history


@settings(max_examples=150, deadline=None)
@given(v2x_histories(), st.data())
def test_the_sign_changes_only_through_a_held_zero(
    history: list[SiteInput], data: st.DataObject
) -> None:
    """Over time: 0 between charging and discharging, held the delay; limits every step."""
    _check_history(history, data)


def _check_history(history: list[SiteInput], data: st.DataObject) -> None:
    """Run a history and check every step (see the tests that use it).

    The cars follow their setpoints (or not quite), the house load moves; readings are
    fresh (late readings have their own tests).
    """
    state: EngineState | None = None
    given: dict[str, float] = {}
    last_sign: dict[str, int] = {}
    zero_since: dict[str, float] = {}
    changed_at: dict[str, float] = {}  # when each car's setpoint last changed
    for snapshot in history:
        cars = []
        for connector in snapshot.connectors:
            setpoint = given.get(connector.connector_id, 0.0)
            factor = data.draw(st.sampled_from([0.0, 0.9, 1.0, 1.0, 1.2]))
            value = setpoint * factor if connector.v2x is not None else max(0.0, setpoint) * factor
            cars.append(
                replace(
                    connector,
                    measured=tuple(value if p in connector.phases else 0.0 for p in range(3)),  # type: ignore[arg-type]
                    measured_at=None,
                )
            )
        house = data.draw(st.tuples(*[st.sampled_from([-20.0, 0.0, 5.0, 30.0, 60.0])] * 3))
        grid = tuple(house[p] + sum(reading(c)[p] for c in cars) for p in range(3))
        step = replace(
            snapshot,
            connectors=tuple(cars),
            grid_current=grid if snapshot.grid_current is not None else None,
        )
        result = allocate(step, state)
        assert limit_violations(step, result, state) == []
        assert discharge_violations(step, result) == []
        delay = step.settings.direction_change_delay
        for connector in step.connectors:
            cid = connector.connector_id
            allocation = result.allocations[cid]
            sign = (allocation.setpoint > 0) - (allocation.setpoint < 0)
            before = given.get(cid, 0.0)
            # A car that had the time to follow and draws nothing is at 0 already: it may
            # change direction at once (see `direction`).
            followed = step.now - changed_at.get(cid, step.now) >= step.settings.response_time
            if followed and all(abs(value) < IDLE_CURRENT for value in connector.measured):
                last_sign.pop(cid, None)
                zero_since.pop(cid, None)
                if allocation.changed:
                    changed_at[cid] = step.now
                continue
            assert not (sign and before and (sign > 0) != (before > 0)), (cid, before, sign)
            if sign and last_sign.get(cid, sign) != sign:
                held = zero_since.get(cid)
                assert held is not None
                assert step.now - held >= delay - 1e-9, (cid, step.now, held)
            if sign:
                last_sign[cid] = sign
                zero_since.pop(cid, None)
            elif before:
                zero_since[cid] = step.now
            if allocation.changed:
                changed_at[cid] = step.now
        state = result.state
        given = {cid: a.setpoint for cid, a in result.allocations.items()}


def test_car_violations_can_fail() -> None:
    """The independent check is not a tautology: a car at its reserve is caught."""
    connector = ConnectorInput(
        connector_id="v",
        station_id="s",
        v2x=V2XInput(max_discharge_current=16.0, capacity=60_000.0, soc=30.0),
    )
    snapshot = SiteInput(now=0.0, grid_limit=(32.0, 32.0, 32.0), connectors=(connector,))
    assert car_violations(snapshot, connector, 10.0, 3) != []
    assert car_violations(snapshot, replace(connector, v2x=None), 1.0, 3) != []
    above = replace(connector, v2x=replace(connector.v2x, soc=math.nextafter(80.0, 0)))  # type: ignore[type-var]
    assert car_violations(snapshot, above, 10.0, 3) == []


@st.composite
def toggling(draw: st.DrawFn) -> list[SiteInput]:
    """Cars asked to discharge, then not, then again, at short random intervals."""
    start = draw(home_sites())
    start = replace(start, v2x=replace(start.v2x, export_car_energy=True, export_limit=None))
    history = [start]
    for _ in range(draw(st.integers(3, 12))):
        previous = history[-1]
        cars = tuple(
            replace(
                c, mode=Mode.FAST, v2x=replace(c.v2x, requested=draw(st.sampled_from([None, 10.0])))
            )
            if c.v2x is not None
            else c
            for c in previous.connectors
        )
        history.append(
            replace(
                previous,
                now=previous.now + draw(st.sampled_from([0.3, 1.0, 1.5, 2.0, 2.5])),
                connectors=cars,
            )
        )
    return history


@settings(max_examples=100, deadline=None)
@given(toggling(), st.data())
def test_requests_toggling_never_flip_directly(
    history: list[SiteInput], data: st.DataObject
) -> None:
    """The same check as above, where the direction changes all the time."""
    _check_history(history, data)
