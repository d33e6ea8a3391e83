"""The rule-based V2H baseline on hand-made observations."""

from __future__ import annotations

from typing import Any

from benchmarks.scenario.interface import PhaseCurrents
from benchmarks.scenario.v2x_interface import V2XConnectorView, V2XObservation
from benchmarks.scenario.v2x_rule import RuleV2H


def car(key: str = "A/1", **changes: Any) -> V2XConnectorView:
    """A plugged-in 3-phase bidirectional car at 60 % with a 30 % reserve, idle."""
    fields: dict[str, Any] = {
        "key": key,
        "station_id": key.split("/")[0],
        "plugged": True,
        "arrived_at": 0.0,
        "departure": 3600.0,
        "reading": (0.0, 0.0, 0.0),
        "reading_at": 0.0,
        "current_now": 0.0,
        "soc": 60.0,
        "capacity_wh": 60_000.0,
        "reserve_soc": 30.0,
        "target_soc": 80.0,
        "phases": (0, 1, 2),
        "dc": True,
        "min_current": 6.0,
        "max_current": 16.0,
        "max_discharge": 16.0,
        "mode": "fast",
        "full": False,
        "setpoint": None,
    } | changes
    return V2XConnectorView(**fields)


def observe(
    *views: V2XConnectorView, grid: PhaseCurrents = (3.0, 2.0, 1.0), fresh: bool = True
) -> V2XObservation:
    """A 25 A site whose meter reads `grid` (just now, unless `fresh` is False)."""
    return V2XObservation(
        now=10.0,
        grid_limit=(25.0, 25.0, 25.0),
        grid_current=grid,
        meter_at=10.0 if fresh else 8.0,
        pv_power=0.0,
        voltage=230.0,
        import_cap=None,
        export_limit=None,
        connectors=views,
    )


def test_covers_the_house_import_above_the_reserve() -> None:
    """6 A of house import, netted over the phases: 2 A per phase from a 3-phase car."""
    assert RuleV2H().step(observe(car())) == {"A/1": -2.0}


def test_the_house_import_is_the_meter_less_the_car() -> None:
    """The meter shows the car's own -2 A: the house still imports 6 A; nothing changes."""
    view = car(current_now=-2.0, setpoint=-2.0)
    assert RuleV2H().step(observe(view, grid=(1.0, 0.0, -1.0))) == {}


def test_at_the_reserve_or_without_import_it_charges_at_max() -> None:
    """At its reserve, or when the site exports, a car charges at its maximum."""
    assert RuleV2H().step(observe(car(soc=30.0))) == {"A/1": 16.0}
    assert RuleV2H().step(observe(car(), grid=(-3.0, -3.0, -3.0))) == {"A/1": 16.0}


def test_cars_share_and_others_charge() -> None:
    """Two cars above their reserve share; a car that cannot discharge charges at max."""
    views = (car("A/1"), car("B/1"), car("C/1", max_discharge=0.0, max_current=10.0))
    assert RuleV2H().step(observe(*views, grid=(4.0, 4.0, 4.0))) == {
        "A/1": -2.0,
        "B/1": -2.0,
        "C/1": 10.0,
    }


def test_acts_on_fresh_meter_readings_only() -> None:
    """Between meter readings it changes nothing."""
    assert RuleV2H().step(observe(car(), fresh=False)) == {}
