"""The V2X optimum on a tiny hand-checkable hour (a 10 kWh car, two prices)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from benchmarks.scenario.v2x_optimum import V2XOptimum, solve_v2x_optimum, step_caps
from simulator.site.model import ChargerPlan, GridEvent, V2XSite

from .v2x_site import HOUR, VOLTS, Flat, TwoPrices, bidi_visit, v2x_day

HOUSE_W = 2300.0  # in total, a third per phase
DEAR, CHEAP = 0.40, 0.20
ETA = 0.9  # the car's efficiency, each way


def solve(wear: float = 0.05, **changes: Any) -> V2XOptimum:
    """The optimum of a day whose first half hour is dear, with the car plugged in 0-1 h."""
    fields: dict[str, Any] = {
        "house": Flat((HOUSE_W / 3,) * 3),
        "prices": TwoPrices(before=DEAR, after=CHEAP),
        "v2x": V2XSite(objective="price", wear_eur_per_kwh=wear),
    } | changes
    visit = fields.pop("visit", bidi_visit())
    day = v2x_day(visit, **fields)
    return solve_v2x_optimum(day)


def test_discharges_when_it_pays_and_charges_back() -> None:
    """1.15 kWh covers the house in the dear half hour, 1.42 kWh bought back at 0.20.

    Saved 1.15 * 0.40 = 0.46 EUR; paid 1.15 / 0.81 * 0.20 = 0.284 back and 0.0575 wear.
    """
    paying = solve(wear=0.05)
    never = solve(wear=10.0)
    assert never.metrics.discharged_kwh == pytest.approx(0.0, abs=1e-6)
    assert paying.metrics.discharged_kwh == pytest.approx(1.15)
    assert paying.metrics.export_kwh == pytest.approx(0.0, abs=1e-6)  # never into export
    (car,) = paying.sessions
    assert car.departure_soc == pytest.approx(50.0)
    assert car.charged_wh == pytest.approx(1150.0 / ETA / ETA, rel=1e-4)
    saved = 1.15 * DEAR - 1.15 / ETA / ETA * CHEAP - 1.15 * 0.05
    assert never.metrics.net_cost_eur - paying.metrics.net_cost_eur == pytest.approx(saved)
    assert paying.metrics.wear_eur == pytest.approx(1.15 * 0.05)


def test_round_trip_losses_and_wear_decide() -> None:
    """0.20 / 0.81 + 0.17 = 0.417 > 0.40: then it does not pay."""
    assert solve(wear=0.17).metrics.discharged_kwh == pytest.approx(0.0, abs=1e-6)


def test_never_below_the_reserve() -> None:
    """At 25 % with a 20 % reserve it gives 0.5 kWh from the battery, 0.45 kWh to the house."""
    ev = replace(bidi_visit().ev, initial_soc=25.0, target_soc=25.0)
    optimum = solve(visit=bidi_visit(ev=ev))
    assert optimum.metrics.discharged_kwh == pytest.approx(0.45)
    assert optimum.sessions[0].min_soc == pytest.approx(20.0)
    assert optimum.sessions[0].departure_soc == pytest.approx(25.0)


def test_the_cap_forces_a_discharge() -> None:
    """A 1 kW cap in the first half hour: 1.3 kW from the car even at a high wear cost."""
    event = GridEvent(start=0.0, end=HOUR / 2, import_cap=1000.0)
    optimum = solve(wear=1.0, grid_events=(event,))
    assert optimum.metrics.discharged_kwh == pytest.approx(0.65)
    assert optimum.metrics.cap_seconds == 0.0
    assert list(step_caps(v2x_day(grid_events=(event,)), 600.0, 4)[:4]) == [
        1000.0,
        1000.0,
        1000.0,
        float("inf"),
    ]


def test_a_charge_only_car_cannot_hold_the_fuse() -> None:
    """House above the fuse, a car that cannot discharge: the LP pays the overload."""
    house = Flat((30.0 * VOLTS, 5.0 * VOLTS, 5.0 * VOLTS))
    optimum = solve(house=house, chargers=(ChargerPlan(charger_id="WB"),))
    assert optimum.metrics.fuse_seconds == 24 * HOUR
    assert optimum.metrics.discharged_kwh == 0.0
