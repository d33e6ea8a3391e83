"""V2X: what one car may discharge: its maximum, a request, the reserve, the departure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.balancing import (
    DischargeObjective,
    EngineState,
    LimitReason,
    Mode,
    allocate,
)
from custom_components.smart_charging.balancing.model import ConnectorMemory

from .sites import three
from .v2x_sites import battery, discharge_violations, setpoints, v2x_car, v2x_site

HOUSE = three(20.0)
CHECKED = EngineState(connectors={"v": ConnectorMemory(car_checked=True)})
# Wh per A of a 3-phase discharge over the 10 s response time (grid side).
PER_AMP = 3 * 230 * 10 / 3600


def test_the_maximum_and_a_request_cap_it() -> None:
    """16 A at most; a request of 7 A gives 7 A."""
    assert setpoints(allocate(v2x_site(v2x_car(), house=HOUSE), None)) == {"v": -16.0}
    asked = v2x_car(v2x=battery(requested=7.0))
    result = allocate(v2x_site(asked, house=HOUSE), None)
    assert setpoints(result) == {"v": -7.0}
    assert result.allocations["v"].reason is LimitReason.DISCHARGE_REQUESTED


def test_a_request_overrides_the_objective_and_the_mode() -> None:
    """Objective OFF, FAST: a request still discharges (after 0: see the direction tests)."""
    asked = v2x_car(mode=Mode.FAST, v2x=battery(requested=5.0))
    snapshot = v2x_site(asked, house=HOUSE, objective=DischargeObjective.OFF)
    assert setpoints(allocate(snapshot, None)) == {"v": -5.0}
    # A request of 0: not at all, it charges as its mode says.
    zero = replace(snapshot, connectors=(v2x_car(mode=Mode.FAST, v2x=battery(requested=0.0)),))
    assert setpoints(allocate(zero, None)) == {"v": 12.0}  # 32 A less 20 A of house


def test_a_request_stays_within_the_house_import_without_export() -> None:
    """export_car_energy off: 3 A of house load, 3 A out of a 10 A request."""
    asked = v2x_car(v2x=battery(requested=10.0))
    result = allocate(v2x_site(asked, house=three(3.0)), None)
    assert setpoints(result) == {"v": -3.0}
    assert result.allocations["v"].constraint == "house import L1"


def test_a_request_that_cannot_be_served_says_which_limit_is_full() -> None:
    """No house load, no export: 0, and the reason names the house's import."""
    asked = v2x_car(mode=Mode.FAST, v2x=battery(requested=10.0))
    allocation = allocate(v2x_site(asked), None).allocations["v"]
    assert (allocation.current, allocation.discharge) == (0.0, 0.0)
    assert allocation.reason is LimitReason.DISCHARGE_REQUESTED
    assert allocation.constraint == "house import L1"


def test_at_the_reserve_it_holds() -> None:
    """SoC at the reserve, or unknown: it would discharge but holds the reserve."""
    for soc in (30.0, 20.0, None):
        allocation = allocate(
            v2x_site(v2x_car(v2x=battery(soc=soc)), house=HOUSE), None
        ).allocations["v"]
        assert allocation.discharge == 0.0
        assert allocation.reason is LimitReason.HOLDING_RESERVE
        assert allocation.constraint == "battery reserve"
    # Nothing to cover: it would not discharge anyway, so it says nothing about the reserve.
    idle = allocate(v2x_site(v2x_car(v2x=battery(soc=30.0))), None).allocations["v"]
    assert idle.reason is LimitReason.SOLAR_SURPLUS


# It discharges 2 A since t=0 (a ramp fast enough not to matter here).
DISCHARGING = EngineState(
    last_now=0.0, connectors={"v": ConnectorMemory(sent_at=0.0, discharge=2.0, discharged=True)}
)


def test_it_stops_while_a_little_above_the_reserve() -> None:
    """30 Wh above: at most what 10 s of discharging takes from it; then it stops."""
    near = v2x_car(v2x=battery(soc=30.05))  # 30 Wh above the reserve of 60 kWh
    first = allocate(v2x_site(near, house=HOUSE, now=10.0), DISCHARGING)
    allocation = first.allocations["v"]
    assert allocation.discharge == pytest.approx(30 * 0.92 / PER_AMP)
    assert allocation.constraint == "battery reserve"
    # 6 Wh later, 24 Wh above: not enough for 10 s at that rate.
    later = v2x_car(v2x=battery(soc=30.04))
    second = allocate(v2x_site(later, house=HOUSE, now=11.0), first.state)
    assert second.allocations["v"].discharge == 0.0
    assert second.allocations["v"].reason is LimitReason.HOLDING_RESERVE


def test_it_starts_again_only_a_little_above_the_reserve() -> None:
    """A hysteresis: stopped, it starts only 1 % above its reserve, not at every 0.01 %."""
    for soc in (30.05, 30.5, 30.99):
        held = allocate(v2x_site(v2x_car(v2x=battery(soc=soc)), house=HOUSE), None)
        assert held.allocations["v"].discharge == 0.0, soc
        assert held.allocations["v"].reason is LimitReason.HOLDING_RESERVE
    started = allocate(v2x_site(v2x_car(v2x=battery(soc=31.0)), house=HOUSE), None)
    assert started.allocations["v"].discharge == 16.0
    # Once it discharges, it goes on down to the reserve (see above).
    going = allocate(v2x_site(v2x_car(v2x=battery(soc=30.5)), house=HOUSE, now=1.0), started.state)
    assert going.allocations["v"].discharge > 0.0


def test_the_target_soc_is_a_floor_without_a_departure() -> None:
    """No departure: it may leave at any moment, so it keeps its target too."""
    kept = v2x_car(v2x=battery(soc=60.0, target_soc=60.0))
    allocation = allocate(v2x_site(kept, house=HOUSE), None).allocations["v"]
    assert allocation.reason is LimitReason.HOLDING_RESERVE


def _with_departure(
    seconds: float, target_soc: float | None = None, energy_needed: float | None = None
) -> float:
    car = v2x_car(
        departure=seconds,
        energy_needed=energy_needed,
        v2x=battery(soc=50.0, target_soc=target_soc),
    )
    snapshot = v2x_site(car, house=HOUSE)
    result = allocate(snapshot, CHECKED)  # else a solar car charges a moment to be checked
    assert discharge_violations(snapshot, result) == []
    return result.allocations["v"].discharge


def test_it_discharges_only_while_the_departure_target_still_fits() -> None:
    """50 % -> 80 % of 60 kWh (19.6 kWh at 92 %) at 11 kW, + 15 % and 15 min."""
    back = 0.3 * 60_000 / 0.92
    due = 900 + back / 11_040 * 3600 * 1.15  # it must charge from here on
    assert _with_departure(due + 3600, target_soc=80.0) == pytest.approx(16.0)
    assert _with_departure(due - 1, target_soc=80.0) == 0.0
    # Just before: only what 10 s of discharge refilled still lets it fit.
    spare = 11_040 * (due + 10 - 900) / 3600 / 1.15 - back
    assert _with_departure(due + 10, target_soc=80.0) == pytest.approx(
        spare * 0.92 * 0.92 / PER_AMP
    )
    # The energy still wanted counts the same way.
    assert _with_departure(due + 3600, energy_needed=back) == pytest.approx(16.0)
    assert _with_departure(due - 1, energy_needed=back) == 0.0


def test_a_car_charging_for_its_departure_does_not_discharge() -> None:
    """Due: it charges as FAST, first in its priority (12 A: 32 A less the house's 20 A)."""
    car = v2x_car(departure=1000.0, energy_needed=20_000.0)
    result = allocate(v2x_site(car, house=HOUSE), None)
    assert setpoints(result) == {"v": 12.0}
    assert result.allocations["v"].deadline


def test_discharge_ramps_up_from_the_minimum() -> None:
    """Increases of a discharge are rate-limited like charging: 6 A first, then 2 A/s."""
    state = EngineState(connectors={"v": ConnectorMemory(sent_at=0.0, discharged=True)})
    result = allocate(v2x_site(v2x_car(), house=HOUSE, now=1.0), replace(state, last_now=0.0))
    assert setpoints(result) == {"v": -6.0}
    result = allocate(v2x_site(v2x_car(), house=HOUSE, now=2.0), result.state)
    assert setpoints(result) == {"v": -8.0}
    # A cut is never delayed.
    result = allocate(v2x_site(v2x_car(), house=three(3.0), now=2.5), result.state)
    assert setpoints(result) == {"v": -3.0}
