"""The scenario benchmark: our balancer against the baselines and the offline optimum.

For every day of every scenario file in `benchmarks/scenarios/` (or those named in
SCENARIO, e.g. `SCENARIO=home`), it runs 24 h of the site:

- ours: Home Assistant with the integration, simulated chargers over real websockets,
  the grid meter and PV as HA sensors (see `scenario/ours.py`);
- the baselines on the same simulated site: uncontrolled, static equal split and
  evcc-style (see `scenario/baselines.py`);
- the offline optimum with perfect foresight, a linear program (see `scenario/optimum.py`);

then prints a table of every strategy's metrics and how ours compares with the optimum,
and writes `benchmarks/results/<day>.md` and `docs/scenarios/<day>.png`.

A V2X day (a file with a `[v2x]` table) runs the engine in the loop instead, with signed
setpoints, against "charge-only smart charging", "rule-based V2H" and the V2X optimum (see
`scenario/v2x_day.py`), and writes `benchmarks/results/<day>.md`.

    .venv/bin/python -m benchmarks.scenario            # all scenarios
    .venv/bin/python -m benchmarks.scenario home       # one

SCENARIO_TRACES=dir saves every strategy's per-second traces there; SCENARIO_OURS_ONLY=1
skips the baselines and writes no result file or plot (a quick look at a change).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
import time
from typing import Any

from homeassistant.core import HomeAssistant
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.site.model import ScenarioDay
from simulator.site.scenario import load_scenario

from .scenario.baselines import EvccStyle, StaticSplit, Uncontrolled
from .scenario.evaluate import trace_metrics
from .scenario.interface import Controller
from .scenario.metrics import SHORT_MARGIN_WH, Metrics, compare, format_comparison, format_table
from .scenario.offline import run_offline
from .scenario.optimum import solve_optimum
from .scenario.ours import run_ours, site_options
from .scenario.plots import Series, plot_day, resample
from .scenario.trace import Trace
from .scenario.v2x_day import run_day
from .scenario.v2x_report import report

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "benchmarks" / "scenarios"
RESULTS = ROOT / "benchmarks" / "results"
PLOTS = ROOT / "docs" / "scenarios"


def _days(*, v2x: bool) -> list[ScenarioDay]:
    wanted = {name for name in os.environ.get("SCENARIO", "").split(",") if name}
    return [
        day
        for path in sorted(SCENARIOS.glob("*.toml"))
        if not wanted or path.stem in wanted
        for day in load_scenario(path)
        if (day.v2x is not None) == v2x
    ]


@pytest.fixture(params=_days(v2x=False), ids=lambda day: day.name)
def day(request: pytest.FixtureRequest) -> ScenarioDay:
    """One scenario day."""
    scenario_day: ScenarioDay = request.param
    return scenario_day


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("v2x_day", _days(v2x=True), ids=lambda day: day.name)
def test_v2x_scenario(v2x_day: ScenarioDay) -> None:
    """Run ours (the engine in the loop), the baselines and the optimum over a V2X day."""
    result = run_day(v2x_day)
    text = report(result)
    print(f"\n{text}")
    if os.environ.get("SCENARIO_OURS_ONLY"):
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{v2x_day.name}.md").write_text(text)


@pytest.fixture
def entry_options(day: ScenarioDay) -> dict[str, Any]:
    """The integration configured the way this site's owner would."""
    return site_options(day)


def _baselines(day: ScenarioDay) -> list[Controller]:
    if os.environ.get("SCENARIO_OURS_ONLY"):
        return []
    return [Uncontrolled(), StaticSplit(day.static_base_load), EvccStyle()]


@pytest.mark.timeout(3600)
async def test_scenario(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, day: ScenarioDay
) -> None:
    """Run every strategy over the day and report (SCENARIO_TRACES=dir: save the traces)."""
    hass.loop.set_debug(False)  # the test harness's asyncio debug mode; HA runs without it
    for name in ("ocpp", "custom_components.smart_charging", "homeassistant", "simulator"):
        logging.getLogger(name).setLevel(logging.ERROR)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    started = time.perf_counter()
    traces = [await run_ours(hass, mock_config_entry, day)]
    seconds = {"ours": time.perf_counter() - started}
    for controller in _baselines(day):
        started = time.perf_counter()
        traces.append(await run_offline(day, controller))
        seconds[controller.name] = time.perf_counter() - started
    started = time.perf_counter()
    optimum = solve_optimum(day)
    seconds["optimum"] = time.perf_counter() - started

    if dump := os.environ.get("SCENARIO_TRACES"):
        _dump(Path(dump) / f"{day.name}.npz", traces)
    rows: dict[str, Metrics] = {trace.strategy: trace_metrics(day, trace) for trace in traces}
    rows["optimum"] = optimum.metrics
    comparison = {name: compare(metrics, optimum.metrics) for name, metrics in rows.items()}
    report = _report(day, rows, comparison, seconds) + _shortfalls(traces)
    print(f"\n{report}")
    if os.environ.get("SCENARIO_OURS_ONLY"):
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{day.name}.md").write_text(report)

    start_hour = day.start_offset / 3600
    series = {
        trace.strategy: resample(
            trace.step, trace.grid_array(), trace.array("ev"), trace.array("pv"), start_hour
        )
        for trace in traces
    }
    steps = len(optimum.import_w)
    series["optimum"] = Series(
        hours=start_hour + (np.arange(steps) + 0.5) * optimum.step_s / 3600,
        grid=optimum.grid_current,
        ev=optimum.ev_power.sum(axis=0),
        pv=np.zeros(steps),  # the PV panel shows ours: the same sun
    )
    plot_day(PLOTS / f"{day.name}.png", f"{day.name}: {day.description}", day.grid_limit, series)


def _dump(path: Path, traces: list[Trace]) -> None:
    """Save every strategy's per-second grid current and EV power, for a closer look."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {}
    for trace in traces:
        arrays[f"{trace.strategy}_grid"] = trace.grid_array()
        arrays[f"{trace.strategy}_ev"] = trace.array("ev")
        arrays[f"{trace.strategy}_pv"] = trace.array("pv")
        for key, amps in trace.connector_current.items():
            arrays[f"{trace.strategy}_connector_{key}"] = np.asarray(amps)
    np.savez_compressed(path, **arrays)


def _shortfalls(traces: list[Trace]) -> str:
    """Which cars left with less than they asked for, per strategy."""
    lines = []
    for trace in traces:
        for label, got, wanted in zip(
            trace.session_labels, trace.delivered_wh, trace.requested_wh, strict=True
        ):
            if got < wanted - SHORT_MARGIN_WH:
                lines.append(
                    f"- {trace.strategy}: {label}: {got / 1000:.1f} of {wanted / 1000:.1f} kWh"
                )
    return "\nCars that left short:\n\n" + "\n".join(lines) + "\n" if lines else ""


def _report(
    day: ScenarioDay,
    rows: dict[str, Metrics],
    comparison: dict[str, Any],
    seconds: dict[str, float],
) -> str:
    inputs = "\n".join(f"- {key}: {value}" for key, value in day.notes.items())
    timing = ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
    return (
        f"### {day.name}\n\n{day.description}\n\n{inputs}\n\n"
        f"{format_table(rows)}\n\n"
        f"Against the offline optimum (goals: energy >= 98 %, PV self-consumption >= 95 %, "
        f"net cost <= 103 %, 0 s above the fuse):\n\n{format_comparison(comparison)}\n\n"
        f"Run time: {timing}.\n"
    )
