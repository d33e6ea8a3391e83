"""OCPP-J framing that the `ocpp` library leaves to its users.

The library logs and drops malformed frames without answering, lets a serialisation
error in a reply escape and end the connection, and uses 2.x error names for 1.6.
`SafeRouting` answers every bad frame with the CALLERROR the spec names, logs one line,
and keeps the connection.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import decimal
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import (
    FormatViolationError,
    GenericError,
    InternalError,
    NotImplementedError as NotImplementedCallError,
    NotSupportedError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, MessageType, _validators, get_validator, unpack
from ocpp.v16.enums import Action
from ocpp.v21.enums import Action as Action21
from ocpp.v201.enums import Action as Action201

# Schemas the library parses with Decimal (1.6 limits are multiples of 0.1); a validator is
# cached by name only, so preloading must use the same parser the library would.
_DECIMAL_SCHEMAS = {
    (MessageType.Call, "SetChargingProfile"),
    (MessageType.Call, "RemoteStartTransaction"),
    (MessageType.CallResult, "GetCompositeSchedule"),
}


def preload_validators() -> None:
    """Read every OCPP 1.6, 2.0.1 and 2.1 schema into the library's cache (file I/O: run in an executor).

    Inline validation would otherwise open a schema file inside the event loop the first
    time each action is seen.
    """
    for action in Action:
        for message_type in (MessageType.Call, MessageType.CallResult):
            parse_float = (
                decimal.Decimal if (message_type, action.value) in _DECIMAL_SCHEMAS else float
            )
            with contextlib.suppress(OSError):  # not every action has both schemas
                get_validator(message_type, action.value, "1.6", parse_float=parse_float)
    for version, actions in (("2.0.1", Action201), ("2.1", Action21)):
        for action2 in actions:
            for message_type in (MessageType.Call, MessageType.CallResult):
                with contextlib.suppress(OSError):
                    validator = get_validator(message_type, action2.value, version)
                    _inline_references(validator, message_type, action2.value, version)


# How deep `$ref`s may nest before a schema is left as the library built it.
_MAX_REFERENCE_DEPTH = 32


def _resolved(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    """`node` with every `#/definitions/...` reference replaced by its definition."""
    if depth > _MAX_REFERENCE_DEPTH:
        raise RecursionError
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/definitions/"):
            # Draft 4 ignores what stands next to a $ref.
            return _resolved(definitions[reference.rsplit("/", 1)[-1]], definitions, depth + 1)
        return {
            key: _resolved(value, definitions, depth)
            for key, value in node.items()
            if key != "definitions"
        }
    if isinstance(node, list):
        return [_resolved(item, definitions, depth) for item in node]
    return node


def _inline_references(validator: Any, message_type: int, action: str, version: str) -> None:
    """Cache the same schema with its references written out: 2.0.1 validates twice as fast.

    jsonschema resolves each `$ref` again on every frame, and 2.0.1's schemas are made of
    them; the result of validating is the same, so the library's cache gets the copy.
    """
    schema = validator.schema
    definitions = schema.get("definitions") if isinstance(schema, dict) else None
    if not definitions:
        return
    try:
        inlined = _resolved(schema, definitions, 0)
    except RecursionError:
        return  # A recursive schema keeps its references.
    suffix = "Response" if message_type == MessageType.CallResult else "Request"
    _validators[f"{action}{suffix}_{version}"] = type(validator)(inlined)


# Largest frame accepted; bigger ones get a CALLERROR instead of being parsed.
MAX_FRAME_BYTES = 64 * 1024
# The message id a CALLERROR carries when the frame's own id cannot be read (OCPP-J).
UNKNOWN_MESSAGE_ID = "-1"

# A CALL's id, or the id of a frame of an unknown type (not a CALLRESULT/CALLERROR).
_MESSAGE_ID = re.compile(r'^\s*\[\s*(?![34]\s*,)\d+\s*,\s*"([^"]{1,36})"')
# OCPP 1.6 spells two error codes differently from 2.x (and from the library).
_V16_CODES = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}


class RpcFrameworkError(OCPPError):
    """2.x: the frame is no valid RPC message (not JSON, not a list, no message id)."""

    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC request"


class MessageTypeNotSupportedError(OCPPError):
    """2.x: a message type number this implementation does not support."""

    code = "MessageTypeNotSupported"
    default_description = "Message type not supported"


def framing_error(version: str, error: OCPPError, raw: str) -> OCPPError:
    """The error a version names for a frame that is no valid OCPP-J message.

    1.6 has only the payload errors the library raises; 2.x names framing errors apart.
    """
    if version == "1.6":
        return error
    if message_id_of(raw) == UNKNOWN_MESSAGE_ID or not isinstance(
        error, PropertyConstraintViolationError
    ):
        return RpcFrameworkError(details=error.details)
    return MessageTypeNotSupportedError(details=error.details)


def unhandled_action_error(version: str, action: str) -> OCPPError:
    """The error for an action we have no handler for, as OCPP-J names it.

    An action the version does not know is NotImplemented; one it knows that we do not
    handle is NotSupported. The library answers the other way round.
    """
    known = {"1.6": Action, "2.0.1": Action201, "2.1": Action21}.get(version)
    if known is not None and action in {item.value for item in known}:
        return NotSupportedError(details={"cause": f"{action} is not supported"})
    return NotImplementedCallError(details={"cause": f"{action} is not an OCPP {version} action"})


def error_code_for(version: str, error: OCPPError) -> str:
    """Return the CALLERROR code of `error` as spelled by `version`."""
    code = str(getattr(error, "code", "GenericError"))
    return _V16_CODES.get(code, code) if version == "1.6" else code


def call_error_frame(version: str, message_id: str, error: OCPPError, description: str) -> str:
    """Build a CALLERROR frame."""
    return json.dumps(
        [
            MessageType.CallError,
            message_id,
            error_code_for(version, error),
            description[:255],
            {},
        ],
        separators=(",", ":"),
    )


def message_id_of(raw: str) -> str:
    """Best-effort message id of a CALL (or unknown-type) frame that failed to parse."""
    match = _MESSAGE_ID.match(raw[:200])
    return match.group(1) if match else UNKNOWN_MESSAGE_ID


# Where an integer beyond 64 bits may be: 19 digits in a row (2**63 has 19).
_LONG_NUMBER = re.compile(r"\d{19}")
_INT64_MIN, _INT64_END = -(2**63), 2**63


def beyond_64_bits(payload: Any) -> bool:
    """Whether `payload` holds an integer no 64-bit integer holds."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not _INT64_MIN <= item < _INT64_END:
            return True
    return False


class SafeRouting:
    """Mixin for an `ocpp` ChargePoint: routes frames without ever raising."""

    id: str
    logger: logging.Logger
    route_map: dict[str, dict[str, Any]]
    _ocpp_version: str
    _response_queue: Any
    _connection: Any
    _unique_id_generator: Callable[[], Any]
    # Ids of our calls awaiting their answer (made at the first call): other answers are dropped.
    _calls_in_flight: set[str] | None = None

    if TYPE_CHECKING:  # Provided by the library's ChargePoint.

        async def _send(self, message: str) -> None: ...

        async def _handle_call(self, msg: Call) -> Any: ...

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """Send a CALL as the library does; its answer is expected while it waits."""
        unique_id = unique_id if unique_id is not None else str(self._unique_id_generator())
        if self._calls_in_flight is None:
            self._calls_in_flight = set()
        in_flight = self._calls_in_flight
        in_flight.add(unique_id)
        try:
            return await super().call(  # type: ignore[misc]
                payload, suppress, unique_id, skip_schema_validation
            )
        finally:
            in_flight.discard(unique_id)

    async def route_message(self, raw_msg: str) -> None:
        """Route one frame; answer bad ones with the CALLERROR the spec names."""
        try:
            await self._route(raw_msg)
        except RecursionError:
            # Nested deeper than Python's recursion limit (a 64 KiB frame nests 32,000 deep):
            # the frame cannot be parsed, converted or described. Nothing was applied yet
            # (a handler's own errors become InternalError in the library).
            failure = framing_error(self._ocpp_version, FormatViolationError(), raw_msg)
            await self._reject(message_id_of(raw_msg), failure, "frame nested too deeply")

    async def _route(self, raw_msg: str) -> None:
        msg = await self._unpack(raw_msg)
        if msg is None:
            return
        if msg.message_type_id != MessageType.Call:
            if not self._take_open_call(msg.unique_id):
                # A late answer, a repeated one, or one to nothing we sent (OCPP-J: ignored).
                self.logger.warning(
                    "%s: answer to no open call ignored: %s", self.id, raw_msg[:200]
                )
                return
            self._response_queue.put_nowait(msg)
            return
        if not isinstance(msg.unique_id, str) or not isinstance(msg.action, str):
            failure = framing_error(self._ocpp_version, FormatViolationError(), raw_msg)
            message_id = msg.unique_id if isinstance(msg.unique_id, str) else UNKNOWN_MESSAGE_ID
            await self._reject(message_id, failure, "message id and action must be strings")
            return
        if msg.action not in self.route_map:
            # Answered here: the library's 2.1 charge point would not answer at all.
            failure = unhandled_action_error(self._ocpp_version, msg.action)
            await self._reject(msg.unique_id, failure, str(failure.details))
            return
        if _LONG_NUMBER.search(raw_msg) is not None and beyond_64_bits(msg.payload):
            # No OCPP integer is that wide, and the state it would end up in could not be saved.
            failure = TypeConstraintViolationError(details={"cause": "integer beyond 64 bits"})
            await self._reject(msg.unique_id, failure, str(failure.details))
            return
        try:
            await self._handle_call(msg)
        except OCPPError as failure:
            await self._reject(msg.unique_id, failure, str(failure.details or failure.description))
        except (TypeError, ValueError) as error:
            # A reply the library could not serialise: our bug, but the link survives.
            self.logger.exception("%s: could not answer %s", self.id, msg.action)
            await self._reject(msg.unique_id, InternalError(), str(error))

    async def _unpack(self, raw_msg: str) -> Any:
        """The frame as the library's message; None once a bad frame was answered."""
        # UTF-8 takes 1 to 4 bytes a character: encode only frames near the limit.
        size = len(raw_msg)
        if size * 4 > MAX_FRAME_BYTES:
            size = len(raw_msg.encode())
        if size > MAX_FRAME_BYTES:
            await self._reject(
                message_id_of(raw_msg),
                GenericError(),
                f"frame of {size} bytes exceeds {MAX_FRAME_BYTES}",
            )
            return None
        if getattr(self._connection, "last_frame_binary", False):
            await self._reject(
                message_id_of(raw_msg), FormatViolationError(), "binary frame: OCPP-J is text"
            )
            return None
        try:
            return unpack(raw_msg)
        except OCPPError as error:
            framing = framing_error(self._ocpp_version, error, raw_msg)
            await self._reject(message_id_of(raw_msg), framing, str(error.details or error))
        except ValueError as error:
            # JSON that Python does not read: an integer of more than 4,300 digits.
            framing = framing_error(self._ocpp_version, FormatViolationError(), raw_msg)
            await self._reject(message_id_of(raw_msg), framing, f"unreadable JSON: {error}")
        return None

    def _take_open_call(self, message_id: Any) -> bool:
        """Whether a CALLRESULT/CALLERROR answers a call of ours still open; it is answered now.

        Only the first answer counts: a repeat may arrive before the caller resumes with it.
        """
        in_flight = self._calls_in_flight
        if in_flight is None or not isinstance(message_id, str) or message_id not in in_flight:
            return False
        in_flight.discard(message_id)
        return True

    async def _reject(self, message_id: str, error: OCPPError, description: str) -> None:
        self.logger.warning(
            "%s: bad frame answered with %s: %s",
            self.id,
            error_code_for(self._ocpp_version, error),
            description,
        )
        await self._send(call_error_frame(self._ocpp_version, message_id, error, description))
