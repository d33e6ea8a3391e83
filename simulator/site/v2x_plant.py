"""The physical site of a V2X day: bidirectional connectors with their cars, house, PV, grid.

Like `plant.Plant`, it owns the physics and nothing else, but without OCPP: a controller
sets a signed setpoint per connector (A per phase, negative = discharge) and the car
follows it after its response delay. A discharging car feeds the house (and the grid) on
its phases: an AC car on the phases it charges on (after the charger's rotation), a DC
station balanced on all three. The grid meter sees it: grid = house + cars - PV (+ battery).

Each connector reports as a charger does: its signed current per grid phase and the car's
SoC, when the car plugs in and every `meter_values_interval` s after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

from .battery import HomeBattery
from .bidi_car import BidiCar
from .model import ChargerPlan, ScenarioDay, Visit, import_cap_at
from .plant import wanted_ev

type PhaseCurrents = tuple[float, float, float]

_RESERVE_TOLERANCE = 1e-6  # % of SoC: rounding is not a breach


@dataclass(frozen=True, slots=True)
class Reading:
    """What a connector last reported: when, its signed current per grid phase, the SoC."""

    at: float
    current: PhaseCurrents
    soc: float


@dataclass(slots=True)
class V2XSession:
    """A visit in progress (or done), with what the promise to its driver needs."""

    visit: Visit
    key: str
    car: BidiCar
    phases: tuple[int, ...]  # grid phases it draws and feeds on
    target_soc: float  # % it must leave with
    reading: Reading
    setpoint: float = 0.0  # A per phase the controller set last, signed
    peak_soc: float = 0.0  # highest SoC so far (a car that arrives below its reserve)
    min_soc: float = math.inf
    seconds_below_reserve: float = 0.0
    departure_soc: float | None = None  # once it left

    @property
    def reserve_floor(self) -> float:
        """% it must not be discharged below now: its reserve, or less while it never had it."""
        return min(self.visit.reserve_soc, self.peak_soc)


@dataclass(slots=True)
class V2XSnapshot:
    """The site at one instant (held until the next step)."""

    t: float
    grid_current: PhaseCurrents  # A per phase, import positive
    house_power: tuple[float, float, float]  # W per phase
    pv_power: float  # W
    battery_power: float  # W, charging positive
    ev_power: float  # W, every connector together, signed
    import_cap: float | None  # W, what holds now
    connector_current: dict[str, float] = field(default_factory=dict)  # signed A per phase


def connector_phases(plan: ChargerPlan, car_phases: int) -> tuple[int, ...]:
    """Grid phases a car draws on: all three on a DC station, else after the rotation."""
    count = 3 if plan.dc else min(plan.phases, car_phases)
    return tuple(sorted((phase + plan.phase_rotation) % 3 for phase in range(count)))


class V2XPlant:
    """A V2X day's site, advanced one step at a time."""

    def __init__(self, day: ScenarioDay) -> None:
        """Build the site of `day` at its start (no car yet)."""
        self.day = day
        self.t = 0.0
        self.plans = {plan.charger_id: plan for plan in day.chargers}
        self.battery = HomeBattery(day.battery) if day.battery else None
        self.sessions: dict[str, V2XSession] = {}
        self.finished: list[V2XSession] = []
        self._arrivals = sorted(day.visits, key=lambda visit: visit.arrive)
        self.snapshot = self._measure(0.0)

    # --- control -----------------------------------------------------------------------

    def connector_keys(self) -> list[str]:
        """Every connector, as "<charger>/<connector>"."""
        return [
            f"{p.charger_id}/{n}" for p in self.day.chargers for n in range(1, p.connectors + 1)
        ]

    def plan_of(self, key: str) -> tuple[ChargerPlan, int]:
        """The charger of a connector key, and its connector id."""
        charger_id, _, connector = key.rpartition("/")
        return self.plans[charger_id], int(connector)

    def limits(self, key: str) -> tuple[float, float]:
        """A per phase the connector charges and discharges at most (0: it cannot)."""
        plan, connector_id = self.plan_of(key)
        top = plan.max_current[min(connector_id, len(plan.max_current)) - 1]
        return top, top if plan.bidirectional else 0.0

    def set_setpoint(self, key: str, amps: float) -> None:
        """The controller's signed setpoint for a connector from now on (clamped to it)."""
        session = self.sessions.get(key)
        if session is None:
            return
        charge, discharge = self.limits(key)
        session.setpoint = min(max(amps, -discharge), charge)
        session.car.set_setpoint(self.t, session.setpoint)

    # --- time --------------------------------------------------------------------------

    def step(self, dt: float) -> V2XSnapshot:
        """Advance by `dt` s: the cars follow their setpoints, then arrive and leave."""
        self.t += dt
        for session in self.sessions.values():
            session.car.advance(dt)
            self._watch(session, dt)
        for key, session in list(self.sessions.items()):
            if session.visit.depart <= self.t:
                self._end(key)
        while self._arrivals and self._arrivals[0].arrive <= self.t:
            visit = self._arrivals.pop(0)
            if visit.depart > self.t:
                self._begin(visit)
        self.snapshot = self._measure(dt)
        self._report()
        return self.snapshot

    def finish(self) -> None:
        """End every session still running (the run is over)."""
        for key in list(self.sessions):
            self._end(key)

    # --- cars --------------------------------------------------------------------------

    def _begin(self, visit: Visit) -> None:
        key = f"{visit.charger_id}/{visit.connector_id}"
        if key in self.sessions:
            raise ValueError(f"two cars on {key}")
        plan = self.plans[visit.charger_id]
        ev = wanted_ev(visit)
        phases = connector_phases(plan, ev.phases)
        v2x = visit.v2x if plan.bidirectional else None
        car = BidiCar(ev, v2x, phases=len(phases), voltage=self.day.voltage, start=self.t)
        self.sessions[key] = V2XSession(
            visit=visit,
            key=key,
            car=car,
            phases=phases,
            target_soc=ev.target_soc,
            reading=Reading(self.t, (0.0, 0.0, 0.0), car.soc),
            peak_soc=car.soc,
            min_soc=car.soc,
        )

    def _end(self, key: str) -> None:
        session = self.sessions.pop(key)
        session.departure_soc = session.car.soc
        self.finished.append(session)

    def _watch(self, session: V2XSession, dt: float) -> None:
        """Keep the SoC's record: highest, lowest, and time below the reserve."""
        soc = session.car.soc
        session.min_soc = min(session.min_soc, soc)
        if soc < session.reserve_floor - _RESERVE_TOLERANCE:
            session.seconds_below_reserve += dt
        session.peak_soc = max(session.peak_soc, soc)

    def _report(self) -> None:
        """Each connector's reading, every meter values interval after its car plugged in."""
        interval = self.day.meter_values_interval
        for session in self.sessions.values():
            if self.t >= session.reading.at + interval - 1e-9:
                current = self.connector_current(session)
                session.reading = Reading(self.t, current, session.car.soc)

    # --- electrics ---------------------------------------------------------------------

    def connector_current(self, session: V2XSession) -> PhaseCurrents:
        """Signed A per grid phase the connector carries now."""
        grid = [0.0, 0.0, 0.0]
        for phase in session.phases:
            grid[phase] = session.car.current
        return grid[0], grid[1], grid[2]

    def _measure(self, dt: float) -> V2XSnapshot:
        day = self.day
        house = day.house.at(self.t)
        pv = day.pv.at(self.t) if day.pv else 0.0
        voltage = day.voltage
        ev = [0.0, 0.0, 0.0]
        currents: dict[str, float] = {}
        for key, session in self.sessions.items():
            currents[key] = session.car.current
            for phase in session.phases:
                ev[phase] += session.car.current
        load = [house[p] + ev[p] * voltage - pv / 3 for p in range(3)]
        battery = self.battery.step(sum(load), dt) if self.battery and dt > 0 else 0.0
        grid = tuple((load[p] + battery / 3) / voltage for p in range(3))
        return V2XSnapshot(
            t=self.t,
            grid_current=(grid[0], grid[1], grid[2]),
            house_power=house,
            pv_power=pv,
            battery_power=battery,
            ev_power=sum(ev) * voltage,
            import_cap=import_cap_at(day, self.t),
            connector_current=currents,
        )
