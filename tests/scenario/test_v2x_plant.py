"""The V2X site: cars follow signed setpoints; a discharge feeds the house on its phases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulator.ev import EVSpec
from simulator.site.bidi_car import BidiCar
from simulator.site.load_steps import LoadStep, SteppedLoad
from simulator.site.model import Bidirectional, ChargerPlan, GridEvent, import_cap_at
from simulator.site.v2x_plant import V2XPlant, connector_phases

from .v2x_site import HOUR, VOLTS, Flat, bidi_visit, v2x_day

CAR = EVSpec(
    capacity_wh=10_000.0,
    initial_soc=50.0,
    target_soc=80.0,
    response_delay=3.0,
    ramp_rate=5.0,
    efficiency=0.9,
    taper_soc=100.0,
)
GIVES = Bidirectional(max_discharge_current=10.0, discharge_efficiency=0.8, min_soc=45.0)


class TestBidiCar:
    """Delay, ramp, both directions, the car's own limits and the energy both ways."""

    def test_follows_after_its_delay_and_ramps_away_from_zero(self) -> None:
        """Nothing for 3 s, then 5 A/s up to the setpoint."""
        car = BidiCar(CAR, GIVES, phases=3)
        car.set_setpoint(0.0, -10.0)
        car.advance(3.0)
        assert car.current == 0.0
        car.advance(1.0)
        assert car.current == pytest.approx(-5.0)
        car.advance(1.0)
        assert car.current == pytest.approx(-10.0)

    def test_through_zero_at_once(self) -> None:
        """From charging to discharging it drops to 0 at once, then ramps."""
        car = BidiCar(CAR, GIVES, phases=3)
        car.set_setpoint(0.0, 16.0)
        car.advance(10.0)
        assert car.current == pytest.approx(16.0)
        car.set_setpoint(10.0, -4.0)
        car.advance(3.0)
        assert car.current == pytest.approx(16.0)  # its delay
        car.advance(1.0)
        assert car.current == pytest.approx(-4.0)  # 0, then 5 A/s: -4 within the second

    def test_discharge_energy_and_efficiency(self) -> None:
        """1 h at -2 A on 3 phases: 1.38 kWh to the grid, 1.725 kWh out of the battery."""
        gives = replace(GIVES, min_soc=0.0)
        car = BidiCar(replace(CAR, response_delay=0.0, ramp_rate=1000.0), gives, phases=3)
        car.set_setpoint(0.0, -2.0)
        grid_wh = car.advance(HOUR)
        assert grid_wh == pytest.approx(-1380.0, rel=1e-3)
        assert car.discharged_wh == pytest.approx(1380.0, rel=1e-3)
        assert car.soc == pytest.approx(50.0 - 1380.0 / 0.8 / 100.0, rel=1e-3)

    def test_charge_energy_and_efficiency(self) -> None:
        """Charging: the battery gains 90 % of the grid energy."""
        car = BidiCar(replace(CAR, response_delay=0.0, ramp_rate=1000.0), GIVES, phases=1)
        car.set_setpoint(0.0, 10.0)
        grid_wh = car.advance(HOUR / 2)
        assert grid_wh == pytest.approx(1150.0, rel=1e-3)
        assert car.soc == pytest.approx(50.0 + 1150.0 * 0.9 / 100.0, rel=1e-3)

    def test_stops_at_its_own_floor_and_at_its_target(self) -> None:
        """It never goes below its min_soc, nor above its target SoC."""
        car = BidiCar(replace(CAR, response_delay=0.0, ramp_rate=1000.0), GIVES, phases=3)
        car.set_setpoint(0.0, -10.0)
        car.advance(HOUR)
        assert car.soc == pytest.approx(45.0)
        assert car.current == 0.0
        car.set_setpoint(HOUR, 16.0)
        car.advance(2 * HOUR)
        assert car.soc == pytest.approx(80.0)
        assert car.full
        assert car.current == 0.0

    def test_a_car_that_only_charges_and_the_minimum(self) -> None:
        """No V2X: a negative setpoint is 0; below its minimum current it does not charge."""
        car = BidiCar(replace(CAR, response_delay=0.0), None, phases=3)
        car.set_setpoint(0.0, -10.0)
        assert car.advance(10.0) == 0.0
        car.set_setpoint(10.0, 4.0)
        assert car.advance(10.0) == 0.0


class TestPlant:
    """The grid meter sees a discharge on the car's phases; readings come at intervals."""

    def test_dc_discharge_is_balanced_on_three_phases(self) -> None:
        """A DC station at -5 A: every phase 5 A less than the house's 5 A."""
        plant = V2XPlant(v2x_day())
        plant.step(1.0)
        plant.set_setpoint("WB/1", -5.0)
        for _ in range(4):
            plant.step(1.0)
        snapshot = plant.step(1.0)
        assert snapshot.grid_current == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
        assert snapshot.ev_power == pytest.approx(-5.0 * 3 * VOLTS)

    def test_ac_one_phase_car_feeds_its_own_phase(self) -> None:
        """A 1-phase car on a charger whose L1 is grid L3 feeds L3 only."""
        charger = ChargerPlan(charger_id="WB", bidirectional=True, phase_rotation=2)
        visit = bidi_visit(ev=replace(bidi_visit().ev, phases=1))
        plant = V2XPlant(v2x_day(visit, chargers=(charger,)))
        plant.step(1.0)
        plant.set_setpoint("WB/1", -8.0)
        snapshot = plant.step(2.0)
        assert snapshot.grid_current == pytest.approx((5.0, 5.0, -3.0))
        assert connector_phases(charger, 1) == (2,)
        assert connector_phases(replace(charger, dc=True), 1) == (0, 1, 2)

    def test_a_charge_only_connector_clamps_a_discharge(self) -> None:
        """On a connector that cannot discharge a negative setpoint is 0."""
        plant = V2XPlant(v2x_day(chargers=(ChargerPlan(charger_id="WB"),)))
        plant.step(1.0)
        plant.set_setpoint("WB/1", -5.0)
        assert plant.sessions["WB/1"].setpoint == 0.0
        assert plant.step(5.0).grid_current == pytest.approx((5.0, 5.0, 5.0))

    def test_readings_every_meter_values_interval(self) -> None:
        """A connector reports at the arrival and every 10 s: signed current and SoC."""
        plant = V2XPlant(v2x_day())
        plant.step(1.0)
        plant.set_setpoint("WB/1", -5.0)
        for _ in range(10):
            plant.step(1.0)
        reading = plant.sessions["WB/1"].reading
        assert reading.at == 11.0
        assert reading.current == pytest.approx((-5.0, -5.0, -5.0))
        assert reading.soc < 50.0

    def test_time_below_the_reserve(self) -> None:
        """A car discharged below its reserve counts the seconds; it left with its SoC."""
        visit = bidi_visit(reserve_soc=49.9, depart=200.0)
        plant = V2XPlant(v2x_day(visit))
        plant.step(1.0)
        plant.set_setpoint("WB/1", -16.0)
        for _ in range(199):
            plant.step(1.0)
        (session,) = plant.finished
        # 11 kW from 10 kWh: 0.1 % in about 3 s, and it left after 200 s.
        assert 190 < session.seconds_below_reserve < 199
        assert session.departure_soc == pytest.approx(session.min_soc)

    def test_arriving_below_the_reserve_is_no_breach(self) -> None:
        """Below its reserve from the start: only going below its highest SoC counts."""
        visit = bidi_visit(reserve_soc=60.0, depart=100.0)
        plant = V2XPlant(v2x_day(visit))
        plant.step(1.0)
        plant.set_setpoint("WB/1", 16.0)
        for _ in range(99):
            plant.step(1.0)
        assert plant.finished[0].seconds_below_reserve == 0.0

    def test_import_cap_and_house_steps(self) -> None:
        """The cap in force is the lowest event's; a step adds its load for its time."""
        day = v2x_day(
            grid_events=(GridEvent(start=10.0, end=20.0, import_cap=4000.0),),
            max_import_power=9000.0,
        )
        assert [import_cap_at(day, t) for t in (5.0, 10.0, 19.9, 20.0)] == [
            9000.0,
            4000.0,
            4000.0,
            9000.0,
        ]
        steps = SteppedLoad(Flat(), (LoadStep(start=10.0, end=12.0, watts=(100.0, 0.0, 0.0)),))
        assert steps.at(11.0)[0] == pytest.approx(VOLTS * 5 + 100)
        assert steps.at(12.0)[0] == pytest.approx(VOLTS * 5)
        assert steps.series(6.0)[1, 0] == pytest.approx(VOLTS * 5 + 100 / 3)


def test_invalid_parts_are_refused() -> None:
    """A backwards step, an impossible bidirectional car."""
    with pytest.raises(ValueError, match="end must be after start"):
        LoadStep(start=5.0, end=5.0, watts=(1.0, 0.0, 0.0))
    for bad in (
        {"max_discharge_current": -1.0},
        {"max_discharge_current": 1.0, "discharge_efficiency": 0.0},
        {"max_discharge_current": 1.0, "min_soc": 101.0},
    ):
        with pytest.raises(ValueError, match="must"):
            Bidirectional(**bad)


def test_a_step_on_a_load_without_a_series() -> None:
    """Steps on a load that only answers `at`: sampled every second."""
    step = LoadStep(name="kiln", start=0.0, end=HOUR, watts=(600.0, 0.0, 0.0))
    steps = SteppedLoad(Flat(), (step,))
    assert step.at(10.0) == (600.0, 0.0, 0.0)
    assert steps.series(HOUR)[0, 0] == pytest.approx(VOLTS * 5 + 600.0)
    assert steps.series(HOUR)[1, 0] == pytest.approx(VOLTS * 5)
    assert "kiln 0.6/0/0 kW" in steps.describe()
