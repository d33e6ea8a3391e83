"""Turn a strategy's trace into the benchmark's metrics."""

from __future__ import annotations

import numpy as np

from simulator.site.model import ScenarioDay

from .metrics import Metrics, summarize
from .trace import Trace


def trace_metrics(day: ScenarioDay, trace: Trace) -> Metrics:
    """The metrics of a simulated run (1 sample per step, held for the step)."""
    grid = trace.grid_array()
    times = np.arange(len(grid)) * trace.step  # s after the run start
    net = grid.sum(axis=1) * day.voltage
    return summarize(
        grid_current=grid,
        step_s=trace.step,
        fuse=day.grid_limit,
        delivered_wh=np.asarray(trace.delivered_wh),
        requested_wh=np.asarray(trace.requested_wh),
        pv_w=trace.array("pv"),
        import_w=np.maximum(net, 0.0),
        export_w=np.maximum(-net, 0.0),
        import_price=np.array([day.prices.import_price(float(t)) for t in times]),
        export_price=np.array([day.prices.export_price(float(t)) for t in times]),
    )
