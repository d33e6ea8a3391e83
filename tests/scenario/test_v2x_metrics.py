"""V2X metrics: promises to the driver, excursions beyond the reaction time, wear and cost."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from benchmarks.scenario.v2x_metrics import (
    SessionResult,
    cost_pct,
    excursions,
    reaction_time,
    summarize_v2x,
)

from .v2x_site import bidi_visit, v2x_day


def session(**changes: Any) -> SessionResult:
    """A 50 kWh car that left at its 80 % target, never below its 30 % reserve."""
    fields: dict[str, Any] = {
        "label": "A/1",
        "target_soc": 80.0,
        "departure_soc": 80.0,
        "capacity_wh": 50_000.0,
        "reserve_soc": 30.0,
        "min_soc": 40.0,
        "seconds_below_reserve": 0.0,
        "charged_wh": 20_000.0,
        "discharged_wh": 0.0,
    } | changes
    return SessionResult(**fields)


def summarize(grid: list[tuple[float, float, float]], **changes: Any) -> Any:
    """Metrics of 1 s steps at 230 V against a 25 A fuse, 0.30/0.10 EUR, wear 0.05."""
    n = len(grid)
    fields: dict[str, Any] = {
        "grid_current": grid,
        "step_s": 1.0,
        "fuse": 25.0,
        "import_cap": np.full(n, np.inf),
        "voltage": 230.0,
        "import_price": np.full(n, 0.30),
        "export_price": np.full(n, 0.10),
        "sessions": [session()],
        "wear_eur_per_kwh": 0.05,
        "reaction_s": 5.0,
    } | changes
    return summarize_v2x(**fields)


def test_excursions_beyond_the_reaction_time() -> None:
    """Runs of 3 and 8 s with 5 s allowed each: 11 s in all, 3 s beyond."""
    mask = [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert excursions(mask, 1.0, 5.0) == (11.0, 3.0)
    assert excursions([0, 0], 1.0, 5.0) == (0.0, 0.0)
    assert excursions([1, 1, 1], 2.0, 5.0) == (6.0, 1.0)


def test_reaction_time_is_meter_period_and_slowest_car() -> None:
    """2 s meter period + the slowest car's 4 s delay and 16 A at 100 A/s."""
    slow = bidi_visit(ev=replace(bidi_visit().ev, response_delay=4.0))
    assert reaction_time(v2x_day(bidi_visit(), slow)) == pytest.approx(6.16)
    # A car that ramps at 5 A/s takes 3.2 s more to give its 16 A.
    ramping = bidi_visit(ev=replace(bidi_visit().ev, ramp_rate=5.0))
    assert reaction_time(v2x_day(ramping)) == pytest.approx(5.2)


def test_fuse_and_cap_counted_beyond_reaction() -> None:
    """7 s over the fuse on L2 and over a 10 kW cap: 2 s beyond the 5 s allowed, each."""
    over = [(10.0, 26.0, 10.0)] * 7
    under = [(10.0, 10.0, 10.0)] * 3
    cap = np.full(10, 10_000.0)
    m = summarize(under[:1] + over + under[1:], import_cap=cap)
    assert (m.fuse_seconds, m.fuse_seconds_beyond, m.max_fuse_excess_a) == (7.0, 2.0, 1.0)
    # 46 A * 230 V = 10.58 kW against 10 kW.
    assert (m.cap_seconds, m.cap_seconds_beyond) == (7.0, 2.0)
    assert m.max_cap_excess_kw == pytest.approx(0.58)


def test_no_cap_never_counts() -> None:
    """Without a cap (inf) any import is fine; export never counts against the fuse."""
    m = summarize([(100.0, 100.0, 100.0), (-40.0, -40.0, -40.0)])
    assert m.cap_seconds == 0.0
    assert m.fuse_seconds == 1.0


def test_targets_and_reserve() -> None:
    """Within 100 Wh of its target a car counts; the reserve's seconds add up."""
    sessions = [
        session(departure_soc=79.9),  # 50 Wh short: at target
        session(departure_soc=79.0, seconds_below_reserve=12.0),  # 500 Wh short
    ]
    m = summarize([(0.0, 0.0, 0.0)], sessions=sessions)
    assert (m.cars, m.cars_at_target, m.at_target_pct) == (2, 1, 50.0)
    assert m.shortfall_kwh == pytest.approx(0.5)
    assert m.seconds_below_reserve == 12.0


def test_net_cost_with_export_price_and_wear() -> None:
    """1 h of 3x10 A import, 1 h of 3x10 A export, 4 kWh discharged at 0.05 EUR wear."""
    hour = 3600
    grid = [(10.0, 10.0, 10.0)] * hour + [(-10.0, -10.0, -10.0)] * hour
    m = summarize(grid, sessions=[session(discharged_wh=4000.0)])
    assert m.import_kwh == pytest.approx(6.9)
    assert m.export_kwh == pytest.approx(6.9)
    assert m.wear_eur == pytest.approx(0.2)
    assert m.net_cost_eur == pytest.approx(6.9 * 0.30 - 6.9 * 0.10 + 0.2)


def test_cost_pct() -> None:
    """Extra cost in % of the optimum's |net cost|."""
    assert cost_pct(10.3, 10.0) == pytest.approx(103.0)
    assert cost_pct(-0.5, -1.0) == pytest.approx(150.0)
    assert cost_pct(0.0, 0.0) == 100.0
