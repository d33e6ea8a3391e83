"""V2X objectives: self-consumption, peak shaving, grid signal, and the limits on them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.balancing import (
    CircuitInput,
    DischargeObjective,
    EngineSettings,
    LimitReason,
    Mode,
    StationInput,
    allocate,
)

from .sites import car, limit_violations, three
from .v2x_sites import battery, discharge_violations, setpoints, v2x_car, v2x_site

SELF = DischargeObjective.SELF_CONSUMPTION
PEAK = DischargeObjective.PEAK_SHAVING
SIGNAL = DischargeObjective.GRID_SIGNAL


def test_an_ac_car_covers_the_house_only_up_to_its_least_importing_phase() -> None:
    """Same current on its three phases, never more than any of them imports."""
    snapshot = v2x_site(v2x_car(), house=(5.0, 3.0, 2.0))
    result = allocate(snapshot, None)
    allocation = result.allocations["v"]
    assert (allocation.current, allocation.discharge, allocation.setpoint) == (0.0, 2.0, -2.0)
    assert allocation.reason is LimitReason.DISCHARGING_HOUSE
    assert allocation.constraint == "house import L3"
    assert result.discharging == (2.0, 2.0, 2.0)
    assert discharge_violations(snapshot, result) == []


def test_a_one_phase_ac_car_helps_only_its_own_phase() -> None:
    """On grid L2 it covers L2's 3 A, not the 5 A of L1."""
    snapshot = v2x_site(v2x_car(phases=(1,)), house=(5.0, 3.0, 2.0))
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(3.0)
    assert result.allocations["v"].constraint == "house import L2"
    assert result.discharging == pytest.approx((0.0, 3.0, 0.0))


def test_a_dc_station_discharges_balanced_netting_the_phases() -> None:
    """DC: the same on all three phases, the net import (10 A) spread over them."""
    dc = v2x_car(phases=(1,), v2x=battery(dc=True))
    snapshot = v2x_site(dc, house=(5.0, 3.0, 2.0))
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(10.0 / 3)
    assert result.allocations["v"].constraint == "house import"
    assert result.discharging == pytest.approx(three(10.0 / 3))
    assert discharge_violations(snapshot, result) == []


def test_with_export_allowed_a_one_phase_car_covers_the_net_import() -> None:
    """export_car_energy: it may export on its phase what the others import (net 0)."""
    snapshot = v2x_site(v2x_car(phases=(0,)), house=(5.0, 3.0, 2.0), export_car_energy=True)
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(10.0)
    assert result.allocations["v"].constraint is None  # the house's need, no limit
    assert discharge_violations(snapshot, result) == []


def test_no_discharge_into_export() -> None:
    """PV surplus: the house imports nothing, the car does not discharge."""
    result = allocate(v2x_site(v2x_car(), house=(-4.0, -4.0, -4.0)), None)
    assert result.allocations["v"].discharge == 0.0
    assert result.allocations["v"].reason is LimitReason.SOLAR_SURPLUS


def test_a_car_with_surplus_charges_and_does_not_discharge() -> None:
    """Solar on: it charges from the surplus; the house's import is not its business."""
    settings = EngineSettings(safety_margin=0.0, dead_band=0.0, solar_start_delay=0.0)
    snapshot = v2x_site(v2x_car(phases=(0,)), house=(-20.0, 2.0, 2.0), settings=settings)
    result = allocate(snapshot, None)
    allocation = result.allocations["v"]
    assert allocation.current > 0
    assert allocation.discharge == 0.0


def test_a_charging_car_keeps_charging() -> None:
    """FAST: its mode wins over the objective."""
    result = allocate(v2x_site(v2x_car(mode=Mode.FAST), house=three(5.0)), None)
    assert setpoints(result) == {"v": 16.0}


def test_nothing_discharges_when_not_allowed_or_off() -> None:
    """The user's switch, the objective OFF, a connector objective overriding the site's."""
    house = three(5.0)
    not_allowed = v2x_car(v2x=battery(allowed=False))
    assert allocate(v2x_site(not_allowed, house=house), None).allocations["v"].discharge == 0
    off = v2x_site(v2x_car(), house=house, objective=DischargeObjective.OFF)
    assert allocate(off, None).allocations["v"].discharge == 0
    own = v2x_car(v2x=battery(objective=SELF))
    on = replace(off, connectors=(own,))
    assert allocate(on, None).allocations["v"].discharge == pytest.approx(5.0)


def test_no_meter_no_discharge() -> None:
    """Without a working meter neither the house nor the export is known."""
    snapshot = v2x_site(v2x_car(), house=three(5.0))
    assert allocate(replace(snapshot, meter_available=False), None).discharging == (0, 0, 0)
    assert allocate(replace(snapshot, grid_current=None), None).discharging == (0, 0, 0)


def test_two_cars_share_max_min_fair() -> None:
    """Equal shares of the house's 20 A; one that takes at most 4 A leaves the rest."""
    house = three(20.0)
    result = allocate(v2x_site(v2x_car("a"), v2x_car("b"), house=house), None)
    assert setpoints(result) == {"a": -10.0, "b": -10.0}
    small = v2x_car("a", v2x=battery(max_discharge_current=4.0))
    result = allocate(v2x_site(small, v2x_car("b"), house=house), None)
    assert setpoints(result) == {"a": -4.0, "b": -16.0}


def test_cars_never_discharge_into_other_cars_charging() -> None:
    """Another car charging 16 A is not house load: only the house's 3 A is covered."""
    charging = car("c", measured=three(16.0))
    snapshot = v2x_site(v2x_car(), charging, house=three(3.0))
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(3.0)
    assert result.allocations["c"].current == pytest.approx(16.0)
    assert limit_violations(snapshot, result) == []


def test_zero_export_site_even_with_export_allowed() -> None:
    """export_limit 0 with a margin: the site keeps importing the margin, never exports."""
    settings = EngineSettings(safety_margin=1.0, dead_band=0.0)
    snapshot = v2x_site(
        v2x_car(v2x=battery(dc=True)),
        house=three(4.0),
        settings=settings,
        objective=DischargeObjective.PRICE,
        export_car_energy=True,
        export_limit=0.0,
    )
    # No price forecast: the price objective has nothing to sell into. A request does.
    requested = replace(snapshot, connectors=(v2x_car(v2x=battery(dc=True, requested=16.0)),))
    result = allocate(requested, None)
    assert result.allocations["v"].discharge == pytest.approx(3.0)  # 4 A less 1 A margin
    assert result.allocations["v"].constraint == "export limit"
    assert discharge_violations(requested, result) == []


def test_per_phase_export_stays_within_the_fuse() -> None:
    """Requested 16 A on a 10 A fuse with 1 A margin and no house load: 9 A."""
    settings = EngineSettings(safety_margin=1.0, dead_band=0.0)
    snapshot = v2x_site(
        v2x_car(v2x=battery(requested=16.0)),
        limit=10.0,
        settings=settings,
        export_car_energy=True,
    )
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(9.0)
    assert result.allocations["v"].constraint == "grid L1"
    assert discharge_violations(snapshot, result) == []


def test_stations_and_circuits_limit_the_reverse_current() -> None:
    """A 10 A circuit carries at most 10 A back, shared by its cars."""
    snapshot = replace(
        v2x_site(v2x_car("a"), v2x_car("b", "s2"), house=three(30.0)),
        stations=(
            StationInput(station_id="s1", circuit_id="k"),
            StationInput(station_id="s2", circuit_id="k"),
        ),
        circuits=(CircuitInput(circuit_id="k", limit=three(10.0)),),
    )
    result = allocate(snapshot, None)
    assert setpoints(result) == {"a": -5.0, "b": -5.0}
    assert result.allocations["a"].constraint == "circuit k L1"


def test_peak_shaving_covers_the_phase_over_the_fuse() -> None:
    """L1 at 40 A on a 32 A fuse: 8 A back from a 3-phase car, a 1-phase car on L2 idle."""
    snapshot = v2x_site(
        v2x_car("a"), v2x_car("b", phases=(1,)), house=(40.0, 10.0, 10.0), objective=PEAK
    )
    result = allocate(snapshot, None)
    assert setpoints(result) == {"a": -8.0, "b": 0.0}
    assert result.allocations["a"].reason is LimitReason.DISCHARGING_PEAK
    assert discharge_violations(snapshot, result) == []


def test_peak_shaving_one_phase_cars_first() -> None:
    """A 1-phase car on L1 covers L1 first; a 3-phase car only what is left."""
    snapshot = v2x_site(
        v2x_car("a"),
        v2x_car("b", phases=(0,), v2x=battery(max_discharge_current=5.0)),
        house=(40.0, 10.0, 10.0),
        objective=PEAK,
    )
    result = allocate(snapshot, None)
    assert setpoints(result) == {"a": -3.0, "b": -5.0}


def test_peak_shaving_dc_is_driven_by_the_worst_phase_within_export() -> None:
    """DC balanced: L1's 12 A excess drives it, within every phase's export bound."""
    settings = EngineSettings(safety_margin=1.0, dead_band=0.0)
    dc = v2x_car(v2x=battery(dc=True, max_discharge_current=40.0))
    snapshot = v2x_site(dc, house=(43.0, 10.0, 2.0), objective=PEAK, settings=settings)
    result = allocate(snapshot, None)
    assert result.allocations["v"].discharge == pytest.approx(12.0)
    tight = replace(snapshot, grid_limit=(32.0, 32.0, 8.0))
    # L3's export bound: 2 A house + 7 A (8 A fuse - margin) = 9 A.
    result = allocate(tight, None)
    assert result.allocations["v"].discharge == pytest.approx(9.0)
    assert result.allocations["v"].constraint == "grid L3"
    assert discharge_violations(tight, result) == []


def test_peak_shaving_keeps_the_import_under_the_cap() -> None:
    """An import cap of 6900 W (30 A) against a 36 A house: 6 A back; charging gets none."""
    snapshot = v2x_site(
        v2x_car(phases=(0,)),
        car("c"),
        house=(36.0, 0.0, 0.0),
        limit=63.0,
        objective=PEAK,
        import_cap=6900.0,
    )
    result = allocate(snapshot, None)
    assert setpoints(result) == {"v": -6.0, "c": 0.0}
    assert result.allocations["c"].constraint == "max import power"
    # Without peak shaving the cap does not apply: the other car charges.
    off = replace(snapshot, v2x=replace(snapshot.v2x, objective=DischargeObjective.OFF))
    assert allocate(off, None).allocations["c"].current > 0


def test_a_grid_signal_asking_for_export() -> None:
    """-3 kW with a 2.3 kW house: 5.3 kW out of a DC car (export allowed)."""
    dc = v2x_car(v2x=battery(dc=True))
    snapshot = v2x_site(
        dc, house=three(10.0 / 3), objective=SIGNAL, grid_signal=-3000.0, export_car_energy=True
    )
    result = allocate(snapshot, None)
    allocation = result.allocations["v"]
    assert allocation.discharge * 3 * 230 == pytest.approx(5300.0)
    assert allocation.reason is LimitReason.DISCHARGING_SIGNAL
    # Without export only the house's import is covered.
    own = replace(snapshot, v2x=replace(snapshot.v2x, export_car_energy=False))
    assert allocate(own, None).allocations["v"].discharge * 690 == pytest.approx(2300.0)


def test_a_grid_signal_asking_for_import_makes_its_cars_charge() -> None:
    """+6.9 kW with a 2.3 kW house: a solar-mode car charges 4.6 kW (6.67 A) from the grid."""
    snapshot = v2x_site(v2x_car(), house=three(10.0 / 3), objective=SIGNAL, grid_signal=6900.0)
    result = allocate(snapshot, None)
    allocation = result.allocations["v"]
    assert allocation.current == pytest.approx(4600.0 / 690)
    assert allocation.reason is LimitReason.GRID_SIGNAL
    assert allocation.constraint == "grid signal"
    # Asking for less than the minimum: it waits.
    low = replace(snapshot, v2x=replace(snapshot.v2x, grid_signal=3000.0))
    allocation = allocate(low, None).allocations["v"]
    assert (allocation.current, allocation.discharge) == (0.0, 0.0)
    assert allocation.reason is LimitReason.GRID_SIGNAL


def test_a_grid_signal_counts_the_other_cars_charging() -> None:
    """The signal is for the whole site: another car's 10 A leaves the follower less."""
    other = car("c", max_current=10.0, measured=three(10.0))
    snapshot = v2x_site(
        v2x_car(), other, house=three(0.0), objective=SIGNAL, grid_signal=3 * 230 * 18.0
    )
    result = allocate(snapshot, None)
    assert result.allocations["c"].current == pytest.approx(10.0)
    assert result.allocations["v"].current == pytest.approx(8.0)


def test_a_car_that_may_not_charge_may_still_discharge() -> None:
    """Its charging maximum is 0: the signal cannot make it charge; it may discharge."""
    unable = v2x_car(max_current=0.0)
    asking = v2x_site(unable, objective=SIGNAL, grid_signal=6900.0)
    assert setpoints(allocate(asking, None)) == {"v": 0.0}
    house = v2x_site(unable, house=three(5.0))
    assert setpoints(allocate(house, None)) == {"v": -5.0}
