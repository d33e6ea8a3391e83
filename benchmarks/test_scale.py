"""Scale: 200 chargers against Home Assistant running the integration.

A real Home Assistant (pytest-homeassistant-custom-component) runs the integration with
load balancing against a grid meter (a 400 kVA depot: 577 A per phase). 200 simulated
chargers run in a separate process (`python -m benchmarks.test_scale`, which runs the
simulator's `python -m simulator` loop), each charging one car and sending 3-phase meter
values every 10 s plus heartbeats; the grid meter sensor changes every 10 s too. The depot
is run three times: 200 OCPP 1.6 chargers (`1.6`, MeterValues), 200 OCPP 2.0.1 stations
(`2.0.1`, TransactionEvent Updated) and 100 of each (`mixed`). After a warm-up, each run
measures for `SCALE_DURATION` seconds (default 60; the full run is 600):

- CPU of the Home Assistant process (the chargers' process is not counted),
- event-loop lag (a 100 ms probe: how late it wakes), p50 / p99 / max,
- meter values lost, per OCPP version: those the chargers logged as sent minus those HA
  handled (goal 0),
- memory growth (RSS) over the measured window.

    SCALE_DURATION=600 .venv/bin/python -m pytest benchmarks/test_scale.py \
        -p no:cacheprovider --no-cov -q -s -p no:logging

(`-k mixed` and so on for one depot.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
import contextlib
import logging
import os
from pathlib import Path
import re
import signal
import statistics
import sys
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.site_options import default_site_options
from simulator.cli import StationSpec, parse_charger, run
from simulator.v201 import SimulatedStation201
from tests.helpers import charger_url, hub_of, wait_for

CHARGERS = 200
WARM_UP = 20.0  # s: every charger connected, booted and charging before measuring
DURATION = float(os.environ.get("SCALE_DURATION", "60"))
METER = ["sensor.depot_l1", "sensor.depot_l2", "sensor.depot_l3"]
V16, V201 = "1.6", "2.0.1"
SITES = {V16: (V16,), V201: (V201,), "mixed": (V16, V201)}
PREFIX = {V16: "DEPOT-", V201: "STATION-"}  # charger ids tell the version
# What the chargers' process logs for each meter-values message it sends.
SENT = {
    V16: re.compile(r"SimulatedCharger DEPOT-\d+>: connector \d+ meter \d+ Wh"),
    V201: re.compile(r"SimulatedStation201 STATION-\d+>: EVSE \d+ meter values"),
}
_LOGGER = logging.getLogger(__name__)


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


def _version(charger_id: str) -> str:
    return V16 if charger_id.startswith(PREFIX[V16]) else V201


def _count_meter_values(counter: Counter[str]) -> Callable[..., None]:
    original = ChargerSession.on_meter_values

    def counting(self: ChargerSession, *args: Any, **kwargs: Any) -> None:
        counter[_version(self.charger_id)] += 1
        original(self, *args, **kwargs)

    return counting


def _ids(site: str, version: str) -> list[str]:
    """The ids of the site's chargers of `version`: on a mixed site, half each."""
    versions = SITES[site]
    return [
        f"{PREFIX[version]}{index:03d}"
        for index in range(CHARGERS)
        if versions[index % len(versions)] == version
    ]


async def _simulate(site: str, url: str) -> int:
    """The chargers' process: run the site's chargers until SIGTERM (as `python -m simulator`).

    OCPP 2.0.1 stations log nothing per message, so they log each message with meter values
    here: TransactionEvent Updated, and Started, whose energy register the central system
    handles as meter values too (as it does a 1.6 charger's first MeterValues).
    """
    send, start = SimulatedStation201.send_meter_values, SimulatedStation201.start_transaction

    async def send_meter_values(self: SimulatedStation201, evse_id: int) -> None:
        _LOGGER.info("%s: EVSE %d meter values", self, evse_id)
        await send(self, evse_id)

    async def start_transaction(
        self: SimulatedStation201, evse_id: int, *args: Any, **kwargs: Any
    ) -> str:
        _LOGGER.info("%s: EVSE %d meter values (transaction started)", self, evse_id)
        return await start(self, evse_id, *args, **kwargs)

    SimulatedStation201.send_meter_values = send_meter_values  # type: ignore[method-assign]
    SimulatedStation201.start_transaction = start_transaction  # type: ignore[method-assign]
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    chargers = [parse_charger(f"{charger_id}:1:3:16") for charger_id in _ids(site, V16)]
    stations = [StationSpec(station_id, 1, 16.0) for station_id in _ids(site, V201)]
    return await run(url, chargers, stop, stations)


@pytest.mark.timeout(DURATION + 300)
@pytest.mark.parametrize("site", list(SITES))
async def test_scale(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    site: str,
) -> None:
    """Run 200 chargers against HA and print CPU, loop lag, losses and memory growth."""
    hass.loop.set_debug(False)  # the test harness's asyncio debug mode; HA runs without it
    for name in ("ocpp", "custom_components.smart_charging", "homeassistant"):
        logging.getLogger(name).setLevel(logging.WARNING)
    received: Counter[str] = Counter()
    monkeypatch.setattr(ChargerSession, "on_meter_values", _count_meter_values(received))
    for entity_id in METER:
        hass.states.async_set(entity_id, "100", {"unit_of_measurement": "A"})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    hub = hub_of(mock_config_entry)

    log_path = Path(f"/tmp/scale-simulator-{os.getpid()}.log")  # noqa: S108 - a benchmark log
    with log_path.open("w") as log:  # noqa: ASYNC230 - once, before measuring
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.test_scale",
            site,
            charger_url(mock_config_entry),
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
    text = log_path.read_text()
    counts = []
    for version in SITES[site]:
        sent = len(SENT[version].findall(text))
        counts.append(
            f"OCPP {version}: {len(_ids(site, version))} chargers, meter values sent {sent}, "
            f"handled {received[version]}, lost {sent - received[version]}"
        )
    print(
        f"\nscale, {site} depot: {CHARGERS} chargers, {DURATION:.0f} s measured: "
        f"HA process CPU {cpu * 100:.1f} % of one core; "
        f"loop lag p50 {statistics.median(lags) * 1000:.1f} ms, "
        f"p99 {_percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms; "
        f"RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB "
        f"({(rss_after - rss_before) / 1024:+.1f} MiB)"
    )
    for line in counts:
        print(f"  {line}")


if __name__ == "__main__":
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for quiet in ("ocpp", "aiohttp"):  # as `python -m simulator` without --verbose
        logging.getLogger(quiet).setLevel(logging.WARNING)
    sys.exit(asyncio.run(_simulate(sys.argv[1], sys.argv[2])))
