"""The `ocpp` 2.1.0 library's v21 defects, worked around its ChargePoint (not forked).

- Per-phase keys: the library camel-cases `limit_L2` (and `limit_l2`) as `limitL2`, while
  the 2.1 schemas want `limit_L2` (also `setpoint_L2`, `dischargeLimit_L3`,
  `maxChargePower_L2`...) and forbid other keys: such a frame fails the library's own
  schema check. `ChargePoint21` sends calls with per-phase fields unchecked, puts the
  underscore back in every outgoing frame, and checks the fixed call itself.
- Unanswered calls: for version "2.1" the library's router answers an action it has no
  handler for with nothing at all. `ChargePoint21` answers with a CALLERROR itself:
  NotSupported for a 2.1 action (recognized, not supported), NotImplemented for an
  unknown one (the error codes as OCPP-J defines them).
- SEND (6) and CALLRESULTERROR (5) frames of OCPP-J 2.1 are unknown to the library; the
  station sends neither (no periodic event streams).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ocpp.charge_point import serialize_as_dict
from ocpp.exceptions import NotImplementedError as OcppNotImplemented, NotSupportedError, OCPPError
from ocpp.messages import Call, MessageType, unpack, validate_payload
from ocpp.v21 import ChargePoint
from ocpp.v21.enums import Action

VERSION = "2.1"
SUBPROTOCOL = "ocpp2.1"
_WRONG_KEY = re.compile(r"^([a-z][A-Za-z0-9]*[a-z])(L[23])$")  # limitL2 -> limit_L2
_SNAKE_PHASE = re.compile(r"_[lL][23]$")  # limit_l2, limit_L2
_MAYBE_WRONG = re.compile(r'[a-z]L[23]"\s*:')
_ACTIONS = frozenset(action.value for action in Action)


def fix_phase_keys(data: Any) -> Any:
    """`data` with every wrongly camel-cased per-phase key (`limitL2`) as 2.1 spells it."""
    if isinstance(data, dict):
        return {_WRONG_KEY.sub(r"\1_\2", key): fix_phase_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [fix_phase_keys(item) for item in data]
    return data


def has_phase_keys(data: Any) -> bool:
    """Whether a snake_case payload (dict, at any depth) has per-phase fields."""
    if isinstance(data, dict):
        return any(
            _SNAKE_PHASE.search(str(key)) or has_phase_keys(value) for key, value in data.items()
        )
    if isinstance(data, list):
        return any(has_phase_keys(item) for item in data)
    return False


def fix_frame(message: str) -> str:
    """An OCPP-J frame's text with its per-phase keys fixed (unchanged when there are none)."""
    if not _MAYBE_WRONG.search(message):
        return message
    fixed = fix_phase_keys(json.loads(message))
    return json.dumps(fixed, separators=(",", ":"))


def unanswered_error(action: str) -> OCPPError:
    """The CALLERROR for a call without handler: NotSupported if 2.1 knows the action."""
    # The library's default descriptions of these two codes are swapped: give OCPP-J's.
    if action in _ACTIONS:
        return NotSupportedError(
            "Requested Action is recognized but not supported by the receiver",
            {"cause": f"{action} is not supported"},
        )
    return OcppNotImplemented(
        "Requested Action is not known by receiver",
        {"cause": f"{action} is not an OCPP 2.1 action"},
    )


class ChargePoint21(ChargePoint):
    """An `ocpp.v21` ChargePoint with the library's 2.1 defects worked around."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As the library's ChargePoint."""
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._check_when_sent: set[str] = set()

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """The library's call; with per-phase fields checked once their keys are fixed."""
        library_call: Any = super().call  # the library leaves it unannotated
        if not has_phase_keys(serialize_as_dict(payload)):
            return await library_call(payload, suppress, unique_id, skip_schema_validation)
        unique_id = unique_id if unique_id is not None else str(self._unique_id_generator())
        if not skip_schema_validation:
            self._check_when_sent.add(unique_id)
        return await library_call(payload, suppress, unique_id, skip_schema_validation=True)

    async def _send(self, message: str) -> None:
        """Send the frame with per-phase keys fixed; check a call that asked for it."""
        message = fix_frame(message)
        frame = json.loads(message)
        if frame[0] == MessageType.Call and frame[1] in self._check_when_sent:
            self._check_when_sent.discard(frame[1])
            await validate_payload(Call(frame[1], frame[2], frame[3]), VERSION)
        await super()._send(message)  # type: ignore[no-untyped-call]

    async def route_message(self, raw_msg: str) -> None:
        """Route as the library does; answer a call nothing handles with a CALLERROR."""
        try:
            message = unpack(raw_msg)
        except OCPPError:
            message = None
        if isinstance(message, Call) and "_on_action" not in self.route_map.get(message.action, {}):
            error = unanswered_error(message.action)
            await self._send(message.create_call_error(error).to_json())
            return
        await super().route_message(raw_msg)  # type: ignore[no-untyped-call]
