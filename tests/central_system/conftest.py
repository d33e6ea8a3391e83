"""Fixtures: a `CentralSystem` on 127.0.0.1, simulated chargers and raw OCPP-J clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import copy
from dataclasses import dataclass, field
import json
import logging
from typing import Any

import aiohttp
import pytest

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.security.settings import SecuritySettings
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.session import ChargerSession, SessionSettings
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from simulator.v201 import SimulatedStation201

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
# Short enough to keep the module fast, long enough for a loaded CI machine.
RESPONSE_TIMEOUT = 2.0
WAIT = 3.0


class MemoryPersistence:
    """In-memory `Persistence`: keeps a deep copy of every save."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        """Start with `data` as what `load` returns."""
        self.data = copy.deepcopy(data)
        self.saved_now: list[dict[str, Any]] = []
        self.saved_later = 0

    async def load(self) -> dict[str, Any] | None:
        """Return a copy of the stored data."""
        return copy.deepcopy(self.data)

    async def save_now(self, data: dict[str, Any]) -> None:
        """Store a copy at once."""
        self.data = copy.deepcopy(data)
        self.saved_now.append(self.data)

    def save_later(self, data_fn: Callable[[], dict[str, Any]]) -> None:
        """Store at once too (a real store debounces); count the requests."""
        self.saved_later += 1
        self.data = copy.deepcopy(data_fn())


class RecordingListener:
    """`CentralSystemListener` that records (event, charger id) pairs."""

    def __init__(self) -> None:
        """Start with no events."""
        self.events: list[tuple[str, str]] = []

    def charger_updated(self, session: ChargerSession) -> None:
        """Record an update."""
        self.events.append(("updated", session.charger_id))

    def charger_approved(self, session: ChargerSession) -> None:
        """Record an approval."""
        self.events.append(("approved", session.charger_id))

    def admission_requested(self, session: ChargerSession) -> None:
        """Record an admission request."""
        self.events.append(("admission_requested", session.charger_id))

    def password_needed(self, charger_id: str, password: str) -> None:
        """Record that the owner is shown a password (not the password itself)."""
        self.events.append(("password_needed", charger_id))

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Record repeated failures."""
        self.events.append(("authentication_failed", charger_id))

    def authentication_recovered(self, charger_id: str) -> None:
        """Record a good connection after failures."""
        self.events.append(("authentication_recovered", charger_id))

    def count(self, event: str, charger_id: str) -> int:
        """Return how often `event` was recorded for `charger_id`."""
        return self.events.count((event, charger_id))


@dataclass
class Server:
    """A running central system and its test doubles."""

    system: CentralSystem
    listener: RecordingListener
    persistence: MemoryPersistence

    @property
    def url(self) -> str:
        """Return the URL chargers connect to (without the charge point id)."""
        return f"ws://127.0.0.1:{self.system.port}"

    def session(self, charger_id: str) -> ChargerSession:
        """Return an existing session (KeyError when there is none)."""
        return self.system.sessions[charger_id]


def fast_settings(**overrides: Any) -> SessionSettings:
    """Settings with short timeouts; a Pending charger retries its boot only after a minute."""
    values: dict[str, Any] = {
        "heartbeat_interval": 300,
        "meter_interval": 10,
        "pending_retry_interval": 60,
        "response_timeout": RESPONSE_TIMEOUT,
        # The security tests turn it on: elsewhere the setup's messages stay as they were.
        "install_passwords": False,
    }
    values.update(overrides)
    return SessionSettings(**values)


ServerFactory = Callable[..., Awaitable[Server]]
ChargerFactory = Callable[..., SimulatedCharger]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the root fixture: this package knows no Home Assistant, so no `hass` per test."""


@pytest.fixture
async def make_server(socket_enabled: None) -> AsyncIterator[ServerFactory]:
    """Start central systems on 127.0.0.1, port 0; all are stopped after the test."""
    servers: list[Server] = []

    async def start(
        *,
        policy: AccessPolicy | None = None,
        settings: SessionSettings | None = None,
        persistence: MemoryPersistence | None = None,
        security: SecuritySettings | None = None,
    ) -> Server:
        listener = RecordingListener()
        store = persistence if persistence is not None else MemoryPersistence()
        system = CentralSystem(
            host="127.0.0.1",
            port=0,
            policy=policy or AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL),
            settings=settings or fast_settings(),
            listener=listener,
            persistence=store,
            security=security,
        )
        await system.start()
        server = Server(system, listener, store)
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.system.stop()


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """A central system that accepts every charger."""
    return await make_server()


@pytest.fixture
async def make_charger(make_server: ServerFactory) -> AsyncIterator[ChargerFactory]:
    """Build simulated chargers (closed before the central systems stop)."""
    chargers: list[SimulatedCharger] = []

    def build(server: Server, charge_point_id: str = "CP-1", **spec: Any) -> SimulatedCharger:
        spec.setdefault("reconnect", False)
        spec.setdefault("response_timeout", RESPONSE_TIMEOUT)
        charger = SimulatedCharger(ChargerSpec(charge_point_id, **spec), server.url)
        chargers.append(charger)
        return charger

    yield build
    for charger in chargers:
        await charger.close()


async def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll `condition` until it holds (TimeoutError otherwise)."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def connected_charger(
    server: Server, make_charger: ChargerFactory, charge_point_id: str = "CP-1", **spec: Any
) -> tuple[SimulatedCharger, ChargerSession]:
    """Connect a charger, wait until the central system finished setting it up."""
    charger = make_charger(server, charge_point_id, **spec)
    assert await charger.connect() == "Accepted"
    await charger.wait_accepted()
    session = server.session(charge_point_id)
    await wait_for_setup(charger)
    await wait_until(lambda: session.state.configured)
    return charger, session


async def wait_for_setup(charger: SimulatedCharger) -> None:
    """Wait until the setup after connect (capabilities, metering) reached the charger."""
    await charger.wait_for_call("ChangeConfiguration", predicate=_sampled_data)


def _sampled_data(payload: dict[str, Any]) -> bool:
    return bool(payload.get("key") == "MeterValuesSampledData")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the WARNING-or-worse lines of the central system and the `ocpp` library.

    The simulator's and asyncio's (slow callbacks on a loaded machine) are left aside.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and (record.name == "ocpp" or record.name.startswith("custom_components."))
    ]


@dataclass
class RawClient:
    """A bare OCPP-J WebSocket client: frames in, frames out, nothing answered by itself."""

    websocket: aiohttp.ClientWebSocketResponse
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[list[Any]] = field(default_factory=list)

    async def send(self, frame: object) -> None:
        """Send a frame (a str as is, anything else as JSON)."""
        await self.websocket.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        await self.websocket.send_bytes(data)

    async def receive(self, timeout: float = WAIT) -> list[Any]:
        """Return the next frame; answer the server's calls listed in `answers` meanwhile."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.websocket.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"websocket {message.type.name}")
                frame: list[Any] = json.loads(message.data)
                if frame[0] == CALL:
                    self.calls.append(frame)
                    if frame[2] in self.answers:
                        await self.send([CALL_RESULT, frame[1], self.answers[frame[2]]])
                        continue
                return frame

    async def response_to(self, message_id: str, timeout: float = WAIT) -> list[Any]:
        """Return the CALLRESULT/CALLERROR answering `message_id` (skipping the server's calls)."""
        while True:
            frame = await self.receive(timeout)
            if frame[0] != CALL and frame[1] == message_id:
                return frame

    async def answer_calls(self, count: int, timeout: float = WAIT) -> None:
        """Answer the server's calls (all listed in `answers`) until `count` came in all."""
        async with asyncio.timeout(timeout):
            while len(self.calls) < count:
                message = await self.websocket.receive()
                frame = json.loads(message.data)
                assert frame[0] == CALL, frame
                self.calls.append(frame)
                await self.send([CALL_RESULT, frame[1], self.answers[frame[2]]])

    async def call(self, message_id: str, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send a CALL and return its answer."""
        await self.send([CALL, message_id, action, payload])
        return await self.response_to(message_id)


RawClientFactory = Callable[..., Awaitable[RawClient]]

# What a raw client answers so that the setup after connect completes quietly.
QUIET_ANSWERS: dict[str, dict[str, Any]] = {
    "GetConfiguration": {"configurationKey": []},
    "ChangeConfiguration": {"status": "Accepted"},
}


@pytest.fixture
async def raw_client(make_server: ServerFactory) -> AsyncIterator[RawClientFactory]:
    """Open raw WebSocket connections to a central system (closed before it stops)."""
    http = aiohttp.ClientSession()
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def connect(
        server: Server,
        charge_point_id: str,
        protocols: tuple[str, ...] = ("ocpp1.6",),
        answers: dict[str, dict[str, Any]] | None = None,
    ) -> RawClient:
        websocket = await http.ws_connect(
            f"{server.url}/{charge_point_id}", protocols=protocols, autoping=True
        )
        sockets.append(websocket)
        return RawClient(websocket, dict(answers or {}))

    yield connect
    for websocket in sockets:
        await websocket.close()
    await http.close()


StationFactory = Callable[..., SimulatedStation201]


@pytest.fixture
async def make_station() -> AsyncIterator[StationFactory]:
    """Build simulated 2.0.1 stations, or of a subclass (`kind`), closed at the end."""
    stations: list[SimulatedStation201] = []

    def build(
        server: Server,
        station_id: str = "CS-1",
        kind: type[SimulatedStation201] = SimulatedStation201,
        **options: object,
    ) -> SimulatedStation201:
        station = kind(station_id, server.url, **options)  # type: ignore[arg-type]
        stations.append(station)
        return station

    yield build
    for station in stations:
        await station.close()


async def booted(
    server: Server, make_station: StationFactory, **options: object
) -> tuple[SimulatedStation201, ChargerSession]:
    """A 2.0.1 station that booted and was set up."""
    station = make_station(server, **options)
    assert await station.connect() == "Accepted"
    session = server.session(station.station_id)
    await wait_until(lambda: session.state.configured)
    return station, session
