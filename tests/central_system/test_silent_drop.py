"""A charger's link drops silently (no TCP close): the WebSocket heartbeat finds it.

Documented (docs/ocpp.md, *Transport*): WebSocket pings every 30 s (`server.PING_INTERVAL`,
aiohttp's heartbeat: a ping after that long without a frame, and the link is dead when no
pong comes within half of it). A link that dies without a close (a pulled cable, lost Wi-Fi,
a charger that hangs) is found within 1.5 intervals of the last frame, the charger is marked
disconnected and the listener (the HA glue) is told. Meanwhile the charger, which heard
nothing either, protects the site by itself: its live limit expires after its validity and
its safe default (TxDefaultProfile at stack level 1, no expiry) applies.

The interval is shortened for the tests by setting the module attribute the server reads for
each new connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json

import aiohttp
import pytest

from custom_components.smart_charging.central_system import server as server_module
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.session import ChargerSession
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec

from .blackhole import FOUND_WITHIN, PING, BlackHoleRelay
from .conftest import (
    CALL,
    CALL_RESULT,
    QUIET_ANSWERS,
    RESPONSE_TIMEOUT,
    Server,
    wait_for_setup,
    wait_until,
)

VALIDITY = 120  # s: the live limit's validity (the balancer's default)
SAFE_DEFAULT = 8.0  # A


@pytest.fixture(autouse=True)
def fast_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ping every PING seconds on connections opened from now on."""
    monkeypatch.setattr(server_module, "PING_INTERVAL", PING)


class ConnectionLog:
    """Whether the charger was connected each time the listener heard of it, and when."""

    def __init__(self, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
        """Listen next to the server's recording listener."""
        self.seen: list[tuple[float, bool]] = []
        recorded = server.listener.charger_updated

        def charger_updated(session: ChargerSession) -> None:
            self.seen.append((_now(), session.state.connected))
            recorded(session)

        monkeypatch.setattr(server.listener, "charger_updated", charger_updated)

    def disconnected_after(self, moment: float) -> float | None:
        """When the listener was first told of a disconnection after `moment`, if it was."""
        return next((at for at, connected in self.seen if at >= moment and not connected), None)


def _now() -> float:
    """The loop's (monotonic) clock."""
    return asyncio.get_running_loop().time()


@pytest.fixture
async def relay(server: Server) -> AsyncIterator[BlackHoleRelay]:
    """A relay to the central system whose link the test cuts."""
    relay = BlackHoleRelay(server.system.port)
    await relay.start()
    yield relay
    await relay.close()


async def test_silent_drop_found_by_heartbeat_and_the_charger_falls_back(
    server: Server, relay: BlackHoleRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pings answered: connected however idle. Link cut: disconnected within 2 intervals."""
    log = ConnectionLog(server, monkeypatch)
    charger = SimulatedCharger(
        ChargerSpec("CP-1", reconnect=False, response_timeout=RESPONSE_TIMEOUT, meter_interval=0),
        relay.url,
    )
    try:
        assert await charger.connect() == "Accepted"
        await wait_for_setup(charger)
        session = server.session("CP-1")
        await wait_until(lambda: session.state.configured)
        await charger.start_transaction(1)
        # What the balancer installs: the safe default, then a live limit that expires.
        await session.apply_limit(
            ChargingLimit(connector_id=0, value=SAFE_DEFAULT, safe_default=True)
        )
        await session.apply_limit(ChargingLimit(connector_id=1, value=16.0, duration=VALIDITY))
        assert charger.effective_limit(1) == 16.0

        # Idle for several intervals, nothing sent either way but pings and pongs: still there.
        await asyncio.sleep(4 * PING)
        assert session.connected
        assert log.disconnected_after(0.0) is None

        await relay.cut()
        cut_at = _now()
        await wait_until(lambda: not session.connected, timeout=4 * PING)
        detected = log.disconnected_after(cut_at)
        assert detected is not None
        # The next ping is due within an interval, its pong within half of one.
        assert detected - cut_at <= FOUND_WITHIN
        assert server.listener.events[-1] == ("updated", "CP-1")
        # Nothing was closed: the charger never heard of it either...
        assert charger.connected
        # ...and falls back by itself: its live limit expires, its safe default applies.
        charger.advance(VALIDITY / 2)
        assert charger.effective_limit(1) == 16.0
        charger.advance(VALIDITY / 2 + 1)
        assert charger.effective_limit(1) == SAFE_DEFAULT
    finally:
        await charger.close()


async def test_a_charger_that_stops_answering_pings_is_disconnected(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that booted, then neither reads nor answers pings (a hung charger)."""
    log = ConnectionLog(server, monkeypatch)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{server.url}/CP-HUNG", protocols=("ocpp1.6",), autoping=False
        ) as websocket,
    ):
        boot = {"chargePointVendor": "Acme", "chargePointModel": "Hung-1"}
        await websocket.send_str(json.dumps([CALL, "boot", "BootNotification", boot]))
        # Answer the setup after the boot; pings are never answered.
        async with asyncio.timeout(4 * RESPONSE_TIMEOUT):
            while not (session := server.system.sessions.get("CP-HUNG")) or not (
                session.state.configured
            ):
                try:
                    message = await websocket.receive(timeout=0.05)
                except TimeoutError:
                    continue
                if message.type is aiohttp.WSMsgType.TEXT:
                    frame = json.loads(message.data)
                    if frame[0] == CALL:
                        answer = [CALL_RESULT, frame[1], QUIET_ANSWERS[frame[2]]]
                        await websocket.send_str(json.dumps(answer))
        last_frame_at = _now()
        assert session.connected
        # From here on it hangs: nothing read, nothing sent, the socket stays open.
        await wait_until(lambda: not session.connected, timeout=4 * PING)
        detected = log.disconnected_after(last_frame_at)
        assert detected is not None
        assert detected - last_frame_at <= FOUND_WITHIN
        assert not websocket.closed  # the client did not close it: the server gave up
