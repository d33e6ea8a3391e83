"""OCPP-J framing that the `ocpp` library leaves to its users.

The library logs and drops malformed frames without answering, lets a serialisation
error in a reply escape and end the connection, and uses 2.x error names for 1.6.
`SafeRouting` answers every bad frame with the CALLERROR the spec names, logs one line,
and keeps the connection.
"""

from __future__ import annotations

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


class SafeRouting:
    """Mixin for an `ocpp` ChargePoint: routes frames without ever raising."""

    id: str
    logger: logging.Logger
    route_map: dict[str, dict[str, Any]]
    _ocpp_version: str
    _response_queue: Any
    _connection: Any

    if TYPE_CHECKING:  # Provided by the library's ChargePoint.

        async def _send(self, message: str) -> None: ...

        async def _handle_call(self, msg: Call) -> Any: ...

    async def route_message(self, raw_msg: str) -> None:
        """Route one frame; answer bad ones with the CALLERROR the spec names."""
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
            return
        if getattr(self._connection, "last_frame_binary", False):
            await self._reject(
                message_id_of(raw_msg), FormatViolationError(), "binary frame: OCPP-J is text"
            )
            return
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            framing = framing_error(self._ocpp_version, error, raw_msg)
            await self._reject(message_id_of(raw_msg), framing, str(error.details or error))
            return
        if msg.message_type_id != MessageType.Call:
            self._response_queue.put_nowait(msg)
            return
        if msg.action not in self.route_map:
            # Answered here: the library's 2.1 charge point would not answer at all.
            failure = unhandled_action_error(self._ocpp_version, msg.action)
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

    async def _reject(self, message_id: str, error: OCPPError, description: str) -> None:
        self.logger.warning(
            "%s: bad frame answered with %s: %s",
            self.id,
            error_code_for(self._ocpp_version, error),
            description,
        )
        await self._send(call_error_frame(self._ocpp_version, message_id, error, description))
