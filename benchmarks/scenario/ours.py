"""Run our integration on a scenario day: Home Assistant, OCPP over websockets, the engine.

Nothing of the integration is replaced. The chargers are simulated (with their cars) and
connect over real websockets on 127.0.0.1; the grid meter and PV are HA sensors that
the plant writes; the balancer reacts to them as it does on a real site. The tariff is a
price sensor with a `forecast` attribute, as a dynamic-tariff integration would provide.
Only time is virtual: one `SimClock` drives the chargers, the cars, the balancer's clock,
the central system's timestamps (so profiles' validity means the same on both sides) and
the price forecast's slots, and after every step the harness lets HA and the chargers
finish what they are doing.

A V2X day (signed setpoints, OCPP 2.1, which these simulated chargers do not speak) runs
the same engine in the loop instead: `v2x_engine.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from datetime import UTC, datetime, timedelta
import os
import sys
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system import session as session_module
from custom_components.smart_charging.central_system.v16 import (
    adapter as adapter_module,
    charge_point as charge_point_module,
)
from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_options import default_site_options
from simulator.charger import SimulatedCharger
from simulator.site.driver import driver_settings
from simulator.site.ha_options import balancing_options
from simulator.site.model import ScenarioDay, Visit
from simulator.site.plant import Plant, charger_spec, day_start
from simulator.site.prices import import_forecast, tariff_hour
from simulator.timeutil import SimClock
from tests.helpers import wait_for

from .offline import RUN_LENGTH
from .trace import Trace

STRATEGY = "ours"
GRID_SENSORS = ("sensor.scenario_grid_l1", "sensor.scenario_grid_l2", "sensor.scenario_grid_l3")
PV_SENSOR = "sensor.scenario_pv_power"
BATTERY_SENSOR = "sensor.scenario_battery_power"
PRICE_SENSOR = "sensor.scenario_import_price"
PRICE_MODE = "price"
# Loop iterations without pending work before a step counts as settled.
_QUIET_ITERATIONS = 3
_CLOCKED_MODULES = (session_module, adapter_module, charge_point_module)


def uses_price_mode(day: ScenarioDay) -> bool:
    """Whether a driver picks price mode: only then does the site owner set the price sensor."""
    return any(visit.mode == PRICE_MODE for visit in day.visits)


def site_options(day: ScenarioDay) -> dict[str, Any]:
    """The entry options a user of this site would set."""
    return {
        **default_site_options(),
        **balancing_options(
            day,
            grid_sensors=GRID_SENSORS,
            pv_sensor=PV_SENSOR,
            battery_sensor=BATTERY_SENSOR,
            price_sensor=PRICE_SENSOR if uses_price_mode(day) else None,
        ),
        "allowed_id_tags": [],
        "heartbeat_interval": 300,
    }


@contextlib.contextmanager
def central_clock(now: Callable[[], datetime]) -> Iterator[None]:
    """Let the central system read the scenario's clock instead of the wall clock."""
    with contextlib.ExitStack() as stack:
        for module in _CLOCKED_MODULES:
            stack.enter_context(patch.object(module, "utc_now", now))
        yield


async def run_ours(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    day: ScenarioDay,
    step: float = 1.0,
    until: float = RUN_LENGTH,
) -> Trace:
    """Run the day (up to `until` s) against the loaded `entry` (options: `site_options`)."""
    hub: SmartChargingHub = entry.runtime_data
    clock = SimClock(start=day_start(day))
    hub.balancer.clock = clock.monotonic
    zone = ZoneInfo(day.timezone)
    hub.balancer.wall_clock = lambda: clock.now().astimezone(zone)
    trace = Trace(strategy=STRATEGY, step=step)
    with central_clock(clock.now):
        chargers = await _connect(hass, entry, hub, day, clock)
        try:
            plant = Plant(day, chargers, clock, online=True)
            await _run(hass, hub, plant, trace, step, until)
            await plant.finish()
            await _settle(hass, hub, plant)
            trace.close(plant)
        finally:
            for charger in chargers.values():
                await charger.close()
    return trace


async def _connect(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hub: SmartChargingHub,
    day: ScenarioDay,
    clock: SimClock,
) -> dict[str, SimulatedCharger]:
    url = f"ws://127.0.0.1:{entry.data['port']}"
    chargers: dict[str, SimulatedCharger] = {}
    for plan in day.chargers:
        hub.update_charger_settings(
            plan.charger_id,
            phase_rotation=plan.phase_rotation,
            station_max_current=plan.station_max_current,
        )
        for connector_id, maximum in enumerate(plan.max_current, start=1):
            hub.update_connector_settings(plan.charger_id, connector_id, max_current=maximum)
        charger = SimulatedCharger(charger_spec(plan, day.meter_values_interval), url, clock=clock)
        await charger.connect()
        chargers[plan.charger_id] = charger
    _publish(hass, day, (0.0, 0.0, 0.0), 0.0, 0.0)
    _publish_prices(hass, day, 0.0)
    await wait_for(
        hass,
        lambda: all(
            charger_id in hub.coordinators and hub.coordinators[charger_id].data.configured
            for charger_id in chargers
        ),
        timeout=60,
    )
    return chargers


async def _run(
    hass: HomeAssistant,
    hub: SmartChargingHub,
    plant: Plant,
    trace: Trace,
    step: float,
    until: float,
) -> None:
    day = plant.day
    next_reading = 0.0
    price_hour = tariff_hour(day.start_offset, plant.t)
    while plant.t < until:
        # The driver sets the car up as it arrives (as in the HA dashboard).
        for visit in plant.arriving(step):
            _arrive(hub, visit, plant.clock)
        snapshot = await plant.step(step)
        trace.record(snapshot)
        if os.environ.get("SCENARIO_DEBUG") and plant.t % 300 < step:
            _debug(hub, plant.t)
        if plant.t % 3600 < step:
            print(f"  ours: {day.name} hour {plant.t / 3600:.0f}", file=sys.stderr, flush=True)
        if plant.t >= next_reading:
            next_reading = plant.t + day.meter_period
            _publish(
                hass,
                day,
                snapshot.grid_current,
                snapshot.pv_power,
                snapshot.battery_power,
            )
        if (hour := tariff_hour(day.start_offset, plant.t)) != price_hour:
            price_hour = hour
            _publish_prices(hass, day, plant.t)
        await _settle(hass, hub, plant)


def _arrive(hub: SmartChargingHub, visit: Visit, clock: SimClock) -> None:
    """What the driver sets before plugging in (`driver_settings`, shared with the live demo)."""
    departs_at = clock.now() + timedelta(seconds=visit.depart - clock.monotonic())
    settings = driver_settings(visit, departs_at, hub.balancer.wall_clock().tzinfo or UTC)
    hub.update_connector_settings(visit.charger_id, visit.connector_id, **settings)


def _debug(hub: SmartChargingHub, t: float) -> None:
    """Every allocation with its reason and binding constraint (SCENARIO_DEBUG=1)."""
    result = hub.balancer.site.data
    if result is None:
        return
    parts = [
        f"{key} {a.current:.1f}A {a.reason.value} {a.constraint or ''}".strip()
        for key, a in sorted(result.allocations.items())
        if a.current > 0 or a.reason.value not in ("not_charging", "charger_offline")
    ]
    budget = " ".join(f"{value:.0f}" for value in result.ev_budget)
    non_ev = " ".join(f"{value:.0f}" for value in result.non_ev_load)
    print(
        f"  t={t / 3600:.2f} h non-EV {non_ev} budget {budget}: " + "; ".join(parts),
        file=sys.stderr,
    )


def _publish(
    hass: HomeAssistant,
    day: ScenarioDay,
    grid: tuple[float, float, float],
    pv: float,
    battery: float,
) -> None:
    """The site's meters report (as a P1/Modbus meter integration would)."""
    for entity_id, amps in zip(GRID_SENSORS, grid, strict=True):
        hass.states.async_set(entity_id, f"{amps:.2f}", {"unit_of_measurement": "A"})
    if day.pv:
        hass.states.async_set(PV_SENSOR, f"{pv:.0f}", {"unit_of_measurement": "W"})
    if day.battery:
        hass.states.async_set(BATTERY_SENSOR, f"{battery:.0f}", {"unit_of_measurement": "W"})


def price_sensor_state(day: ScenarioDay, t: float) -> tuple[str, dict[str, Any]]:
    """State (the import price now, EUR/kWh) and attributes of the price sensor at `t`.

    The forecast's datetimes are on the scenario's clock, the one the balancer's `wall_clock`
    and the central system read (`SimClock` from `day_start`), not the real one.
    """
    zone = ZoneInfo(day.timezone)
    forecast = import_forecast(day.prices, day_start(day).astimezone(zone), day.start_offset, t)
    attributes: dict[str, Any] = {"unit_of_measurement": "EUR/kWh", "forecast": forecast}
    return f"{day.prices.import_price(t):.4f}", attributes


def _publish_prices(hass: HomeAssistant, day: ScenarioDay, t: float) -> None:
    """The tariff reports the price now and the forecast (as Tibber / Nord Pool sensors do)."""
    state, attributes = price_sensor_state(day, t)
    hass.states.async_set(PRICE_SENSOR, state, attributes)


async def _settle(hass: HomeAssistant, hub: SmartChargingHub, plant: Plant) -> None:
    """Let HA, the balancer and every charger finish what the step started."""
    quiet = 0
    while quiet < _QUIET_ITERATIONS:
        await asyncio.sleep(0)
        busy = not hub.balancer.idle or any(
            charger.requests_in_flight for charger in plant.chargers.values()
        )
        quiet = 0 if busy else quiet + 1
    await hass.async_block_till_done()
