"""V2X price objective: discharge in dear slots what cheaper slots refill before departure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    DischargeObjective,
    EngineState,
    LimitReason,
    Mode,
    PriceSlot,
    Result,
    allocate,
)
from custom_components.smart_charging.balancing.model import ConnectorMemory

from .sites import three
from .v2x_sites import battery, discharge_violations, setpoints, v2x_car, v2x_site

HOUR = 3600.0
CHECKED = EngineState(
    connectors={name: ConnectorMemory(car_checked=True) for name in ("a", "b", "v")}
)


def slots(*prices: float) -> tuple[PriceSlot, ...]:
    """Hourly prices from now on."""
    return tuple(
        PriceSlot(start=n * HOUR, end=(n + 1) * HOUR, price=price) for n, price in enumerate(prices)
    )


def price_car(name: str = "v", departure: float = 8 * HOUR, **fields: Any) -> ConnectorInput:
    """Price mode, its energy target reached (it waits), target SoC = its SoC (80 %)."""
    fields.setdefault("v2x", battery(target_soc=80.0))
    fields.setdefault("energy_needed", 0.0)
    return v2x_car(name, mode=Mode.PRICE, departure=departure, **fields)


def run(
    *connectors: ConnectorInput,
    prices: tuple[PriceSlot, ...],
    house: float = 5.0,
    **v2x: Any,
) -> Result:
    """One call at t=0: 5 A of house load, export allowed unless told otherwise."""
    v2x.setdefault("export_car_energy", True)
    snapshot = v2x_site(*connectors, house=three(house), objective=DischargeObjective.PRICE, **v2x)
    result = allocate(replace(snapshot, prices=prices), CHECKED)
    assert discharge_violations(replace(snapshot, prices=prices), result) == []
    return result


def test_a_dear_hour_is_sold_and_refilled_in_cheap_ones() -> None:
    """0.40 now, 0.10 later: 0.10 / 0.92² + 0.05 = 0.168 < 0.40, so it discharges."""
    result = run(price_car(), prices=slots(0.40, 0.10, 0.10, 0.30))
    allocation = result.allocations["v"]
    assert allocation.discharge == pytest.approx(16.0)
    assert allocation.reason is LimitReason.DISCHARGING_PRICE


def test_without_export_it_only_covers_the_house() -> None:
    """export_car_energy off: V2H arbitrage, 5 A of house load."""
    result = run(price_car(), prices=slots(0.40, 0.10, 0.10), export_car_energy=False)
    assert setpoints(result) == {"v": -5.0}


def test_not_worth_it_after_losses_and_wear() -> None:
    """0.16 now: below 0.168; 0.40 now with a wear cost of 0.30: below 0.418."""
    assert setpoints(run(price_car(), prices=slots(0.16, 0.10, 0.10))) == {"v": 0.0}
    assert setpoints(run(price_car(), prices=slots(0.40, 0.10, 0.10), wear_cost=0.30)) == {"v": 0.0}
    assert setpoints(run(price_car(), prices=slots(0.17, 0.10, 0.10))) == {"v": -16.0}


def test_it_must_refill_before_its_departure_in_known_slots() -> None:
    """Cheap hours after the departure, or none known: it keeps its energy."""
    leaves = price_car(departure=1 * HOUR)
    assert setpoints(run(leaves, prices=slots(0.40, 0.40, 0.10, 0.10))) == {"v": 0.0}
    assert setpoints(run(price_car(), prices=slots(0.40))) == {"v": 0.0}
    no_departure = v2x_car(mode=Mode.PRICE, v2x=battery())
    assert setpoints(run(no_departure, prices=slots(0.40, 0.10))) == {"v": 16.0}  # FAST


def test_a_car_in_a_cheap_hour_charges() -> None:
    """Its own energy wanted, planned in the hour under way: it charges, never sells."""
    wanting = price_car(energy_needed=5000.0)
    result = run(wanting, prices=slots(0.10, 0.40, 0.40))
    assert result.allocations["v"].current > 0
    assert result.allocations["v"].discharge == 0.0


def test_one_plan_for_the_site() -> None:
    """The cheap hours are the site's: another car planned first leaves too little of them.

    20 A of house load: 12 A per phase (8280 W) for the cars. Alone, two cheap hours
    refill the 13 kWh it would sell; with a car that leaves earlier and needs one of
    them, the rest of its refill costs 0.35 (0.463 after losses and wear): it keeps it.
    """
    prices = slots(0.40, 0.10, 0.10, 0.35, 0.35, 0.35, 0.35, 0.35)
    alone = run(price_car("v"), prices=prices, house=20.0)
    assert alone.allocations["v"].reason is LimitReason.DISCHARGING_PRICE
    other = v2x_car("a", mode=Mode.PRICE, v2x=None, energy_needed=8280.0, departure=3 * HOUR)
    shared = run(other, price_car("v"), prices=prices, house=20.0)
    assert shared.allocations["v"].discharge == 0.0
