"""Run a V2X controller over a day on the simulated site, second by second.

Every strategy meets the same site: the grid meter reads every `meter_period` s, each
connector reports its signed current and the car's SoC every `meter_values_interval` s,
every car follows a new setpoint after its response delay. A controller answers every step
(each decides for itself when to act) and its setpoints apply at once at the charger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

import numpy as np
from numpy.typing import NDArray

from simulator.site.model import DAY, ScenarioDay
from simulator.site.v2x_plant import V2XPlant, V2XSession, V2XSnapshot

from .interface import PhaseCurrents
from .v2x_interface import V2XConnectorView, V2XController, V2XObservation
from .v2x_metrics import SessionResult


@dataclass(slots=True)
class V2XTrace:
    """Per-step samples of one strategy's run, plus every visit's result."""

    strategy: str
    step: float
    grid: list[PhaseCurrents] = field(default_factory=list)
    pv: list[float] = field(default_factory=list)
    ev: list[float] = field(default_factory=list)  # W, signed
    cap: list[float] = field(default_factory=list)  # W, inf without a cap
    sessions: list[SessionResult] = field(default_factory=list)

    def record(self, snapshot: V2XSnapshot) -> None:
        """Add one step."""
        self.grid.append(snapshot.grid_current)
        self.pv.append(snapshot.pv_power)
        self.ev.append(snapshot.ev_power)
        self.cap.append(math.inf if snapshot.import_cap is None else snapshot.import_cap)

    def close(self, plant: V2XPlant) -> None:
        """Take every finished session (call after `plant.finish()`)."""
        self.sessions = [_result(session) for session in plant.finished]

    def grid_array(self) -> NDArray[np.float64]:
        """Grid current, (n, 3) A."""
        return np.asarray(self.grid, dtype=np.float64)

    def array(self, name: str) -> NDArray[np.float64]:
        """One of the per-step series (pv, ev, cap)."""
        values: list[float] = getattr(self, name)
        return np.asarray(values, dtype=np.float64)


def _result(session: V2XSession) -> SessionResult:
    visit = session.visit
    hours = (visit.arrive / 3600, visit.depart / 3600)
    return SessionResult(
        label=f"{session.key} +{hours[0]:.2f} h to +{hours[1]:.2f} h {visit.ev.name}",
        target_soc=session.target_soc,
        departure_soc=session.departure_soc if session.departure_soc is not None else math.nan,
        capacity_wh=visit.ev.capacity_wh,
        reserve_soc=visit.reserve_soc,
        min_soc=session.min_soc,
        seconds_below_reserve=session.seconds_below_reserve,
        charged_wh=session.car.charged_wh,
        discharged_wh=session.car.discharged_wh,
    )


def run_v2x(
    day: ScenarioDay, controller: V2XController, step: float = 1.0, until: float = DAY
) -> V2XTrace:
    """Run `controller` over the day (up to `until` s) in steps of `step` s."""
    plant = V2XPlant(day)
    trace = V2XTrace(strategy=controller.name, step=step)
    meter, meter_at, pv = plant.snapshot.grid_current, 0.0, plant.snapshot.pv_power
    next_reading = 0.0
    while plant.t < until - 1e-9:
        snapshot = plant.step(step)
        trace.record(snapshot)
        if plant.t >= next_reading - 1e-9:
            meter, meter_at, pv = snapshot.grid_current, plant.t, snapshot.pv_power
            next_reading = plant.t + day.meter_period
        observation = observe(plant, meter, meter_at, pv)
        for key, amps in controller.step(observation).items():
            plant.set_setpoint(key, amps)
    plant.finish()
    trace.close(plant)
    return trace


def observe(plant: V2XPlant, meter: PhaseCurrents, meter_at: float, pv: float) -> V2XObservation:
    """What a controller sees now."""
    day = plant.day
    views = []
    for key in plant.connector_keys():
        plan, _connector = plant.plan_of(key)
        charge, discharge = plant.limits(key)
        session = plant.sessions.get(key)
        views.append(_view(key, plan.charger_id, charge, discharge, plan.dc, session))
    return V2XObservation(
        now=plant.t,
        grid_limit=(day.grid_limit,) * 3,
        grid_current=meter,
        meter_at=meter_at,
        pv_power=pv,
        voltage=day.voltage,
        import_cap=plant.snapshot.import_cap,
        export_limit=day.export_limit,
        connectors=tuple(views),
    )


def _view(
    key: str,
    station_id: str,
    charge: float,
    discharge: float,
    dc: bool,
    session: V2XSession | None,
) -> V2XConnectorView:
    if session is None:
        return V2XConnectorView(
            key=key,
            station_id=station_id,
            plugged=False,
            arrived_at=None,
            departure=None,
            reading=(0.0, 0.0, 0.0),
            reading_at=None,
            current_now=0.0,
            soc=None,
            capacity_wh=0.0,
            reserve_soc=0.0,
            target_soc=0.0,
            phases=(0, 1, 2),
            dc=dc,
            min_current=6.0,
            max_current=charge,
            max_discharge=discharge,
            mode="fast",
            full=False,
            setpoint=None,
        )
    visit, car = session.visit, session.car
    v2x = car.v2x
    return V2XConnectorView(
        key=key,
        station_id=station_id,
        plugged=True,
        arrived_at=visit.arrive,
        departure=visit.depart,
        reading=session.reading.current,
        reading_at=session.reading.at,
        current_now=car.current,
        soc=session.reading.soc,
        capacity_wh=car.spec.capacity_wh,
        reserve_soc=visit.reserve_soc,
        target_soc=session.target_soc,
        phases=session.phases,
        dc=dc,
        min_current=car.spec.min_current,
        max_current=min(charge, car.spec.max_current),
        max_discharge=min(discharge, v2x.max_discharge_current) if v2x else 0.0,
        mode=visit.mode,
        full=car.full,
        setpoint=session.setpoint,
    )
