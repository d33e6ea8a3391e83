"""Metrics on small arrays with exact expected numbers."""

from __future__ import annotations

from dataclasses import replace
import math
from typing import Any

import pytest

from benchmarks.scenario.metrics import Metrics, compare, format_comparison, format_table, summarize
from simulator.ev import EVSpec
from simulator.site.driver import requested_grid_wh
from simulator.site.model import Visit


def run(**changes: Any) -> Metrics:
    """Four 450 s steps (0.125 h each) with a fuse of 25 A, unless changed."""
    arrays: dict[str, Any] = {
        "grid_current": [[10, 10, 10], [26, 24, 27], [25, 25, 25], [-5, -5, -5]],
        "step_s": 450.0,
        "fuse": 25.0,
        "delivered_wh": [10_000, 4_000, 4_600],
        "requested_wh": [10_000, 5_000, 5_000],
        "pv_w": [0, 0, 4_000, 8_000],
        "import_w": [4_000, 8_000, 2_000, 0],
        "export_w": [0, 0, 0, 3_450],
        "import_price": [0.2, 0.4, 0.2, 0.2],
        "export_price": [0.1, 0.1, 0.1, 0.1],
    } | changes
    return summarize(**arrays)


def test_fuse() -> None:
    """Only step 1 is above (by 1 and 2 A); exactly at the fuse is not above."""
    metrics = run()
    assert metrics.seconds_above_fuse == 450.0
    assert metrics.ampere_seconds_above_fuse == 1350.0
    assert metrics.max_excess_a == 2.0


def test_fuse_per_phase() -> None:
    """A per-phase fuse is compared phase by phase."""
    metrics = run(fuse=(26.0, 25.0, 27.0))
    assert metrics.seconds_above_fuse == 0.0
    assert run(fuse=(30.0, 30.0, 24.0)).ampere_seconds_above_fuse == (3 + 1) * 450


def test_energy() -> None:
    """18.6 of 20 kWh; the car 1 kWh short counts, the one 0.4 kWh short does not."""
    metrics = run()
    assert metrics.energy_delivered_kwh == pytest.approx(18.6)
    assert metrics.energy_requested_kwh == pytest.approx(20.0)
    assert metrics.energy_delivered_pct == pytest.approx(93.0)
    assert (metrics.cars, metrics.cars_short) == (3, 1)


def test_pv_self_consumption() -> None:
    """1.5 kWh PV, 0.43125 kWh exported -> 71.25 %; no PV -> 100 %."""
    metrics = run()
    assert metrics.pv_energy_kwh == pytest.approx(1.5)
    assert metrics.export_kwh == pytest.approx(0.43125)
    assert metrics.pv_self_consumption_pct == pytest.approx(71.25)
    assert run(pv_w=[0, 0, 0, 0]).pv_self_consumption_pct == 100.0


def test_cost() -> None:
    """(4000*0.2 + 8000*0.4 + 2000*0.2) W * 0.125 h = 0.55 EUR; export earns 0.043125."""
    metrics = run()
    assert metrics.import_kwh == pytest.approx(1.75)
    assert metrics.import_cost_eur == pytest.approx(0.55)
    assert metrics.net_cost_eur == pytest.approx(0.506875)


def test_peaks() -> None:
    """Instantaneous 8 kW; clock-aligned quarter hours (4 + 8) / 2 = 6 kW."""
    metrics = run()
    assert metrics.peak_import_kw == pytest.approx(8.0)
    assert metrics.peak_import_15min_kw == pytest.approx(6.0)


def test_peak_partial_window() -> None:
    """600 s steps: [0, 900) mixes both steps (4 kW), the trailing [900, 1200) is 6 kW."""
    metrics = run(
        grid_current=[[0, 0, 0]] * 2,
        step_s=600.0,
        pv_w=[0, 0],
        import_w=[3_000, 6_000],
        export_w=[0, 0],
        import_price=[0, 0],
        export_price=[0, 0],
    )
    assert metrics.peak_import_15min_kw == pytest.approx(6.0)


def test_requested_grid_wh() -> None:
    """The battery takes min(wish, room to the target SoC); the grid gives that / efficiency."""
    ev = EVSpec(capacity_wh=50_000, initial_soc=80, target_soc=100, efficiency=0.8)
    visit = Visit(charger_id="A", connector_id=1, arrive=0, depart=3600, energy_wh=20_000, ev=ev)
    assert requested_grid_wh(visit) == pytest.approx(12_500)
    assert requested_grid_wh(replace(visit, energy_wh=4_000)) == pytest.approx(5_000)


def test_compare() -> None:
    """Ratios against the optimum and the goals."""
    optimum = run()
    ours = replace(
        optimum,
        energy_delivered_kwh=optimum.energy_delivered_kwh * 0.99,
        pv_self_consumption_pct=optimum.pv_self_consumption_pct * 0.9,
        net_cost_eur=optimum.net_cost_eur * 1.02,
        seconds_above_fuse=0.0,
    )
    result = compare(ours, optimum)
    assert result.energy_pct == pytest.approx(99.0)
    assert result.pv_self_consumption_pct == pytest.approx(90.0)
    assert result.net_cost_pct == pytest.approx(102.0)
    assert (result.energy_ok, result.pv_ok, result.cost_ok, result.fuse_ok) == (
        True,
        False,
        True,
        True,
    )
    assert not result.all_ok
    assert not compare(optimum, optimum).fuse_ok


def test_compare_negative_and_zero_cost() -> None:
    """A negative optimum cost (export earns) compares by the excess over its magnitude."""
    optimum = replace(run(), net_cost_eur=-2.0)
    assert compare(replace(optimum, net_cost_eur=-1.0), optimum).net_cost_pct == 150.0
    free = replace(optimum, net_cost_eur=0.0)
    assert compare(free, free).net_cost_pct == 100.0
    assert math.isinf(compare(replace(free, net_cost_eur=0.1), free).net_cost_pct)


def test_tables() -> None:
    """One markdown row per strategy."""
    metrics = run()
    table = format_table({"optimum": metrics, "ours": metrics}).splitlines()
    assert len(table) == 4
    assert table[0].startswith("| strategy | energy kWh")
    assert table[2].startswith("| optimum | 18.6 / 20.0 | 93.0 | 1 / 3 | 450 | 1350 | 2.0 |")
    comparison = format_comparison({"ours": compare(metrics, metrics)}).splitlines()
    assert comparison[2] == "| ours | 100.0 ✓ | 100.0 ✓ | 100.0 ✓ | 450 ✗ |"
