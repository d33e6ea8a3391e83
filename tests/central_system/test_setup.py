"""The setup after a charger booted: nothing before the boot, steps apart, retries with backoff.

The chargers here are strict: raw OCPP-J clients that answer only what the test says.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.v16.setup import WANTED_MEASURANDS

from .conftest import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    RawClient,
    RawClientFactory,
    Server,
    ServerFactory,
    fast_settings,
    wait_until,
    warnings_of,
)

BOOT = {"chargePointVendor": "Strict", "chargePointModel": "S-1"}
STATUS = {"connectorId": 0, "errorCode": "NoError", "status": "Available"}
# Long enough for a call sent at connect to have arrived.
QUIET = 0.3


async def expect_silence(client: RawClient, seconds: float = QUIET) -> None:
    """The central system sends nothing for `seconds`."""
    try:
        frame = await client.receive(timeout=seconds)
    except TimeoutError:
        return
    pytest.fail(f"unexpected frame {frame}")


async def next_call(client: RawClient, action: str) -> list[Any]:
    """Return the central system's next frame, which must be a CALL of `action`."""
    frame = await client.receive()
    assert frame[0] == CALL, frame
    assert frame[2] == action, frame
    return frame


async def answer(client: RawClient, call: list[Any], payload: dict[str, Any]) -> None:
    """Answer a CALL with a CALLRESULT."""
    await client.send([CALL_RESULT, call[1], payload])


async def answer_error(client: RawClient, call: list[Any], code: str) -> None:
    """Answer a CALL with a CALLERROR."""
    await client.send([CALL_ERROR, call[1], code, "", {}])


async def boot(client: RawClient) -> None:
    """Boot and check that nothing came before the answer."""
    reply = await client.call("boot-1", "BootNotification", BOOT)
    assert reply[:2] == [CALL_RESULT, "boot-1"]
    assert reply[2]["status"] == "Accepted"
    assert client.calls == [], "the central system called before the boot was answered"


async def test_nothing_is_sent_before_the_boot(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """A strict charger cannot answer before it booted: the setup waits for the boot."""
    server = await make_server(settings=fast_settings(meter_interval=15))
    client = await raw_client(server, "CP-STRICT")
    await expect_silence(client)
    await boot(client)
    await answer(client, await next_call(client, "GetConfiguration"), {"configurationKey": []})
    interval = await next_call(client, "ChangeConfiguration")
    assert interval[3] == {"key": "MeterValueSampleInterval", "value": "15"}
    await answer(client, interval, {"status": "Accepted"})
    sampled = await next_call(client, "ChangeConfiguration")
    assert sampled[3]["key"] == "MeterValuesSampledData"
    await answer(client, sampled, {"status": "Accepted"})
    session = server.session("CP-STRICT")
    await wait_until(lambda: session.state.configured)
    assert session.state.capabilities is not None
    assert session.state.refused_configuration == {}


async def test_known_charger_without_boot_is_set_up_after_its_first_message(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """An approved charger that reconnects without booting: set up once it spoke."""
    server = await make_server(
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT, approved={"CP-K"})
    )
    client = await raw_client(server, "CP-K")
    await expect_silence(client)
    reply = await client.call("s-1", "StatusNotification", STATUS)
    assert reply[:2] == [CALL_RESULT, "s-1"]
    assert client.calls == []
    await next_call(client, "GetConfiguration")


async def test_failed_setup_is_retried_with_backoff_on_a_later_message(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """A step that failed (CALLERROR, timeout) is tried again on a later message, not before."""
    server = await make_server(settings=fast_settings(setup_retry_interval=0.6))
    client = await raw_client(server, "CP-RETRY")
    await boot(client)
    # The charger is not ready yet (a real one: still starting its modules).
    await answer_error(client, await next_call(client, "GetConfiguration"), "InternalError")
    # The other steps stand alone and go on.
    for _ in range(2):
        await answer(client, await next_call(client, "ChangeConfiguration"), {"status": "Accepted"})
    session = server.session("CP-RETRY")
    await wait_until(lambda: session.state.configured)
    assert session.state.capabilities is None

    # Too early: the backoff holds the retry back.
    assert (await client.call("h-1", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-1"]
    await expect_silence(client, 0.2)
    await asyncio.sleep(0.5)
    assert (await client.call("h-2", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-2"]
    # Only the failed step again; it fails once more, so the next wait doubles (1.2 s).
    await answer_error(client, await next_call(client, "GetConfiguration"), "GenericError")
    await asyncio.sleep(0.4)
    assert (await client.call("h-3", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-3"]
    await expect_silence(client, 0.2)
    await asyncio.sleep(0.7)
    assert (await client.call("s-1", "StatusNotification", STATUS))[:2] == [CALL_RESULT, "s-1"]
    key = {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "3"}
    await answer(client, await next_call(client, "GetConfiguration"), {"configurationKey": [key]})
    await wait_until(lambda: session.state.capabilities is not None)
    assert session.state.capabilities is not None
    assert session.state.capabilities.max_stack_level == 3
    # Done: later messages start nothing.
    assert (await client.call("h-4", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-4"]
    await expect_silence(client, 0.2)


async def test_a_refused_key_does_not_stop_the_setup(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """MeterValueSampleInterval NotSupported: the sampled data is still set; the refusal is kept."""
    server = await make_server()
    client = await raw_client(server, "CP-OLD")
    await boot(client)
    await answer(client, await next_call(client, "GetConfiguration"), {"configurationKey": []})
    interval = await next_call(client, "ChangeConfiguration")
    assert interval[3]["key"] == "MeterValueSampleInterval"
    await answer(client, interval, {"status": "NotSupported"})
    sampled = await next_call(client, "ChangeConfiguration")
    assert sampled[3] == {"key": "MeterValuesSampledData", "value": ",".join(WANTED_MEASURANDS)}
    await answer(client, sampled, {"status": "Accepted"})
    session = server.session("CP-OLD")
    await wait_until(lambda: session.state.configured)
    assert session.state.refused_configuration == {"MeterValueSampleInterval": "NotSupported"}
    # A refusal is an answer: not retried on this connection.
    assert (await client.call("h-1", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-1"]
    await expect_silence(client, 0.2)


async def test_refused_measurands_are_remembered(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """The sampled-data fallback keeps each measurand the charger refused, with its answer."""
    server = await make_server()
    client = await raw_client(server, "CP-FEW")
    await boot(client)
    await answer(client, await next_call(client, "GetConfiguration"), {"configurationKey": []})
    await answer(client, await next_call(client, "ChangeConfiguration"), {"status": "Accepted"})
    energy, power, *others = WANTED_MEASURANDS
    accepted = {energy, f"{energy},{power}"}
    for _ in range(len(WANTED_MEASURANDS) + 1):
        call = await next_call(client, "ChangeConfiguration")
        ok = call[3]["value"] in accepted
        await answer(client, call, {"status": "Accepted" if ok else "Rejected"})
    session = server.session("CP-FEW")
    await wait_until(lambda: session.state.configured)
    assert session.state.refused_configuration == {
        f"MeterValuesSampledData[{measurand}]": "Rejected" for measurand in others
    }


async def test_get_configuration_refused_is_an_answer(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """GetConfiguration answered NotImplemented: kept as a refusal, the metering still set up."""
    server = await make_server(settings=fast_settings(setup_retry_interval=0.0))
    client = await raw_client(server, "CP-NOCFG")
    await boot(client)
    await answer_error(client, await next_call(client, "GetConfiguration"), "NotImplemented")
    for _ in range(2):
        await answer(client, await next_call(client, "ChangeConfiguration"), {"status": "Accepted"})
    session = server.session("CP-NOCFG")
    await wait_until(lambda: session.state.configured)
    assert session.state.capabilities is None
    assert session.state.refused_configuration == {"GetConfiguration": "NotImplemented"}
    # Not a passing trouble: not asked again on this connection, however soon it may be.
    assert (await client.call("h-1", "Heartbeat", {}))[:2] == [CALL_RESULT, "h-1"]
    await expect_silence(client, 0.2)


async def test_setup_ends_quietly_when_the_charger_leaves(
    server: Server, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A charger that goes away during its setup: no warning, nothing left running."""
    client = await raw_client(server, "CP-GONE")
    await boot(client)
    await next_call(client, "GetConfiguration")
    session = server.session("CP-GONE")
    await client.websocket.close()
    await wait_until(lambda: not session.connected)
    assert not any("setup" in message for message in warnings_of(caplog))
    assert session.state.configured is False
