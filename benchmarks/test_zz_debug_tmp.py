"""Reaction latency: from a grid meter state change to the last charger's new limit.

A real Home Assistant (pytest-homeassistant-custom-component) runs the integration;
50 simulated chargers are connected over real websockets on 127.0.0.1, each charging.
The grid meter then steps up and down; for each step the clock starts at the
`hass.states.async_set` of the meter and stops when the last of the 50 chargers has
received (and answered) its new SetChargingProfile. The site is run three times:
50 OCPP 1.6 chargers (`1.6`), 50 OCPP 2.0.1 stations (`2.0.1`) and 25 of each,
interleaved (`mixed`); a mixed run also gives, per step, the time until the last
charger of each version had its limit. Run it with:

    .venv/bin/python -m pytest benchmarks/test_reaction_latency.py -p no:cacheprovider \
        --no-cov -q -s -p no:logging

(`-k mixed` and so on for one site.) It prints p50/p99/max per site and version; it
asserts nothing about speed (that is what the figures are for).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
import logging
import statistics
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_options import default_site_options
from simulator.calllog import Payload
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from simulator.v201 import SimulatedStation201
from tests.helpers import charger_url, hub_of, wait_for

CHARGERS = 50
STEPS = 40
METER = ["sensor.bench_l1", "sensor.bench_l2", "sensor.bench_l3"]
# Two house loads: the EV budget alternates between (400 - 100 - 1) and (400 - 200 - 1) A,
# so every connector's share changes by about 2 A per step.
HOUSE = (100.0, 200.0)
V16, V201 = "1.6", "2.0.1"
SITES = {V16: (V16,), V201: (V201,), "mixed": (V16, V201)}


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


class _TimedCalls(list[tuple[str, Payload]]):
    """A call log's list of answered calls that also notes when each was recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: tuple[str, Payload], /) -> None:
        self.times.append(time.perf_counter())
        super().append(item)

    def answered_at(self, action: str, start: int) -> float | None:
        """When the first `action` from index `start` on was answered (None: not yet)."""
        for index in range(start, len(self)):
            if self[index][0] == action:
                return self.times[index]
        return None


@dataclass(frozen=True, eq=False)  # hashed by identity: a dict key
class _Charger:
    """A simulated charger of either version, charging on its connector (EVSE) 1."""

    version: str
    device: SimulatedCharger | SimulatedStation201
    calls: _TimedCalls

    @property
    def charger_id(self) -> str:
        device = self.device
        return (
            device.station_id
            if isinstance(device, SimulatedStation201)
            else device.spec.charge_point_id
        )

    async def connect(self) -> None:
        await self.device.connect()

    async def start(self) -> None:
        await self.device.start_transaction(1)


def _site(url: str, site: str) -> list[_Charger]:
    """`CHARGERS` chargers; on a mixed site the versions alternate."""
    versions = SITES[site]
    chargers = []
    for index in range(CHARGERS):
        version, charger_id = versions[index % len(versions)], f"BENCH-{index:03d}"
        device: SimulatedCharger | SimulatedStation201
        if version == V16:
            device = SimulatedCharger(
                ChargerSpec(charger_id, meter_interval=0, max_current=32.0), url
            )
        else:
            device = SimulatedStation201(charger_id, url, max_current=32.0)
        calls = _TimedCalls()
        device.call_log.calls = calls  # the same list the charger's `calls` returns
        chargers.append(_Charger(version, device, calls))
    return chargers


def _set_meter(hass: HomeAssistant, amps: float) -> None:
    for entity_id in METER:
        hass.states.async_set(entity_id, f"{amps:.3f}", {"unit_of_measurement": "A"})


def _figures(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return (
        f"p50={statistics.median(ordered) * 1000:.1f} ms "
        f"p99={ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000:.1f} ms "
        f"max={ordered[-1] * 1000:.1f} ms"
    )


@pytest.mark.parametrize("site", list(SITES))
async def test_reaction_latency(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, site: str
) -> None:
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
    chargers = _site(charger_url(mock_config_entry), site)
    versions = SITES[site]
    try:
        await asyncio.gather(*(charger.connect() for charger in chargers))
        await wait_for(
            hass,
            lambda: all(
                charger.charger_id in hub.coordinators
                and hub.coordinators[charger.charger_id].data.configured
                for charger in chargers
            ),
            timeout=60,
        )
        for charger in chargers:
            hub.update_connector_settings(charger.charger_id, 1, max_current=32.0)
        await asyncio.gather(*(charger.start() for charger in chargers))
        clock.now += 60
        hub.balancer.recompute()
        await wait_for(hass, lambda: hub.balancer.idle, timeout=60)

        latencies: list[float] = []  # polled, until the last charger of the site
        answered: dict[str, list[float]] = {version: [] for version in versions}
        for step in range(STEPS):
            house = HOUSE[(step + 1) % 2]
            clock.now += 60
            waiting = {charger: len(charger.calls) for charger in chargers}
            waiting_copy = dict(waiting)
            last = dict.fromkeys(versions, 0.0)
            started = time.perf_counter()
            _set_meter(hass, house)
            async with asyncio.timeout(30):
                # Polled every millisecond (the resolution), looking only at new calls.
                while waiting:
                    for charger, seen in list(waiting.items()):
                        at = charger.calls.answered_at("SetChargingProfile", seen)
                        if at is not None:
                            del waiting[charger]
                            last[charger.version] = max(last[charger.version], at)
                    await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - started)
            if time.perf_counter() - started > 0.2:
                print('SLOW', step, {c.charger_id: [a for a, _ in c.calls[waiting_copy[c]:]] for c in chargers[:2]})
            for version, at in last.items():
                answered[version].append(at - started)
            await wait_for(hass, lambda: hub.balancer.idle, timeout=30)
        limits = {
            version: Counter(
                charger.device.effective_limit(1)
                for charger in chargers
                if charger.version == version
            )
            for version in versions
        }
    finally:
        await asyncio.gather(*(charger.device.close() for charger in chargers))
    print(
        f"\nreaction latency, {site} site, {CHARGERS} chargers, {STEPS} meter steps: "
        f"{_figures(latencies)}"
    )
    for version in versions:
        count = sum(charger.version == version for charger in chargers)
        print(
            f"  until the last of its {count} OCPP {version} chargers answered: "
            f"{_figures(answered[version])} (slowest: step "
            f"{answered[version].index(max(answered[version]))}); limits at the end (A: chargers) "
            f"{dict(sorted(limits[version].items(), key=str))}"
        )
