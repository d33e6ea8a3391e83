"""Inputs and outputs of the allocation engine.

Currents are amperes per phase. A `PhaseCurrents` tuple is indexed by *grid* phase
(0 = L1, 1 = L2, 2 = L3). Times are seconds on a monotonic clock chosen by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .constants import MIN_CURRENT, NOMINAL_VOLTAGE, THREE_PHASES

type PhaseCurrents = tuple[float, float, float]

ZERO: PhaseCurrents = (0.0, 0.0, 0.0)


class Mode(StrEnum):
    """How a connector charges."""

    OFF = "off"  # never
    FAST = "fast"  # as much as the limits allow
    SOLAR = "solar"  # surplus only
    MIN_SOLAR = "min_solar"  # the minimum from the grid, plus surplus
    # Surplus any time; from the grid in the cheapest slots of the price forecast that
    # deliver its energy target by its departure (see `planner`). Without a forecast,
    # departure or energy target there is nothing to plan: it charges as FAST.
    PRICE = "price"


class LimitReason(StrEnum):
    """Why a connector got what it got: the constraint that bound it."""

    GRID_LIMIT = "grid_limit"  # the site's fuse or maximum import power
    CIRCUIT_LIMIT = "circuit_limit"  # a sub-circuit's limit
    STATION_LIMIT = "station_limit"  # the station's maximum, shared by its connectors
    SOLAR_SURPLUS = "solar_surplus"  # solar modes: what the surplus allows
    USER_MAXIMUM = "user_maximum"  # the connector's own maximum: nothing else bound it
    MODE_OFF = "mode_off"  # mode off
    WAITING_FOR_MINIMUM = "waiting_for_minimum"  # not enough for the minimum (yet)
    FAILSAFE = "failsafe"  # the meter is unavailable or stale: failsafe current
    CHARGER_OFFLINE = "charger_offline"  # the charger is not connected
    NOT_CHARGING = "not_charging"  # no car / no session on the connector
    NON_COMPLIANT = "non_compliant"  # draws more than allocated: its draw is fixed load
    RAMPING = "ramping"  # on its way up: increases are rate-limited (ramp_up_rate)
    CAR_LIMIT = "car_limit"  # the car takes no more than this (learned from its draw)
    EXTERNAL_LIMIT = "external_limit"  # another system (grid operator, local EMS) limits it
    CHEAPER_LATER = "cheaper_later"  # price mode: its grid energy is planned for cheaper slots
    ON_SCHEDULE = "on_schedule"  # FAST with a departure: it gives way beyond what it needs
    # A moment of charging, so that its draw tells what the car takes (its phases, its
    # maximum) before a departure deadline or a price plan counts on it.
    CHECKING_CAR = "checking_car"
    # V2X (see `discharge`): it would discharge, but its SoC is at or near its reserve
    # (or unknown).
    HOLDING_RESERVE = "holding_reserve"
    DISCHARGING_HOUSE = "discharging_house"  # covers the house's import
    DISCHARGING_PEAK = "discharging_peak"  # keeps the import under the fuse or the cap
    DISCHARGING_PRICE = "discharging_price"  # sells now, refills cheaper before departure
    DISCHARGING_SIGNAL = "discharging_signal"  # follows the site's grid signal
    DISCHARGE_REQUESTED = "discharge_requested"  # a user or an automation asked for it
    # Charges what the site's grid signal asks for (and no more).
    GRID_SIGNAL = "grid_signal"
    # Between charging and discharging it holds 0 for `direction_change_delay` first.
    CHANGING_DIRECTION = "changing_direction"


class DischargeObjective(StrEnum):
    """What a V2X car discharges for (see `discharge`)."""

    OFF = "off"  # never: it only charges
    SELF_CONSUMPTION = "self_consumption"  # V2H: the house's import, never into export
    PEAK_SHAVING = "peak_shaving"  # the import above the fuse (less margin) or the cap
    PRICE = "price"  # V2G: dear slots, refilled in cheaper ones before departure
    GRID_SIGNAL = "grid_signal"  # the site's requested import (+) or export (-)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceSlot:
    """One interval of the import price forecast, on the caller's clock (like SiteInput.now)."""

    start: float
    end: float
    price: float  # any unit: only the order of prices matters


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitInput:
    """A sub-circuit (a breaker) feeding some stations; circuits nest."""

    circuit_id: str
    limit: PhaseCurrents
    parent_id: str | None = None  # None: directly on the grid connection


@dataclass(frozen=True, slots=True, kw_only=True)
class StationInput:
    """A charging station whose connectors share a maximum (e.g. an AC and a DC outlet)."""

    station_id: str
    max_current: PhaseCurrents | None = None  # None: no shared maximum
    circuit_id: str | None = None  # None: directly on the grid connection


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XInput:
    """A connector whose car may discharge (V2H, V2G): what the car and station allow."""

    # A per phase at most, already the least of station, car and user (a magnitude).
    max_discharge_current: float
    capacity: float  # Wh, the battery's
    soc: float | None  # %; None: unknown, so it never discharges
    reserve_soc: float = 30.0  # %: never discharged below
    # % wanted at ConnectorInput.departure; None: only energy_needed counts. Without a
    # departure it is a floor, like the reserve.
    target_soc: float | None = None
    allowed: bool = True  # the user's switch, and the station and car support it
    objective: DischargeObjective | None = None  # None: the site's
    # A DC station discharges balanced on all three phases through its inverter; an AC
    # car only on its own `phases` (a 1-phase car helps only its own phase).
    dc: bool = False
    # A per phase a user or an automation asks it to discharge (> 0), or 0: not at all.
    # Overrides the objective (and the charging mode), within every limit, the reserve
    # and the departure. None: the objective decides.
    requested: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorInput:
    """One connector, as the coordinator sees it now."""

    connector_id: str
    station_id: str
    # Grid phases this connector draws on, after the charger's phase rotation and the
    # car's own phase count: (0, 1, 2) for a 3-phase car on a normally wired charger,
    # (1,) for a 1-phase car on a charger whose L1 is wired to grid L2.
    phases: tuple[int, ...] = (0, 1, 2)
    # False: the car has not drawn yet, `phases` is only the cautious guess. Solar then
    # starts it on one phase's minimum (a 1-phase car needs no more); once it draws, its
    # real phases are known.
    phases_known: bool = True
    min_current: float = MIN_CURRENT
    max_current: float = 16.0  # the user's maximum, already capped by charger and car
    priority: int = 0  # higher is served first
    mode: Mode = Mode.FAST
    active: bool = True  # a car is plugged in and may charge
    online: bool = True
    measured: PhaseCurrents = ZERO  # what it draws now, per grid phase (own meter)
    # When `measured` was read, on the caller's clock; None: just now. A reading older
    # than the last change of its limit cannot show the car following that change.
    measured_at: float | None = None
    # The charger can switch this connector from 3 to 1 phase (ConnectorSwitch3to1PhaseSupported).
    can_switch_phases: bool = False
    # Which grid phase a 1-phase fallback uses (the charger's L1 after rotation).
    single_phase: int = 0
    # The charger reports that the car takes no power (OCPP SuspendedEV): full, or held
    # by its own charge limit. It keeps only its minimum (see `car_limit`).
    suspended: bool = False
    # Wh still wanted (grid side) by `departure` (the caller's clock, like SiteInput.now).
    # Once that only just fits at `max_current`, it charges as FAST, first in its
    # priority, until the energy is in (see EngineSettings.deadline_margin). Before,
    # FAST gets what the departure needs first and gives way beyond that to cars that
    # told no departure (see `sharing`); solar and price modes wait (a car not checked
    # yet charges a moment first when that could matter: see `deadline.mark_deadline`,
    # `planner.apply_plan`).
    energy_needed: float | None = None
    departure: float | None = None
    # A per phase another system holds it to (OCPP 2.x NotifyChargingLimit), None: none.
    external_limit: float | None = None
    # The car may discharge (V2X); None: it only charges, and negative readings are 0.
    # With it, `measured` keeps its sign: a discharging connector reads negative.
    v2x: V2XInput | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    """Tuning of the engine; defaults suit a home, the coordinator exposes them."""

    voltage: float = NOMINAL_VOLTAGE
    safety_margin: float = 1.0  # A per phase kept free below every limit
    failsafe_current: float = MIN_CURRENT  # A per connector while the meter is unavailable
    ramp_up_rate: float = 2.0  # A/s: increases are rate-limited, decreases are not
    dead_band: float = 0.5  # A: smaller changes are not sent (safety cuts always are)
    solar_start_delay: float = 60.0  # s of enough surplus before solar charging starts
    solar_stop_delay: float = 60.0  # s of deficit (at the minimum power) before it stops
    phase_switch_delay: float = 300.0  # s a 3→1 (or back) condition must hold
    rotation_interval: float = 900.0  # s: who waits for the minimum takes turns this often
    # s a car needs to follow a new limit and its charger to report it (IEC 61851: 5 s
    # to follow, plus a MeterValues interval). A fall of the non-EV load counts only once
    # it has lasted this long: right after a cut, the grid meter already shows the car
    # drawing less while the charger's reading does not, which looks like a fall.
    response_time: float = 10.0
    compliance_tolerance: float = 2.0  # A above the allocation that is tolerated
    compliance_delay: float = 30.0  # s of over-draw before a connector is flagged
    # True: a home battery is served before the cars (its charging is not surplus, its
    # discharging is subtracted from it); False: the cars come first (what the battery
    # charges with counts as surplus).
    battery_priority: bool = True
    # A connector with a departure and an energy target charges as FAST, first in its
    # priority, once now + time to charge `energy_needed` at its maximum
    # * (1 + deadline_margin) + deadline_buffer (s) reaches the departure: slack for a
    # car that tapers near full, the ramp and a grid that cannot give the maximum all
    # the time.
    deadline_margin: float = 0.15
    deadline_buffer: float = 900.0
    # A car that, `response_time` after an offer, draws more than `car_limit_slack` A
    # below it takes no more: its maximum becomes its draw + `car_limit_headroom` until
    # it uses that, or for `car_limit_probe` s (see `car_limit`).
    car_limit_slack: float = 2.0
    # s after an offer at which the car counts as checked (`ConnectorMemory.car_checked`)
    # even without a reading taken since: a charger that reports rarely, or never, must
    # not keep a car in the moment it charges to be checked.
    car_check_timeout: float = 60.0
    car_limit_headroom: float = 1.0
    car_limit_probe: float = 600.0
    # Wh an energy target may still lack and count as reached: meter registers are read
    # every 10-60 s and rounded, so a full car may stay a few Wh short of its target.
    energy_tolerance: float = 100.0
    # s a V2X connector holds 0 between charging and discharging (either way).
    direction_change_delay: float = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class V2XSettings:
    """The site's V2X policy (see `discharge`)."""

    objective: DischargeObjective = DischargeObjective.OFF
    # W the import may reach (peak shaving); the caller passes the cap that holds now.
    # With the site's objective PEAK_SHAVING it limits charging too.
    import_cap: float | None = None
    # W the site may export in total (0: a zero-export site); None: only the fuse, per phase.
    export_limit: float | None = None
    # The car's energy may go to the grid. False: a discharge never exceeds the house's
    # import (per phase for an AC car, net over the phases for a DC one).
    export_car_energy: bool = False
    grid_signal: float | None = None  # W the site should import (+) or export (-)
    charge_efficiency: float = 0.92
    discharge_efficiency: float = 0.92
    wear_cost: float = 0.05  # per kWh discharged, in the price forecast's unit


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteInput:
    """A snapshot of the site."""

    now: float
    grid_limit: PhaseCurrents  # the main fuse, per phase
    max_import_power: float | None = None  # W, total, optional
    # Grid meter, import positive, per phase. None: no meter (cluster/static balancing).
    grid_current: PhaseCurrents | None = None
    meter_available: bool = True  # False: the meter is configured but unavailable/stale
    base_load: PhaseCurrents = ZERO  # static balancing: fixed non-EV load to assume
    pv_power: float | None = None  # W, optional: refines the surplus
    battery_power: float | None = None  # W, charging positive, optional: surplus it takes
    # The import price forecast (price mode), in any order; gaps count as dearer than
    # every known slot.
    prices: tuple[PriceSlot, ...] = ()
    circuits: tuple[CircuitInput, ...] = ()
    stations: tuple[StationInput, ...] = ()
    connectors: tuple[ConnectorInput, ...] = ()
    settings: EngineSettings = field(default_factory=EngineSettings)
    v2x: V2XSettings = field(default_factory=V2XSettings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """The engine's answer for one connector."""

    connector_id: str
    current: float  # A per phase; 0 = paused
    phases: int  # 1 or 3: how many phases it should charge on (3→1 switching)
    reason: LimitReason
    changed: bool  # differs from the last sent value by more than the dead band (or is a cut)
    # The limit that bound it, for display: "grid L1", "circuit garage L2",
    # "station wallbox L3", "max import power", "solar surplus"; None: none did.
    constraint: str | None = None
    deadline: bool = False  # it charges as FAST, first in its priority, for the departure
    # Price mode with a plan: when its next planned grid charging begins (the caller's
    # clock; `now` while in a planned slot). None: no plan.
    planned_start: float | None = None
    # A per phase it discharges (V2X), > 0 only while `current` is 0.
    discharge: float = 0.0

    @property
    def setpoint(self) -> float:
        """A per phase, signed: charging positive, discharging negative."""
        return -self.discharge if self.discharge > 0 else self.current


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorMemory:
    """What the engine remembers about a connector between calls."""

    sent: float = 0.0  # the last allocation that was reported as changed
    sent_at: float | None = None
    phases: int = THREE_PHASES
    solar_on: bool = False
    solar_energy: float = 0.0  # Ws: surplus beyond the minimum (start) or deficit (stop)
    phase_since: float | None = None  # when a pending phase switch condition began
    waiting_since: float | None = None  # when it began waiting for its minimum
    served_since: float | None = None  # when it last began to charge (rotation)
    over_since: float | None = None  # when it began drawing above its allocation
    non_compliant: bool = False
    deadline: bool = False  # charging as FAST for a departure, until the energy is in
    # Price mode: charging from the grid as planned until this time (the slot's end).
    planned_until: float | None = None
    # What the car takes at most, learned from its draw, and since when (see `car_limit`).
    car_limit: float | None = None
    car_limit_since: float | None = None
    # This session the car had the time to follow an offer: its draw said what it takes
    # (or no reading came within EngineSettings.car_check_timeout, or it was suspended).
    car_checked: bool = False
    discharge: float = 0.0  # the last discharge reported as changed (sent with `sent_at`)
    discharged: bool = False  # the last non-zero setpoint sent was a discharge
    # V2X: the signed setpoints sent lately, (time, A per phase), oldest first: every one
    # sent within `response_time` and the one in force before them. Until then the car,
    # and so the grid meter, may still show any of them (see `classification._span`).
    recent: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineState:
    """Everything carried from one call to the next (immutable; a new one each call)."""

    last_now: float | None = None
    connectors: dict[str, ConnectorMemory] = field(default_factory=dict)
    # The last answer: an unchanged allocation is handed out again as the same object.
    allocations: dict[str, Allocation] = field(default_factory=dict)
    # The non-EV load per phase the budget used (signed: PV export is negative), and
    # since when a lower one was seen.
    non_ev_load: PhaseCurrents | None = None
    non_ev_falling_since: tuple[float | None, float | None, float | None] = (None, None, None)
    # V2X: the signed load that is not a steerable car, per phase (see `house_load`).
    v2x_base: PhaseCurrents | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The engine's answer for the site."""

    allocations: dict[str, Allocation]
    state: EngineState
    non_ev_load: PhaseCurrents  # grid - EV draw (or the base load without a meter)
    ev_budget: PhaseCurrents  # what EVs may draw in total, per phase
    allocated: PhaseCurrents  # the sum of the allocations, per phase
    headroom: PhaseCurrents  # ev_budget - allocated
    failsafe: bool  # the meter was unavailable: failsafe currents were given
    # Limits the measured draw exceeds now (same labels as Allocation.constraint); their
    # connectors were cut in this very call.
    overloaded: tuple[str, ...] = ()
    surplus_power: float = 0.0  # W the solar modes could use (0 without a grid meter)
    discharging: PhaseCurrents = ZERO  # the sum of the discharges, per phase
    # Call again at this time (the caller's clock): a connector holds 0 between charging
    # and discharging until then. None: the next meter reading or tick is soon enough.
    recheck_at: float | None = None
