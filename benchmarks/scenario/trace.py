"""What a strategy did over a scenario day, second by second."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from simulator.site.driver import requested_grid_wh
from simulator.site.plant import Plant, Snapshot

# Plots need far less than one sample a second; one a minute keeps them light.
PLOT_EVERY = 60


@dataclass(slots=True)
class Trace:
    """Per-step samples of one strategy's run, plus what every car got."""

    strategy: str
    step: float
    grid: list[tuple[float, float, float]] = field(default_factory=list)
    pv: list[float] = field(default_factory=list)
    ev: list[float] = field(default_factory=list)
    battery: list[float] = field(default_factory=list)
    delivered_wh: list[float] = field(default_factory=list)
    requested_wh: list[float] = field(default_factory=list)
    # Per finished session: "<charger>/<connector> arrive-depart mode" for the report.
    session_labels: list[str] = field(default_factory=list)
    # Sampled every PLOT_EVERY steps: A per phase each connector draws.
    connector_current: dict[str, list[float]] = field(default_factory=dict)

    def record(self, snapshot: Snapshot) -> None:
        """Add one step."""
        self.grid.append(snapshot.grid_current)
        self.pv.append(snapshot.pv_power)
        self.ev.append(snapshot.ev_power)
        self.battery.append(snapshot.battery_power)
        if len(self.grid) % PLOT_EVERY == 1:
            for key, amps in snapshot.connector_current.items():
                self.connector_current.setdefault(key, []).append(amps)

    def close(self, plant: Plant) -> None:
        """Take every finished session's energy (call after `plant.finish()`)."""
        for session in plant.finished:
            self.delivered_wh.append(session.delivered_wh)
            self.requested_wh.append(requested_grid_wh(session.visit))
            visit = session.visit
            self.session_labels.append(
                f"{visit.charger_id}/{visit.connector_id} {_clock(visit.arrive)}-"
                f"{_clock(visit.depart)} {visit.mode} {visit.ev.name}"
            )

    def grid_array(self) -> NDArray[np.float64]:
        """Grid current, (n, 3) A."""
        return np.asarray(self.grid, dtype=np.float64)

    def array(self, name: str) -> NDArray[np.float64]:
        """One of the per-step power series (pv, ev, battery), W."""
        values: list[float] = getattr(self, name)
        return np.asarray(values, dtype=np.float64)


def _clock(seconds: float) -> str:
    """Seconds after the run start as +HH:MM."""
    minutes = int(seconds // 60)
    return f"+{minutes // 60:02d}:{minutes % 60:02d}"
