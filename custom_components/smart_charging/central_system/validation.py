"""Schema validation on the event loop, for our own charge points only.

The `ocpp` library validates every frame in a thread pool unless its process-wide
`ocpp.messages.ASYNC_VALIDATION` is turned off, which would change every other user of
the library in the process (another integration, the simulator). A frame validates in
well under a millisecond; the hop to a thread and back (twice per call) costs more and
competes with Home Assistant's own executor jobs. Measured with
benchmarks/test_reaction_latency.py: p50 from 287 ms to 133 ms for 50 chargers.

So this mixin turns the library's validation off through its per-route and per-call
`skip_schema_validation` switches and validates the same frames itself, inline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, CallResult, MessageType, _validate_payload, _validators

from .payload_keys import snake_case_payload
from .schema_check import Check, NotCompilable, compile_schema

# Compiled checks by schema name, with the library's validator each was made from.
_checks: dict[str, tuple[Any, Check | None]] = {}


def validate_payload(message: Call | CallResult, ocpp_version: str) -> None:
    """Validate as the library does; a payload the fast check passes skips jsonschema."""
    check = _check_for(message, ocpp_version)
    if check is None or not check(message.payload):
        _validate_payload(message, ocpp_version)


def _check_for(message: Call | CallResult, ocpp_version: str) -> Check | None:
    suffix = "Response" if message.message_type_id == MessageType.CallResult else "Request"
    if ocpp_version == "1.6" and suffix == "Request":
        suffix = ""
    name = f"{message.action}{suffix}_{ocpp_version}"
    # Only a schema the library already holds: loading one is its job (and raises its errors).
    validator = _validators.get(name)
    if validator is None:
        return None
    cached = _checks.get(name)
    if cached is None or cached[0] is not validator:
        try:
            check: Check | None = compile_schema(validator.schema)
        except NotCompilable:  # 1.6's Decimal schemas (multipleOf) among them
            check = None
        cached = _checks[name] = (validator, check)
    return cached[1]


# Our route flag: the handler wants validation (the library's own flag is then off).
_VALIDATE = "_validate_inline"


class _ValidatedCall(Call):
    """A charger's validated CALL, its payload in snake_case; its reply validated when built."""

    def __init__(self, msg: Call, ocpp_version: str) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            msg.unique_id, msg.action, snake_case_payload(msg.payload)
        )
        self._ocpp_version = ocpp_version

    def create_call_result(self, payload: Any) -> CallResult:
        result: CallResult = super().create_call_result(payload)  # type: ignore[no-untyped-call]
        validate_payload(result, self._ocpp_version)
        return result


class InlineValidation:
    """Mixin for an `ocpp` ChargePoint: validates what the library would, on the event loop."""

    route_map: dict[str, dict[str, Any]]
    _ocpp_version: str
    _unique_id_generator: Callable[[], Any]

    def validate_inline(self) -> None:
        """Take validation over from the library (once its __init__ built the routes)."""
        # CALLs of ours awaiting their answer: unique id -> action.
        self._awaited: dict[str, str] = {}
        for handlers in self.route_map.values():
            handlers[_VALIDATE] = not handlers.get("_skip_schema_validation", False)
            handlers["_skip_schema_validation"] = True

    def wire_payload(self, payload: Any) -> Any:
        """An outgoing payload as it goes on the wire (a version may mend the library's)."""
        return payload

    async def _handle_call(self, msg: Call) -> Any:
        handlers = self.route_map.get(msg.action)
        if handlers is None or not handlers.get(_VALIDATE):
            return await super()._handle_call(msg)  # type: ignore[misc]
        validate_payload(msg, self._ocpp_version)
        return await super()._handle_call(  # type: ignore[misc]
            _ValidatedCall(msg, self._ocpp_version)
        )

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """Send a CALL as the library does, validating it and its answer inline."""
        unique_id = unique_id if unique_id is not None else str(self._unique_id_generator())
        if not skip_schema_validation:
            action = type(payload).__name__
            # Built as the library builds the frame it sends.
            camel_case = snake_to_camel_case(serialize_as_dict(payload))
            wire = self.wire_payload(remove_nones(camel_case))
            validate_payload(Call(unique_id, action, wire), self._ocpp_version)
            self._awaited[unique_id] = action
        try:
            return await super().call(  # type: ignore[misc]
                payload, suppress, unique_id, skip_schema_validation=True
            )
        finally:
            self._awaited.pop(unique_id, None)

    async def _get_specific_response(self, unique_id: str, within: float) -> Any:
        response = await super()._get_specific_response(unique_id, within)  # type: ignore[misc]
        # The library recurses past answers to other ids: validate only at the first return.
        action = self._awaited.pop(unique_id, None)
        if action is not None and response.message_type_id == MessageType.CallResult:
            response.action = action
            validate_payload(response, self._ocpp_version)
        return response
