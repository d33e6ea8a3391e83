"""Run a baseline controller on a scenario day, without Home Assistant or OCPP.

The baselines set limits on the simulated chargers directly (a local TxDefaultProfile),
so the cars, their response delays and the site are exactly those our integration
faces; only the controller differs.
"""

from __future__ import annotations

from simulator.charger import SimulatedCharger
from simulator.site.model import ScenarioDay
from simulator.site.plant import Plant, charger_spec, day_start
from simulator.timeutil import SimClock

from .interface import ConnectorView, Controller, Observation, PhaseCurrents
from .trace import Trace

RUN_LENGTH = 86_400.0  # s
_UNUSED_URL = "ws://127.0.0.1:9/unused"  # offline chargers never connect


def build_chargers(day: ScenarioDay, clock: SimClock) -> dict[str, SimulatedCharger]:
    """One simulated charger per plan, on the shared clock."""
    return {
        plan.charger_id: SimulatedCharger(
            charger_spec(plan, day.meter_values_interval), _UNUSED_URL, clock=clock
        )
        for plan in day.chargers
    }


async def run_offline(
    day: ScenarioDay, controller: Controller, step: float = 1.0, until: float = RUN_LENGTH
) -> Trace:
    """Run `controller` over the day (up to `until` s) in steps of `step` s."""
    clock = SimClock(start=day_start(day))
    plant = Plant(day, build_chargers(day, clock), clock, online=False)
    trace = Trace(strategy=controller.name, step=step)
    limits: dict[str, float] = {}
    meter = plant.snapshot.grid_current
    next_reading = 0.0
    while plant.t < until:
        snapshot = await plant.step(step)
        trace.record(snapshot)
        if plant.t >= next_reading:
            meter = snapshot.grid_current
            next_reading = plant.t + day.meter_period
        for key, amps in controller.step(_observe(plant, meter, limits)).items():
            charger_id, _, connector = key.rpartition("/")
            plant.chargers[charger_id].set_local_limit(int(connector), amps)
            limits[key] = amps
    await plant.finish()
    trace.close(plant)
    return trace


def _observe(plant: Plant, meter: PhaseCurrents, limits: dict[str, float]) -> Observation:
    day = plant.day
    views: list[ConnectorView] = []
    for plan in day.chargers:
        charger = plant.chargers[plan.charger_id]
        for connector_id in range(1, plan.connectors + 1):
            key = f"{plan.charger_id}/{connector_id}"
            session = plant.sessions.get((plan.charger_id, connector_id))
            ev = charger.ev(connector_id)
            car = ev.spec if session and ev else None  # the visit's car, set to stop when done
            views.append(
                ConnectorView(
                    key=key,
                    station_id=plan.charger_id,
                    active=session is not None and ev is not None and not ev.full,
                    arrived_at=None if session is None else session.visit.arrive,
                    draw=plant.connector_draw(plan.charger_id, connector_id),
                    phases=plant.connector_phases(plan.charger_id, connector_id),
                    min_current=car.min_current if car else 6.0,
                    max_current=min(plan.max_current[connector_id - 1], car.max_current)
                    if car
                    else plan.max_current[connector_id - 1],
                    mode=session.visit.mode if session else "fast",
                    limit=limits.get(key),
                )
            )
    return Observation(
        now=plant.t,
        grid_limit=(day.grid_limit,) * 3,
        grid_current=meter,
        pv_power=plant.snapshot.pv_power,
        voltage=day.voltage,
        station_max={
            plan.charger_id: plan.station_max_current
            for plan in day.chargers
            if plan.station_max_current
        },
        connectors=tuple(views),
    )
