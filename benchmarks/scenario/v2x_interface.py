"""What a V2X controller sees of the site each step and what it answers (signed setpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .interface import PhaseCurrents


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XConnectorView:
    """One connector, as a controller sees it (what its charger and the car report)."""

    key: str  # "<charger id>/<connector id>"
    station_id: str
    plugged: bool  # a car is plugged in (a session)
    arrived_at: float | None  # s since the run start (None: no car)
    departure: float | None  # s since the run start the driver leaves (None: no car)
    reading: PhaseCurrents  # signed A per grid phase, as its charger last reported
    reading_at: float | None  # when it reported that
    current_now: float  # A per phase it carries now (a V2H box's own inverter knows this)
    soc: float | None  # % the car last reported (None: no car)
    capacity_wh: float  # the car's battery (0: no car)
    reserve_soc: float  # % the driver keeps
    target_soc: float  # % the driver wants at the departure
    phases: tuple[int, ...]  # grid phases it draws and feeds on
    dc: bool  # a DC station (balanced on three phases)
    min_current: float  # A per phase it needs to charge
    max_current: float  # A per phase it charges at most (charger and car)
    max_discharge: float  # A per phase it discharges at most (0: it cannot)
    mode: str  # the charging mode the driver picked
    full: bool  # the car takes no more (at its target: SuspendedEV)
    setpoint: float | None  # the signed setpoint the controller set last (None: none)


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XObservation:
    """The site at one step."""

    now: float  # s since the run start
    grid_limit: PhaseCurrents  # the fuse, A per phase
    grid_current: PhaseCurrents  # the grid meter's last reading, import positive
    meter_at: float  # when the meter read it
    pv_power: float  # W, read with the meter
    voltage: float
    import_cap: float | None  # W the import may reach now (None: no cap)
    export_limit: float | None  # W the site may export (None: only the fuse)
    connectors: tuple[V2XConnectorView, ...]


class V2XController(Protocol):
    """A strategy: called every step; answers the setpoints it wants to change."""

    name: str

    def step(self, observation: V2XObservation) -> dict[str, float]:
        """Return {connector key: signed A per phase} for the setpoints to set now."""
        ...
