"""Fuzzing the central system: generated frames of every kind, answers checked, nothing breaks.

The generator, the checks and the runner are `benchmarks/fuzz.py`; the long run is its
`__main__`. Here a shorter run per version, tests that the runner does see crashes, wrong
answers and harmed chargers (so a clean run means something), and regression tests for
what the fuzzing found.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import logging
from typing import Any

from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
import pytest

from benchmarks.fuzz import (
    FUZZ_ID,
    VERSIONS,
    FuzzResult,
    expect,
    generate_frames,
    run_fuzz,
    verdict,
)
from custom_components.smart_charging.central_system import rpc
from custom_components.smart_charging.central_system.capabilities import (
    MAX_CONNECTORS,
    parse_capabilities,
)
from custom_components.smart_charging.central_system.model import Capabilities
from custom_components.smart_charging.central_system.rpc import SafeRouting
from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.central_system.v16.adapter import V16Adapter
from custom_components.smart_charging.central_system.v16.charge_point import ChargePoint16
from custom_components.smart_charging.central_system.v201.inventory import note_report
from custom_components.smart_charging.central_system.v201.setup import capabilities_from_variables
from custom_components.smart_charging.central_system.v201.vocabulary import (
    PERIODS_PER_SCHEDULE,
    STACK_LEVEL,
)

from .conftest import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    QUIET_ANSWERS,
    ChargerFactory,
    RawClient,
    RawClientFactory,
    Server,
    connected_charger,
)

# A few hundred frames per version keep the module within seconds; the benchmark sends 10,000.
FRAMES = 400
SEED = 1


def _explain(result: FuzzResult) -> str:
    return "\n".join(result.problems)


# --- the fuzzing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzzing_breaks_nothing(socket_enabled: None, version: str) -> None:
    """Every frame answered as OCPP-J says (or ignored with a log line); nothing else suffers."""
    result = await run_fuzz(version, FRAMES, SEED)
    assert result.problems == (), _explain(result)
    assert result.clean
    assert result.frames == FRAMES
    assert result.crashes == result.wrong_answers == result.unsaveable == 0
    assert result.fuzz_connections_lost == result.good_connections_lost == 0
    assert result.good_failures == 0
    # Not vacuous: every kind of answer came, and the good charger kept talking.
    assert result.call_results > 50
    assert sum(result.call_errors.values()) > 150
    assert result.ignored > 20
    assert len(result.call_errors) >= 7
    assert len(result.kinds) >= 25
    assert result.good_messages > 5
    assert result.call_results + sum(result.call_errors.values()) + result.ignored == FRAMES


def test_frames_are_the_same_for_the_same_seed() -> None:
    """A seed reproduces a run's frames; another seed makes others."""
    for version in VERSIONS:
        first = generate_frames(version, 200, 7, pre_boot=20)
        assert first == generate_frames(version, 200, 7, pre_boot=20)
        assert first != generate_frames(version, 200, 8, pre_boot=20)
        assert {frame.kind for frame in first} >= {"valid", "binary", "truncated", "garbage"}
        before_boot = [frame.data for frame in first[:20] if frame.kind == "valid"]
        assert not any('"BootNotification"' in str(data) for data in before_boot)


@pytest.mark.parametrize(
    ("version", "frame", "accepted", "answer", "wrong"),
    [
        ("ocpp1.6", '[2,"a","Heartbeat",{}]', False, [3, "a", {"currentTime": "x"}], False),
        ("ocpp1.6", '[2,"a","Heartbeat",{}]', False, [3, "a", {}], True),
        ("ocpp1.6", '[2,"a","Heartbeat",{}]', False, None, True),
        ("ocpp1.6", '[2,"a","MeterValues",{}]', False, [4, "a", "SecurityError", "", {}], False),
        ("ocpp1.6", '[2,"a","MeterValues",{}]', True, [4, "a", "ProtocolError", "", {}], False),
        ("ocpp1.6", '[2,"a","MeterValues",{}]', True, [4, "a", "FormatViolation", "", {}], True),
        ("ocpp2.0.1", '[2,"a","Fly",{}]', True, [4, "a", "NotImplemented", "", {}], False),
        ("ocpp2.0.1", '[2,"a","Fly",{}]', True, [4, "a", "NotSupported", "", {}], True),
        ("ocpp2.0.1", '[2,"a","Fly",{}]', True, [4, "-1", "NotImplemented", "", {}], True),
        ("ocpp2.0.1", "[2,", True, [4, "-1", "RpcFrameworkError", "", {}], False),
        ("ocpp2.0.1", "[2,", True, [4, "-1", "FormationViolation", "", {}], True),
        ("ocpp2.0.1", '[3,"x",{}]', True, None, False),
        ("ocpp2.0.1", '[3,"x",{}]', True, [4, "x", "GenericError", "", {}], True),
        ("ocpp2.1", '[6,"s","NotifyEvent",{}]', True, None, False),
        ("ocpp2.1", b'[2,"b","Heartbeat",{}]', True, [4, "b", "FormatViolation", "", {}], False),
    ],
)
def test_the_checks_tell_right_from_wrong(
    version: str, frame: str | bytes, accepted: bool, answer: list[Any] | None, wrong: bool
) -> None:
    """The runner's idea of the spec, on answers known to be right or wrong."""
    expectation = expect(version, frame, accepted=accepted)
    _, problem = verdict(version, expectation, [] if answer is None else [answer], logged=True)
    assert (problem is not None) is wrong, problem


def test_an_ignored_frame_needs_a_log_line() -> None:
    """Silence is right for an answer to no call only if the central system logged it."""
    expectation = expect("ocpp1.6", '[3,"x",{}]', accepted=True)
    assert verdict("ocpp1.6", expectation, [], logged=False)[1] is not None
    assert verdict("ocpp1.6", expectation, [], logged=True) == ("ignored", None)


# --- the runner sees what goes wrong (so a clean run is no accident) ----------------------


async def test_runner_counts_an_error_that_ends_the_connection(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception escaping the routing kills the link: a crash and a lost connection."""
    route = SafeRouting.route_message

    async def broken(self: SafeRouting, raw_msg: str) -> None:
        if getattr(self._connection, "last_frame_binary", False):
            raise RuntimeError("a bug in the routing")
        await route(self, raw_msg)

    monkeypatch.setattr(SafeRouting, "route_message", broken)
    result = await run_fuzz("ocpp1.6", 120, SEED)
    assert result.crashes > 0
    assert result.fuzz_connections_lost > 0
    assert any("a bug in the routing" in problem for problem in result.problems)
    assert not result.clean


async def test_runner_counts_a_handler_that_raises(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler's exception, turned into InternalError by the library: a crash, a wrong answer."""
    handlers = {
        "on_status_notification": "StatusNotification",
        "on_meter_values": "MeterValues",
        "on_authorize": "Authorize",
        "on_data_transfer": "DataTransfer",
    }
    for name, action in handlers.items():
        handler = getattr(ChargePoint16, name)

        def broken(self: ChargePoint16, *, _handler: Any = handler, **payload: Any) -> Any:
            if self.id == FUZZ_ID:
                raise RuntimeError("a bug in a handler")
            return _handler(self, **payload)

        monkeypatch.setattr(ChargePoint16, name, on(action)(broken))
    result = await run_fuzz("ocpp1.6", 120, SEED)
    assert result.crashes > 0
    assert result.wrong_answers > 0
    assert result.call_errors.get("InternalError", 0) > 0


async def test_runner_counts_an_exception_left_to_the_event_loop(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task that fails with nobody awaiting it reaches the loop's exception handler."""
    data_transfer = ChargePoint16.on_data_transfer

    async def fail() -> None:
        raise RuntimeError("a forgotten task failed")

    def leaky(self: ChargePoint16, **payload: Any) -> Any:
        asyncio.get_running_loop().create_task(fail())
        return data_transfer(self, **payload)

    monkeypatch.setattr(ChargePoint16, "on_data_transfer", on("DataTransfer")(leaky))
    result = await run_fuzz("ocpp1.6", 200, SEED)
    assert result.crashes > 0
    assert any("a forgotten task failed" in problem for problem in result.problems)
    assert result.wrong_answers == 0


async def test_runner_counts_wrong_error_codes(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NotSupported for an action nobody knows (the library's swap) is a wrong answer."""
    monkeypatch.setattr(rpc, "unhandled_action_error", lambda version, action: NotSupportedError())
    result = await run_fuzz("ocpp2.0.1", 120, SEED)
    assert result.wrong_answers > 0
    assert result.crashes == 0
    assert any("NotSupported" in problem for problem in result.problems)


async def test_runner_notices_lost_meter_values(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A good charger's meter values not counted are seen."""
    meter_values = ChargerSession.on_meter_values

    def lossy(self: ChargerSession, *args: Any) -> None:
        if not self.charger_id.startswith("GOOD"):
            meter_values(self, *args)

    monkeypatch.setattr(ChargerSession, "on_meter_values", lossy)
    result = await run_fuzz("ocpp1.6", 60, SEED)
    assert result.good_failures > 0
    assert result.good_connections_lost == 0
    assert any("GOOD-1: energy" in problem for problem in result.problems)


async def test_runner_notices_a_dropped_good_charger(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A good charger's connection closed by the central system is seen."""
    heartbeat = ChargerSession.on_heartbeat
    beats = 0

    def dropping(self: ChargerSession) -> None:
        nonlocal beats
        heartbeat(self)
        if self.charger_id.startswith("GOOD") and (beats := beats + 1) == 3:
            asyncio.get_running_loop().create_task(self.require_adapter().close())

    monkeypatch.setattr(ChargerSession, "on_heartbeat", dropping)
    result = await run_fuzz("ocpp1.6", 60, SEED)
    assert result.good_connections_lost == 1
    assert result.good_failures > 0
    assert any("GOOD-1: disconnected" in problem for problem in result.problems)


# --- what the fuzzing found ------------------------------------------------------------------


async def _exchange16(
    server: Server, raw_client: RawClientFactory, frame: str, message_id: str
) -> list[Any]:
    """Boot a raw 1.6 client, send `frame`, return its answer; the link must survive it."""
    boot = {"chargePointVendor": "V", "chargePointModel": "M"}
    client = await raw_client(server, "CP-1", answers=QUIET_ANSWERS)
    assert (await client.call("boot", "BootNotification", boot))[0] == CALL_RESULT
    await client.send(frame)
    answer = await client.response_to(message_id)
    assert (await client.call("hb", "Heartbeat", {}))[0] == CALL_RESULT
    return answer


async def _booted(server: Server, raw_client: RawClientFactory, version: str) -> RawClient:
    boot = {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}
    client = await raw_client(server, "CS-1", protocols=(version,))
    assert (await client.call("boot", "BootNotification", boot))[0] == CALL_RESULT
    return client


# Deeper than Python's recursion limit (snake-casing a payload); beyond what json.loads reads.
DEEP = 5000
DEEPER = 20_000


@pytest.mark.parametrize(
    ("frame", "message_id", "code"),
    [
        pytest.param('[2,"a-1",["Heartbeat"],{}]', "a-1", "FormationViolation", id="action-list"),
        pytest.param('[2,"a-2",{"x":1},{}]', "a-2", "FormationViolation", id="action-object"),
        pytest.param('[2,17,"Heartbeat",{}]', "-1", "FormationViolation", id="id-number"),
        pytest.param(
            '[2,"n-1","StatusNotification",{"connectorId":'
            + "9" * 4400
            + ',"errorCode":"NoError","status":"Available"}]',
            "n-1",
            "FormationViolation",
            id="number-python-cannot-read",
        ),
        pytest.param(
            '[2,"w-1","StatusNotification",{"connectorId":18446744073709551616,'
            '"errorCode":"NoError","status":"Available"}]',
            "w-1",
            "TypeConstraintViolation",
            id="integer-beyond-64-bits",
        ),
    ],
)
async def test_frames_that_ended_the_connection_are_answered(
    server: Server,
    raw_client: RawClientFactory,
    caplog: pytest.LogCaptureFixture,
    frame: str,
    message_id: str,
    code: str,
) -> None:
    """Such frames escaped the routing and closed the link: now a CALLERROR, one WARNING."""
    caplog.set_level(logging.WARNING)
    answer = await _exchange16(server, raw_client, frame, message_id)
    assert answer[:3] == [CALL_ERROR, message_id, code]
    assert answer[4] == {}
    assert [r.levelno for r in caplog.records if "bad frame answered" in r.getMessage()] == [
        logging.WARNING
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 18446744073709551616 not in server.session("CP-1").state.connectors


@pytest.mark.parametrize(
    ("frame", "message_id", "shallow"),
    [
        (
            '[2,"d-1","Heartbeat",' + "[" * DEEPER + "]" * DEEPER + "]",
            "d-1",
            '[2,"d-1","Heartbeat",[]]',
        ),
        ("[" * DEEPER + "]" * DEEPER, "-1", "[[]]"),
    ],
    ids=["deep-payload", "deep-frame"],
)
async def test_frames_nested_too_deeply_are_answered(
    server: Server,
    raw_client: RawClientFactory,
    caplog: pytest.LogCaptureFixture,
    frame: str,
    message_id: str,
    shallow: str,
) -> None:
    """Nesting beyond the parser's reach: FormationViolation, the link kept.

    A parser that reaches that deep (Python 3.14's) sees the frame it is: the answer is
    the one the same frame gets when it is shallow.
    """
    caplog.set_level(logging.WARNING)
    answer = await _exchange16(server, raw_client, frame, message_id)
    same = await _exchange16(server, raw_client, shallow, message_id)
    assert answer[:2] == [CALL_ERROR, message_id]
    assert answer[2] in {"FormationViolation", same[2]}
    assert answer[4] == {}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("frame", "message_id", "code"),
    [
        ('[2,"a-1",["Heartbeat"],{}]', "a-1", "RpcFrameworkError"),
        ('[2,null,"Heartbeat",{}]', "-1", "RpcFrameworkError"),
        (
            '[2,"d-1","DataTransfer",{"vendorId":"v","data":' + "[" * DEEP + "]" * DEEP + "}]",
            "d-1",
            "RpcFrameworkError",
        ),
        ('[2,"h-1","Heartbeat",{"customData":{"vendorId":"acme","more":1}}]', "h-1", None),
    ],
    ids=["action-list", "id-null", "deep-data", "heartbeat-custom-data"],
)
async def test_2x_frames_that_failed(
    server: Server, raw_client: RawClientFactory, frame: str, message_id: str, code: str | None
) -> None:
    """2.0.1: the same framing errors answered; a Heartbeat's customData accepted.

    Every 2.x message may carry customData: on a Heartbeat it ended in InternalError.
    """
    client = await _booted(server, raw_client, "ocpp2.0.1")
    await client.send(frame)
    answer = await client.response_to(message_id)
    if code is None:
        assert answer[0] == CALL_RESULT
        assert set(answer[2]) == {"currentTime"}
    else:
        assert answer[:3] == [CALL_ERROR, message_id, code]
    assert (await client.call("hb", "Heartbeat", {}))[0] == CALL_RESULT


async def test_21_charging_limit_without_a_limit(
    server: Server, raw_client: RawClientFactory
) -> None:
    """2.1: a schedule period may carry a setpoint instead of a limit (it was InternalError)."""
    client = await _booted(server, raw_client, "ocpp2.1")
    schedule = {
        "id": 1,
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "setpoint": -3000.0}],
    }
    payload = {
        "chargingLimit": {"chargingLimitSource": "EMS"},
        "evseId": 1,
        "chargingSchedule": [schedule],
    }
    answer = await client.call("ncl-1", "NotifyChargingLimit", payload)
    assert answer == [CALL_RESULT, "ncl-1", {}]
    connector = server.session("CS-1").state.connector(1)
    assert connector.external_limit_source == "EMS"
    assert connector.external_limit is None


async def test_answers_to_no_open_call_are_dropped_with_a_log_line(
    server: Server, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """They used to wait in the library's queue, silently, for a call to log them at ERROR.

    Only the first answer to a call counts; a repeat that arrives with it is dropped too.
    """
    client = await raw_client(server, "CP-Q", answers={})
    await client.call(
        "b-1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    session = server.session("CP-Q")
    adapter = session.require_adapter()
    assert isinstance(adapter, V16Adapter)
    caplog.clear()
    for frame in ('[3,"nobody-1",{}]', '[4,"nobody-2","GenericError","",{}]', '[3,["x"],{}]'):
        await client.send(frame)
    assert (await client.call("hb-1", "Heartbeat", {}))[:2] == [CALL_RESULT, "hb-1"]
    ignored = [r for r in caplog.records if "answer to no open call ignored" in r.getMessage()]
    assert [r.levelno for r in ignored] == [logging.WARNING] * 3
    assert adapter.charge_point._response_queue.empty()
    # The setup's first call (GetConfiguration) is open: answered twice, the repeat is dropped.
    call = client.calls[0] if client.calls else (await client.receive())
    assert call[0] == CALL
    answer = json.dumps([CALL_RESULT, call[1], QUIET_ANSWERS["GetConfiguration"]])
    caplog.clear()
    await client.send(answer)
    await client.send(answer)
    assert (await client.call("hb-2", "Heartbeat", {}))[:2] == [CALL_RESULT, "hb-2"]
    assert (
        len([r for r in caplog.records if "answer to no open call ignored" in r.getMessage()]) == 1
    )
    assert adapter.charge_point._response_queue.empty()


async def test_a_charger_cannot_stop_or_meter_another_chargers_transaction(
    server: Server, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Transaction ids are the central system's; a charger naming another's is ignored."""
    owner, owner_session = await connected_charger(server, make_charger, "CP-1")
    other, _ = await connected_charger(server, make_charger, "CP-2")
    transaction_id, _ = await owner.start_transaction(1)
    assert transaction_id is not None
    now = datetime.now(UTC).isoformat()
    meter = {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": now, "sampledValue": [{"value": "999999"}]}],
    }
    stop = {"meterStop": 999999, "timestamp": now, "transactionId": transaction_id}
    for action, payload in (("MeterValues", meter), ("StopTransaction", stop)):
        await other.send_raw(json.dumps([CALL, f"x-{action}", action, payload]))
        assert json.loads(await other.next_raw_incoming(3)) == [CALL_RESULT, f"x-{action}", {}]
    transaction = server.system.ledger.get(transaction_id)
    assert transaction is not None
    assert transaction.stopped_at is None
    assert transaction.energy == 0.0
    assert owner_session.state.connector(1).transaction_id == transaction_id
    assert any("of another charger ignored" in r.getMessage() for r in caplog.records)
    await owner.stop_transaction(1)
    assert transaction.stopped_at is not None


def test_configuration_values_no_charger_means_are_unknown() -> None:
    """Integers beyond OCPP's 32 bits (unsaveable beyond 64) and absurd connector counts."""
    keys = {
        "NumberOfConnectors": "2147483647",
        "ChargingScheduleMaxPeriods": "99999999999999999999999",
        "ChargeProfileMaxStackLevel": "-2147483649",
        "HeartbeatInterval": "300",
    }
    capabilities = parse_capabilities([{"key": k, "value": v} for k, v in keys.items()])
    assert capabilities.number_of_connectors is None
    assert capabilities.max_periods is None
    assert capabilities.max_stack_level is None
    assert capabilities.heartbeat_interval == 300
    counts = [{"key": "NumberOfConnectors", "value": str(MAX_CONNECTORS)}]
    assert parse_capabilities(counts).number_of_connectors == MAX_CONNECTORS
    variables = {PERIODS_PER_SCHEDULE: "99999999999999999999999", STACK_LEVEL: "8"}
    from_variables = capabilities_from_variables(variables)
    assert from_variables.max_periods is None
    assert from_variables.max_stack_level == 8
    inventory = Capabilities()
    for evse_id, known in ((10**9, False), (2, True)):
        item = {
            "component": {"name": "EVSE", "evse": {"id": evse_id}},
            "variable": {"name": "Power"},
            "variable_characteristics": {"max_limit": 11000},
        }
        assert note_report(inventory, [item]) is known
    assert inventory.number_of_connectors == 2
