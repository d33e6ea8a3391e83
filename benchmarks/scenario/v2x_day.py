"""One V2X day: every controller on the simulated site, the optimum, and their metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
import time

import numpy as np

from simulator.site.model import ScenarioDay

from .v2x_engine import EngineController
from .v2x_interface import V2XController
from .v2x_metrics import V2XMetrics, reaction_time, summarize_v2x
from .v2x_optimum import V2XOptimum, solve_v2x_optimum
from .v2x_rule import RuleV2H
from .v2x_run import V2XTrace, run_v2x

OPTIMUM = "optimum"
# The same LP without discharge: what holding the fuse and the cap costs at best.
OPTIMUM_CHARGE_ONLY = "optimum charge-only"


@dataclass(slots=True)
class V2XDay:
    """What every strategy did on one day (`ours` names the row of the day's objective)."""

    day: ScenarioDay
    ours: str
    rows: dict[str, V2XMetrics] = field(default_factory=dict)
    traces: dict[str, V2XTrace] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    optimum: V2XOptimum | None = None


def controllers(day: ScenarioDay) -> list[V2XController]:
    """Ours with the day's objective (and any other it names), then the two baselines."""
    if day.v2x is None:
        raise ValueError(f"{day.name} is not a V2X day (no [v2x] table)")
    ours: list[V2XController] = [EngineController(day)]
    ours.extend(EngineController(day, objective) for objective in day.v2x.also)
    return [*ours, EngineController(day, charge_only=True), RuleV2H()]


def trace_metrics(day: ScenarioDay, trace: V2XTrace) -> V2XMetrics:
    """The metrics of a simulated run (one sample per step, held for the step)."""
    times = np.arange(len(trace.grid)) * trace.step
    return summarize_v2x(
        grid_current=trace.grid_array(),
        step_s=trace.step,
        fuse=day.grid_limit,
        import_cap=trace.array("cap"),
        voltage=day.voltage,
        import_price=np.array([day.prices.import_price(float(t)) for t in times]),
        export_price=np.array([day.prices.export_price(float(t)) for t in times]),
        sessions=trace.sessions,
        wear_eur_per_kwh=day.v2x.wear_eur_per_kwh if day.v2x else 0.0,
        reaction_s=reaction_time(day),
    )


def run_day(day: ScenarioDay, *, until: float | None = None) -> V2XDay:
    """Run every controller over the day and solve its optimum."""
    chosen = controllers(day)
    result = V2XDay(day=day, ours=chosen[0].name)
    for controller in chosen:
        started = time.perf_counter()
        trace = run_v2x(day, controller) if until is None else run_v2x(day, controller, until=until)
        result.seconds[controller.name] = time.perf_counter() - started
        result.traces[controller.name] = trace
        result.rows[controller.name] = trace_metrics(day, trace)
        if isinstance(controller, EngineController):
            result.calls[controller.name] = controller.calls
    started = time.perf_counter()
    result.optimum = solve_v2x_optimum(day)
    result.seconds[OPTIMUM] = time.perf_counter() - started
    result.rows[OPTIMUM] = result.optimum.metrics
    started = time.perf_counter()
    result.rows[OPTIMUM_CHARGE_ONLY] = solve_v2x_optimum(day, discharge=False).metrics
    result.seconds[OPTIMUM_CHARGE_ONLY] = time.perf_counter() - started
    return result
