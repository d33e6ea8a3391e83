"""V2X: between charging and discharging a connector holds 0 first, either way."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smart_charging.balancing import (
    DischargeObjective,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    Result,
    allocate,
)
from custom_components.smart_charging.balancing.model import ConnectorMemory

from .sites import three
from .v2x_sites import battery, setpoints, v2x_car, v2x_site

HOUSE = three(20.0)
FAST = Mode.FAST
# A ramp fast enough not to matter here (see test_discharge_car for the ramp).
QUICK = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=1000.0)


def _step(now: float, state: EngineState | None, **car_fields: object) -> Result:
    connector = v2x_car(**car_fields)  # type: ignore[arg-type]
    return allocate(v2x_site(connector, house=HOUSE, now=now, settings=QUICK), state)


def test_charging_to_discharging_passes_through_zero() -> None:
    """A request while it charges: 0 at once, the discharge once 0 was held 2 s."""
    charging = _step(0.0, None, mode=FAST)
    assert setpoints(charging) == {"v": 12.0}
    asked = battery(requested=10.0)
    first = _step(1.0, charging.state, mode=FAST, v2x=asked)
    allocation = first.allocations["v"]
    assert (allocation.setpoint, allocation.changed) == (0.0, True)
    assert allocation.reason is LimitReason.CHANGING_DIRECTION
    assert first.recheck_at == 3.0
    held = _step(2.9, first.state, mode=FAST, v2x=asked)
    assert setpoints(held) == {"v": 0.0}
    assert not held.allocations["v"].changed
    assert held.recheck_at == 3.0
    done = _step(3.0, held.state, mode=FAST, v2x=asked)
    assert setpoints(done) == {"v": -10.0}
    assert done.allocations["v"].changed
    assert done.recheck_at is None


def test_discharging_to_charging_passes_through_zero() -> None:
    """The request ends: 0 at once (a cut), the charging once 0 was held 2 s."""
    asked = battery(requested=10.0)
    discharging = _step(0.0, None, mode=FAST, v2x=asked)
    assert setpoints(discharging) == {"v": -10.0}
    first = _step(1.0, discharging.state, mode=FAST)
    assert setpoints(first) == {"v": 0.0}
    assert first.allocations["v"].reason is LimitReason.CHANGING_DIRECTION
    assert first.recheck_at == 3.0
    assert setpoints(_step(2.0, first.state, mode=FAST)) == {"v": 0.0}
    assert setpoints(_step(3.0, first.state, mode=FAST)) == {"v": 12.0}


def test_a_pause_in_the_same_direction_needs_no_wait() -> None:
    """Discharging, 0 (nothing to cover), discharging again: no hold in between."""
    first = _step(0.0, None)
    assert setpoints(first) == {"v": -16.0}
    idle = allocate(v2x_site(v2x_car(), now=1.0, settings=QUICK), first.state)
    assert setpoints(idle) == {"v": 0.0}
    again = _step(1.5, idle.state)
    assert setpoints(again) == {"v": -16.0}
    assert again.recheck_at is None


def test_a_solar_car_that_stops_charging_discharges_after_the_hold() -> None:
    """Solar stops in the evening: 0, then the house is covered 2 s later."""
    settings = replace(QUICK, solar_start_delay=0.0, solar_stop_delay=0.0)
    sunny = allocate(v2x_site(v2x_car(), house=three(-20.0), settings=settings), None)
    assert sunny.allocations["v"].current > 0
    evening = allocate(v2x_site(v2x_car(), house=HOUSE, settings=settings, now=1.0), sunny.state)
    assert setpoints(evening) == {"v": 0.0}
    assert evening.recheck_at == 3.0
    later = allocate(v2x_site(v2x_car(), house=HOUSE, settings=settings, now=3.0), evening.state)
    assert setpoints(later) == {"v": -16.0}


def test_a_meter_failure_cuts_the_discharge_and_charges_only_after_the_hold() -> None:
    """Failsafe: no discharge without a meter; its failsafe current follows the 0."""
    discharging = _step(0.0, None, mode=FAST, v2x=battery(requested=10.0))
    lost = replace(
        v2x_site(v2x_car(mode=FAST), house=HOUSE, now=1.0, settings=QUICK), meter_available=False
    )
    first = allocate(lost, discharging.state)
    assert setpoints(first) == {"v": 0.0}
    assert first.failsafe
    second = allocate(replace(lost, now=3.0), first.state)
    assert setpoints(second) == {"v": 6.0}
    assert second.allocations["v"].reason is LimitReason.FAILSAFE


def test_a_connector_no_longer_v2x_still_passes_through_zero() -> None:
    """Its input lost V2X while it discharged: it remembers, and holds 0 before charging."""
    discharging = _step(0.0, None, mode=FAST, v2x=battery(requested=10.0))
    first = _step(1.0, discharging.state, mode=FAST, v2x=None)
    assert setpoints(first) == {"v": 0.0}
    assert setpoints(_step(3.0, first.state, mode=FAST, v2x=None)) == {"v": 12.0}


def test_the_delay_is_a_setting() -> None:
    """direction_change_delay 0: the other direction follows in the next call."""
    settings = replace(QUICK, direction_change_delay=0.0)

    def run(now: float, state: EngineState | None, requested: float | None) -> Result:
        connector = v2x_car(mode=FAST, v2x=battery(requested=requested))
        return allocate(v2x_site(connector, house=HOUSE, now=now, settings=settings), state)

    charging = run(0.0, None, None)
    first = run(1.0, charging.state, 10.0)
    assert setpoints(first) == {"v": 0.0}  # still through 0, in its own call
    assert setpoints(run(1.1, first.state, 10.0)) == {"v": -10.0}


def test_objective_off_changes_nothing_over_time() -> None:
    """A V2X car with the objective off charges exactly as a car without V2X."""
    plain = v2x_car(mode=FAST, v2x=None)
    with_v2x = v2x_car(mode=FAST, v2x=battery())
    states: list[EngineState | None] = [None, None]
    for now in (0.0, 1.0, 5.0, 30.0):
        results = [
            allocate(
                v2x_site(connector, house=HOUSE, now=now, objective=DischargeObjective.OFF),
                state,
            )
            for connector, state in zip((plain, with_v2x), states, strict=True)
        ]
        assert results[0] == results[1]
        states = [result.state for result in results]


# Offered its 6 A minimum since t=-100: it learned the car takes nothing more.
OFFERED = EngineState(
    last_now=0.0,
    connectors={
        "v": ConnectorMemory(
            sent=6.0, sent_at=-100.0, car_limit=6.0, car_limit_since=-90.0, car_checked=True
        )
    },
)
OVER = (40.0, 10.0, 10.0)  # L1 8 A above the 32 A fuse


def _overload(**car_fields: object) -> Result:
    connector = v2x_car(mode=FAST, **car_fields)  # type: ignore[arg-type]
    snapshot = v2x_site(
        connector,
        house=OVER,
        now=1.0,
        settings=EngineSettings(safety_margin=0.0, dead_band=0.0),  # the default ramp
        objective=DischargeObjective.PEAK_SHAVING,
    )
    return allocate(snapshot, OFFERED)


def test_a_car_that_draws_nothing_changes_direction_at_once() -> None:
    """A full car (SuspendedEV) offered its minimum is at 0: no pause, the relief at once.

    Nor is the discharge ramped up from the minimum while the fuse is exceeded: more of
    it is a relief, like a cut of charging.
    """
    for fields in (
        {"suspended": True, "measured": three(0.0), "measured_at": 0.0},
        {"measured": three(0.3), "measured_at": -50.0},  # read nothing, long after its offer
    ):
        allocation = _overload(**fields).allocations["v"]
        assert allocation.setpoint == -8.0, fields
        assert allocation.reason is LimitReason.DISCHARGING_PEAK
    # One that draws its 6 A still holds 0 first.
    drawing = _overload(measured=three(6.0), measured_at=0.0)
    assert setpoints(drawing) == {"v": 0.0}
    assert drawing.allocations["v"].reason is LimitReason.CHANGING_DIRECTION
    assert drawing.recheck_at == 3.0


def test_a_car_that_gives_nothing_charges_at_once() -> None:
    """Told to discharge 10 A, it reads nothing long after: it may charge without the pause."""
    state = EngineState(
        last_now=19.0,
        connectors={"v": ConnectorMemory(sent_at=0.0, discharge=10.0, discharged=True)},
    )
    idle = v2x_car(mode=FAST, measured=three(0.0), measured_at=15.0)
    result = allocate(v2x_site(idle, house=HOUSE, now=20.0, settings=QUICK), state)
    assert setpoints(result) == {"v": 12.0}
    giving = v2x_car(mode=FAST, measured=three(-10.0), measured_at=15.0)
    result = allocate(v2x_site(giving, house=HOUSE, now=20.0, settings=QUICK), state)
    assert setpoints(result) == {"v": 0.0}
