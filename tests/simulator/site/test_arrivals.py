"""Fleets of visits: seeded, no overlaps on a connector, distributions as specified."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
import statistics
from typing import Any

import numpy as np
import pytest

from simulator.ev import EVSpec
from simulator.site.arrivals import PRESETS, FleetSpec, LogNormal, TruncNormal, generate_visits
from simulator.site.model import Visit

CAR = EVSpec(name="big", capacity_wh=100_000.0)
SMALL = EVSpec(name="phev", capacity_wh=10_000.0, phases=1)


def fleet(preset: str = "workplace", count: int = 20, **changes: Any) -> FleetSpec:
    """A fleet of a preset with two car models and two modes."""
    p = PRESETS[preset]
    spec = FleetSpec(
        count=count,
        arrive_h=p.arrive_h,
        depart_h=p.depart_h,
        energy_kwh=p.energy_kwh,
        cars=((CAR, 3.0), (SMALL, 1.0)),
        modes=(("fast", 1.0), ("min_solar", 1.0)),
    )
    return replace(spec, **changes)


def connectors(n: int) -> list[tuple[str, int]]:
    """`n` single-connector chargers."""
    return [(f"C{i}", 1) for i in range(n)]


def assert_no_overlaps(visits: tuple[Visit, ...] | list[Visit]) -> None:
    """No two visits on one connector at once."""
    by_connector: dict[tuple[str, int], list[Visit]] = {}
    for v in visits:
        by_connector.setdefault((v.charger_id, v.connector_id), []).append(v)
    for stays in by_connector.values():
        stays.sort(key=lambda v: v.arrive)
        for a, b in pairwise(stays):
            assert a.depart <= b.arrive


def test_seeded() -> None:
    """The same seed draws the same visits; another seed others."""
    one = generate_visits(fleet(), connectors(20), seed=1)
    assert one == generate_visits(fleet(), connectors(20), seed=1)
    assert one != generate_visits(fleet(), connectors(20), seed=2)


def test_cars_share_connectors_without_overlaps() -> None:
    """More cars than connectors: each takes a free one or is counted as unplaced."""
    draw = generate_visits(
        fleet(count=40, dwell_h=TruncNormal(mean=1.0, sd=0.5, low=0.5, high=2.0), depart_h=None),
        connectors(5),
        seed=3,
    )
    assert len(draw.visits) + draw.unplaced == 40
    assert len(draw.visits) > 5  # short stays: connectors are used more than once
    assert_no_overlaps(draw.visits)
    for v in draw.visits:
        assert v.depart - v.arrive >= 0.5 * 3600.0 - 1.0


def test_busy_connectors_are_respected() -> None:
    """An explicit car's connector is not given to a fleet car while it stays."""
    busy = Visit(
        charger_id="C0", connector_id=1, arrive=0.0, depart=86_400.0, energy_wh=1.0, ev=CAR
    )
    draw = generate_visits(fleet(count=3), connectors(3), seed=4, busy=[busy])
    assert draw.unplaced == 1
    assert all(v.charger_id != "C0" for v in draw.visits)


def test_workplace_moments() -> None:
    """Arrivals around 08:30, departures around 17:00, energy median near 10 kWh."""
    draw = generate_visits(fleet(count=400), connectors(400), seed=5)
    arrive = [v.arrive / 3600.0 for v in draw.visits]
    depart = [v.depart / 3600.0 for v in draw.visits]
    big = [v.energy_wh / 1000.0 for v in draw.visits if v.ev.capacity_wh == CAR.capacity_wh]
    assert statistics.mean(arrive) == pytest.approx(8.5, abs=0.15)
    assert statistics.stdev(arrive) == pytest.approx(0.95, abs=0.15)
    assert min(arrive) >= 6.5
    assert max(arrive) <= 11.0
    assert statistics.mean(depart) == pytest.approx(17.0, abs=0.15)
    assert statistics.median(big) == pytest.approx(10.0, rel=0.15)
    assert 10.5 < statistics.mean(big) < 14.0
    modes = {v.mode for v in draw.visits}
    assert modes == {"fast", "min_solar"}


def test_energy_fits_the_car() -> None:
    """A small battery caps the wanted energy; the arrival SoC leaves room for it."""
    draw = generate_visits(fleet(count=200), connectors(200), seed=6)
    for v in draw.visits:
        room = v.ev.capacity_wh * (v.ev.target_soc - v.ev.initial_soc) / 100.0
        assert v.energy_wh <= room + 1e-6
        assert v.ev.initial_soc >= 5.0
    assert any(v.ev.name == "phev" and v.energy_wh == pytest.approx(9_500.0) for v in draw.visits)


def test_depot_runs_from_noon_and_home_cars_stay_overnight() -> None:
    """With a noon start the vans arrive 4-7 h in and leave 17-19 h in."""
    draw = generate_visits(fleet("depot", count=50), connectors(50), seed=7, start_offset=43_200.0)
    assert len(draw.visits) == 50
    assert all(4 * 3600.0 <= v.arrive <= 7 * 3600.0 for v in draw.visits)
    assert all(17 * 3600.0 <= v.depart <= 19 * 3600.0 for v in draw.visits)
    assert all(v.energy_wh >= 39_999.0 for v in draw.visits if v.ev.name == "big")
    home = generate_visits(fleet("home", count=30), connectors(30), seed=8)
    assert all(v.depart > 86_400.0 for v in home.visits)


def test_arrivals_before_the_run_start_move_to_the_next_day() -> None:
    """A workplace fleet in a run from noon arrives the next morning."""
    draw = generate_visits(fleet(count=5), connectors(5), seed=9, start_offset=43_200.0)
    assert all(v.arrive >= 18 * 3600.0 for v in draw.visits)


def test_distributions() -> None:
    """Truncation holds; a zero sd gives the mean; bad parameters fail."""
    rng = np.random.default_rng(0)
    tn = TruncNormal(mean=0.0, sd=1.0, low=-0.5, high=2.0)
    values = [tn.draw(rng) for _ in range(2000)]
    assert min(values) >= -0.5
    assert max(values) <= 2.0
    assert TruncNormal(mean=5.0, sd=0.0, low=0.0, high=3.0).draw(rng) == 3.0
    ln = LogNormal(median=10.0, sigma=0.6, low=2.0, high=50.0)
    assert statistics.median(ln.draw(rng) for _ in range(2000)) == pytest.approx(10.0, rel=0.1)
    with pytest.raises(ValueError, match="truncated normal"):
        TruncNormal(mean=0.0, sd=-1.0, low=0.0, high=1.0)
    with pytest.raises(ValueError, match="lognormal"):
        LogNormal(median=0.0, sigma=1.0, low=1.0, high=2.0)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"count": -1}, "count"),
        ({"depart_h": None}, "depart_h or dwell_h"),
        ({"cars": ()}, "cars"),
        ({"modes": (("fast", 0.0),)}, "modes"),
    ],
)
def test_invalid_fleets(changes: dict[str, Any], match: str) -> None:
    """Nonsense fleets fail at once."""
    with pytest.raises(ValueError, match=match):
        fleet(**changes)
