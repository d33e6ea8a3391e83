"""The simulator's smaller parts on their own: transport adapter, logs, spec, meter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
from typing import Any

from aiohttp import ClientConnectionResetError, WSMessage, WSMsgType
import pytest

from simulator.calllog import CallLog
from simulator.config import Configuration
from simulator.connection import ConnectionClosedError, WebSocketConnection
from simulator.meter import Reading, sampled_values
from simulator.spec import ChargerSpec
from simulator.timeutil import parse_iso, to_iso
from simulator.uplink import Uplink
from simulator.wakeup import Wakeup


class FakeWebSocket:
    """Scripted incoming messages; records what is sent."""

    def __init__(self, *incoming: WSMessage) -> None:
        """Deliver `incoming` in order, then report the socket closed."""
        self.incoming = list(incoming)
        self.sent: list[str] = []
        self.closed = False
        self.fail_send: Exception | None = None
        self.fail_close: Exception | None = None

    async def receive(self) -> WSMessage:
        """Return the next scripted message."""
        if self.incoming:
            return self.incoming.pop(0)
        return WSMessage(WSMsgType.CLOSED, None, None)

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Record a frame, or fail as told."""
        if self.fail_send is not None:
            raise self.fail_send
        self.sent.append(data)

    async def close(self) -> bool:
        """Close, or fail as told."""
        if self.fail_close is not None:
            raise self.fail_close
        self.closed = True
        return True


def text(frame: list[Any]) -> WSMessage:
    """A text message carrying `frame`."""
    return WSMessage(WSMsgType.TEXT, json.dumps(frame), None)


async def test_connection_skips_non_text_and_ends_on_close() -> None:
    """Binary and ping messages are skipped; a close ends `recv` with ConnectionClosedError."""
    ws = FakeWebSocket(
        WSMessage(WSMsgType.BINARY, b"x", None),
        WSMessage(WSMsgType.PING, b"", None),
        WSMessage(WSMsgType.TEXT, "not json", None),
        text([5, "x", {}]),
    )
    connection = WebSocketConnection(ws)
    assert await connection.recv() == "not json"
    assert await connection.recv() == '[5, "x", {}]'
    with pytest.raises(ConnectionClosedError):
        await connection.recv()


async def test_connection_records_answered_calls_and_runs_follow_ups() -> None:
    """A call is recorded when answered; the follow-up runs right after the answer."""
    log = CallLog()
    ws = FakeWebSocket(text([2, "c1", "Reset", {"type": "Soft"}]), text([2, "c2", "Odd", []]))
    connection = WebSocketConnection(ws, log.record)
    followed: list[str] = []
    await connection.recv()
    await connection.recv()
    connection.after_reply("c1", lambda: followed.append(str(log.calls)))
    await connection.send(json.dumps([3, "c1", {"status": "Accepted"}]))
    await connection.send(json.dumps([4, "c2", "NotSupported", "", {}]))
    assert log.calls == [("Reset", {"type": "Soft"})]  # a call without a dict is not logged
    assert followed == ["[('Reset', {'type': 'Soft'})]"]


async def test_connection_routes_raw_answers() -> None:
    """Answers to raw frames bypass the library, even when the raw frame had no id."""
    ws = FakeWebSocket(
        text([3, "own", {}]),
        text([3, "raw", {}]),
        text([4, "-1", "FormationViolation", "", {}]),
        text([3, "stray", {}]),
    )
    connection = WebSocketConnection(ws)
    await connection.send(json.dumps([2, "own", "Heartbeat", {}]))
    await connection.send_raw(json.dumps([2, "raw", "Heartbeat", {}]))
    await connection.send_raw("{broken")
    assert await connection.recv() == json.dumps([3, "own", {}])
    assert await connection.recv() == json.dumps([3, "stray", {}])
    assert json.loads(await connection.next_raw_incoming(1))[1] == "raw"
    assert json.loads(await connection.next_raw_incoming(1))[1] == "-1"
    assert ws.sent[-1] == "{broken"


async def test_connection_send_failures_become_connection_closed() -> None:
    """Sending on a closed or failing socket raises ConnectionClosedError; close is quiet."""
    ws = FakeWebSocket()
    connection = WebSocketConnection(ws)
    ws.fail_send = ClientConnectionResetError("reset")
    with pytest.raises(ConnectionClosedError, match="reset"):
        await connection.send("[]")
    ws.fail_close = ConnectionResetError("gone")
    await connection.close()
    ws.closed = True
    assert connection.closed
    with pytest.raises(ConnectionClosedError):
        await connection.send("[]")


async def test_call_log_and_wakeup() -> None:
    """Waiters see new calls; consume_all hides the old ones; Wakeup wakes all waiters."""
    log = CallLog()
    log.record("A", {"n": 1})
    log.consume_all()
    with pytest.raises(TimeoutError):
        await log.wait_for("A", timeout=0.01)
    log.record("A", {"n": 2})
    assert await log.wait_for("A") == {"n": 2}
    assert log.actions() == ["A", "A"]

    wakeup = Wakeup()
    waiters = [asyncio.create_task(wakeup.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    wakeup.fire()
    await asyncio.gather(*waiters)
    assert not await wakeup.wait_at_most(0.01)


async def test_uplink_logs_failed_tasks(caplog: pytest.LogCaptureFixture) -> None:
    """A task that fails unexpectedly is logged, not lost."""
    uplink = Uplink("owner", CallLog(), lambda _: None)

    async def boom() -> None:
        raise RuntimeError("boom")

    uplink.spawn(boom())
    await asyncio.sleep(0.01)
    assert "owner: task failed" in caplog.text
    assert not uplink.connected
    assert not uplink.accepted
    await uplink.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quirks": frozenset({"fast"})}, "unknown quirks"),
        ({"connectors": 0}, "at least one"),
        ({"phases": 2}, "1 or 3"),
        ({"max_current": 0}, "positive"),
        ({"sampled_data": ("RPM",)}, "not in supported"),
    ],
)
def test_spec_refuses_impossible_chargers(fields: dict[str, Any], message: str) -> None:
    """Mistakes in a spec fail at once."""
    with pytest.raises(ValueError, match=message):
        ChargerSpec("X", **fields)


def test_spec_defaults() -> None:
    """A serial number is derived from the id unless given."""
    assert ChargerSpec("X").serial == "SN-X"
    assert ChargerSpec("X", serial_number="S1").serial == "S1"


def test_configuration_values() -> None:
    """Typed accessors; the heartbeat can be set from the charger's side."""
    config = Configuration(ChargerSpec("X", heartbeat_interval=60))
    assert config.integer("HeartbeatInterval") == 60
    assert not config.flag("AuthorizeRemoteTxRequests")
    config.set_internal("HeartbeatInterval", "90")
    assert config.value("HeartbeatInterval") == "90"
    assert config.change("MeterValuesSampledData", ",".join(["SoC"] * 11)) == "Rejected"


def test_meter_skips_measurands_it_does_not_model() -> None:
    """A supported but unmodelled measurand is left out."""
    reading = Reading(register_wh=1, draw_a=6, offered_a=6, phases=3, voltage=230, soc=50)
    assert sampled_values(reading, ["Frequency"], "Trigger") == []


def test_timestamps() -> None:
    """Naive timestamps are UTC; output has milliseconds and a Z."""
    assert parse_iso("2025-01-01T10:00:00") == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert parse_iso("2025-01-01T11:00:00+01:00") == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert to_iso(datetime(2025, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)) == "2025-01-01T10:00:00.123Z"
