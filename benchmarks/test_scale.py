"""Scale: 200 chargers against Home Assistant running the integration.

A real Home Assistant (pytest-homeassistant-custom-component) runs the integration with
load balancing against a grid meter (a 400 kVA depot: 577 A per phase). 200 simulated
chargers run in a separate process (`python -m simulator`), each charging one car and
sending 3-phase MeterValues every 10 s plus heartbeats; the grid meter sensor changes
every 10 s too. After a warm-up, the benchmark measures for `SCALE_DURATION` seconds
(default 60; the full run is 600):

- CPU of the Home Assistant process (the chargers' process is not counted),
- event-loop lag (a 100 ms probe: how late it wakes), p50 / p99 / max,
- messages lost: MeterValues the chargers logged as sent minus those HA handled (goal 0),
- memory growth (RSS) over the measured window.

    SCALE_DURATION=600 .venv/bin/python -m pytest benchmarks/test_scale.py \
        -p no:cacheprovider --no-cov -q -s -p no:logging
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
import os
from pathlib import Path
import re
import statistics
import sys
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.site_options import default_site_options
from tests.helpers import charger_url, hub_of, wait_for

CHARGERS = 200
WARM_UP = 20.0  # s: every charger connected, booted and charging before measuring
DURATION = float(os.environ.get("SCALE_DURATION", "60"))
METER = ["sensor.depot_l1", "sensor.depot_l2", "sensor.depot_l3"]
_SENT = re.compile(r"connector \d+ meter \d+ Wh")


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A depot: 577 A per phase, a per-phase current meter, 60 s heartbeats."""
    return {
        **entry_options,
        **default_site_options(),
        "heartbeat_interval": 60,
        "grid_limit": 577,
        "meter_source": "phase_currents",
        "meter_entities": METER,
    }


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction) - 1)]


async def _probe_lag(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(0.1)
        lags.append(loop.time() - start - 0.1)


def _count_meter_values(counter: list[int]) -> Callable[..., None]:
    original = ChargerSession.on_meter_values

    def counting(self: ChargerSession, *args: Any, **kwargs: Any) -> None:
        counter[0] += 1
        original(self, *args, **kwargs)

    return counting


@pytest.mark.timeout(DURATION + 300)
async def test_scale(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 200 chargers against HA and print CPU, loop lag, losses and memory growth."""
    hass.loop.set_debug(False)  # the test harness's asyncio debug mode; HA runs without it
    for name in ("ocpp", "custom_components.smart_charging", "homeassistant"):
        logging.getLogger(name).setLevel(logging.WARNING)
    received = [0]
    monkeypatch.setattr(ChargerSession, "on_meter_values", _count_meter_values(received))
    for entity_id in METER:
        hass.states.async_set(entity_id, "100", {"unit_of_measurement": "A"})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    hub = hub_of(mock_config_entry)

    log_path = Path(f"/tmp/scale-simulator-{os.getpid()}.log")  # noqa: S108 - a benchmark log
    chargers = [f"--charger=DEPOT-{index:03d}:1:3:16" for index in range(CHARGERS)]
    with log_path.open("w") as log:  # noqa: ASYNC230 - once, before measuring
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "simulator",
            "--url",
            charger_url(mock_config_entry),
            *chargers,
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
    try:
        await wait_for(
            hass,
            lambda: sum(c.data.connected for c in hub.coordinators.values()) == CHARGERS,
            timeout=120,
        )
        await asyncio.sleep(WARM_UP)
        lags: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(_probe_lag(lags, stop))
        rss_before, cpu_before, wall_before = _rss_kib(), time.process_time(), time.monotonic()
        tick = 0
        while time.monotonic() - wall_before < DURATION:
            tick += 1
            for entity_id in METER:  # the depot's meter moves every 10 s
                hass.states.async_set(
                    entity_id, f"{300 + 20 * (tick % 5)}", {"unit_of_measurement": "A"}
                )
            await asyncio.sleep(10)
        cpu = (time.process_time() - cpu_before) / (time.monotonic() - wall_before)
        rss_after = _rss_kib()
        stop.set()
        await probe
    finally:
        process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 60)
    await asyncio.sleep(1)
    sent = len(_SENT.findall(log_path.read_text()))
    print(
        f"\nscale: {CHARGERS} chargers, {DURATION:.0f} s measured: "
        f"HA process CPU {cpu * 100:.1f} % of one core; "
        f"loop lag p50 {statistics.median(lags) * 1000:.1f} ms, "
        f"p99 {_percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms; "
        f"MeterValues sent {sent}, handled {received[0]}, lost {sent - received[0]}; "
        f"RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB "
        f"({(rss_after - rss_before) / 1024:+.1f} MiB)"
    )
