"""Solar modes: the surplus, its energy-based hysteresis, 3→1 phase switching."""

from __future__ import annotations

from dataclasses import replace
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
from custom_components.smart_charging.balancing.model import ConnectorMemory, PhaseCurrents

from .sites import car, currents, site, three

VOLTAGE = 230.0
MIN_POWER_3 = 6.0 * 3 * VOLTAGE  # 4140 W
MIN_POWER_1 = 6.0 * VOLTAGE  # 1380 W

INSTANT = EngineSettings(
    safety_margin=0.0,
    dead_band=0.0,
    solar_start_delay=0.0,
    solar_stop_delay=0.0,
    phase_switch_delay=0.0,
)
DELAYED = replace(INSTANT, solar_start_delay=60.0, solar_stop_delay=180.0, phase_switch_delay=300.0)


def grid_for(surplus: float, *drawing: ConnectorInput) -> PhaseCurrents:
    """The balanced grid current at which the solar modes see `surplus` W."""
    drawn = sum(sum(connector.measured) for connector in drawing) * VOLTAGE
    return three((drawn - surplus) / VOLTAGE / 3)


def solar(connector_id: str = "pv", **fields: Any) -> ConnectorInput:
    """A SOLAR connector (3-phase, 6-16 A)."""
    return car(connector_id, mode=Mode.SOLAR, **fields)


def run(
    connector: ConnectorInput,
    surplus: float,
    now: float,
    state: EngineState | None,
    settings: EngineSettings = DELAYED,
) -> Result:
    """One call, with the grid reading that gives this surplus."""
    snapshot = site(
        connector, now=now, grid_current=grid_for(surplus, connector), settings=settings
    )
    return allocate(snapshot, state)


def test_surplus_is_export() -> None:
    """6900 W exported: a 3-phase solar car gets 10 A."""
    result = allocate(site(solar(), grid_current=three(-10.0), settings=INSTANT), None)
    assert result.surplus_power == pytest.approx(6900.0)
    allocation = result.allocations["pv"]
    assert allocation.current == pytest.approx(10.0)
    assert allocation.reason is LimitReason.SOLAR_SURPLUS
    assert allocation.constraint == "solar surplus"


def test_surplus_counts_what_solar_cars_draw() -> None:
    """Their draw would be export without them."""
    charging = solar(measured=three(8.0))
    result = allocate(site(charging, grid_current=three(-2.0), settings=INSTANT), None)
    assert result.surplus_power == pytest.approx(6900.0)
    assert result.allocations["pv"].current == pytest.approx(10.0)


def test_fast_cars_use_the_pv_first() -> None:
    """Import means no surplus: what FAST cars draw is not handed to solar cars."""
    snapshot = site(
        car("fast", station_id="s2", measured=three(16.0)),
        solar(),
        grid_current=three(6.0),  # 10 A per phase of PV already feeds the FAST car
        settings=INSTANT,
    )
    result = allocate(snapshot, None)
    assert result.surplus_power == 0.0
    assert result.allocations["pv"].current == 0.0
    assert result.allocations["pv"].reason is LimitReason.SOLAR_SURPLUS


def test_no_surplus_without_a_grid_meter() -> None:
    """Static balancing knows no export."""
    result = allocate(site(solar(), settings=INSTANT), None)
    assert result.surplus_power == 0.0
    assert currents(result) == {"pv": 0.0}


def test_home_battery_first_by_default() -> None:
    """Its charging is its own (the meter sees it), its discharging is not surplus."""
    charging = allocate(site(solar(), grid_current=three(0.0), battery_power=3000.0), None)
    assert charging.surplus_power == 0.0
    discharging = allocate(site(solar(), grid_current=three(-10.0), battery_power=-1000.0), None)
    assert discharging.surplus_power == pytest.approx(5900.0)


def test_cars_before_the_home_battery() -> None:
    """battery_priority off: what the battery charges with is surplus too."""
    settings = replace(INSTANT, battery_priority=False)
    result = allocate(
        site(solar(), grid_current=three(0.0), battery_power=4600.0, settings=settings), None
    )
    assert result.surplus_power == pytest.approx(4600.0)
    assert result.allocations["pv"].current == pytest.approx(4600.0 / 690.0)


def test_pv_power_caps_the_surplus() -> None:
    """The surplus cannot exceed what the panels make."""
    result = allocate(site(solar(), grid_current=three(-10.0), pv_power=5000.0), None)
    assert result.surplus_power == pytest.approx(5000.0)


def test_start_needs_accumulated_surplus_energy() -> None:
    """1.5 * the minimum power: (surplus - min) * t reaches min * 60 s after 120 s."""
    surplus = 1.5 * MIN_POWER_3
    state: EngineState | None = None
    currents_seen: list[float] = []
    for now in range(0, 130, 10):
        result = run(solar(), surplus, float(now), state)
        state = result.state
        currents_seen.append(result.allocations["pv"].current)
    assert currents_seen[:12] == [0.0] * 12
    assert currents_seen[12] == pytest.approx(9.0)


def test_stop_needs_accumulated_deficit_energy() -> None:
    """Half the minimum power: the deficit reaches min * 180 s after 360 s."""
    result = run(solar(), 2 * MIN_POWER_3, 0.0, None, replace(DELAYED, solar_start_delay=0.0))
    assert result.allocations["pv"].current > 0
    drawing = solar(measured=three(6.0))
    state = result.state
    seen: list[float] = []
    for now in range(60, 420, 60):
        result = run(drawing, 0.5 * MIN_POWER_3, float(now), state)
        state = result.state
        seen.append(result.allocations["pv"].current)
    # It keeps its minimum (from the grid) until the deficit adds up, then stops.
    assert seen == [6.0, 6.0, 6.0, 6.0, 6.0, 0.0]


def test_a_car_just_started_is_not_stopped_by_its_own_draw() -> None:
    """The grid shows the car drawing before its charger's reading does: no deficit.

    With no stop delay, the seconds in which the surplus looks smaller by what the car
    just started to draw stopped it again, every time (it never charged). Once its
    reading is older than it could follow the offer, a deficit stops it as before.
    """
    started = run(solar(), 2 * MIN_POWER_3, 0.0, None, INSTANT)
    state = started.state
    offered = started.allocations["pv"].current
    assert offered == pytest.approx(12.0)
    # 2 s later the meter shows it drawing its 12 A (no export left); the charger's
    # reading is still the one from before the offer.
    unread = solar(measured=three(0.0), measured_at=0.0)
    snapshot = site(unread, now=2.0, grid_current=three(0.0), settings=INSTANT)
    assert allocate(snapshot, state).allocations["pv"].current > 0
    # Read after it followed: it draws 12 A and there is still no export: a deficit.
    read = solar(measured=three(offered), measured_at=12.0)
    snapshot = site(read, now=12.0, grid_current=three(offered), settings=INSTANT)
    assert allocate(snapshot, state).allocations["pv"].current == 0.0


def test_a_reading_from_before_a_cut_is_no_surplus() -> None:
    """Cut to 0 for want of surplus, a reading sent before the car followed is no surplus.

    The grid meter already shows the car stopped (5 A of house import); the charger's
    reading, still in flight when the cut went out, shows the 16 A it drew before. Taken
    at its word, that was 7.5 kW of surplus, and the car started again at once.
    """
    state = EngineState(
        last_now=100.0,
        non_ev_load=three(5.0),
        connectors={"pv": ConnectorMemory(sent=0.0, sent_at=100.0, car_checked=True)},
    )
    stale = solar(max_current=16.0, measured=three(16.0), measured_at=100.5)
    snapshot = site(stale, now=100.5, grid_current=three(5.0), settings=INSTANT)
    result = allocate(snapshot, state)
    assert result.surplus_power == 0.0
    assert result.allocations["pv"].current == 0.0
    # Once the car had the time to follow, its reading counts as it is.
    followed = replace(stale, measured=three(16.0), measured_at=111.0)
    snapshot = site(followed, now=111.0, grid_current=three(5.0), settings=INSTANT)
    assert allocate(snapshot, state).surplus_power == pytest.approx(11 * 3 * VOLTAGE)


def test_another_cars_start_is_a_real_loss_of_surplus() -> None:
    """A FAST car that just started takes the surplus: the solar car stops on time.

    No sun; the solar car at its minimum is 2 s of deficit from its stop. Only the solar
    cars' own rises are no deficit: the FAST car's draw is not in the surplus.
    """
    settings = replace(DELAYED, solar_stop_delay=60.0)
    for fast_started in (False, True):
        state = EngineState(
            last_now=98.0,
            non_ev_load=three(2.0),
            connectors={
                "pv": ConnectorMemory(
                    sent=6.0,
                    sent_at=0.0,
                    solar_on=True,
                    car_checked=True,
                    served_since=0.0,
                    solar_energy=MIN_POWER_3 * 58,
                ),
                "ev": ConnectorMemory(
                    sent=32.0 if fast_started else 0.0, sent_at=98.0, car_checked=True
                ),
            },
        )
        pv = solar(measured=three(6.0))
        ev = car("ev", station_id="s2", max_current=32.0, measured=three(0.0), measured_at=97.0)
        grid = three(2.0 + 6.0 + (32.0 if fast_started else 0.0))
        snapshot = site(pv, ev, now=100.0, limit=80.0, grid_current=grid, settings=settings)
        assert allocate(snapshot, state).allocations["pv"].current == 0.0, fast_started


def test_a_short_cloud_only_moves_the_accumulator() -> None:
    """Surplus back for a while pays the deficit back: the stop comes later."""
    result = run(solar(), 2 * MIN_POWER_3, 0.0, None, replace(DELAYED, solar_start_delay=0.0))
    drawing = solar(measured=three(6.0))
    state = result.state
    stopped_at = None
    for now in range(60, 900, 60):
        surplus = 6900.0 if now == 180 else 0.5 * MIN_POWER_3
        result = run(drawing, surplus, float(now), state)
        state = result.state
        if result.allocations["pv"].current == 0 and stopped_at is None:
            stopped_at = now
    # Deficit 2070 W: 120 s (248 400 Ws), paid back 60 s * 2760 W, then 745 200 Ws more.
    assert stopped_at == 540


def test_min_solar_gets_its_minimum_from_the_grid() -> None:
    """MIN_SOLAR: the minimum without surplus, more with it."""
    min_solar = car("ms", mode=Mode.MIN_SOLAR)
    dark = allocate(site(min_solar, grid_current=three(5.0), settings=INSTANT), None)
    assert dark.allocations["ms"].current == 6.0
    assert dark.allocations["ms"].reason is LimitReason.SOLAR_SURPLUS
    sunny = allocate(site(min_solar, grid_current=three(-10.0), settings=INSTANT), None)
    assert sunny.allocations["ms"].current == pytest.approx(10.0)


def test_solar_cars_share_the_surplus_fairly() -> None:
    """MIN_SOLAR minimum first; a SOLAR car starts only if the rest covers its own."""
    both = (car("ms", mode=Mode.MIN_SOLAR), solar("pv", station_id="s2"))
    small = allocate(site(*both, grid_current=three(-10.0), settings=INSTANT), None)
    assert currents(small) == {"ms": 10.0, "pv": 0.0}
    large = allocate(site(*both, grid_current=three(-20.0), settings=INSTANT), None)
    assert currents(large) == {"ms": 10.0, "pv": 10.0}


def test_solar_never_takes_grid_budget_from_fast_cars() -> None:
    """FAST cars are filled from the fuse first; solar ones get what is left."""
    snapshot = site(
        car("fast", priority=0),
        solar("pv", station_id="s2", priority=5),
        limit=16.0,
        grid_current=three(-10.0),
        settings=INSTANT,
    )
    result = allocate(snapshot, None)
    assert currents(result) == {"fast": 16.0, "pv": 0.0}
    assert result.allocations["pv"].reason is LimitReason.WAITING_FOR_MINIMUM
    assert result.allocations["pv"].constraint == "grid L1"


def test_switch_to_one_phase_and_back() -> None:
    """Surplus for 1 phase but not 3, for the delay: 1 phase (on `single_phase`)."""
    switchable = solar(can_switch_phases=True, single_phase=1)
    settings = replace(DELAYED, solar_start_delay=0.0)
    first = run(switchable, 2000.0, 0.0, None, settings)
    assert first.allocations["pv"].phases == 3
    assert first.allocations["pv"].current == 0.0
    switched = run(switchable, 2000.0, 300.0, first.state, settings)
    allocation = switched.allocations["pv"]
    assert allocation.phases == 1
    assert allocation.changed
    assert allocation.current == pytest.approx(2000.0 / VOLTAGE)
    assert switched.allocated == pytest.approx((0.0, 2000.0 / VOLTAGE, 0.0))

    # Now it draws on L2 only (as the coordinator reports it), then the sun comes out.
    one_phase = solar(can_switch_phases=True, single_phase=1, phases=(1,), measured=(0.0, 8.0, 0.0))
    pending = run(one_phase, 5000.0, 600.0, switched.state, settings)
    assert pending.allocations["pv"].phases == 1
    back = run(one_phase, 5000.0, 900.0, pending.state, settings)
    assert back.allocations["pv"].phases == 3
    assert back.allocations["pv"].current == pytest.approx(5000.0 / 690.0)


def test_a_fast_connector_switches_back_to_three_phases_at_once() -> None:
    """Phase switching is for solar modes; FAST wants every phase."""
    switchable = solar(can_switch_phases=True)
    state = run(switchable, 2000.0, 0.0, None, INSTANT).state
    assert state.connectors["pv"].phases == 1
    fast = allocate(
        site(car("pv", can_switch_phases=True, phases=(0,)), now=100.0, settings=INSTANT), state
    )
    assert fast.allocations["pv"].phases == 3
    assert fast.allocated == pytest.approx((16.0, 16.0, 16.0))


def test_car_not_seen_drawing_starts_on_one_phase_minimum() -> None:
    """A car whose phases are only guessed starts once one phase's minimum is there."""
    surplus = MIN_POWER_1 + 200  # enough for a 1-phase car, not for a 3-phase one
    guessed = solar(phases_known=False)
    started = run(guessed, surplus, now=0.0, state=None, settings=INSTANT)
    assert started.allocations["pv"].current >= 6.0
    known = solar()  # seen drawing on three phases: it needs the 3-phase minimum
    waiting = run(known, surplus, now=0.0, state=None, settings=INSTANT)
    assert waiting.allocations["pv"].current == 0.0
    assert waiting.allocations["pv"].reason is LimitReason.SOLAR_SURPLUS
