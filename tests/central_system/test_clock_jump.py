"""HA's wall clock jumps by hours (NTP after a boot without RTC, a VM restored, a manual fix).

The central system's timers run on the event loop's monotonic clock (the WebSocket heartbeat,
the boot timeout), so a jump neither drops a healthy charger nor delays finding a dead one.
Its wall clock is what it tells chargers (Heartbeat and BootNotification `currentTime`: they
set their clocks from it), what a message without a timestamp of its own is dated with, and
what limits are stamped with; the safe default, written once and kept, starts long ago so
that no clock set back puts it out of force. The charger's clock (the simulator's) is not
moved: chargers are other machines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.smart_charging.central_system import server as server_module
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.model import ConnectorState, ConnectorStatus
from custom_components.smart_charging.central_system.timestamps import parse_timestamp
from custom_components.smart_charging.central_system.v16 import smart_charging as v16
from custom_components.smart_charging.central_system.v21 import smart_charging as v21
from custom_components.smart_charging.central_system.v201 import smart_charging as v201
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.wall_clock import wall_clock

from .blackhole import FOUND_WITHIN, PING, BlackHoleRelay
from .conftest import (
    CALL_RESULT,
    QUIET_ANSWERS,
    RESPONSE_TIMEOUT,
    RawClientFactory,
    Server,
    ServerFactory,
    fast_settings,
    wait_for_setup,
    wait_until,
)

JUMP = timedelta(hours=3)
BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Clock-1"}


def _start_16(profile: dict[str, Any]) -> str:
    return str(profile["charging_schedule"]["start_schedule"])


def _start_2x(profile: dict[str, Any]) -> str:
    return str(profile["charging_schedule"][0]["start_schedule"])


@pytest.mark.parametrize(
    ("build", "start_of"),
    [
        (v16.build_profile, _start_16),
        (v201.build_profile, _start_2x),
        (v21.build_profile, _start_2x),
    ],
    ids=["1.6", "2.0.1", "2.1"],
)
def test_the_safe_default_starts_long_ago(
    build: Callable[..., dict[str, Any]], start_of: Callable[[dict[str, Any]], str]
) -> None:
    """Written once and kept, the safe default must be in force on any clock set back from now.

    Stamped with the time it was written, a charger whose clock was set back (from HA's,
    put back by hours) found it not started yet: with HA gone, it charged unlimited. Live
    limits keep starting a minute before now: they are renewed, and end with their validity.
    """
    now = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    safe = build(
        ChargingLimit(connector_id=0, value=8.0, safe_default=True),
        "TxDefaultProfile",
        transaction_id=None,
        capabilities=None,
        now=now,
    )
    assert start_of(safe) == "2000-01-01T00:00:00Z"
    assert "valid_to" not in safe
    live = build(
        ChargingLimit(connector_id=1, value=16.0, duration=120),
        "TxDefaultProfile",
        transaction_id=None,
        capabilities=None,
        now=now,
    )
    assert start_of(live) == "2030-06-01T11:59:00Z"


def status(connector_id: int, value: str, timestamp: str | None = None) -> dict[str, object]:
    """A StatusNotification payload, with or without the charger's timestamp."""
    payload: dict[str, object] = {
        "connectorId": connector_id,
        "errorCode": "NoError",
        "status": value,
    }
    if timestamp is not None:
        payload["timestamp"] = timestamp
    return payload


@pytest.mark.parametrize("jump", [-JUMP, JUMP], ids=["back", "forward"])
async def test_status_without_timestamp_is_the_present_after_a_jump(
    server: Server, raw_client: RawClientFactory, jump: timedelta
) -> None:
    """A StatusNotification without a timestamp counts, however HA's clock jumped.

    Dated with HA's clock, one sent after a jump back looked older than the one before it and
    was dropped as a queued old message: the connector kept its old status for hours.
    """
    client = await raw_client(server, "CP-CLOCK", answers=QUIET_ANSWERS)
    assert (await client.call("boot", "BootNotification", BOOT))[2]["status"] == "Accepted"
    session = server.session("CP-CLOCK")

    def connector() -> ConnectorState:
        return session.state.connector(1)

    with wall_clock() as frozen:
        assert (await client.call("s1", "StatusNotification", status(1, "Charging")))[
            0
        ] == CALL_RESULT
        assert connector().status is ConnectorStatus.CHARGING
        frozen.move_to(datetime.now(UTC) + jump)
        await client.call("s2", "StatusNotification", status(1, "Finishing"))
        assert connector().status is ConnectorStatus.FINISHING

        # A queued notification with its own, older timestamp is still history.
        stamp = connector().status_timestamp
        assert stamp is not None
        older = (stamp - timedelta(minutes=1)).isoformat()
        await client.call("s3", "StatusNotification", status(1, "Charging", older))
        assert connector().status is ConnectorStatus.FINISHING


async def test_heartbeat_ignores_wall_clock_jumps(
    make_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pings keep a healthy link through jumps either way; a silent one is found on time."""
    monkeypatch.setattr(server_module, "PING_INTERVAL", PING)
    server = await make_server()
    relay = BlackHoleRelay(server.system.port)
    await relay.start()
    charger = SimulatedCharger(
        ChargerSpec("CP-1", reconnect=False, response_timeout=RESPONSE_TIMEOUT, meter_interval=0),
        relay.url,
    )
    try:
        assert await charger.connect() == "Accepted"
        await wait_for_setup(charger)
        session = server.session("CP-1")
        await wait_until(lambda: session.state.configured)
        with wall_clock() as frozen:
            for jump in (JUMP, -2 * JUMP, JUMP):
                frozen.move_to(datetime.now(UTC) + jump)
                await asyncio.sleep(1.5 * PING)  # a ping and its pong deadline in between
                assert session.connected
                # What HA tells the charger is its own time, jumped: the charger's follows.
                told = parse_timestamp(await charger.send_heartbeat())
                assert told is not None
                assert abs((told - datetime.now(UTC)).total_seconds()) < 2

            await relay.cut()
            cut_at = asyncio.get_running_loop().time()
            frozen.move_to(datetime.now(UTC) - JUMP)
            await wait_until(lambda: not session.connected, timeout=4 * PING)
            assert asyncio.get_running_loop().time() - cut_at <= FOUND_WITHIN
    finally:
        await charger.close()
        await relay.close()


async def test_boot_timeout_ignores_wall_clock_jumps(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """A socket that never boots is closed after the boot timeout, not sooner nor hours later."""
    timeout = 1.0
    server = await make_server(settings=fast_settings(boot_timeout=timeout))
    loop = asyncio.get_running_loop()
    with wall_clock() as frozen:
        await raw_client(server, "CP-NOBOOT")
        opened = loop.time()
        await wait_until(lambda: "CP-NOBOOT" in server.system.sessions)
        frozen.move_to(datetime.now(UTC) + JUMP)  # a wall-clock timer would fire now
        await asyncio.sleep(timeout / 2)
        assert "CP-NOBOOT" in server.system.sessions
        frozen.move_to(datetime.now(UTC) - 2 * JUMP)  # ...or hours from now
        await wait_until(lambda: "CP-NOBOOT" not in server.system.sessions, timeout=2 * timeout)
        # (The server armed it a moment before the client saw the socket open.)
        assert timeout - 0.2 <= loop.time() - opened < 2 * timeout
