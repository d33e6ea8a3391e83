"""Ours on a V2X day: the engine's input as the coordinator builds it, and a short loop."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from benchmarks.scenario.v2x_engine import EngineController
from benchmarks.scenario.v2x_run import observe, run_v2x
from custom_components.smart_charging.balancing import DischargeObjective, Mode
from simulator.site.model import GridEvent
from simulator.site.prices import TariffPrices
from simulator.site.v2x_plant import V2XPlant

from .v2x_site import HOUR, VOLTS, Flat, bidi_visit, v2x_day

EVENT = GridEvent(start=0.0, end=HOUR, import_cap=2000.0)


def plant_at(seconds: int, **changes: Any) -> V2XPlant:
    """The test site with its car plugged in, `seconds` into the run."""
    plant = V2XPlant(v2x_day(grid_events=(EVENT,), **changes))
    for _ in range(seconds):
        plant.step(1.0)
    return plant


def test_site_input_of_ours() -> None:
    """The cap and the objective go to the V2X settings; the car's range to its V2X input."""
    plant = plant_at(2)
    controller = EngineController(plant.day)
    site = controller.site_input(observe(plant, (5.0, 5.0, 5.0), 2.0, 0.0))
    assert site.v2x.objective is DischargeObjective.PEAK_SHAVING
    assert site.v2x.import_cap == 2000.0
    assert site.max_import_power is None
    (connector,) = site.connectors
    assert connector.mode is Mode.FAST
    assert connector.departure == HOUR
    assert connector.energy_needed == pytest.approx(0.0)  # at its 50 % target already
    assert connector.v2x is not None
    assert connector.v2x.soc == 50.0
    assert connector.v2x.reserve_soc == 20.0
    assert connector.v2x.target_soc == 50.0
    assert connector.v2x.dc
    assert connector.measured_at == 1.0  # its reading at the arrival


def test_site_input_of_charge_only() -> None:
    """Charge-only: objective off, the cap as its maximum import power."""
    plant = plant_at(2)
    controller = EngineController(plant.day, charge_only=True)
    assert controller.name == "charge-only"
    site = controller.site_input(observe(plant, (5.0, 5.0, 5.0), 2.0, 0.0))
    assert site.v2x.objective is DischargeObjective.OFF
    assert site.v2x.import_cap is None
    assert site.max_import_power == 2000.0


def test_energy_needed_and_prices() -> None:
    """Wh to the target from the reported SoC (grid side); 36 h of hourly prices."""
    visit = bidi_visit(ev=replace(bidi_visit().ev, target_soc=80.0), energy_wh=3000.0)
    plant = plant_at(2, visits=(visit,), prices=TariffPrices(0.3))
    controller = EngineController(plant.day)
    site = controller.site_input(observe(plant, (5.0, 5.0, 5.0), 2.0, 0.0))
    assert site.connectors[0].energy_needed == pytest.approx(3000.0 / 0.92)
    assert len(site.prices) == 36
    assert site.prices[0].start == 0.0


def test_calls_only_when_something_is_new() -> None:
    """The same meter reading and connector readings: no call."""
    plant = plant_at(2)
    controller = EngineController(plant.day)
    observation = observe(plant, (5.0, 5.0, 5.0), 2.0, 0.0)
    controller.step(observation)
    controller.step(observation)
    assert controller.calls == 1


def test_ours_discharges_to_hold_the_fuse() -> None:
    """A house 3 A above the fuse on every phase: the car discharges and the fuse holds."""
    day = v2x_day(house=Flat((28.0 * VOLTS,) * 3))
    trace = run_v2x(day, EngineController(day), until=120.0)
    grid = trace.grid_array()
    assert (trace.array("ev")[-60:] < 0).all()
    assert (grid[-60:] <= day.grid_limit).all()
    assert np.isfinite(trace.array("cap")).sum() == 0
