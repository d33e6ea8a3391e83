"""What a controller sees of the site each step and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

type PhaseCurrents = tuple[float, float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorView:
    """One connector, as a controller sees it."""

    key: str  # "<charger id>/<connector id>"
    station_id: str  # the charger id
    active: bool  # a car is plugged in with a transaction and still wants energy
    arrived_at: float | None  # s since the scenario start (None: no car)
    draw: PhaseCurrents  # A it draws now per *grid* phase (its own meter)
    phases: tuple[int, ...]  # grid phases the car draws on (0 = L1)
    min_current: float  # A per phase
    max_current: float  # A per phase: charger and car maximum
    mode: str  # "fast", "solar", "min_solar", "price", "off"
    limit: float | None  # A per phase the controller set last (None: none)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """The site at one step."""

    now: float  # s since the scenario start
    grid_limit: PhaseCurrents  # the fuse, A per phase
    grid_current: PhaseCurrents  # the grid meter, A per phase, import positive
    pv_power: float  # W
    voltage: float  # V phase to neutral
    station_max: dict[str, float]  # charger id -> shared maximum A per phase (if any)
    connectors: tuple[ConnectorView, ...]


class Controller(Protocol):
    """A baseline: called every step; answers the limits it wants to change."""

    name: str

    def step(self, observation: Observation) -> dict[str, float]:
        """Return {connector key: A per phase} for the limits to set now (0 = pause)."""
        ...
