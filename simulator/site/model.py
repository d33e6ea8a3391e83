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
    # V2X: its connectors can discharge a bidirectional car (signed setpoints, up to
    # `max_current` either way). A DC station converts on board: whatever the car, it
    # draws or feeds balanced on all three grid phases.
    bidirectional: bool = False
    dc: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Bidirectional:
    """What a bidirectional car can give back (V2X); its charging side is its `EVSpec`."""

    max_discharge_current: float  # A per phase on the grid side, at most
    discharge_efficiency: float = 0.92  # share of the battery's energy that reaches the grid
    min_soc: float = 5.0  # % its own battery management never discharges below

    def __post_init__(self) -> None:
        """Reject impossible cars early."""
        if self.max_discharge_current < 0:
            raise ValueError("max_discharge_current must not be negative")
        if not 0 < self.discharge_efficiency <= 1:
            raise ValueError("discharge_efficiency must be within (0, 1]")
        if not 0 <= self.min_soc <= 100:  # noqa: PLR2004
            raise ValueError("min_soc must be within 0..100")


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
    # V2X: the car can discharge (on a bidirectional connector), never below `reserve_soc`
    # (% the driver set), and must leave at its target (`ev.target_soc`, capped by
    # initial + energy as `plant.wanted_ev` does). None: it only charges.
    v2x: Bidirectional | None = None
    reserve_soc: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class GridEvent:
    """The import cap a grid operator (or a contract) sets for a while: W, from..to (run s)."""

    start: float
    end: float
    import_cap: float  # W, total over the phases


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XSite:
    """The site owner's V2X settings: the engine's discharge objective and the wear cost."""

    objective: str = "off"  # a balancing.DischargeObjective value
    wear_eur_per_kwh: float = 0.05  # battery wear per kWh discharged (grid side)
    export_car_energy: bool = False  # the cars' energy may go to the grid
    charge_efficiency: float = 0.92  # what the owner tells the engine (the cars' own may differ)
    discharge_efficiency: float = 0.92
    # More objectives to run ours with, each as its own row ("ours (price)").
    also: tuple[str, ...] = ()


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
    # V2X days: import caps that hold for a while, the export limit (W, total; None: only
    # the fuse) and the owner's V2X settings (None: a day without V2X).
    grid_events: tuple[GridEvent, ...] = ()
    export_limit: float | None = None
    v2x: V2XSite | None = None


def import_cap_at(day: ScenarioDay, t: float) -> float | None:
    """W the import may reach at `t`: the least of `max_import_power` and the events then."""
    caps = [event.import_cap for event in day.grid_events if event.start <= t < event.end]
    if day.max_import_power is not None:
        caps.append(day.max_import_power)
    return min(caps) if caps else None
