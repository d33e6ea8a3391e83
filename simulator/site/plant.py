"""The physical site of a scenario day: chargers with cars, house, PV, battery, grid meter.

The plant owns the physics and nothing else: whoever controls the chargers (our
integration over OCPP, or a baseline that sets limits locally) reads the same grid
meter and sees the same cars respond with the same delays. Time runs on one shared
virtual `SimClock`, moved only by `step`.

Bidirectional chargers run live only (`stations`, see `bidi_station.BidiStation`): OCPP 2.1
stations whose draw is signed, so that a discharging car lowers the grid meter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import takewhile
from typing import Protocol

from simulator.charger import SimulatedCharger
from simulator.ev import EVSpec
from simulator.spec import ChargerSpec
from simulator.timeutil import SimClock

from .battery import HomeBattery
from .model import ChargerPlan, ScenarioDay, Visit
from .timeline import run_start

type PhaseCurrents = tuple[float, float, float]


class SiteStation(Protocol):
    """A bidirectional charger on the site, online (`bidi_station.BidiStation`)."""

    @property
    def connectors(self) -> Mapping[int, object]:
        """Its connectors (EVSEs), by id."""
        ...

    def catch_up(self) -> None:
        """Bring its meters up to now."""
        ...

    def energy_wh(self, connector_id: int) -> float:
        """A connector's import register, Wh."""
        ...

    def phases(self, connector_id: int) -> tuple[int, ...]:
        """Grid phases a connector draws and feeds on."""
        ...

    def draw(self, connector_id: int) -> PhaseCurrents:
        """Signed A per grid phase a connector carries now (negative: discharging)."""
        ...

    async def arrive(self, visit: Visit, t: float) -> str:
        """The visit's car plugs in at site time `t` and starts; return the transaction id."""
        ...

    async def leave(self, connector_id: int) -> None:
        """The car on a connector leaves."""
        ...


def day_start(day: ScenarioDay) -> datetime:
    """The UTC moment the run starts (the instant the house load and PV count from)."""
    return run_start(day.day, day.timezone, day.start_offset).astimezone(UTC)


def charger_spec(plan: ChargerPlan, meter_interval: int) -> ChargerSpec:
    """The simulated charger of a plan (its connectors may differ: the largest is the spec's)."""
    return ChargerSpec(
        plan.charger_id,
        model=plan.model,
        connectors=plan.connectors,
        phases=plan.phases,
        max_current=max(plan.max_current),
        meter_interval=meter_interval,
        heartbeat_interval=3600,
    )


def wanted_ev(visit: Visit) -> EVSpec:
    """The visit's car, set to stop at the charge the driver wants."""
    ev = visit.ev
    wanted = ev.initial_soc + visit.energy_wh / ev.capacity_wh * 100
    return replace(ev, target_soc=min(ev.target_soc, wanted))


@dataclass(slots=True)
class Session:
    """A visit in progress (or done): what it got."""

    visit: Visit
    transaction_id: int | str  # a 2.1 station's is a string
    started_wh: float
    delivered_wh: float = 0.0
    ended: bool = False


@dataclass(slots=True)
class Snapshot:
    """The site at one instant (held until the next step)."""

    t: float  # s since the run's start
    grid_current: PhaseCurrents  # A per phase, import positive
    house_power: tuple[float, float, float]  # W per phase
    pv_power: float  # W
    battery_power: float  # W, charging positive
    ev_power: float  # W, every connector together (negative: cars discharge)
    # A per phase drawn (a bidirectional connector's signed: negative while discharging)
    connector_current: dict[str, float] = field(default_factory=dict)


class Plant:
    """A scenario day's site, advanced one step at a time."""

    def __init__(
        self,
        day: ScenarioDay,
        chargers: dict[str, SimulatedCharger],
        clock: SimClock,
        *,
        online: bool,
        stations: Mapping[str, SiteStation] | None = None,
    ) -> None:
        """Build the site around `chargers` (one per plan), all on `clock`.

        A bidirectional plan's charger is in `stations` instead (online only; on its own clock).
        """
        self.day = day
        self.chargers = chargers
        self.stations = dict(stations or {})
        if self.stations and not online:
            raise ValueError("bidirectional stations run online only")
        self.clock = clock
        self.online = online
        self.t = 0.0
        self.battery = HomeBattery(day.battery) if day.battery else None
        self.plans = {plan.charger_id: plan for plan in day.chargers}
        self.sessions: dict[tuple[str, int], Session] = {}
        self.finished: list[Session] = []
        self._arrivals = sorted(day.visits, key=lambda visit: visit.arrive)
        self._next_transaction = 1
        self.snapshot = self._measure(0.0)

    # --- time ------------------------------------------------------------------------

    async def step(self, dt: float) -> Snapshot:
        """Advance by `dt` s: cars arrive and leave, the chargers and the battery follow."""
        self.t += dt
        self.clock.advance(dt)
        for charger in self.chargers.values():
            charger.catch_up()
        for station in self.stations.values():
            station.catch_up()
        await self._departures()
        await self._arrivals_due()
        self.snapshot = self._measure(dt)
        return self.snapshot

    async def finish(self) -> None:
        """End every session still running (the run is over): count what they got."""
        for key in list(self.sessions):
            await self._end(key)

    # --- cars ------------------------------------------------------------------------

    def arriving(self, dt: float) -> list[Visit]:
        """The cars the next `step(dt)` plugs in, in arrival order.

        Their drivers set the charger up (mode, priority, departure) before they plug in.
        """
        end = self.t + dt
        due = takewhile(lambda visit: visit.arrive <= end, self._arrivals)
        return [visit for visit in due if visit.depart > end]

    async def _arrivals_due(self) -> None:
        while self._arrivals and self._arrivals[0].arrive <= self.t:
            visit = self._arrivals.pop(0)
            if visit.depart <= self.t:
                continue
            await self._begin(visit)

    async def _departures(self) -> None:
        for key, session in list(self.sessions.items()):
            if session.visit.depart <= self.t:
                await self._end(key)

    async def _begin(self, visit: Visit) -> None:
        key = (visit.charger_id, visit.connector_id)
        if key in self.sessions:
            raise ValueError(f"two cars on {visit.charger_id}/{visit.connector_id}")
        station = self.stations.get(visit.charger_id)
        if station is not None:
            self.sessions[key] = Session(
                visit=visit,
                transaction_id=await station.arrive(visit, self.t),
                started_wh=station.energy_wh(visit.connector_id),
            )
            return
        charger = self.chargers[visit.charger_id]
        ev = wanted_ev(visit)
        if self.online:
            charger.attach_ev(visit.connector_id, ev)
            transaction_id, _status = await charger.start_transaction(visit.connector_id)
            if transaction_id is None:
                raise RuntimeError(f"{key}: the central system refused the car")
        else:
            transaction_id = self._next_transaction
            self._next_transaction += 1
            charger.begin_offline_session(visit.connector_id, ev, transaction_id)
        self.sessions[key] = Session(
            visit=visit,
            transaction_id=transaction_id,
            started_wh=charger.energy_wh(visit.connector_id),
        )

    async def _end(self, key: tuple[str, int]) -> None:
        session = self.sessions.pop(key)
        station = self.stations.get(key[0])
        if station is not None:
            session.delivered_wh = station.energy_wh(key[1]) - session.started_wh
            session.ended = True
            self.finished.append(session)
            await station.leave(key[1])
            return
        charger = self.chargers[key[0]]
        session.delivered_wh = charger.energy_wh(key[1]) - session.started_wh
        session.ended = True
        if self.online:
            await charger.stop_transaction(key[1])
            charger.detach_ev(key[1])
        else:
            charger.end_offline_session(key[1])
        self.finished.append(session)

    # --- electrics -------------------------------------------------------------------

    def connector_phases(self, charger_id: str, connector_id: int) -> tuple[int, ...]:
        """Grid phases the car on a connector draws on (after the charger's rotation)."""
        if charger_id in self.stations:
            return self.stations[charger_id].phases(connector_id)
        charger = self.chargers[charger_id]
        plan = self.plans[charger_id]
        ev = charger.ev(connector_id)
        phases = min(plan.phases, ev.spec.phases if ev else plan.phases)
        return tuple(sorted((phase + plan.phase_rotation) % 3 for phase in range(phases)))

    def connector_draw(self, charger_id: str, connector_id: int) -> PhaseCurrents:
        """A the connector draws per grid phase now (a bidirectional one's signed)."""
        if charger_id in self.stations:
            return self.stations[charger_id].draw(connector_id)
        amps = self.chargers[charger_id].draw(connector_id)
        grid = [0.0, 0.0, 0.0]
        for phase in self.connector_phases(charger_id, connector_id):
            grid[phase] = amps
        return grid[0], grid[1], grid[2]

    def _measure(self, dt: float) -> Snapshot:
        day = self.day
        now = self.t
        house = day.house.at(now)
        pv = day.pv.at(now) if day.pv else 0.0
        voltage = day.voltage
        ev = [0.0, 0.0, 0.0]
        currents: dict[str, float] = {}
        for charger_id, charger in self.chargers.items():
            for connector_id in charger.connectors:
                draw = self.connector_draw(charger_id, connector_id)
                currents[f"{charger_id}/{connector_id}"] = max(draw)
                for phase in range(3):
                    ev[phase] += draw[phase]
        for charger_id, station in self.stations.items():
            for connector_id in station.connectors:
                draw = self.connector_draw(charger_id, connector_id)
                currents[f"{charger_id}/{connector_id}"] = max(draw, key=abs)
                for phase in range(3):
                    ev[phase] += draw[phase]
        load = [house[phase] + ev[phase] * voltage - pv / 3 for phase in range(3)]
        battery = self.battery.step(sum(load), dt) if self.battery and dt > 0 else 0.0
        grid = tuple((load[phase] + battery / 3) / voltage for phase in range(3))
        return Snapshot(
            t=self.t,
            grid_current=(grid[0], grid[1], grid[2]),
            house_power=house,
            pv_power=pv,
            battery_power=battery,
            ev_power=sum(ev) * voltage,
            connector_current=currents,
        )
