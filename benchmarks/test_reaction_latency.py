"""Reaction latency: from a grid meter state change to the last charger's new limit.

A real Home Assistant (pytest-homeassistant-custom-component) runs the integration;
50 simulated chargers are connected over real websockets on 127.0.0.1, each charging.
The house load then steps up and down; for each step the clock starts at the
`hass.states.async_set` of the meter and stops when the last of the 50 chargers has
received (and answered) its new SetChargingProfile. Every step changes every
connector's limit, and the benchmark checks that it did: a renewal of an unchanged
limit is not a reaction.

A rise of the house load counts at once; a fall counts only once it has lasted the
engine's `response_time` (10 s, docs/load-balancing-engine.md: right after a cut it
looks like the house load fell). The engine runs on a fake clock, so a fall is read
once, the clock moves on past `response_time`, and the meter's next reading of the same
load, which makes the fall count, is the step that is timed: on a real site that is the
first reading (every second or two) after the 10 s. The site is run three times:
50 OCPP 1.6 chargers (`1.6`), 50 OCPP 2.0.1 stations (`2.0.1`) and 25 of each,
interleaved (`mixed`); a mixed run also gives, per step, the time until the last
charger of each version had its limit. Run it with:

    .venv/bin/python -m pytest benchmarks/test_reaction_latency.py -p no:cacheprovider \
        --no-cov -q -s -p no:logging

(`-k mixed` and so on for one site.) It prints p50/p99/max per site, per direction of
the step and per version; it asserts nothing about speed (that is what the figures are for).
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
STEPS = 40  # the house load rises and falls in turn: 20 of each
METER = ["sensor.bench_l1", "sensor.bench_l2", "sensor.bench_l3"]
# A depot on a 400 kVA transformer (577 A per phase, as in benchmarks/test_scale.py) whose
# workshop load goes between 20 and 150 A per phase. The chargers report no draw (see
# `entry_options`), so the whole grid reading is house load: the EV budget (less the 1 A safety margin) goes
# between 556 A (11.12 A for each of the 50) and 426 A (8.52 A), both between the 6 A
# minimum and the 32 A maximum, so every share moves by 2.6 A (the dead band is 0.5 A).
GRID_LIMIT = 577
HOUSE = (20.0, 150.0)
# Engine seconds between a step and the one before: more than the 20 s (2 x response_time)
# in which a rise of the grid current right after a raise is taken as the cars following
# it, less than the 60 s (half the 120 s validity) after which every limit is renewed.
QUIET = 30.0
V16, V201 = "1.6", "2.0.1"
SITES = {V16: (V16,), V201: (V201,), "mixed": (V16, V201)}


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 577 A connection with a per-phase current meter; chargers sample hourly."""
    return {
        **entry_options,
        **default_site_options(),
        # No charger reports its draw during a run (a run takes seconds), so the grid
        # reading is all house load: a draw read on the chargers' real clock would not
        # match the grid reading on the engine's fake clock.
        "meter_interval": 3600,
        "grid_limit": GRID_LIMIT,
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
    """A meter reading, an event even when the value repeats (as with `force_update`)."""
    for entity_id in METER:
        hass.states.async_set(
            entity_id, f"{amps:.3f}", {"unit_of_measurement": "A"}, force_update=True
        )


def _limits(chargers: list[_Charger]) -> dict[_Charger, float | None]:
    """Each charger's limit on its connector (EVSE) 1 now."""
    return {charger: charger.device.effective_limit(1) for charger in chargers}


def _moved(
    before: dict[_Charger, float | None], after: dict[_Charger, float | None], *, down: bool
) -> int:
    """How many chargers' limits moved (down, or up) between `before` and `after`."""
    moved = 0
    for charger, old in before.items():
        new = after[charger]
        if old is not None and new is not None and (new < old if down else new > old):
            moved += 1
    return moved


async def _until_answered(
    waiting: dict[_Charger, int], versions: tuple[str, ...]
) -> dict[str, float]:
    """Wait until each charger answered a SetChargingProfile after its call number `waiting`.

    Polled every millisecond (the resolution), looking only at new calls; returns when the
    last charger of each version answered (`time.perf_counter`).
    """
    last = dict.fromkeys(versions, 0.0)
    try:
        async with asyncio.timeout(30):
            while waiting:
                for charger, seen in list(waiting.items()):
                    at = charger.calls.answered_at("SetChargingProfile", seen)
                    if at is not None:
                        del waiting[charger]
                        last[charger.version] = max(last[charger.version], at)
                await asyncio.sleep(0.001)
    except TimeoutError:
        pytest.fail(f"{len(waiting)} chargers received no new limit within 30 s")
    return last


def _answers(chargers: list[_Charger]) -> dict[_Charger, int]:
    """How many SetChargingProfile each charger has answered."""
    return {
        charger: sum(action == "SetChargingProfile" for action, _ in charger.calls)
        for charger in chargers
    }


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
    # The engine's clock, moved by hand: the ramp (2 A/s up), the settling of a fall and
    # the renewals all run on it, so each step is a fresh reaction of the whole site.
    clock = _Clock()
    hub.balancer.clock = clock
    settle = hub.balancer.engine_settings().response_time + 1
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
        by_step: dict[str, list[float]] = {"rise": [], "fall": []}  # of the house load
        answered: dict[str, list[float]] = {version: [] for version in versions}
        fewest_changed = CHARGERS
        for step in range(STEPS):
            house = HOUSE[(step + 1) % 2]
            rise = house > HOUSE[0]
            clock.now += QUIET
            if not rise:
                # The fall is read, and held: no limit changes yet.
                sent = _answers(chargers)
                _set_meter(hass, house)
                await hass.async_block_till_done()
                await wait_for(hass, lambda: hub.balancer.idle, timeout=30)
                assert _answers(chargers) == sent, f"step {step}: a fall counted at once"
                clock.now += settle
            before = _limits(chargers)
            waiting = {charger: len(charger.calls) for charger in chargers}
            started = time.perf_counter()
            _set_meter(hass, house)  # a rise, or the reading that makes the fall count
            last = await _until_answered(waiting, versions)
            latencies.append(time.perf_counter() - started)
            by_step["rise" if rise else "fall"].append(latencies[-1])
            for version, at in last.items():
                answered[version].append(at - started)
            await wait_for(hass, lambda: hub.balancer.idle, timeout=30)
            # A sanity check, not a timing one: the step moved (nearly) every limit, in its
            # direction, so what was timed is a reaction and not a renewal.
            changed = _moved(before, _limits(chargers), down=rise)
            assert changed >= CHARGERS * 0.9, f"step {step}: {changed} limits changed"
            fewest_changed = min(fewest_changed, changed)
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
        f"\nreaction latency, {site} site, {CHARGERS} chargers, {STEPS} meter steps "
        f"(each changed at least {fewest_changed} limits): {_figures(latencies)}"
    )
    for direction, values in by_step.items():
        print(f"  house load {direction}s ({len(values)}): {_figures(values)}")
    for version in versions:
        count = sum(charger.version == version for charger in chargers)
        print(
            f"  until the last of its {count} OCPP {version} chargers answered: "
            f"{_figures(answered[version])} (slowest: step "
            f"{answered[version].index(max(answered[version]))}); limits at the end (A: chargers) "
            f"{dict(sorted(limits[version].items(), key=str))}"
        )
