"""How fast the central system answers many chargers at once, over real websockets.

N simulated chargers (one aiohttp connection each) connect, boot and get ready; then all
send 3-phase meter values back to back, as fast as the central system answers. OCPP 1.6
chargers (the `ocpp` library's ChargePoint) send MeterValues; OCPP 2.0.1 stations
(`simulator.v201.SimulatedStation201`, in a started transaction) send TransactionEvent
Updated with energy, power, 3 currents, offered current and voltage. With `--ocpp both`
(the default) the 1.6 run comes first, then the 2.0.1 run with the same N and message count,
in the same process, so both versions are compared on the same machine at the same moment.

For each version the script reports answered messages per second (from the moment every
charger is ready) and the round-trip latency of each message (p50/p99/max), as a charger
sees it. Everything runs in one process on 127.0.0.1, so the figures include the client
side too: they are a floor for the server, not a ceiling.

    .venv/bin/python -m benchmarks.central_system_latency --chargers 100 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
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
from simulator.v201 import SimulatedStation201

VERSIONS = ("1.6", "2.0.1")
ACCEPTED = "Accepted"

# Sends meter-values message number `seq` and returns once the central system answered it.
Send = Callable[[int], Awaitable[None]]


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


async def _open_charger_16(
    stack: contextlib.AsyncExitStack[bool | None], http: aiohttp.ClientSession, url: str, index: int
) -> Send:
    """Connect and boot a 1.6 charger; return its MeterValues sender."""
    charger_id = f"BENCH-{index:04d}"
    ws = await stack.enter_async_context(
        http.ws_connect(f"{url}/{charger_id}", protocols=("ocpp1.6",))
    )
    charge_point = _BenchChargePoint(charger_id, _Connection(ws))  # type: ignore[no-untyped-call]
    receiver = asyncio.create_task(charge_point.start())  # type: ignore[no-untyped-call]
    stack.callback(receiver.cancel)
    await charge_point.call(  # type: ignore[no-untyped-call]
        call.BootNotification(charge_point_vendor="Bench", charge_point_model="B1")
    )

    async def send(seq: int) -> None:
        await charge_point.call(_meter_values(seq))  # type: ignore[no-untyped-call]

    return send


async def _open_station_201(
    stack: contextlib.AsyncExitStack[bool | None], url: str, index: int
) -> Send:
    """Connect and boot a 2.0.1 station, start a transaction; return its TransactionEvent sender."""
    station = SimulatedStation201(f"BENCH-{index:04d}", url, evses=1)
    stack.push_async_callback(station.close)
    status = await station.connect()
    if status != ACCEPTED:
        raise RuntimeError(f"{station}: BootNotification {status}")
    await station.start_transaction(1)

    async def send(seq: int) -> None:
        del seq  # the station numbers its TransactionEvents itself
        await station.send_meter_values(1)

    return send


async def _send_all(send: Send, messages: int, latencies: list[float]) -> None:
    """Send `messages` meter values back to back, noting each round trip."""
    for seq in range(messages):
        started = time.perf_counter()
        await send(seq)
        latencies.append(time.perf_counter() - started)


async def run(chargers: int, messages: int, ocpp: str = "1.6") -> dict[str, float]:
    """Run the benchmark with `chargers` chargers of OCPP version `ocpp`; return its figures."""
    if ocpp not in VERSIONS:
        raise ValueError(f"OCPP {ocpp} is not one of {VERSIONS}")
    central = CentralSystem(
        host="127.0.0.1",
        port=0,
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL),
        settings=SessionSettings(),
        listener=_Listener(),
        persistence=_Persistence(),
    )
    await central.start()
    url = f"ws://127.0.0.1:{central.port}"
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        senders = await asyncio.gather(
            *(
                _open_charger_16(stack, http, url, index)
                if ocpp == "1.6"
                else _open_station_201(stack, url, index)
                for index in range(chargers)
            )
        )
        started = time.perf_counter()
        await asyncio.gather(*(_send_all(send, messages, latencies) for send in senders))
        elapsed = time.perf_counter() - started
    await central.stop()
    return _figures(chargers, latencies, elapsed)


def _figures(chargers: int, latencies: list[float], elapsed: float) -> dict[str, float]:
    """Throughput and latency percentiles of one run."""
    latencies = sorted(latencies)
    return {
        "chargers": chargers,
        "messages": len(latencies),
        "messages_per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


async def run_versions(chargers: int, messages: int, versions: tuple[str, ...]) -> None:
    """Run each version in turn, in this process; print one line of figures per version."""
    for version in versions:
        figures = await run(chargers, messages, version)
        print(
            "chargers={chargers:.0f} ocpp={version} messages={messages:.0f} "
            "throughput={messages_per_second:.0f}/s p50={p50_ms:.2f}ms p99={p99_ms:.2f}ms "
            "max={max_ms:.2f}ms".format(version=version, **figures),
            flush=True,
        )


def main() -> None:
    """Parse arguments, run, print one line of figures per OCPP version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--ocpp", choices=(*VERSIONS, "both"), default="both")
    args = parser.parse_args()
    versions = VERSIONS if args.ocpp == "both" else (args.ocpp,)
    asyncio.run(run_versions(args.chargers, args.messages, versions))


if __name__ == "__main__":
    main()
