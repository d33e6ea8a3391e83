"""How fast the central system answers many chargers at once, over real websockets.

N simulated chargers (the `ocpp` library, one aiohttp connection each) send 3-phase
MeterValues as fast as the central system answers; the script reports answered
messages per second and the round-trip latency of each message (p50/p99/max), as a
charger sees it. Everything runs in one process on 127.0.0.1, so the figures include
the client side too: they are a floor for the server, not a ceiling.

    .venv/bin/python -m benchmarks.central_system_latency --chargers 100 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import statistics
import time
from typing import Any

import aiohttp
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import ConfigurationStatus

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.session import ChargerSession, SessionSettings


class _Listener:
    def charger_updated(self, session: ChargerSession) -> None:
        pass

    def charger_approved(self, session: ChargerSession) -> None:
        pass

    def admission_requested(self, session: ChargerSession) -> None:
        pass


class _Persistence:
    async def load(self) -> dict[str, Any] | None:
        return None

    async def save_now(self, data: dict[str, Any]) -> None:
        pass

    def save_later(self, data_fn: Callable[[], dict[str, Any]]) -> None:
        pass


class _Connection:
    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._websocket = websocket

    async def recv(self) -> str:
        message = await self._websocket.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError
        return str(message.data)

    async def send(self, text: str) -> None:
        await self._websocket.send_str(text)


class _BenchChargePoint(ChargePoint):
    """Answers the central system's setup calls, as any charger would."""

    @on("GetConfiguration")
    def on_get_configuration(self, **_: Any) -> call_result.GetConfiguration:
        return call_result.GetConfiguration(configuration_key=[])

    @on("ChangeConfiguration")
    def on_change_configuration(self, **_: Any) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=ConfigurationStatus.accepted)


def _meter_values(seq: int) -> call.MeterValues:
    sampled = [
        {"value": str(1000 + seq), "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        {"value": "11040", "unit": "W", "measurand": "Power.Active.Import"},
        *(
            {"value": "16.0", "unit": "A", "measurand": "Current.Import", "phase": f"L{n}"}
            for n in (1, 2, 3)
        ),
        *(
            {"value": "230.0", "unit": "V", "measurand": "Voltage", "phase": f"L{n}-N"}
            for n in (1, 2, 3)
        ),
    ]
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return call.MeterValues(
        connector_id=1, meter_value=[{"timestamp": timestamp, "sampledValue": sampled}]
    )


async def _charger(
    http: aiohttp.ClientSession, url: str, index: int, messages: int, latencies: list[float]
) -> None:
    async with http.ws_connect(f"{url}/BENCH-{index:04d}", protocols=("ocpp1.6",)) as ws:
        charge_point = _BenchChargePoint(f"BENCH-{index:04d}", _Connection(ws))  # type: ignore[no-untyped-call]
        receiver = asyncio.create_task(charge_point.start())  # type: ignore[no-untyped-call]
        await charge_point.call(  # type: ignore[no-untyped-call]
            call.BootNotification(charge_point_vendor="Bench", charge_point_model="B1")
        )
        for seq in range(messages):
            started = time.perf_counter()
            await charge_point.call(_meter_values(seq))  # type: ignore[no-untyped-call]
            latencies.append(time.perf_counter() - started)
        receiver.cancel()


async def run(chargers: int, messages: int) -> dict[str, float]:
    """Run the benchmark and return its figures."""
    central = CentralSystem(
        host="127.0.0.1",
        port=0,
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL),
        settings=SessionSettings(),
        listener=_Listener(),
        persistence=_Persistence(),
    )
    await central.start()
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _charger(http, f"ws://127.0.0.1:{central.port}", index, messages, latencies)
                for index in range(chargers)
            )
        )
        elapsed = time.perf_counter() - started
    await central.stop()
    latencies.sort()
    return {
        "chargers": chargers,
        "messages": len(latencies),
        "messages_per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    """Parse arguments, run, print one line of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    figures = asyncio.run(run(args.chargers, args.messages))
    print(
        "chargers={chargers:.0f} messages={messages:.0f} "
        "throughput={messages_per_second:.0f}/s p50={p50_ms:.2f}ms p99={p99_ms:.2f}ms "
        "max={max_ms:.2f}ms".format(**figures)
    )


if __name__ == "__main__":
    main()
