"""Admission by the accept-all policy happens at the boot; sockets that never boot are dropped."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)

from .conftest import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    QUIET_ANSWERS,
    RawClient,
    RawClientFactory,
    Server,
    ServerFactory,
    fast_settings,
    wait_until,
    warnings_of,
)

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "A-1"}
STATUS = {"connectorId": 0, "errorCode": "NoError", "status": "Available"}


async def closed(client: RawClient, timeout: float = 3.0) -> bool:
    """Whether the central system closes the socket within `timeout` (frames are skipped)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await client.websocket.receive()
                if message.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    return True
    except TimeoutError:
        return False


def known(server: Server, charger_id: str) -> bool:
    """Whether anything of the charger is kept: approved, announced or stored."""
    stored = (server.persistence.data or {}).get("chargers") or {}
    return (
        charger_id in server.system.policy.approved
        or server.listener.count("approved", charger_id) > 0
        or charger_id in stored
        or charger_id in server.system.dump()["chargers"]
    )


async def test_accept_all_approves_at_the_boot_not_on_connect(
    server: Server, raw_client: RawClientFactory
) -> None:
    """Accept all: the charger becomes known when its boot is accepted."""
    client = await raw_client(server, "CP-NEW", answers=QUIET_ANSWERS)
    await asyncio.sleep(0.2)
    assert "CP-NEW" in server.system.sessions
    assert not known(server, "CP-NEW")
    reply = await client.call("b-1", "BootNotification", BOOT)
    assert reply[2]["status"] == "Accepted"
    assert "CP-NEW" in server.system.policy.approved
    assert server.listener.count("approved", "CP-NEW") == 1
    # The listener heard of the charger with its boot already recorded (the HA device's name).
    assert server.session("CP-NEW").state.boot is not None
    await wait_until(lambda: "CP-NEW" in (server.persistence.data or {}).get("chargers", {}))


async def test_unknown_charger_must_boot_before_anything_else(
    server: Server, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Accept all does not admit a charger that skips its boot: SecurityError, nothing kept."""
    client = await raw_client(server, "CP-SKIP")
    reply = await client.call("s-1", "StatusNotification", STATUS)
    assert reply[:3] == [CALL_ERROR, "s-1", "SecurityError"]
    assert warnings_of(caplog) == [
        "CP-SKIP: bad frame answered with SecurityError: {'cause': 'charge point not accepted'}"
    ]
    assert not known(server, "CP-SKIP")
    assert server.session("CP-SKIP").state.connectors == {}


async def test_connection_that_does_not_boot_is_dropped(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """No BootNotification within boot_timeout: the socket is closed and nothing is kept."""
    server = await make_server(settings=fast_settings(boot_timeout=0.3))
    client = await raw_client(server, "CP-MUTE")
    # Heartbeats alone are no boot.
    assert (await client.call("h-1", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-1"]
    assert await closed(client)
    await wait_until(lambda: "CP-MUTE" not in server.system.sessions)
    assert not known(server, "CP-MUTE")


async def test_booted_and_known_chargers_are_not_dropped(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """A booted charger (even Pending) and a known one that spoke stay past boot_timeout."""
    server = await make_server(
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ASK, approved={"CP-KNOWN"}),
        settings=fast_settings(boot_timeout=0.3),
    )
    pending = await raw_client(server, "CP-ASK")
    reply = await pending.call("b-1", "BootNotification", BOOT)
    assert reply[2]["status"] == "Pending"
    known_charger = await raw_client(server, "CP-KNOWN", answers=QUIET_ANSWERS)
    reply = await known_charger.call("s-1", "StatusNotification", STATUS)
    assert reply[:2] == [CALL_RESULT, "s-1"]
    assert not await closed(pending, 0.6)
    assert not await closed(known_charger, 0.1)
    assert server.session("CP-ASK").connected
    assert server.session("CP-KNOWN").connected


async def test_known_charger_that_stays_silent_is_dropped(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """The exemption needs a first message; the known charger itself is kept."""
    server = await make_server(
        policy=AccessPolicy(approved={"CP-KNOWN"}), settings=fast_settings(boot_timeout=0.3)
    )
    client = await raw_client(server, "CP-KNOWN")
    assert await closed(client)
    await wait_until(lambda: not server.session("CP-KNOWN").connected)
    assert "CP-KNOWN" in server.system.policy.approved


async def test_burst_of_bogus_ids_leaves_nothing_behind(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """Many sockets that never boot: no approval, no device, nothing stored."""
    server = await make_server(settings=fast_settings(boot_timeout=2.0))
    clients = [await raw_client(server, f"BOGUS-{number}") for number in range(30)]
    for number, client in enumerate(clients[:10]):
        # On a loaded machine the timeout may close a socket before its message goes out.
        with contextlib.suppress(ConnectionResetError):
            await client.send([CALL, f"s-{number}", "StatusNotification", STATUS])
    assert all(await asyncio.gather(*(closed(client) for client in clients)))
    await wait_until(lambda: not server.system.sessions)
    assert server.system.policy.approved == set()
    assert [event for event in server.listener.events if event[0] == "approved"] == []
    assert server.system.dump()["chargers"] == {}
    assert not (server.persistence.data or {}).get("chargers")
