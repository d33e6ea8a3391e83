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
import multiprocessing
from multiprocessing.connection import Connection
import statistics
import time
from typing import Any

import aiohttp
from ocpp import messages as ocpp_messages
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import ConfigurationStatus
from ocpp.v201 import call as call201

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.session import ChargerSession, SessionSettings
from simulator.v201 import SimulatedStation201
from simulator.v201.payload import build

VERSIONS = ("1.6", "2.0.1")
ACCEPTED = "Accepted"

# Sends meter-values message number `seq` and returns once the central system answered it.
Send = Callable[[int], Awaitable[None]]


class _Listener:
    """Tells when `chargers` chargers have been set up (capabilities read, metering set)."""

    def __init__(self, chargers: int) -> None:
        self._chargers = chargers
        self._configured: set[str] = set()
        self.all_set_up = asyncio.Event()

    def charger_updated(self, session: ChargerSession) -> None:
        if session.state.configured:
            self._configured.add(session.charger_id)
        if len(self._configured) >= self._chargers:
            self.all_set_up.set()

    def charger_approved(self, session: ChargerSession) -> None:
        pass

    def admission_requested(self, session: ChargerSession) -> None:
        pass

    def password_needed(self, charger_id: str, password: str) -> None:
        pass

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        pass

    def authentication_recovered(self, charger_id: str) -> None:
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


def _meter_values(seq: int, transaction_id: int) -> call.MeterValues:
    """What a 1.6 charger sends during a transaction: the 2.0.1 station's measurands."""
    periodic = {"context": "Sample.Periodic"}
    sampled = [
        {"value": str(1000 + seq), "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        {"value": "11040", "unit": "W", "measurand": "Power.Active.Import"},
        *(
            {"value": "16.0", "unit": "A", "measurand": "Current.Import", "phase": f"L{n}"}
            for n in (1, 2, 3)
        ),
        {"value": "16.0", "unit": "A", "measurand": "Current.Offered"},
        {"value": "230.0", "unit": "V", "measurand": "Voltage"},
    ]
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return call.MeterValues(
        connector_id=1,
        transaction_id=transaction_id,
        meter_value=[
            {"timestamp": timestamp, "sampledValue": [periodic | sample for sample in sampled]}
        ],
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
    started = await charge_point.call(  # type: ignore[no-untyped-call]
        call.StartTransaction(
            connector_id=1,
            id_tag="BENCH",
            meter_start=1000,
            timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
    )

    async def send(seq: int) -> None:
        message = _meter_values(seq, started.transaction_id)
        await charge_point.call(  # type: ignore[no-untyped-call]
            message, skip_schema_validation=True
        )

    return send


def _transaction_event(seq_no: int, transaction_id: str) -> Any:
    """What a 2.0.1 station sends during a transaction: the 1.6 charger's measurands."""

    def sample(value: float, measurand: str, unit: str, phase: str | None = None) -> dict[str, Any]:
        return {
            "value": value,
            "measurand": measurand,
            "context": "Sample.Periodic",
            "unit_of_measure": {"unit": unit},
            **({"phase": phase} if phase else {}),
        }

    sampled = [
        sample(1000 + seq_no, "Energy.Active.Import.Register", "Wh"),
        sample(11040, "Power.Active.Import", "W"),
        *(sample(16.0, "Current.Import", "A", f"L{n}") for n in (1, 2, 3)),
        sample(16.0, "Current.Offered", "A"),
        sample(230.0, "Voltage", "V"),
    ]
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return build(
        call201.TransactionEvent,
        event_type="Updated",
        timestamp=timestamp,
        trigger_reason="MeterValuePeriodic",
        seq_no=seq_no,
        transaction_info={"transaction_id": transaction_id, "charging_state": "Charging"},
        evse={"id": 1, "connector_id": 1},
        meter_value=[{"timestamp": timestamp, "sampled_value": sampled}],
    )


async def _open_station_201(
    stack: contextlib.AsyncExitStack[bool | None], url: str, index: int
) -> Send:
    """Connect and boot a 2.0.1 station, start a transaction; return its TransactionEvent sender.

    The events are built here, as the 1.6 charger's MeterValues are, not by the simulated
    station's electrics: both load generators cost the same, so neither limits the run.
    """
    station = SimulatedStation201(f"BENCH-{index:04d}", url, evses=1, validate_own_calls=False)
    stack.push_async_callback(station.close)
    status = await station.connect()
    if status != ACCEPTED:
        raise RuntimeError(f"{station}: BootNotification {status}")
    transaction_id = await station.start_transaction(1)
    evse = station.evse(1)

    async def send(seq: int) -> None:
        del seq  # the station numbers its TransactionEvents itself
        await station.request(_transaction_event(evse.next_seq_no(), transaction_id))

    return send


async def _send_all(
    send: Send, messages: int, latencies: list[float], interval: float, offset: float
) -> None:
    """Send `messages` meter values, noting each round trip.

    Back to back with `interval` 0; else one every `interval` seconds from `offset` on.
    """
    begun = time.perf_counter() + offset
    for seq in range(messages):
        if interval:
            await asyncio.sleep(max(0.0, begun + seq * interval - time.perf_counter()))
        started = time.perf_counter()
        await send(seq)
        latencies.append(time.perf_counter() - started)


async def _drive(
    url: str, chargers: int, messages: int, ocpp: str, rate: float, link: Connection
) -> None:
    """In the chargers' process: connect and boot all, then on the word send all; report back.

    `rate`: messages per second from all chargers together (0: each as fast as answered).
    """
    interval = chargers / rate if rate else 0.0
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
        link.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, link.recv)
        started = time.perf_counter()
        cpu_started = time.process_time()
        await asyncio.gather(
            *(
                _send_all(send, messages, latencies, interval, interval * index / chargers)
                for index, send in enumerate(senders)
            )
        )
        elapsed = time.perf_counter() - started
        link.send((latencies, elapsed, time.process_time() - cpu_started))


def _chargers_process(
    url: str, chargers: int, messages: int, ocpp: str, rate: float, link: Connection
) -> None:
    # A charger validates on its own hardware: inline, not on a thread pool of ours.
    ocpp_messages.ASYNC_VALIDATION = False
    asyncio.run(_drive(url, chargers, messages, ocpp, rate, link))


async def run(
    chargers: int, messages: int, ocpp: str = "1.6", rate: float = 0.0
) -> dict[str, float]:
    """Run the benchmark with `chargers` chargers of OCPP version `ocpp`; return its figures.

    The chargers run in a process of their own, so the central system's CPU time per
    message (this process's, while the chargers send) is its cost alone.
    """
    if ocpp not in VERSIONS:
        raise ValueError(f"OCPP {ocpp} is not one of {VERSIONS}")
    listener = _Listener(chargers)
    central = CentralSystem(
        host="127.0.0.1",
        port=0,
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL),
        settings=SessionSettings(),
        listener=listener,
        persistence=_Persistence(),
    )
    await central.start()
    url = f"ws://127.0.0.1:{central.port}"
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_chargers_process, args=(url, chargers, messages, ocpp, rate, theirs)
    )
    process.start()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, ours.recv)  # all booted
        await listener.all_set_up.wait()
        cpu_started = time.process_time()
        ours.send("go")
        latencies, elapsed, chargers_cpu = await loop.run_in_executor(None, ours.recv)
        cpu = time.process_time() - cpu_started
    finally:
        process.join(timeout=30)
        await central.stop()
    figures = _figures(chargers, latencies, elapsed)
    figures["server_cpu_us"] = cpu / len(latencies) * 1e6
    # Near 100 %, the chargers' process, not the central system, limits the throughput.
    figures["chargers_busy_percent"] = chargers_cpu / elapsed * 100
    return figures


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


async def run_versions(
    chargers: int, messages: int, versions: tuple[str, ...], rate: float, rounds: int
) -> None:
    """Run the versions in turn, `rounds` times over; print each version's median figures.

    Alternating the versions round by round spreads the machine's drift over both.
    """
    runs: dict[str, list[dict[str, float]]] = {version: [] for version in versions}
    for _ in range(rounds):
        for version in versions:
            runs[version].append(await run(chargers, messages, version, rate))
    for version, figures in runs.items():
        median = {key: statistics.median(run[key] for run in figures) for key in figures[0]}
        print(
            "chargers={chargers:.0f} ocpp={version} rate={rate} messages={messages:.0f} "
            "throughput={messages_per_second:.0f}/s p50={p50_ms:.2f}ms p99={p99_ms:.2f}ms "
            "max={max_ms:.2f}ms server_cpu={server_cpu_us:.0f}us/message "
            "chargers_busy={chargers_busy_percent:.0f}%".format(
                version=version, rate=f"{rate:.0f}/s" if rate else "max", **median
            ),
            flush=True,
        )


def main() -> None:
    """Parse arguments, run, print one line of figures per OCPP version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--ocpp", choices=(*VERSIONS, "both"), default="both")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="messages/s from all chargers (0: flat out)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per version; medians shown")
    args = parser.parse_args()
    versions = VERSIONS if args.ocpp == "both" else (args.ocpp,)
    asyncio.run(run_versions(args.chargers, args.messages, versions, args.rate, args.rounds))


if __name__ == "__main__":
    main()
