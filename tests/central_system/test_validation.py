"""Schema validation: inline for our charge points, untouched for the rest of the process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ocpp.messages
from ocpp.messages import Call, _validate_payload
from ocpp.v16 import call
import pytest

from custom_components.smart_charging.central_system.errors import ChargerRejectedError
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.v16.adapter import V16Adapter

from .conftest import CALL_ERROR, CALL_RESULT, QUIET_ANSWERS, RawClientFactory, Server

BOOT = {"chargePointVendor": "Strict", "chargePointModel": "S-1"}


class RecordingExecutor:
    """Notes each function the running loop hands to its executor."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap `loop.run_in_executor`."""
        self.functions: list[Callable[..., Any]] = []
        self._run_in_executor = loop.run_in_executor

    def run_in_executor(self, executor: Any, fn: Callable[..., Any], *args: Any) -> Any:
        """Note `fn`, then hand it on."""
        self.functions.append(fn)
        return self._run_in_executor(executor, fn, *args)


@pytest.fixture
async def executor(monkeypatch: pytest.MonkeyPatch) -> RecordingExecutor:
    """Record what the running loop runs in its executor."""
    loop = asyncio.get_running_loop()
    recording = RecordingExecutor(loop)
    monkeypatch.setattr(loop, "run_in_executor", recording.run_in_executor)
    return recording


def test_the_library_setting_is_left_alone() -> None:
    """Importing the central system does not switch validation off for the whole process."""
    assert CentralSystem is not None
    assert ocpp.messages.ASYNC_VALIDATION is True


async def test_ours_validate_inline_others_in_a_thread(
    server: Server, raw_client: RawClientFactory, executor: RecordingExecutor
) -> None:
    """Our charge point validates every frame on the loop and still refuses bad ones."""
    client = await raw_client(server, "CP-RAW", answers=QUIET_ANSWERS)
    assert (await client.call("b-1", "BootNotification", BOOT))[:2] == [CALL_RESULT, "b-1"]
    # An incoming CALL against its schema.
    refused = await client.call("h-1", "StatusNotification", {"connectorId": "one"})
    assert refused[:3] == [CALL_ERROR, "h-1", "TypeConstraintViolation"]
    session = server.session("CP-RAW")
    adapter = session.require_adapter()
    # An answer against its schema.
    reset = asyncio.create_task(adapter.reset(hard=False))
    sent = await client.receive()  # setup calls are answered meanwhile
    assert sent[2] == "Reset"
    await client.send([CALL_RESULT, sent[1], {"status": "Maybe"}])
    with pytest.raises(ChargerRejectedError) as caught:
        await reset
    assert caught.value.status == "FormatViolation"
    # Asked to skip validation, it skips it both ways, as the library does.
    assert isinstance(adapter, V16Adapter)
    unchecked = asyncio.create_task(
        adapter.charge_point.call(
            call.DataTransfer(vendor_id="v" * 256), skip_schema_validation=True
        )
    )
    sent = await client.receive()
    assert sent[2:] == ["DataTransfer", {"vendorId": "v" * 256}]
    await client.send([CALL_RESULT, sent[1], {"status": "Maybe"}])
    assert (await unchecked).status == "Maybe"
    assert _validate_payload not in executor.functions

    # Any other user of the library keeps its default: a thread.
    await ocpp.messages.validate_payload(Call("1", "Heartbeat", {}), "1.6")
    assert executor.functions.count(_validate_payload) == 1
