"""Reaction latency: from a grid meter state change to the last charger's new limit.

A real Home Assistant (pytest-homeassistant-custom-component) runs the integration;
50 simulated chargers are connected over real websockets on 127.0.0.1, each charging.
The grid meter then steps up and down; for each step the clock starts at the
`hass.states.async_set` of the meter and stops when the last of the 50 chargers has
received (and answered) its new SetChargingProfile. Run it with:

    .venv/bin/python -m pytest benchmarks/test_reaction_latency.py -p no:cacheprovider \
        --no-cov -q -s

It prints p50/p99/max; it asserts nothing about speed (that is what the figures are for).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_options import default_site_options
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import charger_url, hub_of, wait_for

CHARGERS = 50
STEPS = 40
METER = ["sensor.bench_l1", "sensor.bench_l2", "sensor.bench_l3"]
# Two house loads: the EV budget alternates between (400 - 100 - 1) and (400 - 200 - 1) A,
# so every connector's share changes by about 2 A per step.
HOUSE = (100.0, 200.0)


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 400 A connection with a per-phase current meter."""
    return {
        **entry_options,
        **default_site_options(),
        "grid_limit": 400,
        "meter_source": "phase_currents",
        "meter_entities": METER,
    }


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _set_meter(hass: HomeAssistant, amps: float) -> None:
    for entity_id in METER:
        hass.states.async_set(entity_id, f"{amps:.3f}", {"unit_of_measurement": "A"})


async def test_reaction_latency(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    """Measure and print the meter-to-last-charger latency over real websockets."""
    # As in production: the test harness runs asyncio in debug mode, which records a stack
    # trace for every task and callback; Home Assistant does not.
    hass.loop.set_debug(False)
    # As in production (HA logs warnings by default), not every frame at INFO.
    for name in ("ocpp", "simulator", "custom_components.smart_charging"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _set_meter(hass, HOUSE[0])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    hub: SmartChargingHub = hub_of(mock_config_entry)
    clock = _Clock()
    # Ramps are rate-limited in engine time: give each step a minute so both directions
    # reach their target at once and every step changes every connector.
    hub.balancer.clock = clock
    chargers = [
        SimulatedCharger(
            ChargerSpec(f"BENCH-{index:03d}", meter_interval=0, max_current=32.0),
            charger_url(mock_config_entry),
        )
        for index in range(CHARGERS)
    ]
    try:
        await asyncio.gather(*(charger.connect() for charger in chargers))
        await wait_for(
            hass,
            lambda: all(
                charger.spec.charge_point_id in hub.coordinators
                and hub.coordinators[charger.spec.charge_point_id].data.configured
                for charger in chargers
            ),
            timeout=60,
        )
        for charger in chargers:
            hub.update_connector_settings(charger.spec.charge_point_id, 1, max_current=32.0)
        await asyncio.gather(*(charger.start_transaction(1) for charger in chargers))
        clock.now += 60
        hub.balancer.recompute()
        await wait_for(hass, lambda: hub.balancer.idle, timeout=60)

        latencies: list[float] = []
        for step in range(STEPS):
            house = HOUSE[(step + 1) % 2]
            clock.now += 60
            waiting = {charger: len(charger.calls) for charger in chargers}
            started = time.perf_counter()
            _set_meter(hass, house)
            async with asyncio.timeout(30):
                # Polled every millisecond (the resolution), looking only at new calls.
                while waiting:
                    for charger, seen in list(waiting.items()):
                        if any(
                            action == "SetChargingProfile" for action, _ in charger.calls[seen:]
                        ):
                            del waiting[charger]
                    await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - started)
            await wait_for(hass, lambda: hub.balancer.idle, timeout=30)
    finally:
        await asyncio.gather(*(charger.close() for charger in chargers))
    latencies.sort()
    print(
        f"\nreaction latency, {CHARGERS} chargers, {STEPS} meter steps: "
        f"p50={statistics.median(latencies) * 1000:.1f} ms "
        f"p99={latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000:.1f} ms "
        f"max={latencies[-1] * 1000:.1f} ms"
    )
