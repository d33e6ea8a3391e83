"""Scenario files: the shipped ones load and validate; invalid values name their key."""

from __future__ import annotations

from datetime import date
import functools
from pathlib import Path
import tomllib

import pytest

from simulator.site.model import DAY, ScenarioDay
from simulator.site.pv import ClearSkyPv
from simulator.site.scenario import ScenarioError, load_scenario, parse_scenario

SCENARIOS = Path(__file__).parents[3] / "benchmarks" / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))

MINIMAL = """
name = "t"
[site]
latitude = 51.3
longitude = 9.5
grid_limit = 25
[house]
annual_kwh = 3000
[prices]
import = 0.3
[[charger]]
id = "WB"
connectors = 2
[cars.small]
capacity_kwh = 40
phases = 1
[[day]]
name = "d"
date = 2025-05-17
"""
CAR = """
[[day.car]]
charger = "WB"
car = "small"
arrive = "18:00"
depart = "07:00"
energy_kwh = 10
mode = "fast"
"""


@functools.cache
def shipped(name: str) -> tuple[ScenarioDay, ...]:
    """The days of a shipped scenario file (cached)."""
    return tuple(load_scenario(SCENARIOS / name))


def parse(text: str) -> list[ScenarioDay]:
    """Days from TOML text."""
    return parse_scenario(tomllib.loads(text))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_scenario_loads(path: Path) -> None:
    """Each file validates; its days have inputs, chargers, visits and provenance notes."""
    days = shipped(path.name)
    assert days
    for day in days:
        assert day.name.startswith(path.stem)
        assert day.visits
        assert {"run", "site", "house", "pv", "prices", "visits", "energy"} <= set(day.notes)
        keys = {(c.charger_id, n) for c in day.chargers for n in range(1, c.connectors + 1)}
        for v in day.visits:
            assert (v.charger_id, v.connector_id) in keys
            assert 0.0 <= v.arrive < DAY
            assert v.depart > v.arrive
            assert v.mode in {"fast", "min_solar", "solar", "price"}
            room = v.ev.capacity_wh * (v.ev.target_soc - v.ev.initial_soc) / 100.0
            assert v.energy_wh <= room + 1e-6
        assert min(day.house.at(t)[0] for t in range(0, 86_400, 900)) >= 0.0


def test_home_days() -> None:
    """A noon-to-noon weekday with an overnight car and a Saturday with a 1-phase car in solar mode."""
    weekday, saturday = shipped("home.toml")
    assert weekday.start_offset == 43_200.0
    (car,) = weekday.visits
    assert (car.arrive, car.depart) == (6 * 3600.0, 19.5 * 3600.0)
    assert car.energy_wh == 25_000.0
    assert saturday.day == date(2025, 5, 17)
    (car,) = saturday.visits
    assert (car.ev.phases, car.mode) == (1, "solar")
    assert isinstance(saturday.pv, ClearSkyPv)
    assert 20_000.0 < saturday.pv.energy_wh < 40_000.0


def test_office_dc_and_ac_sessions_overlap() -> None:
    """The DC and the 22 kW AC sessions at the HPC station overlap; 8 staff cars on AC."""
    (day,) = shipped("office.toml")
    hpc = [v for v in day.visits if v.charger_id == "HPC"]
    assert len(hpc) == 2
    assert max(v.arrive for v in hpc) < min(v.depart for v in hpc)
    assert len([v for v in day.visits if v.charger_id.startswith("AC")]) == 8
    station = next(c for c in day.chargers if c.charger_id == "HPC")
    assert station.max_current == (76.0, 32.0)
    assert station.station_max_current == 110.0
    # The pool car's booking gives its departure; the DC visitor tells nothing.
    assert [(v.connector_id, v.gives_departure) for v in hpc] == [(1, False), (2, True)]
    assert not any(v.gives_departure for v in day.visits if v.charger_id != "HPC")


def test_depot_fuse_binds_but_the_night_suffices() -> None:
    """50 x 22 kW exceed 400 kVA, while the fleet's energy fits into the night."""
    (day,) = shipped("depot.toml")
    assert len(day.chargers) == 50
    assert len(day.visits) == 50
    assert sum(c.max_current[0] for c in day.chargers) > day.grid_limit
    grid_kwh = sum(v.energy_wh / v.ev.efficiency for v in day.visits) / 1000.0
    night_h = (min(v.depart for v in day.visits) - max(v.arrive for v in day.visits)) / 3600.0
    usable_kw = (day.grid_limit - day.safety_margin) * day.voltage * 3 / 1000.0 - 30.0
    assert grid_kwh < usable_kw * night_h
    assert {v.mode for v in day.visits} == {"price"}  # "cheapest hours", ready by the morning


def test_price_mode_for_a_car_and_a_fleet() -> None:
    """A car and a fleet may pick price mode."""
    text = MINIMAL + CAR.replace('mode = "fast"', 'mode = "price"')
    text += """[day.fleet]
preset = "home"
count = 1
chargers = ["WB"]
cars = { small = 1 }
modes = { price = 1 }
"""
    (day,) = parse(text)
    assert [v.mode for v in day.visits] == ["price", "price"]


def test_overrides_fleets_and_defaults() -> None:
    """Day tables override the file's; a fleet with dwell and explicit distributions; counts."""
    text = MINIMAL.replace('id = "WB"\nconnectors = 2', 'id = "WB"\nconnectors = 2\ncount = 3')
    text += """start = "12:00"
seed = 4
[day.house]
profile = "g0"
[day.battery]
capacity_kwh = 10
max_kw = 5
[day.fleet]
preset = "home"
count = 4
chargers = ["WB*"]
cars = { small = 1 }
modes = { solar = 1 }
arrive = { mean = "17:00", sd_min = 30, min = "16:00", max = "19:00" }
dwell = { mean_h = 10, sd_h = 1, min_h = 8, max_h = 12 }
energy_kwh = { mean = 12, sd = 3, min = 5, max = 20 }
"""
    (day,) = parse(text)
    assert [c.charger_id for c in day.chargers] == ["WB01", "WB02", "WB03"]
    assert len(day.visits) == 4
    assert all(v.mode == "solar" for v in day.visits)
    assert all(4 * 3600.0 <= v.arrive <= 7 * 3600.0 for v in day.visits)
    assert day.battery is not None
    assert "G0" in day.notes["house"]
    assert day.notes["pv"] == "none"
    assert (
        "preset 'home' with the file's distributions: arrive N(17:00, 30 min)"
        in day.notes["visits"]
    )
    assert "dwell N(10 h, 1 h)" in day.notes["visits"]


def test_explicit_car_inline_model_and_default_soc() -> None:
    """EVSpec fields inline; without initial_soc the car arrives with room for its energy."""
    (day,) = parse(
        MINIMAL
        + CAR.replace('car = "small"', "capacity_kwh = 20\nname = 'tiny'").replace(
            "energy_kwh = 10", "energy_kwh = 18"
        )
    )
    (v,) = day.visits
    assert v.ev.name == "tiny"
    assert v.ev.initial_soc == pytest.approx(10.0)
    assert v.depart == pytest.approx(31 * 3600.0)
    (named,) = parse(MINIMAL + CAR)[0].visits
    assert named.ev.name == "small"


BAD = [
    (MINIMAL.replace("grid_limit = 25", "grid_limit = -5"), "site.grid_limit"),
    (MINIMAL.replace("grid_limit = 25", 'grid_limit = "25"'), "site.grid_limit"),
    (MINIMAL.replace("grid_limit = 25\n", ""), "site.grid_limit"),
    (MINIMAL.replace("latitude = 51.3", "latitude = 151.3"), "site.latitude"),
    (MINIMAL.replace("[house]", "[house]\nprofile = 'x1'"), "house.profile"),
    (MINIMAL.replace("[house]", "[house]\nphase_shares = [0.5, 0.5, 0.5]"), "house.phase_shares"),
    (MINIMAL.replace("[house]", "[house]\nappliances = 1"), "house.appliances"),
    (MINIMAL.replace("[house]", "[house]\nanual_kwh = 1"), "house.anual_kwh"),
    (MINIMAL.replace("import = 0.3", "import = [0.3, 0.2]"), "prices.import"),
    (MINIMAL.replace("import = 0.3", "import = [0.3, 'x']"), "prices.import[1]"),
    (
        MINIMAL.replace("connectors = 2", "connectors = 2\nmax_current = [16]"),
        "charger[0].max_current",
    ),
    (MINIMAL.replace("connectors = 2", "connectors = 0"), "charger[0].connectors"),
    (MINIMAL.replace("connectors = 2", "connectors = 2\nphases = 2"), "charger[0].phases"),
    (MINIMAL.replace('id = "WB"', 'id = "WB"\ncount = 0'), "charger[0].count"),
    (MINIMAL + '[[charger]]\nid = "WB"\n', "charger.id"),
    (MINIMAL.replace("phases = 1", "phases = 1\nmin_current = 40"), "cars.small.min_current"),
    (MINIMAL.replace("phases = 1", "phases = 1\ntarget_soc = 120"), "cars.small.target_soc"),
    (MINIMAL.replace("phases = 1", "phases = 1\nwheels = 4"), "cars.small.wheels"),
    (MINIMAL.replace("date = 2025-05-17", 'date = "2025-05-17"'), "day[0].date"),
    (MINIMAL + 'start = "25:00"\n', "day[0].start"),
    (MINIMAL + 'start = "7 am"\n', "day[0].start"),
    (MINIMAL + "[day.pv]\nkwp = 5\ncloudiness = 2\n", "day[0].pv.cloudiness"),
    (MINIMAL + "[day.pv]\nkwp = 5\ntilt = 95\n", "day[0].pv.tilt"),
    (
        MINIMAL + "[day.battery]\ncapacity_kwh = 5\nmax_kw = 2\ninitial_soc = 5\n",
        "day[0].battery.initial_soc",
    ),
    (MINIMAL + CAR.replace('mode = "fast"', 'mode = "turbo"'), "day[0].car[0].mode"),
    (MINIMAL + CAR.replace('mode = "fast"\n', ""), "day[0].car[0].mode"),
    (MINIMAL + CAR.replace('charger = "WB"', 'charger = "XX"'), "day[0].car[0].charger"),
    (
        MINIMAL + CAR.replace('charger = "WB"', 'charger = "WB"\nconnector = 3'),
        "day[0].car[0].connector",
    ),
    (MINIMAL + CAR.replace('car = "small"', 'car = "huge"'), "day[0].car[0].car"),
    (MINIMAL + CAR.replace('"18:00"', '"18h"'), "day[0].car[0].arrive"),
    (MINIMAL + CAR.replace("energy_kwh = 10", "energy_kwh = 50"), "day[0].car[0].energy_kwh"),
    (
        MINIMAL + CAR.replace("energy_kwh = 10", "energy_kwh = 38\ninitial_soc = 50"),
        "day[0].car[0].energy_kwh",
    ),
    (MINIMAL + CAR + CAR.replace('"18:00"', '"20:00"'), "day[0].car[1]"),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['ZZ']\ncars = { small = 1 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.chargers",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = 'WB'\ncars = { small = 1 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.chargers",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { big = 1 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.cars.big",
    ),
    (
        MINIMAL + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\n",
        "day[0].fleet.modes",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 0 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.cars",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = -2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.count",
    ),
    (
        MINIMAL
        + "[day.fleet]\npreset = 'mall'\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\n",
        "day[0].fleet.preset",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\narrive = { mean = '12:00', sd_min = 30, min = '06:00', max = '09:00' }\n",
        "day[0].fleet.arrive.mean",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\ndepart = { mean = '17:00', sd_min = 30, min = '16:00', max = '19:00' }\ndwell = { mean_h = 1, sd_h = 1, min_h = 1, max_h = 2 }\n",
        "day[0].fleet.dwell",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\nenergy_kwh = { median = 10, sigma = 0.5, min = 20, max = 5 }\n",
        "day[0].fleet.energy_kwh.min",
    ),
    (
        MINIMAL
        + "[day.fleet]\ncount = 2\nchargers = ['WB']\ncars = { small = 1 }\nmodes = { fast = 1 }\ndwell = { mean_h = 1, sd_h = 1, min_h = 3, max_h = 2 }\n",
        "day[0].fleet.dwell.min_h",
    ),
    (MINIMAL + "[[day]]\nname = 'd'\ndate = 2025-05-18\n", "day.name"),
    (MINIMAL.replace('[[charger]]\nid = "WB"\nconnectors = 2\n', ""), "charger"),
    (MINIMAL.split("[[day]]")[0], "day"),
    (MINIMAL.replace("[site]", "extra = 1\n[site]"), "extra"),
    (MINIMAL.replace("[house]\nannual_kwh = 3000\n", ""), "house"),
    (MINIMAL.replace("[prices]\nimport = 0.3\n", ""), "prices"),
    (MINIMAL.replace("[site]\n", "[place]\n"), "site"),
    (MINIMAL + "[cars]\nbig = 3\n", "cars.big"),
]


@pytest.mark.parametrize(("text", "key"), BAD, ids=[f"{i}-{key}" for i, (_, key) in enumerate(BAD)])
def test_invalid_values_name_their_key(text: str, key: str) -> None:
    """Each mistake raises a ValueError whose message starts with the key's full name."""
    with pytest.raises(ScenarioError) as caught:
        parse(text)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{key}:"), str(caught.value)


def test_a_file_names_itself_in_errors(tmp_path: Path) -> None:
    """load_scenario puts the path in front; broken TOML is a ValueError too."""
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace("grid_limit = 25", "grid_limit = 0"))
    with pytest.raises(ValueError, match=r"bad\.toml: site\.grid_limit: must be positive"):
        load_scenario(bad)
    bad.write_text("name = ")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_scenario(bad)
