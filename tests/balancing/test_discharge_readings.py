"""V2X: a discharging connector reads negative; budget, compliance, car limit, late readings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

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

from .sites import car, currents, three
from .v2x_sites import battery, setpoints, v2x_car, v2x_site

QUICK = EngineSettings(safety_margin=0.0, dead_band=0.0, ramp_up_rate=1000.0)
# It discharged 10 A since t=0, and was seen doing it.
DISCHARGING = EngineState(
    last_now=0.0,
    connectors={"v": ConnectorMemory(sent_at=0.0, discharge=10.0, discharged=True)},
)


def test_the_non_ev_load_keeps_the_sign_of_a_discharge() -> None:
    """Grid 5 A while the car gives 10 A: the house draws 15 A; others get 32 - 15."""
    discharging = v2x_car(v2x=battery(requested=10.0), measured=three(-10.0))
    other = car("c", max_current=32.0)
    snapshot = v2x_site(discharging, other, house=three(15.0), now=1.0, settings=QUICK)
    assert snapshot.grid_current == three(5.0)
    result = allocate(snapshot, DISCHARGING)
    assert result.non_ev_load == three(15.0)
    assert currents(result) == {"v": 0.0, "c": 17.0}  # the discharge is not room for it
    assert setpoints(result) == {"v": -10.0, "c": 17.0}


def test_without_v2x_a_negative_reading_is_zero() -> None:
    """Only a V2X connector can discharge: another's negative reading is noise."""
    noisy = car("n", mode=Mode.SOLAR, measured=three(-10.0))
    result = allocate(replace(v2x_site(noisy), grid_current=three(5.0)), None)
    assert result.non_ev_load == three(5.0)


def test_a_car_discharging_more_than_allowed_is_non_compliant() -> None:
    """Told 10 A, it gives 13 A (> 2 A tolerance): flagged once that has lasted 30 s."""
    settings = replace(QUICK, compliance_delay=30.0)

    def run(now: float, state: EngineState, reading: float) -> Result:
        connector = v2x_car(v2x=battery(requested=10.0), measured=three(reading))
        return allocate(v2x_site(connector, house=three(20.0), now=now, settings=settings), state)

    within = run(1.0, DISCHARGING, -11.5)
    assert within.allocations["v"].discharge == 10.0
    first = run(1.0, DISCHARGING, -13.0)
    assert first.allocations["v"].reason is not LimitReason.NON_COMPLIANT
    flagged = run(31.0, first.state, -13.0)
    allocation = flagged.allocations["v"]
    assert allocation.reason is LimitReason.NON_COMPLIANT
    assert allocation.discharge == 0.0  # it is told to stop, and not counted on


def test_a_non_compliant_discharge_covers_the_house_for_the_others() -> None:
    """A rogue car gives 13 A of the house's 20 A: another V2X car covers only 7 A."""
    rogue_state = replace(
        DISCHARGING,
        connectors={
            "r": ConnectorMemory(sent_at=0.0, over_since=0.0, non_compliant=True),
            "v": ConnectorMemory(sent_at=0.0, discharged=True),
        },
    )
    rogue = v2x_car("r", v2x=battery(allowed=False), measured=three(-13.0))
    snapshot = v2x_site(rogue, v2x_car("v"), house=three(20.0), now=1.0, settings=QUICK)
    result = allocate(snapshot, rogue_state)
    assert result.allocations["r"].reason is LimitReason.NON_COMPLIANT
    assert result.allocations["v"].discharge == pytest.approx(7.0)


def test_no_car_limit_is_learned_from_a_discharge() -> None:
    """Told to charge 16 A, it still reads -10 A: that says nothing about what it takes."""
    state = EngineState(last_now=0.0, connectors={"v": ConnectorMemory(sent=16.0, sent_at=0.0)})
    connector = v2x_car(mode=Mode.FAST, measured=three(-10.0), measured_at=20.0)
    snapshot = v2x_site(connector, house=three(5.0), now=20.0, settings=QUICK)
    result = allocate(snapshot, state)
    assert result.state.connectors["v"].car_limit is None
    assert result.allocations["v"].current == pytest.approx(16.0)


def _late(now: float, state: EngineState | None, house: float, reading: float) -> Result:
    """The grid follows the car at once; its charger's reading is from t=0."""
    connector = v2x_car(measured=three(reading), measured_at=0.0)
    snapshot = v2x_site(connector, house=three(house), now=now, settings=QUICK)
    car_now = -state.connectors["v"].discharge if state else 0.0
    return allocate(replace(snapshot, grid_current=three(house + car_now)), state)


def test_a_discharge_the_grid_shows_before_the_charger_is_not_a_fall_of_the_house() -> None:
    """Discharging 16 A: the grid falls by 16 A at once, the charger still reads 0."""
    first = _late(0.0, None, 20.0, 0.0)
    assert setpoints(first) == {"v": -16.0}
    assert first.state.v2x_base == three(20.0)
    second = _late(1.0, first.state, 20.0, 0.0)
    assert setpoints(second) == {"v": -16.0}  # not cut to the 4 A the grid seems to show
    assert second.state.v2x_base == three(20.0)
    # The house really falls by 10 A meanwhile: beyond what the car explains, it counts.
    third = _late(2.0, second.state, 10.0, 0.0)
    assert setpoints(third) == {"v": -10.0}


def test_a_cut_discharge_the_grid_shows_first_is_not_a_rise_of_the_house() -> None:
    """Cut from 16 A to 0; then the grid shows it while the charger still reads -16 A."""
    asked = v2x_car(mode=Mode.FAST, v2x=battery(requested=16.0))
    first = allocate(v2x_site(asked, house=three(20.0), settings=QUICK), None)
    assert setpoints(first) == {"v": -16.0}
    stopped = v2x_car(mode=Mode.FAST, measured=three(-16.0), measured_at=0.5)
    cut = allocate(v2x_site(stopped, house=three(20.0), now=1.0, settings=QUICK), first.state)
    assert setpoints(cut) == {"v": 0.0}  # through 0 before it charges
    assert cut.non_ev_load == three(20.0)
    snapshot = v2x_site(stopped, house=three(20.0), now=2.0, settings=QUICK)
    # The car followed the cut: the grid shows the house alone, 16 A above the reading.
    result = allocate(replace(snapshot, grid_current=three(20.0)), cut.state)
    assert result.non_ev_load == three(20.0)  # not 36 A


def test_an_export_beyond_its_limit_is_never_explained_away() -> None:
    """Zero-export site: a late reading explains nothing once the site exports.

    The house falls from 20 A to 10 A while the car gives its 16 A: the grid exports 6 A,
    the car's reading still says 0. Attributed to the car, the house is 10 A (so 10 A
    out); on a zero-export site the export is cut in that very call instead.
    """
    connector = v2x_car(measured=three(0.0), measured_at=0.0)

    def run(now: float, state: EngineState | None, **v2x: Any) -> Result:
        snapshot = v2x_site(connector, house=three(20.0), now=now, settings=QUICK, **v2x)
        if state is not None:
            snapshot = replace(snapshot, grid_current=three(-6.0))
        return allocate(snapshot, state)

    first = run(0.0, None, export_limit=0.0)
    assert setpoints(first) == {"v": -16.0}
    assert setpoints(run(1.0, first.state, export_limit=0.0)) == {"v": 0.0}
    free = run(0.0, None)
    assert setpoints(run(1.0, free.state)) == {"v": -10.0}


PEAK = DischargeObjective.PEAK_SHAVING


def test_above_the_fuse_a_stale_reading_is_no_fall_of_the_house() -> None:
    """Above the fuse too, a discharge the grid shows before the charger is no fall.

    L1 at 40 A on a 32 A fuse: 8 A out since t=1. At t=3 the grid shows 5 A of it, the
    charger still reads 0 (t=0): the house did not fall, the discharge stays 8 A. Above
    the fuse grid - reading was taken as it was: the discharge was cut to 3 A, and then
    hunted (the office, 45 minutes).
    """
    state = EngineState(
        last_now=1.0,
        connectors={"v": ConnectorMemory(sent_at=1.0, discharge=8.0, discharged=True)},
        v2x_base=(40.0, 10.0, 10.0),
    )
    connector = v2x_car(measured=three(0.0), measured_at=0.0)
    snapshot = v2x_site(connector, now=3.0, settings=QUICK, objective=PEAK)
    result = allocate(replace(snapshot, grid_current=(35.0, 5.0, 5.0)), state)
    assert setpoints(result) == {"v": -8.0}
    assert result.state.v2x_base == (40.0, 10.0, 10.0)


def test_a_reading_newer_than_the_grid_is_no_rise_of_the_house() -> None:
    """Two DC cars under a 10 kW cap. "c" charged 16 A until t=0, then 0, then 1 A out.

    At t=4 its charger already reads 0, the grid (read a moment before the car followed)
    still shows its 16 A: grid - reading is 16 A more house on every phase. It is not:
    "d" keeps covering what the cap needs (it gave 23 kW more so at the depot, then
    the site exported).
    """
    dc = battery(dc=True)
    settings = replace(QUICK, response_time=10.0)
    house = three(20.0)  # 13.8 kW: 3.8 kW above the cap

    def run(
        now: float, state: EngineState | None, reading: float, grid: float, cap: float | None
    ) -> Result:
        cars = (
            v2x_car("c", "s1", v2x=dc, mode=Mode.FAST, measured=three(reading), measured_at=now),
            v2x_car("d", "s2", v2x=dc, measured=three(0.0), measured_at=now),
        )
        snapshot = v2x_site(
            *cars,
            house=house,
            limit=63.0,
            now=now,
            settings=settings,
            objective=PEAK,
            import_cap=cap,
        )
        return allocate(replace(snapshot, grid_current=three(grid)), state)

    before = run(-20.0, None, 0.0, 20.0, None)
    assert setpoints(before) == {"c": 16.0, "d": 0.0}  # no cap yet
    cut = run(0.0, before.state, 16.0, 36.0, 10_000.0)
    assert setpoints(cut)["c"] == 0.0  # through 0 before it discharges
    need = (20.0 * 3 * 230 - 10_000.0) / 690  # A per phase: 5.51
    assert setpoints(cut)["d"] == pytest.approx(-need)
    both = run(2.0, cut.state, 16.0, 36.0 - need, 10_000.0)
    assert setpoints(both) == {"c": pytest.approx(-need / 2), "d": pytest.approx(-need / 2)}
    # c reads 0, the grid still shows it at 16 A (and d at its first 5.5 A).
    fresh = run(4.0, both.state, 0.0, 36.0 - need, 10_000.0)
    assert setpoints(fresh) == setpoints(both)
