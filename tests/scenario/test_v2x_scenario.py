"""The V2X keys of a scenario file, and the three V2X days that ship."""

from __future__ import annotations

from pathlib import Path
import tomllib

import pytest

from simulator.site.load_steps import SteppedLoad
from simulator.site.model import Bidirectional, GridEvent
from simulator.site.scenario import ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parents[2] / "benchmarks" / "scenarios"

SITE = """
name = "t"
[site]
latitude = 52.4
longitude = 9.7
grid_limit = 32
export_limit_kw = 5
[house]
annual_kwh = 3000
[prices]
import = 0.3
export = 0.08
[v2x]
objective = "peak_shaving"
also = ["price"]
wear_eur_per_kwh = 0.04
[[charger]]
id = "D"
count = 2
bidirectional = true
dc = true
[cars.van]
capacity_kwh = 80
max_discharge_current = 12
min_soc = 8
[[day]]
name = "d"
date = 2025-10-14
start = "12:00"
[[day.grid_event]]
from = "19:00"
to = "21:00"
import_cap_kw = 10
[[day.load_step]]
name = "kiln"
from = "11:00"
to = "11:30"
kw = [6, 4.5, 4.5]
"""
CAR = """
[[day.car]]
charger = "D01"
car = "van"
arrive = "18:00"
depart = "06:30"
initial_soc = 40
target_soc = 90
reserve_soc = 25
mode = "price"
"""
FLEET = """
[day.fleet]
preset = "depot"
count = 1
chargers = ["D02"]
cars = { van = 1 }
modes = { price = 1 }
min_arrival_soc = 30
reserve_soc = 20
"""


def parse(text: str) -> list:  # type: ignore[type-arg]
    """The days of a scenario text."""
    return parse_scenario(tomllib.loads(text))


def test_v2x_keys() -> None:
    """Bidirectional DC chargers, a V2X car, its reserve and target, events, steps, limits."""
    (day,) = parse(SITE + CAR + FLEET)
    assert all(plan.bidirectional and plan.dc for plan in day.chargers)
    assert day.export_limit == 5000.0
    assert day.v2x.objective == "peak_shaving"
    assert day.v2x.also == ("price",)
    assert day.v2x.wear_eur_per_kwh == 0.04
    # 19:00-21:00 on a run from noon: 7 h to 9 h after the start.
    assert day.grid_events == (GridEvent(start=7 * 3600.0, end=9 * 3600.0, import_cap=10_000.0),)
    # 11:00 on a run from noon is the next morning.
    assert isinstance(day.house, SteppedLoad)
    assert day.house.steps[0].start == 23 * 3600.0
    explicit = next(v for v in day.visits if v.charger_id == "D01")
    assert explicit.v2x == Bidirectional(max_discharge_current=12.0, min_soc=8.0)
    assert explicit.reserve_soc == 25.0
    # No energy_kwh: what takes it from 40 % to 90 %.
    assert explicit.energy_wh == pytest.approx(40_000.0)
    fleet = next(v for v in day.visits if v.charger_id == "D02")
    assert fleet.v2x is not None
    assert fleet.reserve_soc == 20.0
    assert fleet.ev.initial_soc >= 30.0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (SITE.replace("count = 2\n", "count = 2\nphases = 1\n"), "charger[0].dc"),
        (SITE.replace('objective = "peak_shaving"', 'objective = "sunshine"'), "v2x.objective"),
        (SITE.replace("kw = [6, 4.5, 4.5]", "kw = [6]"), "load_step[0].kw"),
        (SITE.replace("max_discharge_current = 12\n", ""), "cars.van.min_soc"),
    ],
)
def test_invalid_v2x_keys_are_named(text: str, key: str) -> None:
    """A wrong V2X key names itself."""
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.").replace("[", r"\[")):
        parse(text + CAR)


@pytest.mark.parametrize("name", ["home-v2h", "depot-grid-event", "office-fuse"])
def test_shipped_v2x_days(name: str) -> None:
    """Every shipped V2X day has its objective, bidirectional cars with a reserve and a target."""
    (day,) = load_scenario(SCENARIOS / f"{name}.toml")
    assert day.name == name
    assert day.v2x is not None
    assert day.visits
    for visit in day.visits:
        assert visit.v2x is not None
        assert visit.reserve_soc > 0
        assert visit.ev.initial_soc >= visit.reserve_soc
    if name == "depot-grid-event":
        assert 10 <= len(day.visits) <= 20
        assert day.grid_events
