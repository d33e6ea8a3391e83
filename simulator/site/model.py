"""What a scenario day is made of (data only; `scenario.py` builds it from a file).

Time `t` everywhere is seconds since the run start: the day's local midnight plus
`ScenarioDay.start_offset` (0 for a midnight-to-midnight run; 43 200 for a run from noon to noon
the next day, as for overnight charging at home or in a depot). A run lasts `DAY` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from simulator.ev import EVSpec

type PhaseWatts = tuple[float, float, float]

DAY = 86_400.0  # s


class HouseLoad(Protocol):
    """Non-EV consumption of the site, per phase."""

    def at(self, t: float) -> PhaseWatts:
        """W per phase at `t` s after the run start."""
        ...


class PvPlant(Protocol):
    """PV production (a 3-phase inverter: spread evenly over the phases)."""

    peak_power: float  # W (kWp * 1000)

    def at(self, t: float) -> float:
        """W AC at `t` s after the run start."""
        ...


class Prices(Protocol):
    """Import and export prices."""

    def import_price(self, t: float) -> float:
        """EUR per kWh bought at `t`."""
        ...

    def export_price(self, t: float) -> float:
        """EUR per kWh sold at `t`."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BatterySpec:
    """A home battery that keeps the grid meter near zero (self-consumption)."""

    capacity_wh: float
    max_power: float  # W, charging and discharging
    initial_soc: float = 50.0  # %
    min_soc: float = 10.0  # %
    efficiency: float = 0.95  # one way


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerPlan:
    """A charger on the site."""

    charger_id: str
    connectors: int = 1
    phases: int = 3  # the charger's own phases
    max_current: tuple[float, ...] = (16.0,)  # A per phase, per connector (one value each)
    station_max_current: float | None = None  # A per phase the connectors share
    phase_rotation: int = 0  # the charger's L1 is wired to grid phase `phase_rotation`
    model: str = "SimCharger"


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """A car that arrives, wants energy and leaves."""

    charger_id: str
    connector_id: int
    arrive: float  # s after the run start
    depart: float  # s after the run start (may exceed DAY: it stays)
    energy_wh: float  # what the driver wants charged (the battery side: capped by capacity)
    ev: EVSpec
    mode: str = "fast"  # the engine's Mode value the driver picked (scenario.MODES)
    priority: int = 0
    # The driver gives the departure and energy target in every mode, not only in those
    # that wait for something (a pool car whose booking says when it leaves).
    gives_departure: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioDay:
    """One 24 h run."""

    name: str  # "home-weekday"
    description: str
    day: date  # the calendar day the run starts on
    timezone: str
    latitude: float
    longitude: float
    grid_limit: float  # A per phase (the main fuse)
    voltage: float = 230.0
    max_import_power: float | None = None  # W
    meter_period: float = 2.0  # s between grid meter readings
    meter_values_interval: int = 10  # s between a charger's MeterValues
    static_base_load: float = 0.0  # A per phase a static configuration reserves for the house
    safety_margin: float = 1.0  # A per phase
    house: HouseLoad
    pv: PvPlant | None = None
    battery: BatterySpec | None = None
    prices: Prices
    chargers: tuple[ChargerPlan, ...]
    visits: tuple[Visit, ...]
    seed: int = 0
    start_offset: float = 0.0  # s after the day's local midnight at which the run (t = 0) starts
    notes: dict[str, str] = field(default_factory=dict)  # where inputs came from
