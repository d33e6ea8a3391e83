"""Where the `ocpp` 2.1.0 library's v21 module departs from OCPP 2.1, wrapped, not forked.

Each wrap has a test in tests/central_system/test_v21_library.py that fails once the
library is fixed, so the wrap can go then.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

# Per-phase fields: the library camel-cases `limit_l2` to `limitL2`, but the 2.1 schemas
# name it `limit_L2` and forbid other properties, so such a frame fails its own schema.
PHASE_FIELD_BASES: Final = (
    "limit",
    "setpoint",
    "setpointReactive",
    "dischargeLimit",
    "minChargePower",
    "maxChargePower",
    "minDischargePower",
    "maxDischargePower",
    "minChargeReactivePower",
    "maxChargeReactivePower",
    "minDischargeReactivePower",
    "maxDischargeReactivePower",
    "maxChargeApparentPower",
    "maxDischargeApparentPower",
)
_RIGHT_KEYS: Final = {
    f"{base}L{phase}": f"{base}_L{phase}" for base in PHASE_FIELD_BASES for phase in (2, 3)
}
# As a key in a JSON text: a quoted name followed by a colon occurs nowhere else.
_WRONG_KEY_IN_TEXT: Final = re.compile(r'"(' + "|".join(PHASE_FIELD_BASES) + r')L([23])"(\s*:)')

# OCPP-J 2.1 message types the library does not know (it knows CALL, CALLRESULT, CALLERROR).
CALLRESULTERROR: Final = 5
SEND: Final = 6
_MESSAGE_TYPE: Final = re.compile(r"^\s*\[\s*(\d)\s*,")


def fix_phase_keys(payload: Any) -> Any:
    """`payload` (camelCase, as the library built it) with the schema's per-phase names."""
    if isinstance(payload, dict):
        return {_RIGHT_KEYS.get(key, key): fix_phase_keys(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [fix_phase_keys(item) for item in payload]
    return payload


def fix_phase_keys_in_frame(frame: str) -> str:
    """A JSON frame the library serialised, with the schema's per-phase names."""
    return _WRONG_KEY_IN_TEXT.sub(r'"\1_L\2"\3', frame)


def message_type_of(frame: str) -> int | None:
    """The OCPP-J message type of a frame, read without parsing it (None: unreadable)."""
    match = _MESSAGE_TYPE.match(frame[:16])
    return int(match.group(1)) if match else None


def unpack_send(frame: str) -> tuple[str, str, dict[str, Any]] | None:
    """A SEND frame's message id, action and payload; None if it is not one."""
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    match message:
        case [6, str(message_id), str(action), dict(payload)]:
            return message_id, action, payload
    return None
